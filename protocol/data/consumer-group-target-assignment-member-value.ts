import { defineData } from '../schema.js';

/** One member's target assignment: the partitions the assignor gave it. */
export default defineData({
  name: 'ConsumerGroupTargetAssignmentMemberValue',
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
