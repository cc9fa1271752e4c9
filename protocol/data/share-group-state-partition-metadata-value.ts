import { defineData } from '../schema.js';

/**
 * The topic-partitions whose share-group state is being initialised, is initialised, or is being deleted
 * (Kafka's common structs TopicPartitionsInfo and TopicInfo, named per field here).
 */
export default defineData({
  name: 'ShareGroupStatePartitionMetadataValue',
  versions: '0',
  flexible: '0+',
  readsNewer: true,
  fields: {
    initializingTopics: ['[]InitializingTopic', '0+', {
      topicId: ['uuid', '0+'],
      topicName: ['string', '0+'],
      partitions: ['[]int32', '0+'],
    }],
    initializedTopics: ['[]InitializedTopic', '0+', {
      topicId: ['uuid', '0+'],
      topicName: ['string', '0+'],
      partitions: ['[]int32', '0+'],
    }],
    deletingTopics: ['[]DeletingTopic', '0+', {
      topicId: ['uuid', '0+'],
      topicName: ['string', '0+'],
    }],
  },
});
