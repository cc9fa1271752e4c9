import { defineData } from '../schema.js';

/** Key of a consumer group's subscribed-topic metadata (record type 4; replaced by the metadata hash in Kafka 4.1, still read). */
export default defineData({
  name: 'ConsumerGroupPartitionMetadataKey',
  versions: '4',
  flexible: 'none',
  fields: {
    groupId: ['string', '4'],
  },
});
