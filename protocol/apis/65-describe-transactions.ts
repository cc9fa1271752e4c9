import { defineApi } from '../schema.js';

/** State of transactions by transactional id. */
export default defineApi({
  key: 65,
  name: 'DescribeTransactions',
  versions: '0',
  flexible: '0+',
  request: {
    transactionalIds: ['[]string', '0+'],
  },
  response: {
    throttleTimeMs: ['int32', '0+'],
    transactionStates: ['[]TransactionState', '0+', {
      errorCode: ['int16', '0+'],
      transactionalId: ['string', '0+'],
      transactionState: ['string', '0+'],
      transactionTimeoutMs: ['int32', '0+'],
      transactionStartTimeMs: ['int64', '0+'],
      producerId: ['int64', '0+'],
      producerEpoch: ['int16', '0+'],
      topics: ['[]Topic', '0+', {
        topic: ['string', '0+'],
        partitions: ['[]int32', '0+'],
      }, { about: 'Partitions in the transaction (when completing: those still without markers).' }],
    }],
  },
});
