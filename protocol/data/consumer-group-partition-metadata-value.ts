import { defineData } from '../schema.js';

/** The subscribed topics' metadata a consumer group's assignment was computed from (Kafka < 4.1). */
export default defineData({
  name: 'ConsumerGroupPartitionMetadataValue',
  versions: '0',
  flexible: '0+',
  readsNewer: true,
  fields: {
    topics: ['[]TopicMetadata', '0+', {
      topicId: ['uuid', '0+'],
      topicName: ['string', '0+'],
      numPartitions: ['int32', '0+'],
      partitionMetadata: ['[]PartitionMetadata', '0+', {
        partition: ['int32', '0+'],
        racks: ['[]string', '0+'],
      }],
    }],
  },
});
