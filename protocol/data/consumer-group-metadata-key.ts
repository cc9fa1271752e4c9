import { defineData } from '../schema.js';

/** Key of a consumer group's epoch record in __consumer_offsets (record type 3). */
export default defineData({
  name: 'ConsumerGroupMetadataKey',
  versions: '3',
  flexible: 'none',
  fields: {
    groupId: ['string', '3'],
  },
});
