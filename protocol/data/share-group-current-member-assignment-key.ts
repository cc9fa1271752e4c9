import { defineData } from '../schema.js';

/** Key of one share group member's current epoch and assignment in __consumer_offsets (record type 14, KIP-932). */
export default defineData({
  name: 'ShareGroupCurrentMemberAssignmentKey',
  versions: '14',
  flexible: 'none',
  fields: {
    groupId: ['string', '14'],
    memberId: ['string', '14'],
  },
});
