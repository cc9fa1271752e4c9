import { defineApi } from '../schema.js';

/** Keeps a classic group member alive; REBALANCE_IN_PROGRESS tells it to rejoin. */
export default defineApi({
  key: 12,
  name: 'Heartbeat',
  versions: '0-4',
  flexible: '4+',
  request: {
    groupId: ['string', '0+'],
    generationId: ['int32', '0+'],
    memberId: ['string', '0+'],
    groupInstanceId: ['string', '3+', { nullable: '3+', default: null }],
  },
  response: {
    throttleTimeMs: ['int32', '1+'],
    errorCode: ['int16', '0+'],
  },
});
