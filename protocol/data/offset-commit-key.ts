import { defineData } from '../schema.js';

/**
 * Key of a committed offset in __consumer_offsets. The key's int16 prefix says what the record is:
 * 0 and 1 are offset commits (this layout; Kafka 4 calls them LegacyOffsetCommitKey and
 * OffsetCommitKey, record types 0 and 1), 2 is GroupMetadataKey. We write 1.
 */
export default defineData({
  name: 'OffsetCommitKey',
  versions: '0-1',
  flexible: 'none',
  fields: {
    group: ['string', '0+', { about: 'The group id.' }],
    topic: ['string', '0+'],
    partition: ['int32', '0+'],
  },
});
