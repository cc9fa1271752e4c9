import { defineApi } from '../schema.js';

/** ACLs matching a filter. Pattern type 3 is LITERAL (the v0 meaning). */
export default defineApi({
  key: 29,
  name: 'DescribeAcls',
  versions: '0-3',
  flexible: '2+',
  request: {
    resourceTypeFilter: ['int8', '0+'],
    resourceNameFilter: ['string', '0+', { nullable: '0+' }],
    patternTypeFilter: ['int8', '1+', { default: 3 }],
    principalFilter: ['string', '0+', { nullable: '0+' }],
    hostFilter: ['string', '0+', { nullable: '0+' }],
    operation: ['int8', '0+'],
    permissionType: ['int8', '0+'],
  },
  response: {
    throttleTimeMs: ['int32', '0+'],
    errorCode: ['int16', '0+'],
    errorMessage: ['string', '0+', { nullable: '0+' }],
    resources: ['[]Resource', '0+', {
      resourceType: ['int8', '0+'],
      resourceName: ['string', '0+'],
      patternType: ['int8', '1+', { default: 3 }],
      acls: ['[]Acl', '0+', {
        principal: ['string', '0+'],
        host: ['string', '0+'],
        operation: ['int8', '0+'],
        permissionType: ['int8', '0+'],
      }],
    }],
  },
});
