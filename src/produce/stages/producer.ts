/**
 * Stage 9, idempotence and transactions: for an idempotent producer, its sequence against the last
 * five batches it appended to the partition (txn/producer-state.ts): a retry of one of them is a
 * duplicate, answered with the original offsets and not appended again; a gap or a stale epoch is
 * refused (OUT_OF_ORDER_SEQUENCE_NUMBER, INVALID_PRODUCER_EPOCH). Then, for a transactional batch,
 * that the partition was added to the producer's running transaction with its current epoch
 * (INVALID_TXN_STATE — TRANSACTION_ABORTABLE from Produce v11 on, as Kafka answers clients that
 * handle it — or INVALID_PRODUCER_EPOCH for a fenced producer). A v12+ batch's partition was added
 * by then (stages/append.ts).
 *
 * Runs synchronously immediately before the append (stage 10), in the partition's append order:
 * the sequence check and the offset assignment are one step, so two batches of a producer cannot
 * both pass a check against the same state.
 */
import { ErrorCode } from '../../../protocol/errors.js';
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
  if (!b.transactional) return null;
  const denied = scope.ports.txn.verify(b.producerId, b.producerEpoch, b.topic.name, b.partition);
  if (denied !== null && denied.code === ErrorCode.INVALID_TXN_STATE && scope.version >= ABORTABLE_PRODUCE_VERSION) return { code: ErrorCode.TRANSACTION_ABORTABLE, message: denied.message };
  return denied;
}

/** Produce v11+ clients handle TRANSACTION_ABORTABLE (KIP-890), older ones get INVALID_TXN_STATE. */
export const ABORTABLE_PRODUCE_VERSION = 11;
