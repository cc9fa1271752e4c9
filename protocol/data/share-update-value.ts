import { defineData } from '../schema.js';

/** A change to a share partition's state (Kafka's ShareUpdateValue, record type 1): read on replay, not written by Runnel. */
export default defineData({
  name: 'ShareUpdateValue',
  versions: '0',
  flexible: '0+',
  fields: {
    snapshotEpoch: ['int32', '0+'],
    leaderEpoch: ['int32', '0+'],
    startOffset: ['int64', '0+', { about: '-1 when unchanged.' }],
    stateBatches: ['[]StateBatch', '0+', {
      firstOffset: ['int64', '0+'],
      lastOffset: ['int64', '0+'],
      deliveryState: ['int8', '0+'],
      deliveryCount: ['int16', '0+'],
    }],
  },
});
