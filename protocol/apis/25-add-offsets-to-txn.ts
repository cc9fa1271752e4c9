import { defineApi } from '../schema.js';

/** Adds a group's offsets partition to a transaction (before TxnOffsetCommit). v4: TRANSACTION_ABORTABLE. */
export default defineApi({
  key: 25,
  name: 'AddOffsetsToTxn',
  versions: '0-4',
  flexible: '3+',
  request: {
    transactionalId: ['string', '0+'],
    producerId: ['int64', '0+'],
    producerEpoch: ['int16', '0+'],
    groupId: ['string', '0+'],
  },
  response: {
    throttleTimeMs: ['int32', '0+'],
    errorCode: ['int16', '0+'],
  },
});
