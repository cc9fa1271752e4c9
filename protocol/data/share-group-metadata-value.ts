import { defineData } from '../schema.js';

/** A share group's epoch and the hash of its subscribed topics' metadata; a tombstone deletes the group. */
export default defineData({
  name: 'ShareGroupMetadataValue',
  versions: '0',
  flexible: '0+',
  readsNewer: true,
  fields: {
    epoch: ['int32', '0+'],
    metadataHash: ['int64', '0+'],
  },
});
