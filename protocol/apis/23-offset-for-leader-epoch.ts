import { defineApi } from '../schema.js';

/** The end offset of a leader epoch, for truncation after a leader change. */
export default defineApi({
  key: 23,
  name: 'OffsetForLeaderEpoch',
  versions: '0-4',
  flexible: '4+',
  request: {
    replicaId: ['int32', '3+', { default: -2, about: 'The follower broker id, -1 for a consumer, -2 for debugging.' }],
    topics: ['[]Topic', '0+', {
      topic: ['string', '0+'],
      partitions: ['[]Partition', '0+', {
        partition: ['int32', '0+'],
        currentLeaderEpoch: ['int32', '2+', { default: -1 }],
        leaderEpoch: ['int32', '0+'],
      }],
    }],
  },
  response: {
    throttleTimeMs: ['int32', '2+'],
    topics: ['[]Topic', '0+', {
      topic: ['string', '0+'],
      partitions: ['[]Partition', '0+', {
        errorCode: ['int16', '0+'],
        partition: ['int32', '0+'],
        leaderEpoch: ['int32', '1+', { default: -1 }],
        endOffset: ['int64', '0+', { default: -1 }],
      }],
    }],
  },
});
