import { defineApi } from '../schema.js';

/** Replaces the whole dynamic configuration of resources (see IncrementalAlterConfigs). */
export default defineApi({
  key: 33,
  name: 'AlterConfigs',
  versions: '0-2',
  flexible: '2+',
  request: {
    resources: ['[]Resource', '0+', {
      resourceType: ['int8', '0+'],
      resourceName: ['string', '0+'],
      configs: ['[]Config', '0+', {
        name: ['string', '0+'],
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
