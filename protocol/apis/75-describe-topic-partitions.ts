import { defineApi } from '../schema.js';

/**
 * The partitions of topics, paged by a cursor (KIP-966): the admin client's describeTopics() uses
 * it instead of Metadata when the broker advertises it (Kafka 3.8+ clients, kafka-topics --describe).
 */
export default defineApi({
  key: 75,
  name: 'DescribeTopicPartitions',
  versions: '0',
  flexible: '0+',
  request: {
    topics: ['[]Topic', '0+', {
      name: ['string', '0+'],
    }, { about: 'Topics to describe; an empty list means all topics.' }],
    responsePartitionLimit: ['int32', '0+', { default: 2000, about: 'At most this many partitions in the response.' }],
    cursor: ['Cursor', '0+', {
      topicName: ['string', '0+', { about: 'The topic to start with.' }],
      partitionIndex: ['int32', '0+', { about: 'The partition of that topic to start with.' }],
    }, { nullable: '0+', default: null, about: 'Where to start: the next cursor of a previous response.' }],
  },
  response: {
    throttleTimeMs: ['int32', '0+'],
    topics: ['[]Topic', '0+', {
      errorCode: ['int16', '0+'],
      name: ['string', '0+', { nullable: '0+' }],
      topicId: ['uuid', '0+'],
      isInternal: ['bool', '0+', { default: false }],
      partitions: ['[]Partition', '0+', {
        errorCode: ['int16', '0+'],
        partitionIndex: ['int32', '0+'],
        leaderId: ['int32', '0+'],
        leaderEpoch: ['int32', '0+', { default: -1 }],
        replicaNodes: ['[]int32', '0+'],
        isrNodes: ['[]int32', '0+'],
        eligibleLeaderReplicas: ['[]int32', '0+', { nullable: '0+', default: null, about: 'Eligible leader replicas (KIP-966).' }],
        lastKnownElr: ['[]int32', '0+', { nullable: '0+', default: null, about: 'The last known eligible leader replicas.' }],
        offlineReplicas: ['[]int32', '0+'],
      }],
      topicAuthorizedOperations: ['int32', '0+', { default: -2147483648 }],
    }],
    nextCursor: ['Cursor', '0+', {
      topicName: ['string', '0+'],
      partitionIndex: ['int32', '0+'],
    }, { nullable: '0+', default: null, about: 'Where the next request should start, when the limit cut the response short.' }],
  },
});
