import { defineApi } from '../schema.js';

/** The leader sends the assignment; every member receives its own. */
export default defineApi({
  key: 14,
  name: 'SyncGroup',
  versions: '0-5',
  flexible: '4+',
  request: {
    groupId: ['string', '0+'],
    generationId: ['int32', '0+'],
    memberId: ['string', '0+'],
    groupInstanceId: ['string', '3+', { nullable: '3+', default: null }],
    protocolType: ['string', '5+', { nullable: '5+', default: null }],
    protocolName: ['string', '5+', { nullable: '5+', default: null }],
    assignments: ['[]Assignment', '0+', {
      memberId: ['string', '0+'],
      assignment: ['bytes', '0+'],
    }],
  },
  response: {
    throttleTimeMs: ['int32', '1+'],
    errorCode: ['int16', '0+'],
    protocolType: ['string', '5+', { nullable: '5+', default: null }],
    protocolName: ['string', '5+', { nullable: '5+', default: null }],
    assignment: ['bytes', '0+'],
  },
});
