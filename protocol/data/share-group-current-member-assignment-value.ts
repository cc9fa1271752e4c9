import { defineData } from '../schema.js';

/**
 * One share group member's current state (KIP-932): the epoch its next heartbeat must carry, the
 * one before (a member whose last answer was lost retries with it), its state (0 stable) and its
 * partitions.
 */
export default defineData({
  name: 'ShareGroupCurrentMemberAssignmentValue',
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
    }],
  },
});
