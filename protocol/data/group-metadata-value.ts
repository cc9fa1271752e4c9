import { defineData } from '../schema.js';

/**
 * A classic group's state (generation, protocol, leader, members with their subscription and
 * assignment bytes) in __consumer_offsets; a null value (tombstone) deletes the group.
 */
export default defineData({
  name: 'GroupMetadataValue',
  versions: '0-4',
  flexible: '4+',
  readsNewer: true,
  fields: {
    protocolType: ['string', '0+'],
    generation: ['int32', '0+'],
    protocol: ['string', '0+', { nullable: '0+' }],
    leader: ['string', '0+', { nullable: '0+' }],
    currentStateTimestamp: ['int64', '2+', { default: -1, about: 'When the group last changed state; -1 when unknown.' }],
    members: ['[]Member', '0+', {
      memberId: ['string', '0+'],
      groupInstanceId: ['string', '3+', { nullable: '3+', default: null, about: 'Static membership id.' }],
      clientId: ['string', '0+'],
      clientHost: ['string', '0+'],
      rebalanceTimeout: ['int32', '1+', { default: -1 }],
      sessionTimeout: ['int32', '0+'],
      subscription: ['bytes', '0+', { about: 'JoinGroup protocol metadata of the chosen protocol.' }],
      assignment: ['bytes', '0+', { about: 'SyncGroup assignment from the leader.' }],
    }],
  },
});
