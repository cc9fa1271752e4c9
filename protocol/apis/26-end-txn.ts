import { defineApi } from '../schema.js';

/** Commits or aborts a transaction. v4: TRANSACTION_ABORTABLE; v5 (KIP-890 part 2): the epoch is bumped at every end, the answer carries the producer id and epoch to use next. */
export default defineApi({
  key: 26,
  name: 'EndTxn',
  versions: '0-5',
  flexible: '3+',
  request: {
    transactionalId: ['string', '0+'],
    producerId: ['int64', '0+'],
    producerEpoch: ['int16', '0+'],
    committed: ['bool', '0+', { about: 'True to commit, false to abort.' }],
  },
  response: {
    throttleTimeMs: ['int32', '0+'],
    errorCode: ['int16', '0+'],
    producerId: ['int64', '5+', { default: -1, about: 'The producer id to use next (v5+).' }],
    producerEpoch: ['int16', '5+', { default: -1, about: 'The producer epoch to use next (v5+).' }],
  },
});
