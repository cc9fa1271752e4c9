import { defineApi } from '../schema.js';

/** Deletes a group's committed offsets for partitions it no longer consumes. */
export default defineApi({
  key: 47,
  name: 'OffsetDelete',
  versions: '0',
  flexible: 'none',
  request: {
    groupId: ['string', '0+'],
    topics: ['[]Topic', '0+', {
      name: ['string', '0+'],
      partitions: ['[]Partition', '0+', {
        partitionIndex: ['int32', '0+'],
      }],
    }],
  },
  response: {
    errorCode: ['int16', '0+'],
    throttleTimeMs: ['int32', '0+'],
    topics: ['[]Topic', '0+', {
      name: ['string', '0+'],
      partitions: ['[]Partition', '0+', {
        partitionIndex: ['int32', '0+'],
        errorCode: ['int16', '0+'],
      }],
    }],
  },
});
