import { defineApi } from '../schema.js';

/** Deletes topics by name, or (v6+) by name or topic id. */
export default defineApi({
  key: 20,
  name: 'DeleteTopics',
  versions: '0-6',
  flexible: '4+',
  request: {
    topics: ['[]Topic', '6+', {
      name: ['string', '6+', { nullable: '6+', default: null }],
      topicId: ['uuid', '6+'],
    }],
    topicNames: ['[]string', '0-5'],
    timeoutMs: ['int32', '0+'],
  },
  response: {
    throttleTimeMs: ['int32', '1+'],
    responses: ['[]Result', '0+', {
      name: ['string', '0+', { nullable: '6+' }],
      topicId: ['uuid', '6+'],
      errorCode: ['int16', '0+'],
      errorMessage: ['string', '5+', { nullable: '5+', default: null }],
    }],
  },
});
