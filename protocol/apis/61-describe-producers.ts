import { defineApi } from '../schema.js';

/** Active idempotent/transactional producers of partitions. */
export default defineApi({
  key: 61,
  name: 'DescribeProducers',
  versions: '0',
  flexible: '0+',
  request: {
    topics: ['[]Topic', '0+', {
      name: ['string', '0+'],
      partitionIndexes: ['[]int32', '0+'],
    }],
  },
  response: {
    throttleTimeMs: ['int32', '0+'],
    topics: ['[]Topic', '0+', {
      name: ['string', '0+'],
      partitions: ['[]Partition', '0+', {
        partitionIndex: ['int32', '0+'],
        errorCode: ['int16', '0+'],
        errorMessage: ['string', '0+', { nullable: '0+', default: null }],
        activeProducers: ['[]ProducerState', '0+', {
          producerId: ['int64', '0+'],
          producerEpoch: ['int32', '0+'],
          lastSequence: ['int32', '0+', { default: -1 }],
          lastTimestamp: ['int64', '0+', { default: -1 }],
          coordinatorEpoch: ['int32', '0+'],
          currentTxnStartOffset: ['int64', '0+', { default: -1 }],
        }],
      }],
    }],
  },
});
