import { defineData } from '../schema.js';

/** Key of a share group's epoch record in __consumer_offsets (record type 11, KIP-932). */
export default defineData({
  name: 'ShareGroupMetadataKey',
  versions: '11',
  flexible: 'none',
  fields: {
    groupId: ['string', '11'],
  },
});
