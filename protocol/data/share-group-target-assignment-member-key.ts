import { defineData } from '../schema.js';

/** Key of one share group member's target assignment in __consumer_offsets (record type 13, KIP-932). */
export default defineData({
  name: 'ShareGroupTargetAssignmentMemberKey',
  versions: '13',
  flexible: 'none',
  fields: {
    groupId: ['string', '13'],
    memberId: ['string', '13'],
  },
});
