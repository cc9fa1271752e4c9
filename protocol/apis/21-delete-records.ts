import { defineApi } from '../schema.js';

/** Moves partitions' log start offsets forward. */
export default defineApi({
  key: 21,
  name: 'DeleteRecords',
  versions: '0-2',
  flexible: '2+',
  request: {
    topics: ['[]Topic', '0+', {
      name: ['string', '0+'],
      partitions: ['[]Partition', '0+', {
        partitionIndex: ['int32', '0+'],
        offset: ['int64', '0+', { about: 'Delete everything before this offset; -1 for the high watermark.' }],
      }],
    }],
    timeoutMs: ['int32', '0+'],
  },
  response: {
    throttleTimeMs: ['int32', '0+'],
    topics: ['[]Topic', '0+', {
      name: ['string', '0+'],
      partitions: ['[]Partition', '0+', {
        partitionIndex: ['int32', '0+'],
        lowWatermark: ['int64', '0+'],
        errorCode: ['int16', '0+'],
      }],
    }],
  },
});
