import { defineApi } from '../schema.js';

/** Share groups (KIP-932), share-partition leader to share coordinator: writes a share-partition state to __share_group_state (v1: KIP-1226's delivery-complete count). */
export default defineApi({
  key: 85,
  name: 'WriteShareGroupState',
  versions: '0-1',
  flexible: '0+',
  request: {
    groupId: ['string', '0+'],
    topics: ['[]WriteStateData', '0+', {
      topicId: ['uuid', '0+'],
      partitions: ['[]PartitionData', '0+', {
        partition: ['int32', '0+'],
        stateEpoch: ['int32', '0+'],
        leaderEpoch: ['int32', '0+'],
        startOffset: ['int64', '0+'],
        deliveryCompleteCount: ['int32', '1+', { default: -1 }],
        stateBatches: ['[]StateBatch', '0+', {
          firstOffset: ['int64', '0+'],
          lastOffset: ['int64', '0+'],
          deliveryState: ['int8', '0+'],
          deliveryCount: ['int16', '0+'],
        }],
      }],
    }],
  },
  response: {
    results: ['[]WriteStateResult', '0+', {
      topicId: ['uuid', '0+'],
      partitions: ['[]PartitionResult', '0+', {
        partition: ['int32', '0+'],
        errorCode: ['int16', '0+'],
        errorMessage: ['string', '0+', { nullable: '0+', default: null }],
      }],
    }],
  },
});
