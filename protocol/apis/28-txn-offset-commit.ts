import { defineApi } from '../schema.js';

/** Commits group offsets as part of a transaction. v4: TRANSACTION_ABORTABLE; v5 (KIP-890 part 2): also adds the group's offsets partition to the transaction (no AddOffsetsToTxn). */
export default defineApi({
  key: 28,
  name: 'TxnOffsetCommit',
  versions: '0-5',
  flexible: '3+',
  request: {
    transactionalId: ['string', '0+'],
    groupId: ['string', '0+'],
    producerId: ['int64', '0+'],
    producerEpoch: ['int16', '0+'],
    generationId: ['int32', '3+', { default: -1 }],
    memberId: ['string', '3+', { default: '' }],
    groupInstanceId: ['string', '3+', { nullable: '3+', default: null }],
    topics: ['[]Topic', '0+', {
      name: ['string', '0+'],
      partitions: ['[]Partition', '0+', {
        partitionIndex: ['int32', '0+'],
        committedOffset: ['int64', '0+'],
        committedLeaderEpoch: ['int32', '2+', { default: -1 }],
        committedMetadata: ['string', '0+', { nullable: '0+' }],
      }],
    }],
  },
  response: {
    throttleTimeMs: ['int32', '0+'],
    topics: ['[]Topic', '0+', {
      name: ['string', '0+'],
      partitions: ['[]Partition', '0+', {
        partitionIndex: ['int32', '0+'],
        errorCode: ['int16', '0+'],
      }],
    }],
  },
});
