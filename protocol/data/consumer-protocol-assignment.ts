import { defineData } from '../schema.js';

/**
 * What the group leader hands each consumer in SyncGroup (protocol type "consumer"). Versions 1-3
 * exist only to follow the subscription's; newer versions are read as the latest.
 */
export default defineData({
  name: 'ConsumerProtocolAssignment',
  versions: '0-3',
  flexible: 'none',
  readsNewer: true,
  fields: {
    assignedPartitions: ['[]TopicPartition', '0+', {
      topic: ['string', '0+'],
      partitions: ['[]int32', '0+'],
    }],
    userData: ['bytes', '0+', { nullable: '0+', default: null }],
  },
});
