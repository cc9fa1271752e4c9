import { defineData } from '../schema.js';

/**
 * Value of a committed offset in __consumer_offsets; a null value (tombstone) deletes it. Version 1
 * is the only one carrying an expire timestamp (commits with a retention time, OffsetCommit v2-v4).
 */
export default defineData({
  name: 'OffsetCommitValue',
  versions: '0-4',
  flexible: '4+',
  readsNewer: true,
  fields: {
    offset: ['int64', '0+'],
    leaderEpoch: ['int32', '3+', { default: -1, about: 'Leader epoch of the last consumed record; -1 when unknown.' }],
    metadata: ['string', '0+', { about: 'The client\'s metadata string.' }],
    commitTimestamp: ['int64', '0+'],
    expireTimestamp: ['int64', '1', { default: -1 }],
    topicId: ['uuid', '4+', { tag: 0, tagged: '4+' }],
  },
});
