import { defineApi } from '../schema.js';

/** Share groups (KIP-932), group coordinator to share coordinator: a share partition's state anew (a new state epoch and start offset). */
export default defineApi({
  key: 83,
  name: 'InitializeShareGroupState',
  versions: '0',
  flexible: '0+',
  request: {
    groupId: ['string', '0+'],
    topics: ['[]InitializeStateData', '0+', {
      topicId: ['uuid', '0+'],
      partitions: ['[]PartitionData', '0+', {
        partition: ['int32', '0+'],
        stateEpoch: ['int32', '0+'],
        startOffset: ['int64', '0+'],
      }],
    }],
  },
  response: {
    results: ['[]InitializeStateResult', '0+', {
      topicId: ['uuid', '0+'],
      partitions: ['[]PartitionResult', '0+', {
        partition: ['int32', '0+'],
        errorCode: ['int16', '0+'],
        errorMessage: ['string', '0+', { nullable: '0+', default: null }],
      }],
    }],
  },
});
