import { defineData } from '../schema.js';

/** One share group member: identity and subscription (KIP-932). */
export default defineData({
  name: 'ShareGroupMemberMetadataValue',
  versions: '0',
  flexible: '0+',
  readsNewer: true,
  fields: {
    rackId: ['string', '0+', { nullable: '0+' }],
    clientId: ['string', '0+'],
    clientHost: ['string', '0+'],
    subscribedTopicNames: ['[]string', '0+'],
  },
});
