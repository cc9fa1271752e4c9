import { defineData } from '../schema.js';

/** Key of one member's target assignment (record type 7). */
export default defineData({
  name: 'ConsumerGroupTargetAssignmentMemberKey',
  versions: '7',
  flexible: 'none',
  fields: {
    groupId: ['string', '7'],
    memberId: ['string', '7'],
  },
});
