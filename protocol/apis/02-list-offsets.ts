import { defineApi } from '../schema.js';

/** Offsets by timestamp (-1 latest, -2 earliest, -3 max timestamp v7+, -4 earliest local v8+, -5 latest tiered v9+, -6 earliest pending upload v11+). */
export default defineApi({
  key: 2,
  name: 'ListOffsets',
  versions: '0-11',
  flexible: '6+',
  request: {
    replicaId: ['int32', '0+', { about: 'The requesting broker, or -1 for a consumer.' }],
    isolationLevel: ['int8', '2+'],
    topics: ['[]Topic', '0+', {
      name: ['string', '0+'],
      partitions: ['[]Partition', '0+', {
        partitionIndex: ['int32', '0+'],
        currentLeaderEpoch: ['int32', '4+', { default: -1 }],
        timestamp: ['int64', '0+'],
        maxNumOffsets: ['int32', '0', { default: 1 }],
      }],
    }],
    timeoutMs: ['int32', '10+', { default: 0, about: 'How long a tiered-storage lookup may take (KIP-1075).' }],
  },
  response: {
    throttleTimeMs: ['int32', '2+'],
    topics: ['[]Topic', '0+', {
      name: ['string', '0+'],
      partitions: ['[]Partition', '0+', {
        partitionIndex: ['int32', '0+'],
        errorCode: ['int16', '0+'],
        oldStyleOffsets: ['[]int64', '0'],
        timestamp: ['int64', '1+', { default: -1 }],
        offset: ['int64', '1+', { default: -1 }],
        leaderEpoch: ['int32', '4+', { default: -1 }],
      }],
    }],
  },
});
