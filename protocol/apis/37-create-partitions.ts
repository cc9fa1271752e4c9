import { defineApi } from '../schema.js';

/** Raises topics' partition counts. */
export default defineApi({
  key: 37,
  name: 'CreatePartitions',
  versions: '0-3',
  flexible: '2+',
  request: {
    topics: ['[]Topic', '0+', {
      name: ['string', '0+'],
      count: ['int32', '0+', { about: 'The new total partition count.' }],
      assignments: ['[]Assignment', '0+', {
        brokerIds: ['[]int32', '0+'],
      }, { nullable: '0+' }],
    }],
    timeoutMs: ['int32', '0+'],
    validateOnly: ['bool', '0+'],
  },
  response: {
    throttleTimeMs: ['int32', '0+'],
    results: ['[]Result', '0+', {
      name: ['string', '0+'],
      errorCode: ['int16', '0+'],
      errorMessage: ['string', '0+', { nullable: '0+', default: null }],
    }],
  },
});
