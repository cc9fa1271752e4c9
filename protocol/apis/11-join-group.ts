import { defineApi } from '../schema.js';

/** Joins a classic group; the coordinator answers once the rebalance completes. */
export default defineApi({
  key: 11,
  name: 'JoinGroup',
  versions: '0-9',
  flexible: '6+',
  request: {
    groupId: ['string', '0+'],
    sessionTimeoutMs: ['int32', '0+'],
    rebalanceTimeoutMs: ['int32', '1+', { default: -1, about: 'Absent before v1: use sessionTimeoutMs.' }],
    memberId: ['string', '0+'],
    groupInstanceId: ['string', '5+', { nullable: '5+', default: null }],
    protocolType: ['string', '0+'],
    protocols: ['[]Protocol', '0+', {
      name: ['string', '0+'],
      metadata: ['bytes', '0+'],
    }],
    reason: ['string', '8+', { nullable: '8+', default: null }],
  },
  response: {
    throttleTimeMs: ['int32', '2+'],
    errorCode: ['int16', '0+'],
    generationId: ['int32', '0+', { default: -1 }],
    protocolType: ['string', '7+', { nullable: '7+', default: null }],
    protocolName: ['string', '0+', { nullable: '7+' }],
    leader: ['string', '0+'],
    skipAssignment: ['bool', '9+', { default: false }],
    memberId: ['string', '0+'],
    members: ['[]Member', '0+', {
      memberId: ['string', '0+'],
      groupInstanceId: ['string', '5+', { nullable: '5+', default: null }],
      metadata: ['bytes', '0+'],
    }],
  },
});
