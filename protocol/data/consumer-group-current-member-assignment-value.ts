import { defineData } from '../schema.js';

/**
 * One member's reconciliation state: its epoch, the previous one, its state (0 stable,
 * 1 unrevoked partitions, 2 unreleased partitions, 3 unknown), the partitions it owns and those it
 * still has to revoke.
 */
export default defineData({
  name: 'ConsumerGroupCurrentMemberAssignmentValue',
  versions: '0',
  flexible: '0+',
  readsNewer: true,
  fields: {
    memberEpoch: ['int32', '0+'],
    previousMemberEpoch: ['int32', '0+'],
    state: ['int8', '0+'],
    assignedPartitions: ['[]TopicPartitions', '0+', {
      topicId: ['uuid', '0+'],
      partitions: ['[]int32', '0+'],
      assignmentEpochs: ['[]int32', '0+', { nullable: '0+', default: null, tag: 0, tagged: '0+', about: 'KIP-1251: the member epoch since which each partition is owned (parallel to partitions).' }],
    }],
    partitionsPendingRevocation: ['[]PendingTopicPartitions', '0+', {
      topicId: ['uuid', '0+'],
      partitions: ['[]int32', '0+'],
    }],
  },
});
