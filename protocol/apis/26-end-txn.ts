import { defineApi } from '../schema.js';

/** Commits or aborts a transaction. */
export default defineApi({
  key: 26,
  name: 'EndTxn',
  versions: '0-3',
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
  },
});
