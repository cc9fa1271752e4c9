import { defineApi } from '../schema.js';

/** Share groups (KIP-932), group coordinator to share coordinator: state epoch, leader epoch, start offset (and, v1, KIP-1226's delivery-complete count) of share partitions. */
export default defineApi({
  key: 87,
  name: 'ReadShareGroupStateSummary',
  versions: '0-1',
  flexible: '0+',
  request: {
    groupId: ['string', '0+'],
    topics: ['[]ReadStateSummaryData', '0+', {
      topicId: ['uuid', '0+'],
      partitions: ['[]PartitionData', '0+', {
        partition: ['int32', '0+'],
        leaderEpoch: ['int32', '0+'],
      }],
    }],
  },
  response: {
    results: ['[]ReadStateSummaryResult', '0+', {
      topicId: ['uuid', '0+'],
      partitions: ['[]PartitionResult', '0+', {
        partition: ['int32', '0+'],
        errorCode: ['int16', '0+'],
        errorMessage: ['string', '0+', { nullable: '0+', default: null }],
        stateEpoch: ['int32', '0+'],
        leaderEpoch: ['int32', '0+'],
        startOffset: ['int64', '0+'],
        deliveryCompleteCount: ['int32', '1+', { default: -1 }],
      }],
    }],
  },
});
