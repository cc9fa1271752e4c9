import { defineData } from '../schema.js';

/**
 * A transactional id's state in __transaction_state; a null value (tombstone) means the id
 * expired. Kafka writes a null partition list for transactions in state Empty.
 */
export default defineData({
  name: 'TransactionLogValue',
  versions: '0-1',
  flexible: '1+',
  fields: {
    producerId: ['int64', '0+'],
    previousProducerId: ['int64', '1+', { tag: 0, tagged: '1+', default: -1, about: 'Producer id of the last committed transaction.' }],
    nextProducerId: ['int64', '1+', { tag: 1, tagged: '1+', default: -1, about: 'Latest producer id handed to the producer.' }],
    producerEpoch: ['int16', '0+'],
    nextProducerEpoch: ['int16', '1+', { tag: 3, tagged: '1+', default: -1, about: 'Epoch that goes with nextProducerId.' }],
    transactionTimeoutMs: ['int32', '0+'],
    transactionStatus: ['int8', '0+', { about: 'Kafka\'s TransactionState id.' }],
    transactionPartitions: ['[]TopicPartitions', '0+', {
      topic: ['string', '0+'],
      partitionIds: ['[]int32', '0+'],
    }, { nullable: '0+' }],
    transactionLastUpdateTimestampMs: ['int64', '0+'],
    transactionStartTimestampMs: ['int64', '0+'],
    clientTransactionVersion: ['int16', '1+', { tag: 2, tagged: '1+', default: 0, about: 'Transaction protocol version the client uses.' }],
  },
});
