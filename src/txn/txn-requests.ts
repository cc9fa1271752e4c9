/**
 * The transaction requests that need nothing of the broker but the coordinator's own state:
 * AddPartitionsToTxn / AddOffsetsToTxn (a transaction starts, or grows, by a durable Ongoing
 * state) and EndTxn (the Prepare state, then the markers: txn-completion.ts). InitProducerId,
 * which allocates producer ids, stays in coordinator.ts.
 *
 * Each runs under its transactional id's lock (coord.locks), checks that the id is coordinated here
 * (NOT_COORDINATOR / COORDINATOR_LOAD_IN_PROGRESS: its partition may have moved while the request
 * waited for the lock), checks the producer id and epoch as Kafka does, and answers from the
 * state it finds: a request arriving while markers are written
 * gets CONCURRENT_TRANSACTIONS (clients retry), a repeated EndTxn of a completed transaction
 * succeeds, an EndTxn contradicting one gets INVALID_TXN_STATE.
 */
import { ErrorCode } from '../../protocol/errors.js';
import type { TransactionCoordinator } from './coordinator.js';
import { prepareEnd } from './txn-completion.js';
import { checkProducer, partitionsToLog, writeError, type Step } from './txn-metadata.js';

/** Adds partitions to the running transaction (starting one); the error code for all of them. */
export function addPartitions(coord: TransactionCoordinator, id: string, producerId: number, producerEpoch: number, parts: ReadonlyArray<readonly [string, number]>): Promise<number> {
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
      await coord.write(id, coord.table.valueOf(m, { state: 'Ongoing', partitions: partitionsToLog(next), lastUpdateTimestamp: now, startTimestamp: m.state === 'Ongoing' ? m.startTimestamp : now }));
    } catch (err) {
      coord.log.warn({ transactionalId: id, err: (err as Error).message }, 'adding partitions to a transaction failed');
      return writeError(err);
    }
    return ErrorCode.NONE;
  });
}

export async function endTxn(coord: TransactionCoordinator, id: string, producerId: number, producerEpoch: number, commit: boolean): Promise<number> {
  const refused = coord.coordinatorError(id);
  if (refused !== ErrorCode.NONE) return refused;
  let step: Step<number>;
  try {
    step = await coord.locks.run(id, async (): Promise<Step<number>> => {
      const done = (code: number): Step<number> => ({ kind: 'done', value: code });
      const moved = coord.coordinatorError(id);
      if (moved !== ErrorCode.NONE) return done(moved);
      const meta = coord.txns.get(id);
      const invalid = checkProducer(meta, producerId, producerEpoch);
      if (invalid !== ErrorCode.NONE) return done(invalid);
      const m = meta!;
      switch (m.state) {
        case 'Ongoing':
          await prepareEnd(coord, m, commit, m.producerEpoch);
          return { kind: 'wait', promise: m.completion ?? Promise.resolve() };
        case 'CompleteCommit':
          return done(commit ? ErrorCode.NONE : ErrorCode.INVALID_TXN_STATE);
        case 'CompleteAbort':
          return done(commit ? ErrorCode.INVALID_TXN_STATE : ErrorCode.NONE);
        case 'PrepareCommit':
          return done(commit ? ErrorCode.CONCURRENT_TRANSACTIONS : ErrorCode.INVALID_TXN_STATE);
        case 'PrepareAbort':
          return done(commit ? ErrorCode.INVALID_TXN_STATE : ErrorCode.CONCURRENT_TRANSACTIONS);
        default:
          return done(ErrorCode.INVALID_TXN_STATE);
      }
    });
  } catch (err) {
    coord.log.warn({ transactionalId: id, err: (err as Error).message }, 'EndTxn failed');
    return writeError(err);
  }
  if (step.kind === 'done') return step.value;
  // The decision is durable (Prepare state written): a marker that fails now is retried by the
  // coordinator, so the producer is told the transaction ended either way, as Kafka does — unless
  // the partition moved meanwhile: then its new coordinator finishes it (NOT_COORDINATOR: the
  // producer asks that one).
  const moved = await coord.movedBefore(id, step.promise.catch(() => undefined));
  return moved ? ErrorCode.NOT_COORDINATOR : ErrorCode.NONE;
}
