import { defineApi } from '../schema.js';

/** Share groups (KIP-932), broker to share coordinator: reads share-partition states from __share_group_state. */
export default defineApi({
  key: 84,
  name: 'ReadShareGroupState',
  versions: '0',
  flexible: '0+',
  request: {
    groupId: ['string', '0+'],
    topics: ['[]ReadStateData', '0+', {
      topicId: ['uuid', '0+'],
      partitions: ['[]PartitionData', '0+', {
        partition: ['int32', '0+'],
        leaderEpoch: ['int32', '0+'],
      }],
    }],
  },
  response: {
    results: ['[]ReadStateResult', '0+', {
      topicId: ['uuid', '0+'],
      partitions: ['[]PartitionResult', '0+', {
        partition: ['int32', '0+'],
        errorCode: ['int16', '0+'],
        errorMessage: ['string', '0+', { nullable: '0+', default: null }],
        stateEpoch: ['int32', '0+'],
        startOffset: ['int64', '0+'],
        stateBatches: ['[]StateBatch', '0+', {
          firstOffset: ['int64', '0+'],
          lastOffset: ['int64', '0+'],
          deliveryState: ['int8', '0+'],
          deliveryCount: ['int16', '0+'],
        }],
      }],
    }],
  },
});
