import { defineData } from '../schema.js';

/** Key of one consumer group member's subscription and identity (record type 5). */
export default defineData({
  name: 'ConsumerGroupMemberMetadataKey',
  versions: '5',
  flexible: 'none',
  fields: {
    groupId: ['string', '5'],
    memberId: ['string', '5'],
  },
});
