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
 */
import { join } from 'node:path';
import { ErrorCode, KafkaError } from '../../protocol/errors.js';
import { buildControlBatch } from '../../protocol/records/builder.js';
import { ControlRecordType } from '../../protocol/records/records.js';
import { completeTxnOffsets } from '../groups/txn-offsets.js';
import type { Logger } from '../logger.js';
import { readTextIfExists } from '../../storage/fs.js';
import { CONSUMER_OFFSETS_TOPIC } from '../metadata/topic-manager.js';
import { decodeTxnKey, decodeTxnValue, encodeTxnKey, encodeTxnValue, type TxnLogValue, type TxnState } from './records.js';
import type { TransactionCoordinatorDeps } from './coordinator-deps.js';
import { TransactionStateLog } from './txn-log.js';
import { TransactionalPartitions } from './txn-partitions.js';

const MAX_EPOCH = 32767;
/** Written by InitProducerId before transactions were served; imported once (read only). */
const LEGACY_IDS_FILE = 'transactional-ids.json';
const DEFAULT_TIMEOUT_MS = 60000;
const MAX_TIMER_MS = 2 ** 31 - 1;

export interface TxnMetadata {
  readonly transactionalId: string;
  producerId: number;
  producerEpoch: number;
  /** The epoch before the last bump (-1: none): a retried InitProducerId is recognised by it. */
  lastProducerEpoch: number;
  timeoutMs: number;
  state: TxnState;
  /** topic → partitions of the running (or completing) transaction. */
  partitions: Map<string, Set<number>>;
  /** -1 when no transaction ran yet. */
  startTimestamp: number;
  lastUpdateTimestamp: number;
  /** Markers being written (Prepare states). */
  completion: Promise<void> | null;
}

export interface InitResult {
  errorCode: number;
  producerId: number;
  producerEpoch: number;
}

type Step<T> = { kind: 'done'; value: T } | { kind: 'wait'; promise: Promise<void> };

function partitionsToLog(parts: Map<string, Set<number>>): Map<string, number[]> {
  return new Map([...parts].map(([t, s]) => [t, [...s].sort((a, b) => a - b)]));
}

/** Maps a failed __transaction_state write to the (retriable) error Kafka answers. */
function writeError(err: unknown): number {
  const code = err instanceof KafkaError ? err.code : ErrorCode.UNKNOWN_SERVER_ERROR;
  if (code === ErrorCode.KAFKA_STORAGE_ERROR || code === ErrorCode.NOT_COORDINATOR) return ErrorCode.NOT_COORDINATOR;
  return ErrorCode.COORDINATOR_NOT_AVAILABLE;
}

export class TransactionCoordinator {
  readonly txns = new Map<string, TxnMetadata>();
  private readonly byProducerId = new Map<number, TxnMetadata>();
  private readonly locks = new Map<string, Promise<unknown>>();
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
    if (!coord.partitions.fromFile && coord.stateLog.exists()) {
      // Transactions were used but the list of their partitions is gone: assume any may hold some.
      logger.warn('transactional-partitions.json is missing: every existing partition is treated as possibly transactional');
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
        this.remove(id);
        return;
      }
      this.set(id, v);
    });
    // Producer ids InitProducerId handed out before transactions were served.
    const legacy = await readTextIfExists(this.broker.stateFs, join(this.broker.dataDir, LEGACY_IDS_FILE));
    if (legacy) {
      for (const [id, e] of Object.entries(JSON.parse(legacy) as Record<string, { producerId: number; producerEpoch: number; transactionTimeoutMs?: number }>)) {
        if (this.txns.has(id)) continue;
        const now = Date.now();
        this.set(id, { producerId: e.producerId, producerEpoch: e.producerEpoch, timeoutMs: e.transactionTimeoutMs ?? DEFAULT_TIMEOUT_MS, state: 'Empty', partitions: new Map(), lastUpdateTimestamp: now, startTimestamp: -1 });
      }
    }
    return records;
  }

  private set(id: string, v: TxnLogValue): TxnMetadata {
    let meta = this.txns.get(id);
    if (!meta) {
      meta = { transactionalId: id, producerId: -1, producerEpoch: -1, lastProducerEpoch: -1, timeoutMs: v.timeoutMs, state: 'Empty', partitions: new Map(), startTimestamp: -1, lastUpdateTimestamp: -1, completion: null };
      this.txns.set(id, meta);
    }
    if (this.byProducerId.get(meta.producerId) === meta) this.byProducerId.delete(meta.producerId);
    if (meta.producerId === v.producerId && v.producerEpoch !== meta.producerEpoch) meta.lastProducerEpoch = meta.producerEpoch;
    else if (meta.producerId !== v.producerId) meta.lastProducerEpoch = -1;
    meta.producerId = v.producerId;
    meta.producerEpoch = v.producerEpoch;
    meta.timeoutMs = v.timeoutMs;
    meta.state = v.state;
    meta.partitions = new Map([...v.partitions].map(([t, ps]) => [t, new Set(ps)]));
    meta.startTimestamp = v.startTimestamp;
    meta.lastUpdateTimestamp = v.lastUpdateTimestamp;
    this.byProducerId.set(meta.producerId, meta);
    return meta;
  }

  private remove(id: string): void {
    const meta = this.txns.get(id);
    if (!meta) return;
    this.txns.delete(id);
    if (this.byProducerId.get(meta.producerId) === meta) this.byProducerId.delete(meta.producerId);
  }

  /** Writes the new state of `id` to __transaction_state, then applies it. */
  private async write(id: string, v: TxnLogValue): Promise<TxnMetadata> {
    await this.stateLog.append(id, encodeTxnKey(id), encodeTxnValue(v));
    return this.set(id, v);
  }

  private valueOf(meta: TxnMetadata, changes: Partial<TxnLogValue>): TxnLogValue {
    return {
      producerId: meta.producerId,
      producerEpoch: meta.producerEpoch,
      timeoutMs: meta.timeoutMs,
      state: meta.state,
      partitions: partitionsToLog(meta.partitions),
      lastUpdateTimestamp: Date.now(),
      startTimestamp: meta.startTimestamp,
      ...changes,
    };
  }

  /** Runs `fn` after every earlier operation on `id` finished. */
  private withLock<T>(id: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.locks.get(id) ?? Promise.resolve();
    const run = prev.then(fn, fn);
    const tail = run.then(
      () => undefined,
      () => undefined,
    );
    this.locks.set(id, tail);
    void tail.then(() => {
      if (this.locks.get(id) === tail) this.locks.delete(id);
    });
    return run;
  }

  /** Kafka's producer id/epoch check for AddPartitionsToTxn, AddOffsetsToTxn and EndTxn. */
  private check(meta: TxnMetadata | undefined, producerId: number, producerEpoch: number): number {
    if (!meta || meta.state === 'Dead') return ErrorCode.INVALID_PRODUCER_ID_MAPPING;
    if (meta.producerId !== producerId) return ErrorCode.INVALID_PRODUCER_ID_MAPPING;
    if (meta.producerEpoch !== producerEpoch) return ErrorCode.PRODUCER_FENCED;
    return ErrorCode.NONE;
  }

  // -----------------------------------------------------------------------------------------------
  // InitProducerId

  async initProducerId(id: string, timeoutMs: number, expected: { producerId: number; producerEpoch: number } | null): Promise<InitResult> {
    const fail = (errorCode: number): InitResult => ({ errorCode, producerId: -1, producerEpoch: -1 });
    if (this.stopping) return fail(ErrorCode.NOT_COORDINATOR);
    for (let round = 0; ; round++) {
      let step: Step<InitResult>;
      try {
        step = await this.withLock(id, () => this.initStep(id, timeoutMs, expected));
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
        await this.write(id, this.valueOf(meta, { producerId, producerEpoch, timeoutMs, state: 'Empty', partitions: new Map(), lastUpdateTimestamp: now, startTimestamp: -1 }));
        return done(ErrorCode.NONE, producerId, producerEpoch);
      }
      default:
        return done(ErrorCode.CONCURRENT_TRANSACTIONS);
    }
  }

  // -----------------------------------------------------------------------------------------------
  // AddPartitionsToTxn / AddOffsetsToTxn

  /** Adds partitions to the running transaction (starting one); the error code for all of them. */
  addPartitions(id: string, producerId: number, producerEpoch: number, parts: ReadonlyArray<readonly [string, number]>): Promise<number> {
    if (this.stopping) return Promise.resolve(ErrorCode.NOT_COORDINATOR);
    return this.withLock(id, async () => {
      const meta = this.txns.get(id);
      const invalid = this.check(meta, producerId, producerEpoch);
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
        await this.partitions.add(parts);
        const next = m.state === 'Ongoing' ? new Map([...m.partitions].map(([t, s]) => [t, new Set(s)])) : new Map<string, Set<number>>();
        for (const [t, p] of parts) {
          let s = next.get(t);
          if (!s) next.set(t, (s = new Set()));
          s.add(p);
        }
        const now = Date.now();
        await this.write(id, this.valueOf(m, { state: 'Ongoing', partitions: partitionsToLog(next), lastUpdateTimestamp: now, startTimestamp: m.state === 'Ongoing' ? m.startTimestamp : now }));
      } catch (err) {
        this.logger.warn({ transactionalId: id, err: (err as Error).message }, 'adding partitions to a transaction failed');
        return writeError(err);
      }
      return ErrorCode.NONE;
    });
  }

  // -----------------------------------------------------------------------------------------------
  // EndTxn

  async endTxn(id: string, producerId: number, producerEpoch: number, commit: boolean): Promise<number> {
    if (this.stopping) return ErrorCode.NOT_COORDINATOR;
    let step: Step<number>;
    try {
      step = await this.withLock(id, async (): Promise<Step<number>> => {
        const done = (code: number): Step<number> => ({ kind: 'done', value: code });
        const meta = this.txns.get(id);
        const invalid = this.check(meta, producerId, producerEpoch);
        if (invalid !== ErrorCode.NONE) return done(invalid);
        const m = meta!;
        switch (m.state) {
          case 'Ongoing':
            await this.prepareEnd(m, commit, m.producerEpoch);
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
      this.logger.warn({ transactionalId: id, err: (err as Error).message }, 'EndTxn failed');
      return writeError(err);
    }
    if (step.kind === 'done') return step.value;
    // The decision is durable (Prepare state written): a marker that fails now is retried by the
    // coordinator, so the producer is told the transaction ended either way, as Kafka does.
    await step.promise.catch(() => undefined);
    return ErrorCode.NONE;
  }

  /** Writes the Prepare state with `epoch` and starts writing the markers. */
  private async prepareEnd(meta: TxnMetadata, commit: boolean, epoch: number): Promise<void> {
    await this.write(meta.transactionalId, this.valueOf(meta, { producerEpoch: epoch, state: commit ? 'PrepareCommit' : 'PrepareAbort' }));
    void this.startCompletion(meta).catch(() => undefined);
  }

  /** Writes the markers of a Prepare state, then the Complete state (once at a time). */
  private startCompletion(meta: TxnMetadata): Promise<void> {
    if (meta.completion) return meta.completion;
    const commit = meta.state === 'PrepareCommit';
    const { producerId, producerEpoch } = meta;
    const parts = [...meta.partitions].flatMap(([t, s]) => [...s].map((p) => [t, p] as const));
    const run = (async () => {
      await Promise.all(parts.map(([t, p]) => this.writeMarker(t, p, producerId, producerEpoch, commit)));
      await this.write(meta.transactionalId, this.valueOf(meta, { state: commit ? 'CompleteCommit' : 'CompleteAbort', partitions: new Map() }));
      this.logger.debug({ transactionalId: meta.transactionalId, producerId, result: commit ? 'commit' : 'abort', partitions: parts.length }, 'transaction completed');
    })();
    meta.completion = run;
    run.then(
      () => {
        meta.completion = null;
      },
      (err: unknown) => {
        meta.completion = null;
        this.logger.error({ transactionalId: meta.transactionalId, err: (err as Error).message }, 'writing transaction markers failed; will retry');
      },
    );
    return run;
  }

  /** Appends a COMMIT/ABORT marker to one partition (a deleted topic has nothing to mark). */
  private async writeMarker(topic: string, partition: number, producerId: number, producerEpoch: number, commit: boolean): Promise<void> {
    await this.appendMarker(topic, partition, producerId, producerEpoch, commit, 0, false);
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
    const meta = this.byProducerId.get(producerId);
    if (meta && producerEpoch < meta.producerEpoch) {
      return { code: ErrorCode.INVALID_PRODUCER_EPOCH, message: `Producer ${producerId} epoch ${producerEpoch} is older than the current epoch ${meta.producerEpoch}` };
    }
    if (!meta || meta.state !== 'Ongoing' || producerEpoch !== meta.producerEpoch || !meta.partitions.get(topic)?.has(partition)) {
      return { code: ErrorCode.INVALID_TXN_STATE, message: `Partition ${topic}-${partition} is not part of an ongoing transaction of producer ${producerId}` };
    }
    return null;
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
      await this.withLock(meta.transactionalId, async () => {
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
      await this.withLock(meta.transactionalId, async () => {
        if (this.txns.get(meta.transactionalId) !== meta || now - meta.lastUpdateTimestamp <= maxIdle) return;
        if (!(meta.state === 'Empty' || meta.state === 'CompleteCommit' || meta.state === 'CompleteAbort')) return;
        await this.stateLog.append(meta.transactionalId, encodeTxnKey(meta.transactionalId), null);
        meta.state = 'Dead';
        this.remove(meta.transactionalId);
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
