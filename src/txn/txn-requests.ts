/**
 * The transaction requests that need nothing of the broker but the coordinator's own state (and a
 * producer id for an epoch overflow): AddPartitionsToTxn / AddOffsetsToTxn and the implicit adds of
 * KIP-890 part 2 (a transaction starts, or grows, by a durable Ongoing state), their verify-only
 * form (KIP-890 part 1), and EndTxn (the Prepare state, then the markers: txn-completion.ts).
 * InitProducerId stays in coordinator.ts.
 *
 * Each runs under its transactional id's lock (coord.locks), checks that the id is coordinated here
 * (NOT_COORDINATOR / COORDINATOR_LOAD_IN_PROGRESS: its partition may have moved while the request
 * waited for the lock), checks the producer id and epoch as Kafka does, and answers from the
 * state it finds: a request arriving while markers are written gets CONCURRENT_TRANSACTIONS
 * (clients retry).
 *
 * EndTxn has two rule sets, by the client's transaction version (Kafka's TransactionCoordinator):
 *   - before v5 (TV0/1): the epoch stays; a repeated EndTxn of a completed transaction with the
 *     same outcome succeeds, the other outcome (or no transaction) is INVALID_TXN_STATE;
 *   - v5+ (TV2, KIP-890 part 2): every end bumps the epoch — the Prepare state and the markers
 *     carry epoch + 1, which fences any late write of the ended transaction at every partition —
 *     and the answer names the producer id and epoch for the next transaction. At the epoch
 *     ceiling (32766) a new producer id is allocated with the Prepare state and taken on, epoch 0,
 *     with the Complete state. A retry is recognised by its epoch being one below the current one
 *     (or the overflow's previous id at 32766) and answered with the current id/epoch; the same
 *     epoch as the current one means the next transaction: an abort then ends an empty
 *     transaction (a TV2 client may abort before any partition reached the coordinator), a commit
 *     is INVALID_TXN_STATE.
 */
import { ErrorCode } from '../../protocol/errors.js';
import type { TransactionCoordinator } from './coordinator.js';
import { prepareEnd } from './txn-completion.js';
import { checkProducer, epochExhausted, MAX_EPOCH, partitionsToLog, TV2, writeError, type Step, type TxnMetadata } from './txn-metadata.js';

/** Per partition: NONE, or why it is not (and will not be) in the transaction. */
export type PartitionCodes = Map<string, number>;

/** Key of a partition in PartitionCodes. */
export function partitionKey(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`;
}

/**
 * Adds partitions to the running transaction (starting one); the error code for all of them.
 * `tv`: the client's transaction version (2 for the implicit adds of KIP-890 part 2).
 */
export function addPartitions(coord: TransactionCoordinator, id: string, producerId: number, producerEpoch: number, parts: ReadonlyArray<readonly [string, number]>, tv = 0): Promise<number> {
  const refused = coord.coordinatorError(id);
  if (refused !== ErrorCode.NONE) return Promise.resolve(refused);
  return coord.locks.run(id, async () => {
    const moved = coord.coordinatorError(id);
    if (moved !== ErrorCode.NONE) return moved;
    const meta = coord.txns.get(id);
    const invalid = checkProducer(meta, producerId, producerEpoch);
    if (invalid !== ErrorCode.NONE) return invalid;
    const m = meta!;
    switch (m.state) {
      case 'PrepareCommit':
      case 'PrepareAbort':
        return ErrorCode.CONCURRENT_TRANSACTIONS;
      case 'Ongoing':
      case 'Empty':
      case 'CompleteCommit':
      case 'CompleteAbort':
        break;
      default:
        return ErrorCode.INVALID_TXN_STATE;
    }
    if (m.state === 'Ongoing' && parts.every(([t, p]) => m.partitions.get(t)?.has(p))) return ErrorCode.NONE;
    try {
      await coord.partitions.add(parts);
      const next = m.state === 'Ongoing' ? new Map([...m.partitions].map(([t, s]) => [t, new Set(s)])) : new Map<string, Set<number>>();
      for (const [t, p] of parts) {
        let s = next.get(t);
        if (!s) next.set(t, (s = new Set()));
        s.add(p);
      }
      const now = Date.now();
      const clientTransactionVersion = m.state === 'Ongoing' ? Math.max(tv, m.clientTransactionVersion) : tv;
      await coord.write(id, coord.table.valueOf(m, { state: 'Ongoing', partitions: partitionsToLog(next), lastUpdateTimestamp: now, startTimestamp: m.state === 'Ongoing' ? m.startTimestamp : now, clientTransactionVersion }));
    } catch (err) {
      coord.log.warn({ transactionalId: id, err: (err as Error).message }, 'adding partitions to a transaction failed');
      return writeError(err);
    }
    return ErrorCode.NONE;
  });
}

/**
 * AddPartitionsToTxn v4+ with verify_only (KIP-890 part 1, sent by a partition leader for a client
 * before TV2): whether each partition is in the running transaction. Nothing is written. A
 * partition not in it is TRANSACTION_ABORTABLE (the leader maps it for older clients).
 */
export function verifyPartitions(coord: TransactionCoordinator, id: string, producerId: number, producerEpoch: number, parts: ReadonlyArray<readonly [string, number]>): PartitionCodes | number {
  const refused = coord.coordinatorError(id);
  if (refused !== ErrorCode.NONE) return refused;
  const m = coord.txns.get(id);
  if (!m || m.state === 'Dead' || m.producerId !== producerId) return ErrorCode.INVALID_PRODUCER_ID_MAPPING;
  if (m.producerEpoch !== producerEpoch) return ErrorCode.PRODUCER_FENCED;
  if (m.state === 'PrepareCommit' || m.state === 'PrepareAbort') return ErrorCode.CONCURRENT_TRANSACTIONS;
  const out: PartitionCodes = new Map();
  for (const [t, p] of parts) out.set(partitionKey(t, p), m.state === 'Ongoing' && m.partitions.get(t)?.has(p) ? ErrorCode.NONE : ErrorCode.TRANSACTION_ABORTABLE);
  return out;
}

/** EndTxn's answer: the error, and (v5+) the producer id and epoch for the next transaction (-1 on error). */
export interface EndTxnResult {
  errorCode: number;
  producerId: number;
  producerEpoch: number;
}

const failed = (errorCode: number): EndTxnResult => ({ errorCode, producerId: -1, producerEpoch: -1 });

export async function endTxn(coord: TransactionCoordinator, id: string, producerId: number, producerEpoch: number, commit: boolean, tv = 0): Promise<EndTxnResult> {
  const refused = coord.coordinatorError(id);
  if (refused !== ErrorCode.NONE) return failed(refused);
  let step: Step<EndTxnResult>;
  /** What the producer uses next once the Prepare state written here completes. */
  let next: { producerId: number; producerEpoch: number } | null = null;
  try {
    step = await coord.locks.run(id, async (): Promise<Step<EndTxnResult>> => {
      const moved = coord.coordinatorError(id);
      if (moved !== ErrorCode.NONE) return done(failed(moved));
      const meta = coord.txns.get(id);
      if (tv >= TV2) {
        const r = await endTxnV2(coord, meta, producerId, producerEpoch, commit);
        if (r.kind === 'wait') next = afterCompletion(meta!);
        return r;
      }
      const invalid = checkProducer(meta, producerId, producerEpoch);
      if (invalid !== ErrorCode.NONE) return done(failed(invalid));
      const m = meta!;
      const code = (c: number) => done({ errorCode: c, producerId: c === ErrorCode.NONE ? m.producerId : -1, producerEpoch: c === ErrorCode.NONE ? m.producerEpoch : -1 });
      switch (m.state) {
        case 'Ongoing':
          await prepareEnd(coord, m, commit, { producerEpoch: m.producerEpoch, clientTransactionVersion: 0 });
          next = { producerId: m.producerId, producerEpoch: m.producerEpoch };
          return { kind: 'wait', promise: m.completion ?? Promise.resolve() };
        case 'CompleteCommit':
          return code(commit ? ErrorCode.NONE : ErrorCode.INVALID_TXN_STATE);
        case 'CompleteAbort':
          return code(commit ? ErrorCode.INVALID_TXN_STATE : ErrorCode.NONE);
        case 'PrepareCommit':
          return code(commit ? ErrorCode.CONCURRENT_TRANSACTIONS : ErrorCode.INVALID_TXN_STATE);
        case 'PrepareAbort':
          return code(commit ? ErrorCode.INVALID_TXN_STATE : ErrorCode.CONCURRENT_TRANSACTIONS);
        default:
          return code(ErrorCode.INVALID_TXN_STATE);
      }
    });
  } catch (err) {
    coord.log.warn({ transactionalId: id, err: (err as Error).message }, 'EndTxn failed');
    return failed(writeError(err));
  }
  if (step.kind === 'done') return step.value;
  // The decision is durable (Prepare state written): a marker that fails now is retried by the
  // coordinator, so the producer is told the transaction ended either way, as Kafka does — unless
  // the partition moved meanwhile: then its new coordinator finishes it (NOT_COORDINATOR: the
  // producer asks that one).
  const moved = await coord.movedBefore(id, step.promise.catch(() => undefined));
  if (moved) return failed(ErrorCode.NOT_COORDINATOR);
  const n = next as { producerId: number; producerEpoch: number } | null;
  return { errorCode: ErrorCode.NONE, producerId: n?.producerId ?? -1, producerEpoch: n?.producerEpoch ?? -1 };
}

function done(value: EndTxnResult): Step<EndTxnResult> {
  return { kind: 'done', value };
}

/** The id and epoch a transaction in a Prepare state has once complete (the overflow's new id takes over then). */
function afterCompletion(m: TxnMetadata): { producerId: number; producerEpoch: number } {
  return m.clientTransactionVersion >= TV2 && m.nextProducerId >= 0 ? { producerId: m.nextProducerId, producerEpoch: 0 } : { producerId: m.producerId, producerEpoch: m.producerEpoch };
}

/** EndTxn v5+ (TV2) under the id's lock: see the header. */
async function endTxnV2(coord: TransactionCoordinator, meta: TxnMetadata | undefined, producerId: number, producerEpoch: number, commit: boolean): Promise<Step<EndTxnResult>> {
  if (!meta || meta.state === 'Dead') return done(failed(ErrorCode.INVALID_PRODUCER_ID_MAPPING));
  const m = meta;
  const retryOnOverflow = m.previousProducerId === producerId && producerEpoch === MAX_EPOCH - 1 && m.producerEpoch === 0;
  const retryOnEpochBump = m.producerEpoch === producerEpoch + 1;
  if (m.producerId !== producerId && !retryOnOverflow) return done(failed(ErrorCode.INVALID_PRODUCER_ID_MAPPING));
  let validEpoch: boolean;
  switch (m.state) {
    case 'PrepareCommit':
    case 'PrepareAbort':
      validEpoch = retryOnEpochBump;
      break;
    case 'CompleteCommit':
    case 'CompleteAbort':
      validEpoch = retryOnEpochBump || retryOnOverflow || producerEpoch === m.producerEpoch;
      break;
    default:
      validEpoch = producerEpoch === m.producerEpoch;
  }
  if (!validEpoch) return done(failed(ErrorCode.PRODUCER_FENCED));
  const isRetry = retryOnEpochBump || retryOnOverflow;
  const current = done({ errorCode: ErrorCode.NONE, producerId: m.producerId, producerEpoch: m.producerEpoch });
  const invalidState = done(failed(ErrorCode.INVALID_TXN_STATE));
  const end = async (asCommit: boolean, empty: boolean): Promise<Step<EndTxnResult>> => {
    const nextProducerId = epochExhausted(m.producerEpoch) ? await coord.allocateProducerId() : -1;
    const now = Date.now();
    await prepareEnd(coord, m, asCommit, {
      producerEpoch: m.producerEpoch + 1,
      lastProducerEpoch: m.producerEpoch,
      nextProducerId,
      clientTransactionVersion: TV2,
      // An empty transaction (ended before any partition was added) starts now, as Kafka records it.
      ...(empty ? { startTimestamp: now, partitions: new Map() } : {}),
    });
    return { kind: 'wait', promise: m.completion ?? Promise.resolve() };
  };
  switch (m.state) {
    case 'Ongoing':
      return end(commit, false);
    case 'CompleteCommit':
      if (commit) return isRetry ? current : invalidState;
      return isRetry ? invalidState : end(false, true);
    case 'CompleteAbort':
      if (commit) return invalidState;
      return isRetry ? current : end(false, true);
    case 'Empty':
      return commit ? invalidState : end(false, true);
    case 'PrepareCommit':
      return commit ? done(failed(ErrorCode.CONCURRENT_TRANSACTIONS)) : invalidState;
    case 'PrepareAbort':
      return commit ? invalidState : done(failed(ErrorCode.CONCURRENT_TRANSACTIONS));
    default:
      return invalidState;
  }
}
