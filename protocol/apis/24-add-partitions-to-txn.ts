import { defineApi } from '../schema.js';

/**
 * Adds partitions to a transaction. v0-3: one transaction (clients before KIP-890). v4+: several
 * transactions per request, each optionally verify-only (KIP-890's broker-to-broker form, sent by a
 * partition leader to the transaction coordinator), with a top-level error code; v5 may answer
 * TRANSACTION_ABORTABLE.
 */
export default defineApi({
  key: 24,
  name: 'AddPartitionsToTxn',
  versions: '0-5',
  flexible: '3+',
  request: {
    transactions: ['[]Transaction', '4+', {
      transactionalId: ['string', '4+'],
      producerId: ['int64', '4+'],
      producerEpoch: ['int16', '4+'],
      verifyOnly: ['bool', '4+', { default: false, about: 'Only check that the partitions are in the transaction; add nothing.' }],
      topics: ['[]TxnTopic', '4+', {
        name: ['string', '4+'],
        partitions: ['[]int32', '4+'],
      }],
    }],
    transactionalId: ['string', '0-3'],
    producerId: ['int64', '0-3'],
    producerEpoch: ['int16', '0-3'],
    topics: ['[]Topic', '0-3', {
      name: ['string', '0+'],
      partitions: ['[]int32', '0+'],
    }],
  },
  response: {
    throttleTimeMs: ['int32', '0+'],
    errorCode: ['int16', '4+', { about: 'Top-level error (v4+).' }],
    resultsByTransaction: ['[]TransactionResult', '4+', {
      transactionalId: ['string', '4+'],
      topicResults: ['[]TxnTopicResult', '4+', {
        name: ['string', '4+'],
        resultsByPartition: ['[]TxnPartitionResult', '4+', {
          partitionIndex: ['int32', '4+'],
          partitionErrorCode: ['int16', '4+'],
        }],
      }],
    }],
    resultsByTopicV3AndBelow: ['[]TopicResult', '0-3', {
      name: ['string', '0+'],
      resultsByPartition: ['[]PartitionResult', '0+', {
        partitionIndex: ['int32', '0+'],
        partitionErrorCode: ['int16', '0+'],
      }],
    }],
  },
});
