import { defineData } from '../schema.js';

/** One consumer group member: identity, subscription, rebalance timeout and chosen server assignor. */
export default defineData({
  name: 'ConsumerGroupMemberMetadataValue',
  versions: '0',
  flexible: '0+',
  readsNewer: true,
  fields: {
    instanceId: ['string', '0+', { nullable: '0+' }],
    rackId: ['string', '0+', { nullable: '0+' }],
    clientId: ['string', '0+'],
    clientHost: ['string', '0+'],
    subscribedTopicNames: ['[]string', '0+'],
    subscribedTopicRegex: ['string', '0+', { nullable: '0+' }],
    rebalanceTimeoutMs: ['int32', '0+', { default: -1 }],
    serverAssignor: ['string', '0+', { nullable: '0+' }],
  },
});
