import { defineData } from '../schema.js';

/** The group epoch the consumer group's target assignment was computed at. */
export default defineData({
  name: 'ConsumerGroupTargetAssignmentMetadataValue',
  versions: '0',
  flexible: '0+',
  readsNewer: true,
  fields: {
    assignmentEpoch: ['int32', '0+'],
    assignmentTimestamp: ['int64', '0+', { default: 0, tag: 0, tagged: '0+', about: 'Kafka 4.3+ (KIP-1263).' }],
  },
});
