import { defineApi } from '../schema.js';

/** Share groups (KIP-932), group coordinator to share coordinator: deletes share-partition states (tombstones in __share_group_state). */
export default defineApi({
  key: 86,
  name: 'DeleteShareGroupState',
  versions: '0',
  flexible: '0+',
  request: {
    groupId: ['string', '0+'],
    topics: ['[]DeleteStateData', '0+', {
      topicId: ['uuid', '0+'],
      partitions: ['[]PartitionData', '0+', {
        partition: ['int32', '0+'],
      }],
    }],
  },
  response: {
    results: ['[]DeleteStateResult', '0+', {
      topicId: ['uuid', '0+'],
      partitions: ['[]PartitionResult', '0+', {
        partition: ['int32', '0+'],
        errorCode: ['int16', '0+'],
        errorMessage: ['string', '0+', { nullable: '0+', default: null }],
      }],
    }],
  },
});
