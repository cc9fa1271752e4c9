/**
 * Stage 10, the append, in the partition's arrival order (the partitions port's appendInOrder,
 * data/append-order.ts). Pipelined Produce requests rely on this (server/connection.ts): the stage
 * is entered synchronously while the handler runs, so a batch either
 *   - appends at once — nothing to wait for, nothing already waiting on its partition: its offsets
 *     are assigned before the handler returns; or
 *   - joins its partition's chain now, behind every earlier batch that had to wait too, and
 *     appends in that order once `prepared` (its records' asynchronous stages: decompression and
 *     what reads the block, or recompression) settled and the partition's producer state is loaded
 *     (the first idempotent batch after startup).
 * Either way offsets follow arrival order. Stage 9 (producer.ts) runs in the same synchronous step,
 * right before the append, so the sequence check and the offsets it guards cannot interleave.
 *
 * The first transactional batch a partition receives here waits for the partition to be recorded
 * as transactional (txn/txn-partitions.ts, durably) before it is appended: read_committed reads
 * consult producer state only for recorded partitions, and in a cluster the transaction's
 * coordinator (which records the partitions it adds) is usually another broker. A failed record
 * refuses the batch with KAFKA_STORAGE_ERROR.
 *
 * KIP-890 part 2: a transactional batch of Produce v12+ (a transaction-version-2 producer, which
 * sends no AddPartitionsToTxn for its data) whose partition is not yet in its running transaction
 * waits, in its partition's order, for the coordinator to add the partition (txn port
 * addImplicitly, started as the batch arrives; in a cluster the coordinator may be another broker,
 * asked with AddPartitionsToTxn v5). An older client's batch whose transactional id another broker
 * coordinates is verified there the same way (verify_only; KIP-890 part 1), since this broker's
 * stage 9 cannot. Neither when the partition already holds an open transaction of the producer
 * at that epoch (its producer state): then it is in the transaction. A refusal is mapped as Kafka's partition leader
 * maps a failed verification: PRODUCER_FENCED → INVALID_PRODUCER_EPOCH (what producers expect
 * from Produce), the coordinator's retriable errors → NOT_ENOUGH_REPLICAS (retried without a
 * metadata refresh), the rest as they are (INVALID_PRODUCER_ID_MAPPING, ...).
 */
import { ErrorCode, KafkaError, errorName } from '../../../protocol/errors.js';
import { batch } from '../../../protocol/records/batch.js';
import type { AppendResult, Partition } from '../../data/partitions.js';
import type { ProducedBatch } from '../produced-batch.js';
import type { ProduceScope } from '../produce-scope.js';
import type { Refusal } from '../refusal.js';
import { ABORTABLE_PRODUCE_VERSION, checkProducer } from './producer.js';

/** The first Produce version of transaction version 2 (KIP-890 part 2: the partition is added by the write). */
export const TV2_PRODUCE_VERSION = 12;

/** Retriable coordinator errors of an implicit add, which Kafka answers a Produce with NOT_ENOUGH_REPLICAS. */
const RETRY_AS_NOT_ENOUGH_REPLICAS = new Set<number>([ErrorCode.CONCURRENT_TRANSACTIONS, ErrorCode.NETWORK_EXCEPTION, ErrorCode.COORDINATOR_LOAD_IN_PROGRESS, ErrorCode.COORDINATOR_NOT_AVAILABLE, ErrorCode.NOT_COORDINATOR]);

/**
 * What a transactional batch asks the transaction coordinator before its append, if anything: a
 * v12+ batch the implicit add; an older one, whose id is coordinated by another broker (a
 * cluster), the verification there (KIP-890 part 1; a local coordinator is read synchronously by
 * stage 9 instead).
 */
function askCoordinator(scope: ProduceScope, b: ProducedBatch, transactionalId: string): Promise<number> | null {
  const { txn } = scope.ports;
  const log = b.log!;
  if (scope.version >= TV2_PRODUCE_VERSION) return txn.addImplicitly(transactionalId, b.producerId, b.producerEpoch, log.topic, log.partition);
  return txn.verifyElsewhere(transactionalId, b.producerId, b.producerEpoch, log.topic, log.partition);
}

/** The Produce answer for a failed implicit add or remote verification (Kafka's ReplicaManager mapping). */
export function implicitAddRefusal(code: number, topic: string, partition: number, version: number): Refusal {
  if (code === ErrorCode.TRANSACTION_ABORTABLE && version < ABORTABLE_PRODUCE_VERSION) return { code: ErrorCode.INVALID_TXN_STATE, message: `Partition ${topic}-${partition} is not part of the producer's transaction` };
  if (code === ErrorCode.TRANSACTION_ABORTABLE) return { code, message: `Partition ${topic}-${partition} is not part of the producer's transaction` };
  if (code === ErrorCode.PRODUCER_FENCED) return { code: ErrorCode.INVALID_PRODUCER_EPOCH, message: `The producer was fenced adding ${topic}-${partition} to its transaction` };
  if (RETRY_AS_NOT_ENOUGH_REPLICAS.has(code)) return { code: ErrorCode.NOT_ENOUGH_REPLICAS, message: `Unable to add ${topic}-${partition} to the transaction. Underlying error: ${errorName(code)}` };
  return { code, message: `Adding ${topic}-${partition} to the transaction failed: ${errorName(code)}` };
}

const ignore = (): void => undefined;

export function appendInOrder(scope: ProduceScope, b: ProducedBatch, prepared: Promise<Refusal | null> | null): void {
  const { partitions, producers, txn } = scope.ports;
  const log = b.log!;
  const loadState = b.idempotent && producers.peek(log) === undefined;
  const record = b.transactional && !txn.partitions.has(log.topic, log.partition);
  const adding = b.transactional && scope.transactionalId && !producers.peek(log)?.inTransaction(b.producerId, b.producerEpoch) ? askCoordinator(scope, b, scope.transactionalId) : null;
  if (prepared === null && !loadState && !record && adding === null) {
    const r = partitions.appendInOrder(log, null, () => appendNow(scope, b));
    if (r instanceof Promise) b.appending = r;
    return;
  }
  // Started already and awaited in the partition's turn, which may come after earlier appends: a
  // failure must not count as unhandled meanwhile (it still reaches the chain, and the client).
  prepared?.catch(ignore);
  adding?.catch(ignore);
  let refused: Refusal | null = null;
  const prepare = async (): Promise<void> => {
    if (prepared !== null) refused = await prepared;
    if (refused === null && adding !== null) {
      const code = await adding.catch(() => ErrorCode.COORDINATOR_NOT_AVAILABLE);
      if (code !== ErrorCode.NONE) refused = implicitAddRefusal(code, log.topic, log.partition, scope.version);
    }
    if (refused === null && loadState) await producers.get(log);
    if (refused === null && record) {
      await txn.partitions.add([[log.topic, log.partition]]).catch((err: Error) => {
        refused = { code: ErrorCode.KAFKA_STORAGE_ERROR, message: `recording ${log.topic}-${log.partition} as transactional failed: ${err.message}` };
      });
    }
  };
  b.appending = partitions.appendInOrder(log, prepare, () => (refused === null ? appendNow(scope, b) : b.refuse(refused))) as Promise<void>;
}

/** Stages 9 and 10 as one synchronous step. */
function appendNow(scope: ProduceScope, b: ProducedBatch): void {
  const log = b.log!;
  const state = b.idempotent ? scope.ports.producers.peek(log)! : undefined;
  const refused = checkProducer(scope, b, state);
  if (refused !== null) return b.refuse(refused);
  if (b.duplicateOf !== null) {
    // Already appended: answered with the original offsets once that append is visible.
    b.baseOffset = b.duplicateOf.baseOffset;
    b.acknowledgement = scope.acks === 0 ? null : visible(log, b.duplicateOf.lastOffset, scope.acks);
    return;
  }
  const bytes = b.bytes!;
  let res: AppendResult;
  try {
    // As the partition's leader: stamped with its leader epoch, refused without enough ISR for acks=-1.
    res = log.append(bytes, scope.acks, b.topic.settings!.minInsyncReplicas);
  } catch (err) {
    if (err instanceof KafkaError) return b.refuse({ code: err.code, message: err.message });
    throw err;
  }
  if (state !== undefined) {
    const timestamp = res.logAppendTime >= 0 ? res.logAppendTime : batch.maxTimestamp(bytes);
    state.record(b.producerId, b.producerEpoch, { firstSeq: b.baseSequence, lastSeq: b.lastSequence, baseOffset: res.baseOffset, lastOffset: res.lastOffset, timestamp }, b.transactional);
  }
  scope.ports.metrics.messagesIn(b.topic.name, b.recordCount, bytes.length);
  b.baseOffset = res.baseOffset;
  b.logAppendTime = res.logAppendTime;
  // What the acks wait for (stage 11): the Partition knows (null for acks=0). In a cluster acks=-1
  // waits for the high watermark, bounded by the request's timeout by the wait itself.
  b.acknowledgement = log.acknowledgement(res, scope.acks, b.topic.settings!.minInsyncReplicas, scope.timeoutMs);
  b.acknowledgementTimed = scope.acks === -1 && log.replication !== null;
}

/**
 * Resolves once `offset` is visible (a duplicate's original append may still be in flight): below
 * the high watermark. In a cluster, for acks=1, once the leader's own log has it (its visible end),
 * as Kafka answers a duplicate for acks=1 without waiting for the followers.
 */
function visible(log: Partition, offset: number, acks: number): Promise<void> {
  const r = acks === 1 ? log.replication : null;
  if (r !== null) return r.followerFetchEnd > offset ? Promise.resolve() : new Promise((resolve) => r.waitForEnd(offset, resolve));
  if (log.highWatermark > offset) return Promise.resolve();
  return new Promise((resolve) => log.waitForData(offset, resolve));
}
