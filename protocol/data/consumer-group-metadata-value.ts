import { defineData } from '../schema.js';

/**
 * A consumer group's epoch (bumped by every membership, subscription or topic metadata change) and,
 * since Kafka 4.1 (KIP-1101), a hash of its subscribed topics' metadata; a tombstone deletes the group.
 */
export default defineData({
  name: 'ConsumerGroupMetadataValue',
  versions: '0',
  flexible: '0+',
  readsNewer: true,
  fields: {
    epoch: ['int32', '0+'],
    metadataHash: ['int64', '0+', { default: 0, tag: 0, tagged: '0+' }],
  },
});
