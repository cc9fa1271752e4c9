import { defineApi } from '../schema.js';

/** State, protocol and members of classic groups. */
export default defineApi({
  key: 15,
  name: 'DescribeGroups',
  versions: '0-5',
  flexible: '5+',
  request: {
    groups: ['[]string', '0+'],
    includeAuthorizedOperations: ['bool', '3+'],
  },
  response: {
    throttleTimeMs: ['int32', '1+'],
    groups: ['[]Group', '0+', {
      errorCode: ['int16', '0+'],
      groupId: ['string', '0+'],
      groupState: ['string', '0+'],
      protocolType: ['string', '0+'],
      protocolData: ['string', '0+', { about: 'The selected protocol (assignor) name.' }],
      members: ['[]Member', '0+', {
        memberId: ['string', '0+'],
        groupInstanceId: ['string', '4+', { nullable: '4+', default: null }],
        clientId: ['string', '0+'],
        clientHost: ['string', '0+'],
        memberMetadata: ['bytes', '0+'],
        memberAssignment: ['bytes', '0+'],
      }],
      authorizedOperations: ['int32', '3+', { default: -2147483648 }],
    }],
  },
});
