import { defineData } from '../schema.js';

/** One share group member's target assignment: partitions per topic id (KIP-932). */
export default defineData({
  name: 'ShareGroupTargetAssignmentMemberValue',
  versions: '0',
  flexible: '0+',
  readsNewer: true,
  fields: {
    topicPartitions: ['[]TopicPartition', '0+', {
      topicId: ['uuid', '0+'],
      partitions: ['[]int32', '0+'],
    }],
  },
});
