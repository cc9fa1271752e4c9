import { defineData } from '../schema.js';

/**
 * What a consumer sends as its JoinGroup protocol metadata (protocol type "consumer"). Newer
 * versions only append fields, so Kafka reads an unknown version as the latest it knows.
 */
export default defineData({
  name: 'ConsumerProtocolSubscription',
  versions: '0-3',
  flexible: 'none',
  readsNewer: true,
  fields: {
    topics: ['[]string', '0+', { about: 'The topics the member wants to consume.' }],
    userData: ['bytes', '0+', { nullable: '0+', default: null, about: 'Opaque to everyone but the assignor.' }],
    ownedPartitions: ['[]TopicPartition', '1+', {
      topic: ['string', '1+'],
      partitions: ['[]int32', '1+'],
    }, { about: 'What the member owns now (cooperative rebalancing).' }],
    generationId: ['int32', '2+', { default: -1, about: 'Generation of ownedPartitions.' }],
    rackId: ['string', '3+', { nullable: '3+', default: null }],
  },
});
