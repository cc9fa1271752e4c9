/**
 * Ending a transaction, the part every path shares (EndTxn, a timeout, InitProducerId fencing a
 * running transaction, and a restart that finds one half-ended): the Prepare state is written to
 * __transaction_state — from then on the outcome is decided — then a COMMIT or ABORT marker (a
 * control batch) is appended to every partition of the transaction, and then the Complete state.
 *
 * The markers go through the coordinator's MarkerSender (markers.ts): appended here on one node,
 * sent to each partition's leader in a cluster, with the coordinator epoch (the leader epoch of the
 * id's `__transaction_state` partition). Markers that fail are retried a few times at once (a
 * leader moving); then the completion is left in its Prepare state and retried by the
 * coordinator's periodic check. One completion per transactional id at a time (meta.completion).
 * Writing a marker twice for a closed transaction is harmless, which is what makes the retries, a
 * restart and a new coordinator after failover safe.
 */
import { ErrorCode, KafkaError, errorName } from '../../protocol/errors.js';
import type { TransactionCoordinator } from './coordinator.js';
import type { TxnMarker } from './markers.js';
import type { TxnLogValue } from './records.js';
import { TV2, type TxnMetadata } from './txn-metadata.js';

/** Attempts of a transaction's failed markers before the periodic check takes over, and the first backoff (doubling). */
const MARKER_ATTEMPTS = 4;
const MARKER_BACKOFF_MS = 100;

/**
 * Writes the Prepare state — `changes` carry its epoch (bumped when fencing, and at every end of a
 * TV2 transaction), the overflow's next producer id and the client's transaction version — and
 * starts writing the markers, which carry that epoch.
 */
export async function prepareEnd(coord: TransactionCoordinator, meta: TxnMetadata, commit: boolean, changes: Partial<TxnLogValue>): Promise<void> {
  await coord.write(meta.transactionalId, coord.table.valueOf(meta, { ...changes, state: commit ? 'PrepareCommit' : 'PrepareAbort' }));
  void startCompletion(coord, meta).catch(() => undefined);
}

/**
 * The Complete state after the markers. A TV2 transaction whose end overflowed the epoch takes on
 * the producer id allocated with its Prepare state, at epoch 0 (the markers still carried the old
 * id's last epoch); the id it leaves is kept as the previous one, so a retried EndTxn is known.
 */
function completeState(coord: TransactionCoordinator, meta: TxnMetadata, commit: boolean): TxnLogValue {
  const state = commit ? 'CompleteCommit' : 'CompleteAbort';
  if (meta.clientTransactionVersion < TV2) return coord.table.valueOf(meta, { state, partitions: new Map() });
  const overflow = meta.nextProducerId >= 0;
  return coord.table.valueOf(meta, {
    state,
    partitions: new Map(),
    producerId: overflow ? meta.nextProducerId : meta.producerId,
    producerEpoch: overflow ? 0 : meta.producerEpoch,
    lastProducerEpoch: meta.lastProducerEpoch,
    previousProducerId: meta.producerId,
    nextProducerId: -1,
  });
}

/** Writes the markers of a Prepare state, then the Complete state (once at a time). */
export function startCompletion(coord: TransactionCoordinator, meta: TxnMetadata): Promise<void> {
  if (meta.completion) return meta.completion;
  const commit = meta.state === 'PrepareCommit';
  const { producerId, producerEpoch } = meta;
  const parts = [...meta.partitions].flatMap(([t, s]) => [...s].map((p) => [t, p] as const));
  const run = (async () => {
    const coordinatorEpoch = Math.max(0, coord.ownership.epoch(coord.stateLog.partitionFor(meta.transactionalId)));
    await writeMarkers(coord, meta.transactionalId, { producerId, producerEpoch, coordinatorEpoch, commit }, parts);
    await coord.write(meta.transactionalId, completeState(coord, meta, commit));
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

/** Writes the marker to every partition (a deleted one has nothing to mark); throws when some still fail. */
async function writeMarkers(coord: TransactionCoordinator, id: string, marker: TxnMarker, parts: ReadonlyArray<readonly [string, number]>): Promise<void> {
  let pending = parts;
  for (let attempt = 1; ; attempt++) {
    const codes = await coord.markers.send(marker, pending);
    const failed = pending.map((p, i) => [p, codes[i] ?? ErrorCode.UNKNOWN_SERVER_ERROR] as const).filter(([, c]) => c !== ErrorCode.NONE && c !== ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    if (failed.length === 0) return;
    const what = failed.map(([[t, p], c]) => `${t}-${p}: ${errorName(c)}`).join(', ');
    if (coord.coordinatorError(id) !== ErrorCode.NONE) throw new KafkaError(ErrorCode.NOT_COORDINATOR, `no longer the coordinator of ${id}; markers not written to ${what}`);
    if (attempt >= MARKER_ATTEMPTS) throw new Error(`markers not written to ${what}`);
    await new Promise((r) => setTimeout(r, MARKER_BACKOFF_MS * 2 ** (attempt - 1)).unref());
    pending = failed.map(([p]) => p);
  }
}
