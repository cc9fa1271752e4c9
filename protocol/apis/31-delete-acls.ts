import { defineApi } from '../schema.js';

/** Deletes the ACLs matching each filter. */
export default defineApi({
  key: 31,
  name: 'DeleteAcls',
  versions: '0-3',
  flexible: '2+',
  request: {
    filters: ['[]Filter', '0+', {
      resourceTypeFilter: ['int8', '0+'],
      resourceNameFilter: ['string', '0+', { nullable: '0+' }],
      patternTypeFilter: ['int8', '1+', { default: 3 }],
      principalFilter: ['string', '0+', { nullable: '0+' }],
      hostFilter: ['string', '0+', { nullable: '0+' }],
      operation: ['int8', '0+'],
      permissionType: ['int8', '0+'],
    }],
  },
  response: {
    throttleTimeMs: ['int32', '0+'],
    filterResults: ['[]FilterResult', '0+', {
      errorCode: ['int16', '0+'],
      errorMessage: ['string', '0+', { nullable: '0+' }],
      matchingAcls: ['[]MatchingAcl', '0+', {
        errorCode: ['int16', '0+'],
        errorMessage: ['string', '0+', { nullable: '0+' }],
        resourceType: ['int8', '0+'],
        resourceName: ['string', '0+'],
        patternType: ['int8', '1+', { default: 3 }],
        principal: ['string', '0+'],
        host: ['string', '0+'],
        operation: ['int8', '0+'],
        permissionType: ['int8', '0+'],
      }],
    }],
  },
});
