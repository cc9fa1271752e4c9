import { defineData } from '../schema.js';

/** The group epoch the share group's target assignment was computed at (KIP-932). */
export default defineData({
  name: 'ShareGroupTargetAssignmentMetadataValue',
  versions: '0',
  flexible: '0+',
  readsNewer: true,
  fields: {
    assignmentEpoch: ['int32', '0+'],
    assignmentTimestamp: ['int64', '0+', { default: 0, tag: 0, tagged: '0+', about: 'Kafka 4.3+ (KIP-1263).' }],
  },
});
