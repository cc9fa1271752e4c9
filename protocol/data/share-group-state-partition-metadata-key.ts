import { defineData } from '../schema.js';

/** Key of a share group's share-state partition record in __consumer_offsets (record type 15, KIP-932). */
export default defineData({
  name: 'ShareGroupStatePartitionMetadataKey',
  versions: '15',
  flexible: 'none',
  fields: {
    groupId: ['string', '15'],
  },
});
