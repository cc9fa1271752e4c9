import { defineApi } from '../schema.js';

/** Adds partitions to a transaction (the v0-3 single-transaction form; v4+ batching is not declared). */
export default defineApi({
  key: 24,
  name: 'AddPartitionsToTxn',
  versions: '0-3',
  flexible: '3+',
  request: {
    transactionalId: ['string', '0-3'],
    producerId: ['int64', '0-3'],
    producerEpoch: ['int16', '0-3'],
    topics: ['[]Topic', '0-3', {
      name: ['string', '0+'],
      partitions: ['[]int32', '0+'],
    }],
  },
  response: {
    throttleTimeMs: ['int32', '0+'],
    resultsByTopicV3AndBelow: ['[]TopicResult', '0-3', {
      name: ['string', '0+'],
      resultsByPartition: ['[]PartitionResult', '0+', {
        partitionIndex: ['int32', '0+'],
        partitionErrorCode: ['int16', '0+'],
      }],
    }],
  },
});
