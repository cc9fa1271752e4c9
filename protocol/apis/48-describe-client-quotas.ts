import { defineApi } from '../schema.js';

/** Client quotas matching entity filters (match type 0 exact, 1 default, 2 any). */
export default defineApi({
  key: 48,
  name: 'DescribeClientQuotas',
  versions: '0-1',
  flexible: '1+',
  request: {
    components: ['[]Component', '0+', {
      entityType: ['string', '0+'],
      matchType: ['int8', '0+'],
      match: ['string', '0+', { nullable: '0+' }],
    }],
    strict: ['bool', '0+'],
  },
  response: {
    throttleTimeMs: ['int32', '0+'],
    errorCode: ['int16', '0+'],
    errorMessage: ['string', '0+', { nullable: '0+' }],
    entries: ['[]Entry', '0+', {
      entity: ['[]Entity', '0+', {
        entityType: ['string', '0+'],
        entityName: ['string', '0+', { nullable: '0+', about: 'Null for the default entity.' }],
      }],
      values: ['[]Value', '0+', {
        key: ['string', '0+'],
        value: ['float64', '0+'],
      }],
    }, { nullable: '0+' }],
  },
});
