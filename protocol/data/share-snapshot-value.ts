import { defineData } from '../schema.js';

/**
 * A share partition's whole delivery state (Kafka's ShareSnapshotValue, record type 0): the start
 * offset and the in-flight offset ranges with their delivery state (0 available, 2 acknowledged,
 * 4 archived) and delivery count. Acquired records are stored as available with their count.
 */
export default defineData({
  name: 'ShareSnapshotValue',
  versions: '0',
  flexible: '0+',
  fields: {
    snapshotEpoch: ['int32', '0+'],
    stateEpoch: ['int32', '0+'],
    leaderEpoch: ['int32', '0+'],
    startOffset: ['int64', '0+'],
    createTimestamp: ['int64', '0+'],
    writeTimestamp: ['int64', '0+'],
    stateBatches: ['[]StateBatch', '0+', {
      firstOffset: ['int64', '0+'],
      lastOffset: ['int64', '0+'],
      deliveryState: ['int8', '0+'],
      deliveryCount: ['int16', '0+'],
    }],
  },
});
