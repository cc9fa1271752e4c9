import { defineData } from '../schema.js';

/** Key of a classic group's state in __consumer_offsets (key prefix 2; Kafka 4: record type 2). */
export default defineData({
  name: 'GroupMetadataKey',
  versions: '2',
  flexible: 'none',
  fields: {
    group: ['string', '2', { about: 'The group id.' }],
  },
});
