import { defineApi } from '../schema.js';

/** A share group's share-partition start offsets (and, v1, lag) per topic-partition (KIP-932). */
export default defineApi({
  key: 90,
  name: 'DescribeShareGroupOffsets',
  versions: '0-1',
  flexible: '0+',
  request: {
    groups: ['[]Group', '0+', {
      groupId: ['string', '0+'],
      topics: ['[]Topic', '0+', {
        topicName: ['string', '0+'],
        partitions: ['[]int32', '0+'],
      }, { nullable: '0+', default: null, about: 'Null for every topic-partition the group has state for.' }],
    }],
  },
  response: {
    throttleTimeMs: ['int32', '0+'],
    groups: ['[]Group', '0+', {
      groupId: ['string', '0+'],
      topics: ['[]Topic', '0+', {
        topicName: ['string', '0+'],
        topicId: ['uuid', '0+'],
        partitions: ['[]Partition', '0+', {
          partitionIndex: ['int32', '0+'],
          startOffset: ['int64', '0+'],
          leaderEpoch: ['int32', '0+'],
          lag: ['int64', '1+', { default: -1 }],
          errorCode: ['int16', '0+'],
          errorMessage: ['string', '0+', { nullable: '0+', default: null }],
          // Runnel's extension for `runnel group describe`: tagged fields Kafka's clients skip.
          inFlightRecords: ['int32', '0+', { default: -1, tag: 10000, tagged: '0+', about: 'Runnel: records between the start and end offsets not yet acknowledged or archived; -1 unknown.' }],
          acquiredRecords: ['int32', '0+', { default: -1, tag: 10001, tagged: '0+', about: 'Runnel: records acquired (locked to a consumer) now; -1 unknown.' }],
        }],
      }],
      errorCode: ['int16', '0+'],
      errorMessage: ['string', '0+', { nullable: '0+', default: null }],
    }],
  },
});
