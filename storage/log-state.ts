/**
 * The state of one partition log and what moves it (PartitionLog, partition-log.ts, extends it
 * with the operations callers use): its segments (segment-list.ts), its one ordered writer
 * (log-writer.ts: queue, group commit, flush policy, O_DSYNC), its offsets, the append promises
 * (pending-appends.ts), readers' data waiters (data-waiters.ts), its leader-epoch cache and the
 * lifecycle; the older end of the log (log start offset, retention, DeleteRecords) is
 * log-maintenance.ts.
 *
 * Ends, from the writer's reports written(up to an offset) and durable(up to an offset): the
 * visible end advances only after the write completed and, when flush.messages = 1 (Runnel's
 * default), after the sync too. So a reader never sees a partial write, and by default never sees
 * data a crash could take back. In single-node mode the high watermark is the visible end; in
 * replicated mode (replicated-high-watermark.ts) the replication layer moves it, and is told of
 * every report.
 *
 * Failures (the writer stops and reports; this class decides): a failed or torn write rejects the
 * affected appends and everything queued behind them (their offsets are void) with
 * KAFKA_STORAGE_ERROR, truncates the file back to the last good position and rewinds the log end
 * offset; the log stays online if the truncate worked. A failed fsync rejects every append not yet
 * durable, and the partition goes offline for writes (after a failed fsync the page cache can no
 * longer be trusted: Kafka marks the log dir offline). Reads of what was acknowledged keep working.
 *
 * Truncation (the file work is log-truncation.ts) runs on the maintenance chain with appends
 * refused and the writer drained, then moves every end back and persists the epoch checkpoint and
 * (afterTruncation) the log manager's checkpoints before appends resume; a failed step takes the
 * log offline.
 *
 * No on-disk format lives here (segment.ts, leader-epoch-checkpoint.ts).
 */
import { ErrorCode, KafkaError } from '../protocol/errors.js';
import { DataWaiters } from './data-waiters.js';
import { Deferred } from './deferred.js';
import { storageError } from './errors.js';
import { FdCache } from './fd-cache.js';
import { type StorageFs, realFs } from './fs.js';
import { type LogConfig, validateLogConfig } from './log-config.js';
import { type StorageLogger, silentLogger } from './logger.js';
import type { LogMaintenance } from './log-maintenance.js';
import type { LeaderEpochCache } from './leader-epoch-cache.js';
import { LogWriter, type RollMarker, type WriteFailure, type WriterEvents } from './log-writer.js';
import type { PartitionLogOptions } from './partition-log-options.js';
import { PendingAppends, type QueuedAppend } from './pending-appends.js';
import type { ReplicatedHighWatermark } from './replicated-high-watermark.js';
import type { LogSegment } from './segment.js';
import type { SegmentList } from './segment-list.js';

/** 'truncating': a truncation runs; appends are refused until it is done. */
type State = 'online' | 'truncating' | 'offline' | 'closing' | 'closed';

const noop = () => {};

export class LogState implements WriterEvents<QueuedAppend> {
  readonly topic: string;
  readonly partition: number;
  readonly dir: string;
  config: LogConfig;

  /** @internal The file system seam (cleaner, retention, segment list). */
  readonly storageFs: StorageFs;
  /** @internal The fd cache shared with the other logs of the LogManager. */
  readonly fds: FdCache;
  private _logger: StorageLogger | null = null;
  protected readonly opts: PartitionLogOptions;

  protected segs!: SegmentList;
  /**
   * The writer and the append bookkeeping are made on first use (the getters below): most of a
   * 10,000-partition broker's logs are opened and never written before the next stop, and the
   * two with their queues were ~400 bytes a partition, 4 MB of objects a start allocated, kept and
   * had the GC copy (W5's restart: +11-15% CPU against f626e7e). A roll queues a new active segment,
   * so the writer is made before that (ensureWriter): it starts on the segment active at open.
   */
  protected _writer: LogWriter<QueuedAppend> | null = null;
  private _pending: PendingAppends | null = null;
  /** The log start offset, retention, DeleteRecords and the maintenance chain. */
  protected maint!: LogMaintenance;
  /** Which leader epoch began where (leader-epoch-cache.ts). */
  protected epochs!: LeaderEpochCache;
  protected state: State = 'online';
  protected failed = false;

  protected _nextOffset = 0; // next offset to assign
  protected writtenEnd = 0; // offset after the last written batch
  protected _visibleEnd = 0; // end of what readers may see; the high watermark unless replicated
  protected flushedEnd = 0; // offset below which everything is fsynced
  /** Fetches parked until the high watermark passes their offset (data-waiters.ts). */
  /** The logger as a function, for the parts that log rarely (one closure per log, shared by them). */
  protected readonly loggerFn = (): StorageLogger => this.logger;
  protected readonly dataWaiters = new DataWaiters(this.loggerFn);
  /** Replicated mode: the high watermark the replication layer moves; null in single-node mode. */
  protected repl: ReplicatedHighWatermark | null = null;
  /** The truncation running (state 'truncating'): flush() waits for it. */
  protected truncation: Promise<unknown> | null = null;

  protected constructor(opts: PartitionLogOptions) {
    this.opts = opts;
    this.topic = opts.topic;
    this.partition = opts.partition;
    this.dir = opts.dir;
    validateLogConfig(opts.config);
    this.config = opts.config;
    this.storageFs = opts.fs ?? realFs;
    this.fds = opts.fdCache ?? new FdCache(this.storageFs, 1000);
  }

  /** Child logger, created on first use (10,000 idle partitions need none). */
  protected get logger(): StorageLogger {
    this._logger ??= (this.opts.logger ?? silentLogger()).child({ topic: this.topic, partition: this.partition });
    return this._logger;
  }

  get logStartOffset(): number {
    return this.maint.startOffset;
  }
  /** End of what consumers may read: the visible end, or in replicated mode the owner's value. */
  get highWatermark(): number {
    return this.repl === null ? this._visibleEnd : this.repl.hw;
  }

  protected get writer(): LogWriter<QueuedAppend> {
    return this._writer ?? this.ensureWriter();
  }

  protected get pending(): PendingAppends {
    return (this._pending ??= new PendingAppends());
  }

  /** The writer, made now if it was not yet: on the active segment, after the last written offset. */
  protected ensureWriter(): LogWriter<QueuedAppend> {
    this._writer ??= new LogWriter<QueuedAppend>({
      fs: this.storageFs,
      fdCache: this.fds,
      segment: this.segs.active,
      end: this.writtenEnd,
      config: this.config,
      onFsync: this.opts.onFsync,
      events: this,
    });
    return this._writer;
  }

  recoveredBytes = 0; // bytes scanned by unclean recovery while opening
  truncatedBytes = 0;

  /** Why append() refuses (cold path). */
  protected notWritable(): KafkaError {
    const name = `${this.topic}-${this.partition}`;
    // Truncation happens when leadership moved: the producer should look for the leader again.
    if (this.state === 'truncating') return new KafkaError(ErrorCode.NOT_LEADER_OR_FOLLOWER, `log ${name} is being truncated`);
    return storageError(this.state === 'offline' ? `log ${name} is offline` : `log ${name} is closed`);
  }

  /** @internal The durable promise of an append under a relaxed flush policy, made on first access. */
  durableOf(e: QueuedAppend): Promise<void> {
    return this.pending.durableOf(e, this.flushedEnd, this.state === 'offline');
  }

  // -------------------------------------------------------------------------------------------
  // What the writer reports (WriterEvents, @internal), and what it means

  onWritten(group: readonly QueuedAppend[], end: number, syncing: boolean): void {
    this.writtenEnd = end;
    this.pending.written(group);
    // Appends queued under a relaxed policy are visible once written; the others after their sync.
    // (A write `syncing` through O_DSYNC reports onDurable or a failure next: one report then.)
    if (!syncing) this.advanceVisibleEnd(this.pending.visibleWithoutSync());
  }

  onDurable(end: number): void {
    this.flushedEnd = end;
    this.pending.durable(end);
    this.advanceVisibleEnd(end);
  }

  /**
   * Makes the written appends below `to` visible (in order). Single-node: that is the high
   * watermark, so readers waiting for data wake. Replicated: the owner hears of every report.
   */
  private advanceVisibleEnd(to: number): void {
    if (to > this._visibleEnd) {
      const end = this.pending.reveal(to);
      if (end >= 0) {
        this._visibleEnd = end;
        if (this.repl === null) {
          this.dataWaiters.fire(end);
          return;
        }
      }
    }
    if (this.repl !== null) this.repl.endsMoved(this._visibleEnd);
  }

  onWriterFailed(f: WriteFailure<QueuedAppend>): Promise<void> | void {
    switch (f.kind) {
      case 'write':
        return this.onWriteFailure(f.seg, f.group, f.err);
      case 'sync':
        return this.onFsyncFailure(f.seg, f.err);
      case 'create':
        this.logger.error({ err: f.err, segment: f.seg.baseOffset }, 'creating segment failed');
        this.pending.failQueued(this.writer.takeQueued(), storageError('creating segment failed', f.err));
        this.rewind();
        return;
      case 'internal':
        this.logger.error({ err: f.err }, 'unexpected error in log writer');
        this.goOffline(f.err);
    }
  }

  /** After a failure: forget segments that were queued but never created; LEO back to written end. */
  private rewind(): void {
    this.segs.dropUncreated(this.writer.segment);
    this.writer.segment.rollbackQueued();
    this._nextOffset = this.writtenEnd;
    // An epoch that began among the void offsets begins again with the next append.
    this.epochs.truncateFromEnd(this._nextOffset);
  }

  private async onWriteFailure(seg: LogSegment, group: QueuedAppend[], e: unknown): Promise<void> {
    this.logger.error({ err: e, segment: seg.baseOffset, position: seg.writtenSize }, 'segment write failed; rejecting appends');
    // Synchronously, before anyone can append again: take the void appends out and rewind the
    // offsets. New appends get valid offsets and queue behind the truncate (the writer waits).
    const victims: Array<QueuedAppend | RollMarker> = [...group, ...this.writer.takeQueued()];
    this.rewind();
    try {
      await this.writer.truncateFile(seg, seg.writtenSize);
    } catch (e2) {
      this.logger.error({ err: e2 }, 'truncating after failed write failed');
      this.goOffline(e2);
    }
    this.pending.failQueued(victims, storageError('write failed', e));
    this.opts.onWriteFailed?.(this, e);
  }

  private async onFsyncFailure(seg: LogSegment, e: unknown): Promise<void> {
    this.logger.error({ err: e, segment: seg.baseOffset }, 'fsync failed; log goes offline for writes');
    // Appends written but not yet visible are void: take them back off the file.
    const covered = this.pending.takeAwaitingDurable();
    const notVisible = this.pending.takeNotVisible();
    const queued = this.writer.takeQueued();
    const first = notVisible[0];
    if (first) {
      first.seg.truncateWritten(first.position, this._visibleEnd);
      this.writtenEnd = this._visibleEnd;
    }
    this.rewind();
    this.goOffline(e);
    // Offline anyway if this fails: recovery at the next start truncates whatever is invalid.
    if (first) await this.writer.truncateFile(first.seg, first.position).catch(noop);
    const err = storageError('fsync failed', e);
    for (const c of covered) this.pending.fail(c, err, false);
    for (const c of notVisible) this.pending.fail(c, err);
    this.pending.failQueued(queued, err);
  }

  private goOffline(err: unknown): void {
    if (this.state === 'offline' || this.state === 'closed') return;
    this.state = 'offline';
    this.failed = true;
    const kerr = storageError('log is offline', err);
    this.pending.failQueued(this.writer.takeQueued(), kerr);
    this.writer.fail(kerr);
    this.pending.failDurable(kerr);
    this.opts.onOffline?.(this, err);
  }

  /** Waits until everything appended so far is written and fsynced. */
  flush(): Promise<void> {
    // The writer must be idle while a truncation restarts it: flush after it instead.
    if (this.state === 'truncating') return this.truncation!.then(() => this.flush(), () => this.flush());
    if (this.state === 'offline') return Promise.reject(storageError('log is offline'));
    if (this.state === 'closed') return Promise.resolve();
    // No writer yet: nothing was written since the log opened, so nothing awaits a sync.
    return this._writer === null ? Promise.resolve() : this._writer.flush();
  }

  // -------------------------------------------------------------------------------------------
  // Truncation runs

  /** After a cut, the writer idle: every end is `end`, writing goes on in `active`. */
  protected restartEnds(active: LogSegment, end: number): void {
    this._nextOffset = this.writtenEnd = this._visibleEnd = this.flushedEnd = end;
    this.writer.restartAt(active, end);
    this.epochs.truncateFromEnd(end);
    this.maint.endMovedBack(end);
    this.repl?.truncated(end);
  }

  /**
   * Runs `cut` (true: it changed the log) as a truncation: on the maintenance chain, appends
   * refused, the writer drained; then the epoch checkpoint and the log manager's checkpoints, and
   * only then appends resume and waiters and the owner hear of it.
   */
  protected runTruncation(offset: number, cut: () => Promise<boolean>): Promise<number> {
    if (!Number.isSafeInteger(offset) || offset < 0) return Promise.reject(new KafkaError(ErrorCode.OFFSET_OUT_OF_RANGE, `cannot truncate to offset ${offset}`));
    return this.maint.run(async () => {
      if (this.state !== 'online') throw this.notWritable();
      this.state = 'truncating';
      const done = new Deferred();
      this.truncation = done.promise;
      let changed = false;
      try {
        await this.writer.flush(); // everything appended so far is in the file and synced
        await this.writer.finish();
        changed = await this.failOffline('truncation', cut);
        if (changed) await this.persistCut();
      } finally {
        if (this.state === 'truncating') this.state = 'online';
        this.truncation = null;
        done.resolve();
      }
      if (changed) {
        this.dataWaiters.fire(this.highWatermark);
        this.repl?.endsMoved(this._visibleEnd);
      }
      return this._nextOffset;
    });
  }

  /** The cut is on disk: the epoch checkpoint, then the log manager's checkpoints. */
  private async persistCut(): Promise<void> {
    this.logger.info({ logEndOffset: this._nextOffset, logStartOffset: this.maint.startOffset }, 'log truncated');
    // A failed epoch write removes the file: the next load rebuilds it from the log (and the
    // manager checkpoints this log's recovery point at its start, so all of it is rescanned).
    await this.epochs.flush().catch((e) => this.logger.error({ err: e }, 'writing the leader-epoch-checkpoint after truncation failed'));
    const hook = this.opts.afterTruncation;
    if (hook) await this.failOffline('checkpoints after truncation', () => hook(this));
  }

  /** Runs `fn`; if it fails the log goes offline (its files are in doubt) and a storage error is thrown. */
  private async failOffline<T>(what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      this.logger.error({ err: e }, `${what} failed; log goes offline`);
      this.goOffline(e);
      throw storageError(`${what} failed`, e);
    }
  }

  // -------------------------------------------------------------------------------------------
  // Close

  /**
   * Flushes, persists the active segment's indexes and closes fds; further appends throw.
   * `createEpochFile: false` (a clean shutdown, whose summary carries the entries) leaves a
   * leader-epoch-checkpoint that does not exist yet uncreated (leader-epoch-cache.ts).
   */
  async close(opts?: { createEpochFile?: boolean }): Promise<void> {
    if (this.state === 'closed' || this.state === 'closing') return;
    const flushed = this.state === 'offline' ? null : this.flush();
    this.state = 'closing';
    const writer = this._writer; // none: never written since it opened (no roll either)
    writer?.beginClose();
    await flushed?.catch((e) => this.logger.error({ err: e }, 'flush on close failed'));
    await writer?.finish();
    const segment = writer?.segment ?? this.segs.active;
    if (!this.failed && segment.fileCreated) {
      await segment.persistIndexes(this.storageFs, true).catch((e) => this.logger.error({ err: e }, 'persisting indexes on close failed'));
    }
    await this.maint.idle();
    await this.epochs.flush({ createFile: opts?.createEpochFile ?? true }).catch((e) => {
      // No clean-shutdown marker then: the next start recovers this log, re-reading its epochs.
      this.logger.error({ err: e }, 'writing the leader-epoch-checkpoint on close failed');
      this.failed = true;
    });
    await this.epochs.close();
    this.state = 'closed';
    await this.closeFds();
  }

  /** Writes the leader-epoch-checkpoint if it lags (the log manager, before each recovery-point checkpoint). */
  flushLeaderEpochs(): Promise<void> {
    return this.epochs.flush();
  }

  /** @internal Stops writes without flushing (topic deletion). */
  async abandon(): Promise<void> {
    if (this.state === 'closed') return;
    this.state = 'closing';
    const writer = this._writer;
    if (writer !== null) {
      writer.beginClose();
      this.pending.failQueued(writer.takeQueued(), new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, 'partition deleted'));
      await writer.finish();
    }
    await this.maint.idle();
    // No checkpoint write may land after the directory is renamed for deletion.
    await this.epochs.close();
    this.state = 'closed';
  }

  /** @internal Resolves when no segment of this log is pinned by a reader. */
  whenUnpinned(): Promise<void> {
    return this.segs.whenUnpinned();
  }

  /** @internal Points every segment at a renamed directory (topic deletion). */
  movedTo(newDir: string): void {
    this.segs.relocate(this.dir, newDir);
  }

  /** @internal */
  closeFds(): Promise<void> {
    return this.segs.closeFds();
  }
}
