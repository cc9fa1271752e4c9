import { defineApi } from '../schema.js';

/** Sets (0), deletes (1), appends to (2) or subtracts from (3) individual config keys. */
export default defineApi({
  key: 44,
  name: 'IncrementalAlterConfigs',
  versions: '0-1',
  flexible: '1+',
  request: {
    resources: ['[]Resource', '0+', {
      resourceType: ['int8', '0+'],
      resourceName: ['string', '0+'],
      configs: ['[]Config', '0+', {
        name: ['string', '0+'],
        configOperation: ['int8', '0+'],
        value: ['string', '0+', { nullable: '0+' }],
      }],
    }],
    validateOnly: ['bool', '0+'],
  },
  response: {
    throttleTimeMs: ['int32', '0+'],
    responses: ['[]Response', '0+', {
      errorCode: ['int16', '0+'],
      errorMessage: ['string', '0+', { nullable: '0+' }],
      resourceType: ['int8', '0+'],
      resourceName: ['string', '0+'],
    }],
  },
});
