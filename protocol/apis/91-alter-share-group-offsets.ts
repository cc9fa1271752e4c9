import { defineApi } from '../schema.js';

/** Sets an empty share group's share-partition start offsets (KIP-932; kafka-share-groups --reset-offsets). */
export default defineApi({
  key: 91,
  name: 'AlterShareGroupOffsets',
  versions: '0',
  flexible: '0+',
  request: {
    groupId: ['string', '0+'],
    topics: ['[]Topic', '0+', {
      topicName: ['string', '0+'],
      partitions: ['[]Partition', '0+', {
        partitionIndex: ['int32', '0+'],
        startOffset: ['int64', '0+'],
      }],
    }],
  },
  response: {
    throttleTimeMs: ['int32', '0+'],
    errorCode: ['int16', '0+'],
    errorMessage: ['string', '0+', { nullable: '0+', default: null }],
    responses: ['[]Topic', '0+', {
      topicName: ['string', '0+'],
      topicId: ['uuid', '0+'],
      partitions: ['[]Partition', '0+', {
        partitionIndex: ['int32', '0+'],
        errorCode: ['int16', '0+'],
        errorMessage: ['string', '0+', { nullable: '0+', default: null }],
      }],
    }],
  },
});
