import { defineApi } from '../schema.js';

/** Stores a group's committed offsets. */
export default defineApi({
  key: 8,
  name: 'OffsetCommit',
  versions: '0-10',
  flexible: '8+',
  request: {
    groupId: ['string', '0+'],
    generationIdOrMemberEpoch: ['int32', '1+', { default: -1, about: 'Generation (classic groups) or member epoch (v9+ consumer groups).' }],
    memberId: ['string', '1+'],
    groupInstanceId: ['string', '7+', { nullable: '7+', default: null }],
    retentionTimeMs: ['int64', '2-4', { default: -1 }],
    topics: ['[]Topic', '0+', {
      name: ['string', '0-9'],
      topicId: ['uuid', '10+'],
      partitions: ['[]Partition', '0+', {
        partitionIndex: ['int32', '0+'],
        committedOffset: ['int64', '0+'],
        committedLeaderEpoch: ['int32', '6+', { default: -1 }],
        commitTimestamp: ['int64', '1', { default: -1 }],
        committedMetadata: ['string', '0+', { nullable: '0+' }],
      }],
    }],
  },
  response: {
    throttleTimeMs: ['int32', '3+'],
    topics: ['[]Topic', '0+', {
      name: ['string', '0-9'],
      topicId: ['uuid', '10+'],
      partitions: ['[]Partition', '0+', {
        partitionIndex: ['int32', '0+'],
        errorCode: ['int16', '0+'],
      }],
    }],
  },
});
