import { defineApi } from '../schema.js';

/** Reads a group's committed offsets; v8+ asks for several groups at once. */
export default defineApi({
  key: 9,
  name: 'OffsetFetch',
  versions: '0-10',
  flexible: '6+',
  request: {
    groupId: ['string', '0-7'],
    topics: ['[]Topic', '0-7', {
      name: ['string', '0-7'],
      partitionIndexes: ['[]int32', '0-7'],
    }, { nullable: '2-7', about: 'Null (v2+) for every topic of the group.' }],
    groups: ['[]Group', '8+', {
      groupId: ['string', '8+'],
      memberId: ['string', '9+', { nullable: '9+', default: null }],
      memberEpoch: ['int32', '9+', { default: -1 }],
      topics: ['[]GroupTopic', '8+', {
        name: ['string', '8-9'],
        topicId: ['uuid', '10+'],
        partitionIndexes: ['[]int32', '8+'],
      }, { nullable: '8+' }],
    }],
    requireStable: ['bool', '7+', { default: false }],
  },
  response: {
    throttleTimeMs: ['int32', '3+'],
    topics: ['[]Topic', '0-7', {
      name: ['string', '0-7'],
      partitions: ['[]Partition', '0-7', {
        partitionIndex: ['int32', '0-7'],
        committedOffset: ['int64', '0-7'],
        committedLeaderEpoch: ['int32', '5-7', { default: -1 }],
        metadata: ['string', '0-7', { nullable: '0-7' }],
        errorCode: ['int16', '0-7'],
      }],
    }],
    errorCode: ['int16', '2-7', { default: 0 }],
    groups: ['[]Group', '8+', {
      groupId: ['string', '8+'],
      topics: ['[]GroupTopic', '8+', {
        name: ['string', '8-9'],
        topicId: ['uuid', '10+'],
        partitions: ['[]GroupPartition', '8+', {
          partitionIndex: ['int32', '8+'],
          committedOffset: ['int64', '8+'],
          committedLeaderEpoch: ['int32', '8+', { default: -1 }],
          metadata: ['string', '8+', { nullable: '8+' }],
          errorCode: ['int16', '8+'],
        }],
      }],
      errorCode: ['int16', '8+', { default: 0 }],
    }],
  },
});
