/**
 * The transaction coordinator (Kafka's TransactionCoordinator, for a single broker that
 * coordinates every transactional id).
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
 * transaction's start, which is persisted).
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
 *   txn-requests.ts     AddPartitionsToTxn / AddOffsetsToTxn and EndTxn
 *   txn-completion.ts   Prepare state → markers → Complete state
 */
import { join } from 'node:path';
import { ErrorCode } from '../../protocol/errors.js';
import { buildControlBatch } from '../../protocol/records/builder.js';
import { ControlRecordType } from '../../protocol/records/records.js';
import { completeTxnOffsets } from '../groups/txn-offsets.js';
import type { Logger } from '../logger.js';
import { readTextIfExists } from '../../storage/fs.js';
import { CONSUMER_OFFSETS_TOPIC } from '../metadata/topic-manager.js';
import { KeyedLock } from './keyed-lock.js';
import { decodeTxnKey, decodeTxnValue, encodeTxnKey, encodeTxnValue, type TxnLogValue } from './records.js';
import * as completion from './txn-completion.js';
import type { TransactionCoordinatorDeps } from './coordinator-deps.js';
import { TransactionStateLog } from './txn-log.js';
import { MAX_EPOCH, writeError, type InitResult, type Step, type TxnMetadata } from './txn-metadata.js';
import { TransactionalPartitions } from './txn-partitions.js';
import { addPartitions, endTxn } from './txn-requests.js';
import { TxnTable } from './txn-table.js';

export type { InitResult, TxnMetadata } from './txn-metadata.js';

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
  private abortTimer: NodeJS.Timeout | null = null;
  private expireTimer: NodeJS.Timeout | null = null;
  stopping = false;

  private constructor(
    /** What it uses of the broker (coordinator-deps.ts). */
    private readonly broker: TransactionCoordinatorDeps,
    readonly stateLog: TransactionStateLog,
    readonly partitions: TransactionalPartitions,
    private readonly logger: Logger,
  ) {}

  static async start(broker: TransactionCoordinatorDeps): Promise<TransactionCoordinator> {
    const t0 = performance.now();
    const logger = broker.log.child({ component: 'transactions' });
    const coord = new TransactionCoordinator(broker, new TransactionStateLog(broker), await TransactionalPartitions.open(broker.dataDir, broker.stateFs), logger);
    const records = await coord.load();
    const unreadable = coord.partitions.unreadable;
    if (unreadable !== null || (!coord.partitions.fromFile && coord.stateLog.exists())) {
      // Transactions were used but the list of their partitions is gone: assume any may hold some.
      logger.warn({ reason: unreadable ?? undefined }, `transactional-partitions.json is ${unreadable === null ? 'missing' : 'unreadable'}: every existing partition is treated as possibly transactional`);
      await coord.partitions.add([...broker.topics.all()].flatMap((t) => Array.from({ length: t.partitions }, (_, p) => [t.name, p] as const)));
    }
    broker.topics.onChange((event, topic) => {
      if (event === 'deleted') coord.partitions.removeTopic(topic.name);
    });
    // Transactions a crash left half-ended are completed now; open ones keep their partitions'
    // producer state loaded, so the last stable offset holds them back until they end.
    let completed = 0;
    let open = 0;
    for (const meta of coord.txns.values()) {
      if (meta.state === 'PrepareCommit' || meta.state === 'PrepareAbort') {
        completed++;
        await coord.startCompletion(meta).catch(() => undefined);
      } else if (meta.state === 'Ongoing') {
        open++;
        for (const [topic, parts] of meta.partitions) {
          for (const p of parts) {
            const log = broker.partitions.get(topic, p);
            if (log) await broker.producerStates.get(log);
          }
        }
      }
    }
    coord.scheduleAbortCheck();
    coord.scheduleExpiry();
    if (records > 0 || coord.txns.size > 0) logger.info({ records, transactionalIds: coord.txns.size, completed, open, ms: Math.round(performance.now() - t0) }, 'transaction state loaded');
    return coord;
  }

  private async load(): Promise<number> {
    const records = await this.stateLog.replay((key, value) => {
      const id = decodeTxnKey(key);
      if (id === null) return;
      const v = value === null ? null : decodeTxnValue(value);
      if (v === null) {
        this.table.remove(id);
        return;
      }
      this.table.set(id, v);
    });
    // Producer ids InitProducerId handed out before transactions were served.
    const legacy = await readTextIfExists(this.broker.stateFs, join(this.broker.dataDir, LEGACY_IDS_FILE));
    if (legacy) {
      for (const [id, e] of Object.entries(JSON.parse(legacy) as Record<string, { producerId: number; producerEpoch: number; transactionTimeoutMs?: number }>)) {
        if (this.txns.has(id)) continue;
        const now = Date.now();
        this.table.set(id, { producerId: e.producerId, producerEpoch: e.producerEpoch, timeoutMs: e.transactionTimeoutMs ?? DEFAULT_TIMEOUT_MS, state: 'Empty', partitions: new Map(), lastUpdateTimestamp: now, startTimestamp: -1 });
      }
    }
    return records;
  }

  /** Writes the new state of `id` to __transaction_state, then applies it (also for the txn/ modules). */
  async write(id: string, v: TxnLogValue): Promise<TxnMetadata> {
    await this.stateLog.append(id, encodeTxnKey(id), encodeTxnValue(v));
    return this.table.set(id, v);
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
        await step.promise;
      } catch {
        return fail(ErrorCode.CONCURRENT_TRANSACTIONS);
      }
      if (round > 3) return fail(ErrorCode.CONCURRENT_TRANSACTIONS);
    }
  }

  private async initStep(id: string, timeoutMs: number, expected: { producerId: number; producerEpoch: number } | null): Promise<Step<InitResult>> {
    const done = (errorCode: number, producerId = -1, producerEpoch = -1): Step<InitResult> => ({ kind: 'done', value: { errorCode, producerId, producerEpoch } });
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
        const epoch = meta.producerEpoch < MAX_EPOCH ? meta.producerEpoch + 1 : meta.producerEpoch;
        await this.prepareEnd(meta, false, epoch);
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

  /** Adds partitions to the running transaction (starting one); the error code for all of them. */
  addPartitions(id: string, producerId: number, producerEpoch: number, parts: ReadonlyArray<readonly [string, number]>): Promise<number> {
    return addPartitions(this, id, producerId, producerEpoch, parts);
  }

  endTxn(id: string, producerId: number, producerEpoch: number, commit: boolean): Promise<number> {
    return endTxn(this, id, producerId, producerEpoch, commit);
  }

  /** Writes the Prepare state with `epoch` and starts writing the markers. */
  private prepareEnd(meta: TxnMetadata, commit: boolean, epoch: number): Promise<void> {
    return completion.prepareEnd(this, meta, commit, epoch);
  }

  /** Writes the markers of a Prepare state, then the Complete state (once at a time). */
  private startCompletion(meta: TxnMetadata): Promise<void> {
    return completion.startCompletion(this, meta);
  }

  /**
   * Appends a transaction marker to a partition and applies it (producer state; group offsets for
   * __consumer_offsets). With `checkEpoch` (WriteTxnMarkers from an admin client) a marker older
   * than the producer's epoch in the partition is refused with INVALID_PRODUCER_EPOCH, as Kafka
   * refuses it. Returns the error code (UNKNOWN_TOPIC_OR_PARTITION when the partition is gone).
   */
  async appendMarker(topic: string, partition: number, producerId: number, producerEpoch: number, commit: boolean, coordinatorEpoch: number, checkEpoch: boolean): Promise<number> {
    const broker = this.broker;
    const log = broker.partitions.get(topic, partition);
    if (!log) return ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
    const marker = buildControlBatch(commit ? ControlRecordType.Commit : ControlRecordType.Abort, { producerId, producerEpoch, coordinatorEpoch });
    let refused = false;
    const written = await broker.partitions.appendInOrder(
      log,
      async () => {
        await broker.producerStates.get(log);
      },
      () => {
        const state = broker.producerStates.peek(log)!;
        const current = state.producers.get(producerId)?.epoch ?? -1;
        if (checkEpoch && producerEpoch < current) {
          refused = true;
          return Promise.resolve();
        }
        const res = log.append(marker);
        state.completeTxn(producerId, producerEpoch, res.baseOffset, !commit, Date.now());
        return res.written;
      },
    );
    await written;
    if (refused) return ErrorCode.INVALID_PRODUCER_EPOCH;
    if (topic === CONSUMER_OFFSETS_TOPIC) completeTxnOffsets(broker.groups, partition, producerId, commit);
    return ErrorCode.NONE;
  }

  // -----------------------------------------------------------------------------------------------
  // Produce and TxnOffsetCommit verification

  /**
   * Whether a transactional batch of this producer may go to this partition: its epoch is current
   * and the partition was added to its running transaction. Null when it may, else the error.
   */
  verify(producerId: number, producerEpoch: number, topic: string, partition: number): { code: number; message: string } | null {
    return this.table.verify(producerId, producerEpoch, topic, partition);
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
        const epoch = meta.producerEpoch < MAX_EPOCH ? meta.producerEpoch + 1 : meta.producerEpoch;
        await this.prepareEnd(meta, false, epoch);
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
        await this.stateLog.append(meta.transactionalId, encodeTxnKey(meta.transactionalId), null);
        meta.state = 'Dead';
        this.table.remove(meta.transactionalId);
        this.logger.info({ transactionalId: meta.transactionalId }, 'transactional id expired');
      }).catch((err: unknown) => this.logger.warn({ transactionalId: meta.transactionalId, err: (err as Error).message }, 'expiring a transactional id failed'));
    }
  }

  /** Stops the timers and lets markers being written finish (bounded). */
  async shutdown(): Promise<void> {
    this.stopping = true;
    if (this.abortTimer) clearTimeout(this.abortTimer);
    if (this.expireTimer) clearTimeout(this.expireTimer);
    const pending = [...this.txns.values()].map((m) => m.completion).filter((p): p is Promise<void> => p !== null);
    if (pending.length === 0) return;
    await Promise.race([Promise.allSettled(pending), new Promise((r) => setTimeout(r, 3000).unref())]);
  }
}
