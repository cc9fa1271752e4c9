/**
 * Ending a transaction, the part every path shares (EndTxn, a timeout, InitProducerId fencing a
 * running transaction, and a restart that finds one half-ended): the Prepare state is written to
 * __transaction_state — from then on the outcome is decided — then a COMMIT or ABORT marker (a
 * control batch) is appended to every partition of the transaction, and then the Complete state.
 *
 * One completion per transactional id at a time (meta.completion); a completion whose markers fail
 * is left in its Prepare state and retried by the coordinator's periodic check. Writing a marker
 * twice for a closed transaction is harmless, which is what makes the retries and the restart safe.
 */
import type { TransactionCoordinator } from './coordinator.js';
import type { TxnMetadata } from './txn-metadata.js';

/** Writes the Prepare state with `epoch` and starts writing the markers. */
export async function prepareEnd(coord: TransactionCoordinator, meta: TxnMetadata, commit: boolean, epoch: number): Promise<void> {
  await coord.write(meta.transactionalId, coord.table.valueOf(meta, { producerEpoch: epoch, state: commit ? 'PrepareCommit' : 'PrepareAbort' }));
  void startCompletion(coord, meta).catch(() => undefined);
}

/** Writes the markers of a Prepare state, then the Complete state (once at a time). */
export function startCompletion(coord: TransactionCoordinator, meta: TxnMetadata): Promise<void> {
  if (meta.completion) return meta.completion;
  const commit = meta.state === 'PrepareCommit';
  const { producerId, producerEpoch } = meta;
  const parts = [...meta.partitions].flatMap(([t, s]) => [...s].map((p) => [t, p] as const));
  const run = (async () => {
    await Promise.all(parts.map(([t, p]) => writeMarker(coord, t, p, producerId, producerEpoch, commit)));
    await coord.write(meta.transactionalId, coord.table.valueOf(meta, { state: commit ? 'CompleteCommit' : 'CompleteAbort', partitions: new Map() }));
    coord.log.debug({ transactionalId: meta.transactionalId, producerId, result: commit ? 'commit' : 'abort', partitions: parts.length }, 'transaction completed');
  })();
  meta.completion = run;
  run.then(
    () => {
      meta.completion = null;
    },
    (err: unknown) => {
      meta.completion = null;
      coord.log.error({ transactionalId: meta.transactionalId, err: (err as Error).message }, 'writing transaction markers failed; will retry');
    },
  );
  return run;
}

/** Appends a COMMIT/ABORT marker to one partition (a deleted topic has nothing to mark). */
async function writeMarker(coord: TransactionCoordinator, topic: string, partition: number, producerId: number, producerEpoch: number, commit: boolean): Promise<void> {
  await coord.appendMarker(topic, partition, producerId, producerEpoch, commit, 0, false);
}
