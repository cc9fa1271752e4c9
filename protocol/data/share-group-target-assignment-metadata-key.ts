import { defineData } from '../schema.js';

/** Key of the epoch a share group's target assignment was computed at, in __consumer_offsets (record type 12, KIP-932). */
export default defineData({
  name: 'ShareGroupTargetAssignmentMetadataKey',
  versions: '12',
  flexible: 'none',
  fields: {
    groupId: ['string', '12'],
  },
});
