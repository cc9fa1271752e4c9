import { defineApi } from '../schema.js';

/** Sent by the transaction coordinator to partition leaders: write commit/abort markers. */
export default defineApi({
  key: 27,
  name: 'WriteTxnMarkers',
  versions: '0-1',
  flexible: '1+',
  request: {
    markers: ['[]Marker', '0+', {
      producerId: ['int64', '0+'],
      producerEpoch: ['int16', '0+'],
      transactionResult: ['bool', '0+', { about: 'True for commit, false for abort.' }],
      topics: ['[]Topic', '0+', {
        name: ['string', '0+'],
        partitionIndexes: ['[]int32', '0+'],
      }],
      coordinatorEpoch: ['int32', '0+'],
    }],
  },
  response: {
    markers: ['[]Marker', '0+', {
      producerId: ['int64', '0+'],
      topics: ['[]Topic', '0+', {
        name: ['string', '0+'],
        partitions: ['[]Partition', '0+', {
          partitionIndex: ['int32', '0+'],
          errorCode: ['int16', '0+'],
        }],
      }],
    }],
  },
});
