import { defineApi } from '../schema.js';

/** State, protocol and members of classic groups. v6: GROUP_ID_NOT_FOUND with a message for unknown groups (KIP-1043). */
export default defineApi({
  key: 15,
  name: 'DescribeGroups',
  versions: '0-6',
  flexible: '5+',
  request: {
    groups: ['[]string', '0+'],
    includeAuthorizedOperations: ['bool', '3+'],
  },
  response: {
    throttleTimeMs: ['int32', '1+'],
    groups: ['[]Group', '0+', {
      errorCode: ['int16', '0+'],
      errorMessage: ['string', '6+', { nullable: '6+', default: null }],
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
