/**
 * The transaction coordinator (Kafka's TransactionCoordinator) of the transactional ids whose
 * `__transaction_state` partition this broker leads (`ownership`, following the leadership port;
 * txn-ownership.ts loads and unloads them). Requests for an id of a partition led elsewhere get
 * NOT_COORDINATOR, of one still loading COORDINATOR_LOAD_IN_PROGRESS (both retriable: clients look
 * the coordinator up again). On one node it leads, so coordinates, every id.
 *
 * Per transactional id: producer id and epoch, timeout, state (Empty, Ongoing, PrepareCommit,
 * PrepareAbort, CompleteCommit, CompleteAbort; Dead once expired) and the partitions of the
 * running transaction. Every state change is written to `__transaction_state` (Kafka's record
 * format, records.ts) before it takes effect or is answered, and the log is replayed at startup.
 *
 * Ending a transaction (EndTxn, a timeout, or InitProducerId fencing a running one): the Prepare
 * state is written, then a COMMIT or ABORT marker (a control batch) is appended to every partition
 * of the transaction — `__consumer_offsets` partitions included, where the marker makes
 * TxnOffsetCommit offsets visible or drops them — and then the Complete state. EndTxn is answered
 * once the markers are written, so a read_committed consumer sees the outcome as soon as the
 * producer does. Requests arriving while markers are written get CONCURRENT_TRANSACTIONS (clients
 * retry); InitProducerId waits for the completion instead. A restart completes transactions left
 * in a Prepare state (markers are written again: a second marker for a closed transaction is
 * harmless) and aborts Ongoing ones once their timeout passes (the timeout counts from the
 * transaction's start, which is persisted); so does a broker that becomes leader of a
 * `__transaction_state` partition. Markers go through a MarkerSender (markers.ts): appended here on
 * one node, sent to each partition's leader in a cluster.
 *
 * Transaction version 2 (KIP-890 part 2): a client's Produce v12+ / TxnOffsetCommit v5 adds the
 * partition it writes to (addImplicitly; asked of the coordinator broker in a cluster), and its
 * EndTxn v5 bumps the epoch, so the markers fence any late write of the ended transaction.
 *
 * Fencing: InitProducerId bumps the epoch (a new producer id when the epoch is exhausted); a
 * running transaction is first aborted with its epoch bumped, so the markers fence the old
 * producer at every partition. A transaction that outlives its timeout is aborted the same way
 * (transaction.abort.timed.out.transaction.cleanup.interval.ms). Transactional ids idle longer
 * than transactional.id.expiration.ms (and not in a transaction) are removed with a tombstone.
 *
 * Requests of one transactional id are serialised (a promise chain per id); everything else runs
 * on the event loop, so a state check and the change it leads to are atomic.
 *
 * This file holds the coordinator's wiring to the broker: recovery on start, InitProducerId
 * (producer ids come from the broker), the markers' append, the timeout and expiry timers. The
 * rest is in modules of one job each:
 *   txn-metadata.ts     TxnMetadata and the rules every request shares
 *   txn-table.ts        the in-memory state per transactional id / producer id
 *   keyed-lock.ts       the per-id serialisation
 *   txn-requests.ts     AddPartitionsToTxn / AddOffsetsToTxn (and their verify-only form) and
 *                       EndTxn, with transaction version 2's rules (KIP-890 part 2: an epoch bump
 *                       per transaction, docs/transactions.md)
 *   txn-completion.ts   Prepare state → markers → Complete state
 */
import { join } from 'node:path';
import { ErrorCode, KafkaError } from '../../protocol/errors.js';
import { CoordinatorPartitions } from '../data/coordinator-partitions.js';
import { TRANSACTION_STATE_TOPIC } from '../data/internal-topic.js';
import type { Logger } from '../logger.js';
import { readTextIfExists } from '../../storage/fs.js';
import { KeyedLock } from './keyed-lock.js';
import { appendMarkerLocally, LocalMarkerSender, type MarkerSender } from './markers.js';
import { encodeTxnKey, encodeTxnValue, type TxnLogValue } from './records.js';
import * as completion from './txn-completion.js';
import type { TransactionCoordinatorDeps } from './coordinator-deps.js';
import { TransactionStateLog, type TxnStateLog } from './txn-log.js';
import { txnPartitionHooks } from './txn-ownership.js';
import { MAX_EPOCH, TV2, writeError, type InitResult, type Step, type TxnMetadata } from './txn-metadata.js';
import { TransactionalPartitions } from './txn-partitions.js';
import { addPartitions, endTxn, verifyPartitions, type EndTxnResult, type PartitionCodes } from './txn-requests.js';
import { TxnTable } from './txn-table.js';

export type { InitResult, TxnMetadata } from './txn-metadata.js';
export type { EndTxnResult, PartitionCodes } from './txn-requests.js';

/** Written by InitProducerId before transactions were served; imported once (read only). */
const LEGACY_IDS_FILE = 'transactional-ids.json';
const DEFAULT_TIMEOUT_MS = 60000;
const MAX_TIMER_MS = 2 ** 31 - 1;

export class TransactionCoordinator {
  /** The state per transactional id (for the txn/ modules; others read `txns`). */
  readonly table = new TxnTable();
  readonly txns = this.table.txns;
  /** Serialises each transactional id's requests (for the txn/ modules). */
  readonly locks = new KeyedLock();
  /** The `__transaction_state` partitions whose transactional ids are loaded here (or loading). */
  readonly ownership: CoordinatorPartitions;
  /** How markers reach the partitions of a transaction (txn-completion.ts). */
  readonly markers: MarkerSender;
  private abortTimer: NodeJS.Timeout | null = null;
  private expireTimer: NodeJS.Timeout | null = null;
  /** Ids of the legacy transactional-ids file, imported as their partition loads. */
  private legacy = new Map<string, TxnLogValue>();
  /** Per partition, settled when it stops being coordinated here (requests waiting for markers give up). */
  private readonly resignations = new Map<number, { promise: Promise<void>; resolve: () => void }>();
  stopping = false;

  private constructor(
    /** What it uses of the broker (coordinator-deps.ts). */
    private readonly broker: TransactionCoordinatorDeps,
    readonly stateLog: TxnStateLog,
    readonly partitions: TransactionalPartitions,
    private readonly logger: Logger,
  ) {
    this.markers = broker.markers ?? new LocalMarkerSender(broker);
    const hooks = txnPartitionHooks(this, {
      partitions: broker.partitions,
      producerStates: broker.producerStates,
      legacyIds: (p) => [...this.legacy].filter(([id]) => stateLog.partitionFor(id) === p),
      complete: (meta) => void this.startCompletion(meta).catch(() => undefined),
    });
    this.ownership = new CoordinatorPartitions(TRANSACTION_STATE_TOPIC, broker.leadership, hooks, logger);
  }

  static async start(broker: TransactionCoordinatorDeps): Promise<TransactionCoordinator> {
    const logger = broker.log.child({ component: 'transactions' });
    const stateLog = broker.stateLog ?? new TransactionStateLog(broker);
    const coord = new TransactionCoordinator(broker, stateLog, broker.transactionalPartitions ?? (await TransactionalPartitions.open(broker.dataDir, broker.stateFs)), logger);
    coord.legacy = await readLegacyIds(broker);
    await coord.ownership.start(stateLog.partitionCount());
    const unreadable = coord.partitions.unreadable;
    if (unreadable !== null || (!coord.partitions.fromFile && coord.stateLog.exists())) {
      // Transactions were used but the list of their partitions is gone: assume any may hold some.
      logger.warn({ reason: unreadable ?? undefined }, `transactional-partitions.json is ${unreadable === null ? 'missing' : 'unreadable'}: every existing partition is treated as possibly transactional`);
      await coord.partitions.add([...broker.topics.all()].flatMap((t) => Array.from({ length: t.partitions }, (_, p) => [t.name, p] as const)));
    }
    broker.topics.onChange((event, topic) => {
      if (event === 'deleted') coord.partitions.removeTopic(topic.name);
    });
    // Transactions a crash left half-ended are being completed (their partitions' loads started
    // it): the listeners open once their markers are written, as before partitions were followed.
    await Promise.allSettled([...coord.txns.values()].map((m) => m.completion ?? Promise.resolve()));
    coord.scheduleAbortCheck();
    coord.scheduleExpiry();
    return coord;
  }

  /**
   * Why a request for `transactionalId` cannot be served here, or NONE: NOT_COORDINATOR while
   * stopping or when its partition is led elsewhere, COORDINATOR_LOAD_IN_PROGRESS while it loads.
   */
  coordinatorError(transactionalId: string): number {
    if (this.stopping) return ErrorCode.NOT_COORDINATOR;
    return this.ownership.error(this.stateLog.partitionFor(transactionalId));
  }

  /**
   * Waits for `work` (markers being written) unless the partition of `id` stops being coordinated
   * here first: true when it did (the request is answered NOT_COORDINATOR and the client retries
   * at the partition's new coordinator, as Kafka answers requests waiting on a resigned partition).
   */
  async movedBefore(id: string, work: Promise<void>): Promise<boolean> {
    const partition = this.stateLog.partitionFor(id);
    let r = this.resignations.get(partition);
    if (!r) {
      let resolve!: () => void;
      const promise = new Promise<void>((res) => (resolve = res));
      this.resignations.set(partition, (r = { promise, resolve }));
    }
    return Promise.race([work.then(() => false), r.promise.then(() => true)]);
  }

  /** The partition is no longer coordinated here (txn-ownership.ts unloads it). */
  partitionResigned(partition: number): void {
    const r = this.resignations.get(partition);
    this.resignations.delete(partition);
    r?.resolve();
  }

  /** A `__transaction_state` partition is loading (ListTransactions answers COORDINATOR_LOAD_IN_PROGRESS). */
  get loading(): boolean {
    return this.ownership.anyLoading;
  }

  /**
   * Creates `__transaction_state` if needed; a call that created it waits for its partitions'
   * loads too (empty, immediate on one node), so the request after it finds them owned.
   */
  async ensureStateTopic(): Promise<void> {
    const existed = this.stateLog.exists();
    await this.stateLog.ensure();
    if (!existed && this.ownership.anyLoading) await this.ownership.settled();
  }

  /**
   * Writes the new state of `id` to __transaction_state, then applies it (also for the txn/
   * modules). Only while its partition is owned here, from before the write until after it:
   * otherwise NOT_COORDINATOR, and nothing is applied (the partition's next owner reads the log).
   */
  async write(id: string, v: TxnLogValue): Promise<TxnMetadata> {
    await this.append(id, encodeTxnValue(v));
    return this.table.set(id, v);
  }

  private async append(id: string, value: Buffer | null): Promise<void> {
    const partition = this.stateLog.partitionFor(id);
    const owner = this.ownership.token(partition);
    if (owner === null) throw new KafkaError(ErrorCode.NOT_COORDINATOR, `${TRANSACTION_STATE_TOPIC}-${partition} is not coordinated here`);
    await this.stateLog.append(id, encodeTxnKey(id), value);
    if (this.ownership.token(partition) !== owner) throw new KafkaError(ErrorCode.NOT_COORDINATOR, `${TRANSACTION_STATE_TOPIC}-${partition} moved during the write`);
  }

  /** The coordinator's logger, for the txn/ modules that act for it. */
  get log(): Logger {
    return this.logger;
  }

  // -----------------------------------------------------------------------------------------------
  // InitProducerId

  async initProducerId(id: string, timeoutMs: number, expected: { producerId: number; producerEpoch: number } | null): Promise<InitResult> {
    const fail = (errorCode: number): InitResult => ({ errorCode, producerId: -1, producerEpoch: -1 });
    if (this.stopping) return fail(ErrorCode.NOT_COORDINATOR);
    if (!this.stateLog.exists()) {
      // A client that skipped FindCoordinator (which creates the topic).
      try {
        await this.ensureStateTopic();
      } catch (err) {
        this.logger.warn({ err: (err as Error).message }, 'cannot create the transaction state topic');
        return fail(ErrorCode.COORDINATOR_NOT_AVAILABLE);
      }
    }
    for (let round = 0; ; round++) {
      let step: Step<InitResult>;
      try {
        step = await this.locks.run(id, () => this.initStep(id, timeoutMs, expected));
      } catch (err) {
        this.logger.warn({ transactionalId: id, err: (err as Error).message }, 'InitProducerId failed');
        return fail(writeError(err));
      }
      if (step.kind === 'done') return step.value;
      try {
        if (await this.movedBefore(id, step.promise)) return fail(ErrorCode.NOT_COORDINATOR);
      } catch {
        return fail(ErrorCode.CONCURRENT_TRANSACTIONS);
      }
      if (round > 3) return fail(ErrorCode.CONCURRENT_TRANSACTIONS);
    }
  }

  private async initStep(id: string, timeoutMs: number, expected: { producerId: number; producerEpoch: number } | null): Promise<Step<InitResult>> {
    const done = (errorCode: number, producerId = -1, producerEpoch = -1): Step<InitResult> => ({ kind: 'done', value: { errorCode, producerId, producerEpoch } });
    const refused = this.coordinatorError(id);
    if (refused !== ErrorCode.NONE) return done(refused);
    const now = Date.now();
    const meta = this.txns.get(id);
    if (!meta || meta.state === 'Dead') {
      const producerId = await this.broker.producerIds.allocate();
      const m = await this.write(id, { producerId, producerEpoch: 0, timeoutMs, state: 'Empty', partitions: new Map(), lastUpdateTimestamp: now, startTimestamp: -1 });
      m.lastProducerEpoch = -1;
      return done(ErrorCode.NONE, producerId, 0);
    }
    let retry = false;
    if (expected !== null) {
      if (expected.producerId !== meta.producerId) return done(ErrorCode.PRODUCER_FENCED);
      if (expected.producerEpoch === meta.lastProducerEpoch && meta.state === 'Empty') retry = true;
      else if (expected.producerEpoch !== meta.producerEpoch) return done(ErrorCode.PRODUCER_FENCED);
    }
    switch (meta.state) {
      case 'PrepareCommit':
      case 'PrepareAbort':
        return { kind: 'wait', promise: meta.completion ?? this.startCompletion(meta) };
      case 'Ongoing': {
        // Abort the running transaction first, with the epoch bumped so the markers fence the
        // producer that ran it; then (next round) hand out a fresh epoch.
        await this.fence(meta);
        return { kind: 'wait', promise: meta.completion ?? Promise.resolve() };
      }
      case 'Empty':
      case 'CompleteCommit':
      case 'CompleteAbort': {
        if (retry) return done(ErrorCode.NONE, meta.producerId, meta.producerEpoch);
        const bump = meta.producerEpoch < MAX_EPOCH - 1;
        const producerId = bump ? meta.producerId : await this.broker.producerIds.allocate();
        const producerEpoch = bump ? meta.producerEpoch + 1 : 0;
        await this.write(id, this.table.valueOf(meta, { producerId, producerEpoch, timeoutMs, state: 'Empty', partitions: new Map(), lastUpdateTimestamp: now, startTimestamp: -1 }));
        return done(ErrorCode.NONE, producerId, producerEpoch);
      }
      default:
        return done(ErrorCode.CONCURRENT_TRANSACTIONS);
    }
  }

  // -----------------------------------------------------------------------------------------------
  // AddPartitionsToTxn / AddOffsetsToTxn, EndTxn (txn-requests.ts) and ending (txn-completion.ts)

  /**
   * Adds partitions to the running transaction (starting one); the error code for all of them.
   * `tv` 2: an implicit add of KIP-890 part 2 (Produce v12+, TxnOffsetCommit v5+, AddPartitionsToTxn v4+ not verify-only).
   */
  addPartitions(id: string, producerId: number, producerEpoch: number, parts: ReadonlyArray<readonly [string, number]>, tv = 0): Promise<number> {
    return addPartitions(this, id, producerId, producerEpoch, parts, tv);
  }

  /** AddPartitionsToTxn v4+ verify_only: per partition NONE or TRANSACTION_ABORTABLE, or one error for all. */
  verifyPartitions(id: string, producerId: number, producerEpoch: number, parts: ReadonlyArray<readonly [string, number]>): PartitionCodes | number {
    return verifyPartitions(this, id, producerId, producerEpoch, parts);
  }

  /** EndTxn; `tv` 2 for v5+ (an epoch bump at every end; the answer names the id and epoch to use next). */
  endTxn(id: string, producerId: number, producerEpoch: number, commit: boolean, tv = 0): Promise<EndTxnResult> {
    return endTxn(this, id, producerId, producerEpoch, commit, tv);
  }

  /** A producer id never handed out (an epoch overflow at the end of a TV2 transaction). */
  allocateProducerId(): Promise<number> {
    return this.broker.producerIds.allocate();
  }

  /**
   * Aborts a running transaction on the coordinator's own initiative (InitProducerId of a new
   * instance, or the timeout), fencing its producer: the Prepare state and the markers carry the
   * epoch bumped once — also for a transaction-version-2 producer, as Kafka 4.4 does (observed:
   * markers at epoch + 1, the next InitProducerId at epoch + 2).
   */
  private fence(meta: TxnMetadata): Promise<void> {
    return completion.prepareEnd(this, meta, false, { producerEpoch: Math.min(meta.producerEpoch + 1, MAX_EPOCH), nextProducerId: -1 });
  }

  /** Writes the markers of a Prepare state, then the Complete state (once at a time). */
  private startCompletion(meta: TxnMetadata): Promise<void> {
    return completion.startCompletion(this, meta);
  }

  /**
   * WriteTxnMarkers: appends a marker to a partition led here and applies it (markers.ts). With
   * `checkEpoch` a marker older than the producer's epoch in the partition is refused with
   * INVALID_PRODUCER_EPOCH, as Kafka refuses it. Returns the error code.
   */
  appendMarker(topic: string, partition: number, producerId: number, producerEpoch: number, commit: boolean, coordinatorEpoch: number, checkEpoch: boolean): Promise<number> {
    return appendMarkerLocally(this.broker, topic, partition, { producerId, producerEpoch, coordinatorEpoch, commit }, checkEpoch);
  }

  // -----------------------------------------------------------------------------------------------
  // Produce and TxnOffsetCommit verification

  /**
   * Whether a transactional batch of this producer may go to this partition: its epoch is current
   * and the partition was added to its running transaction. Null when it may, else the error.
   */
  verify(producerId: number, producerEpoch: number, topic: string, partition: number): { code: number; message: string } | null {
    // A producer unknown here may be coordinated by another broker (a cluster): its partition
    // leader cannot check it, as Kafka's leaders did not before KIP-890. When this broker
    // coordinates every transactional id (one node), unknown means not in a transaction.
    if (!this.table.hasProducer(producerId) && !this.coordinatesEveryId()) return null;
    return this.table.verify(producerId, producerEpoch, topic, partition);
  }

  /**
   * KIP-890 part 2's implicit add (Produce v12+, TxnOffsetCommit v5+): null when the partition is
   * in the producer's running transaction with this epoch already, else the add (as
   * AddPartitionsToTxn v4+ without verify_only would do it).
   */
  addImplicitly(id: string, producerId: number, producerEpoch: number, topic: string, partition: number): Promise<number> | null {
    if (this.table.verify(producerId, producerEpoch, topic, partition) === null) return null;
    // Coordinated by another broker (a cluster): ask it, as Kafka's partition leaders do.
    if (!this.stopping && this.coordinatorError(id) === ErrorCode.NOT_COORDINATOR && this.markers.addToTransaction) {
      return this.markers.addToTransaction(this.stateLog.partitionFor(id), id, producerId, producerEpoch, [[topic, partition]]);
    }
    return this.addPartitions(id, producerId, producerEpoch, [[topic, partition]], TV2);
  }

  /**
   * KIP-890 part 1 in a cluster: a transactional write of a client before transaction version 2
   * whose id is coordinated by another broker is verified there (AddPartitionsToTxn v5
   * verify_only; what `verify` cannot check here). Null when there is nothing to ask: the producer
   * is known here (verify checks it), or every id is coordinated here, or this is no cluster.
   */
  verifyElsewhere(id: string, producerId: number, producerEpoch: number, topic: string, partition: number): Promise<number> | null {
    if (!this.markers.addToTransaction || this.stopping || this.table.hasProducer(producerId) || this.coordinatesEveryId()) return null;
    if (this.coordinatorError(id) !== ErrorCode.NOT_COORDINATOR) return null;
    return this.markers.addToTransaction(this.stateLog.partitionFor(id), id, producerId, producerEpoch, [[topic, partition]], true);
  }

  /** No transactional id can be coordinated elsewhere: the topic does not exist yet, or every partition is owned here. */
  private coordinatesEveryId(): boolean {
    return !this.stateLog.exists() || this.ownership.ownsAll(this.stateLog.partitionCount());
  }

  // -----------------------------------------------------------------------------------------------
  // Timeouts and expiry

  private timer(fn: () => Promise<void>, ms: number): NodeJS.Timeout {
    const t = setTimeout(() => {
      void fn().catch((err: unknown) => this.logger.error({ err }, 'transaction coordinator task failed'));
    }, Math.min(Math.max(ms, 0), MAX_TIMER_MS));
    t.unref?.();
    return t;
  }

  private scheduleAbortCheck(): void {
    if (this.stopping) return;
    this.abortTimer = this.timer(async () => {
      try {
        await this.abortTimedOut();
      } finally {
        this.scheduleAbortCheck();
      }
    }, this.broker.config.int('transaction.abort.timed.out.transaction.cleanup.interval.ms'));
  }

  private scheduleExpiry(): void {
    if (this.stopping) return;
    this.expireTimer = this.timer(async () => {
      try {
        await this.expireIds();
      } finally {
        this.scheduleExpiry();
      }
    }, this.broker.config.int('transaction.remove.expired.transaction.cleanup.interval.ms'));
  }

  /** Aborts (fencing the producer) transactions running longer than their timeout; retries stuck completions. */
  async abortTimedOut(now = Date.now()): Promise<void> {
    for (const meta of [...this.txns.values()]) {
      if (this.stopping) return;
      if ((meta.state === 'PrepareCommit' || meta.state === 'PrepareAbort') && !meta.completion) {
        void this.startCompletion(meta).catch(() => undefined);
        continue;
      }
      if (meta.state !== 'Ongoing' || now - meta.startTimestamp <= meta.timeoutMs) continue;
      await this.locks.run(meta.transactionalId, async () => {
        if (meta.state !== 'Ongoing' || this.txns.get(meta.transactionalId) !== meta) return;
        this.logger.info({ transactionalId: meta.transactionalId, producerId: meta.producerId, timeoutMs: meta.timeoutMs }, 'aborting a transaction that timed out');
        await this.fence(meta);
      }).catch((err: unknown) => this.logger.warn({ transactionalId: meta.transactionalId, err: (err as Error).message }, 'aborting a timed-out transaction failed'));
    }
  }

  /** Removes transactional ids idle longer than transactional.id.expiration.ms. */
  async expireIds(now = Date.now()): Promise<void> {
    const maxIdle = this.broker.config.int('transactional.id.expiration.ms');
    for (const meta of [...this.txns.values()]) {
      if (this.stopping) return;
      if (!(meta.state === 'Empty' || meta.state === 'CompleteCommit' || meta.state === 'CompleteAbort')) continue;
      if (now - meta.lastUpdateTimestamp <= maxIdle) continue;
      await this.locks.run(meta.transactionalId, async () => {
        if (this.txns.get(meta.transactionalId) !== meta || now - meta.lastUpdateTimestamp <= maxIdle) return;
        if (!(meta.state === 'Empty' || meta.state === 'CompleteCommit' || meta.state === 'CompleteAbort')) return;
        await this.append(meta.transactionalId, null);
        meta.state = 'Dead';
        this.table.remove(meta.transactionalId);
        this.logger.info({ transactionalId: meta.transactionalId }, 'transactional id expired');
      }).catch((err: unknown) => this.logger.warn({ transactionalId: meta.transactionalId, err: (err as Error).message }, 'expiring a transactional id failed'));
    }
  }

  /** Stops the timers and lets markers being written finish (bounded). */
  async shutdown(): Promise<void> {
    this.stopping = true;
    this.ownership.stop();
    if (this.abortTimer) clearTimeout(this.abortTimer);
    if (this.expireTimer) clearTimeout(this.expireTimer);
    const pending = [...this.txns.values()].map((m) => m.completion).filter((p): p is Promise<void> => p !== null);
    if (pending.length === 0) return;
    await Promise.race([Promise.allSettled(pending), new Promise((r) => setTimeout(r, 3000).unref())]);
  }
}

/** Producer ids InitProducerId handed out before transactions were served (read once, imported as their partitions load). */
async function readLegacyIds(broker: TransactionCoordinatorDeps): Promise<Map<string, TxnLogValue>> {
  const out = new Map<string, TxnLogValue>();
  const legacy = await readTextIfExists(broker.stateFs, join(broker.dataDir, LEGACY_IDS_FILE));
  if (!legacy) return out;
  const now = Date.now();
  for (const [id, e] of Object.entries(JSON.parse(legacy) as Record<string, { producerId: number; producerEpoch: number; transactionTimeoutMs?: number }>)) {
    out.set(id, { producerId: e.producerId, producerEpoch: e.producerEpoch, timeoutMs: e.transactionTimeoutMs ?? DEFAULT_TIMEOUT_MS, state: 'Empty', partitions: new Map(), lastUpdateTimestamp: now, startTimestamp: -1 });
  }
  return out;
}
