import { defineData } from '../schema.js';

/** Key of one share group member's identity and subscription in __consumer_offsets (record type 10, KIP-932). */
export default defineData({
  name: 'ShareGroupMemberMetadataKey',
  versions: '10',
  flexible: 'none',
  fields: {
    groupId: ['string', '10'],
    memberId: ['string', '10'],
  },
});
