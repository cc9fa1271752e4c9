import { defineData } from '../schema.js';

/** Key of a consumer group's target assignment epoch (record type 6). */
export default defineData({
  name: 'ConsumerGroupTargetAssignmentMetadataKey',
  versions: '6',
  flexible: 'none',
  fields: {
    groupId: ['string', '6'],
  },
});
