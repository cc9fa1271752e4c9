import { defineApi } from '../schema.js';

/** Allocates (or bumps the epoch of) a producer id for idempotent and transactional producers. */
export default defineApi({
  key: 22,
  name: 'InitProducerId',
  versions: '0-5',
  flexible: '2+',
  request: {
    transactionalId: ['string', '0+', { nullable: '0+', about: 'Null for an idempotent, non-transactional producer.' }],
    transactionTimeoutMs: ['int32', '0+'],
    producerId: ['int64', '3+', { default: -1 }],
    producerEpoch: ['int16', '3+', { default: -1 }],
  },
  response: {
    throttleTimeMs: ['int32', '0+'],
    errorCode: ['int16', '0+'],
    producerId: ['int64', '0+', { default: -1 }],
    producerEpoch: ['int16', '0+'],
  },
});
