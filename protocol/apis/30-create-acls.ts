import { defineApi } from '../schema.js';

/** Creates ACL bindings. */
export default defineApi({
  key: 30,
  name: 'CreateAcls',
  versions: '0-3',
  flexible: '2+',
  request: {
    creations: ['[]Creation', '0+', {
      resourceType: ['int8', '0+'],
      resourceName: ['string', '0+'],
      resourcePatternType: ['int8', '1+', { default: 3 }],
      principal: ['string', '0+'],
      host: ['string', '0+'],
      operation: ['int8', '0+'],
      permissionType: ['int8', '0+'],
    }],
  },
  response: {
    throttleTimeMs: ['int32', '0+'],
    results: ['[]Result', '0+', {
      errorCode: ['int16', '0+'],
      errorMessage: ['string', '0+', { nullable: '0+' }],
    }],
  },
});
