import { defineData } from '../schema.js';

/** Key of one member's current assignment and epoch (record type 8). */
export default defineData({
  name: 'ConsumerGroupCurrentMemberAssignmentKey',
  versions: '8',
  flexible: 'none',
  fields: {
    groupId: ['string', '8'],
    memberId: ['string', '8'],
  },
});
