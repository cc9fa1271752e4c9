/**
 * Stage 9, idempotence and transactions: for an idempotent producer, its sequence against the last
 * five batches it appended to the partition (txn/producer-state.ts): a retry of one of them is a
 * duplicate, answered with the original offsets and not appended again; a gap or a stale epoch is
 * refused (OUT_OF_ORDER_SEQUENCE_NUMBER, INVALID_PRODUCER_EPOCH). Then, for a transactional batch,
 * that the partition was added to the producer's running transaction with its current epoch
 * (INVALID_TXN_STATE, or INVALID_PRODUCER_EPOCH for a fenced producer).
 *
 * Runs synchronously immediately before the append (stage 10), in the partition's append order:
 * the sequence check and the offset assignment are one step, so two batches of a producer cannot
 * both pass a check against the same state.
 */
import type { PartitionProducerState } from '../../txn/producer-state.js';
import type { ProducedBatch } from '../produced-batch.js';
import type { ProduceScope } from '../produce-scope.js';
import type { Refusal } from '../refusal.js';

/** `state`: the partition's producer state, for an idempotent batch (undefined otherwise). Sets `b.duplicateOf` for a retry. */
export function checkProducer(scope: ProduceScope, b: ProducedBatch, state: PartitionProducerState | undefined): Refusal | null {
  if (state === undefined) return null;
  const check = state.check(b.producerId, b.producerEpoch, b.baseSequence, b.lastSequence);
  if (check.kind === 'error') return check;
  if (check.kind === 'duplicate') {
    b.duplicateOf = check.batch;
    return null;
  }
  return b.transactional ? scope.ports.txn.verify(b.producerId, b.producerEpoch, b.topic.name, b.partition) : null;
}
