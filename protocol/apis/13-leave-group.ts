import { defineApi } from '../schema.js';

/** Removes members from a classic group; v3+ removes a batch of members. */
export default defineApi({
  key: 13,
  name: 'LeaveGroup',
  versions: '0-5',
  flexible: '4+',
  request: {
    groupId: ['string', '0+'],
    memberId: ['string', '0-2'],
    members: ['[]Member', '3+', {
      memberId: ['string', '3+'],
      groupInstanceId: ['string', '3+', { nullable: '3+', default: null }],
      reason: ['string', '5+', { nullable: '5+', default: null }],
    }],
  },
  response: {
    throttleTimeMs: ['int32', '1+'],
    errorCode: ['int16', '0+'],
    members: ['[]Member', '3+', {
      memberId: ['string', '3+'],
      groupInstanceId: ['string', '3+', { nullable: '3+' }],
      errorCode: ['int16', '3+'],
    }],
  },
});
