import { defineData } from '../schema.js';

/**
 * Key of a share-partition state record in __share_group_state (KIP-932). The int16 prefix is the
 * record type, as Kafka 4's share coordinator writes it: 0 ShareSnapshotKey, 1 ShareUpdateKey, both
 * this layout (group, topic id, partition). Runnel writes snapshots (0) and reads both.
 */
export default defineData({
  name: 'ShareStateKey',
  versions: '0-1',
  flexible: 'none',
  fields: {
    groupId: ['string', '0+'],
    topicId: ['uuid', '0+'],
    partition: ['int32', '0+'],
  },
});
