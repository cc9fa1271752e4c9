/**
 * One partition's log: a directory of segments (segment.ts) written by one ordered writer
 * (log-writer.ts: queue, group commit, flush policy, O_DSYNC). This class owns the offsets,
 * the append promises (pending-appends.ts), readers' data waiters (data-waiters.ts) and the lifecycle; the older end
 * of the log (log start offset, retention, DeleteRecords) is log-maintenance.ts.
 *
 * Append path (no per-record work; only the 61-byte batch header is touched): append() assigns
 * offsets synchronously, stamps baseOffset and partitionLeaderEpoch into the batch in place
 * (neither is covered by the CRC), decides segment roll and index entry by size arithmetic, and
 * queues the buffer with the writer.
 *
 * Visibility: the writer reports written(up to an offset) and durable(up to an offset); the high
 * watermark (end of what readers may see) advances only after the write completed and, when
 * flush.messages = 1 (Runnel's default), after the sync too. So a reader never sees a partial
 * write, and by default never sees data a crash could take back.
 *
 * Failures (the writer stops and reports; this class decides): a failed or torn write rejects the
 * affected appends and everything queued behind them (their offsets are void) with
 * KAFKA_STORAGE_ERROR, truncates the file back to the last good position and rewinds the log end
 * offset; the log stays online if the truncate worked. A failed fsync rejects every append not yet
 * durable, and the partition goes offline for writes (after a failed fsync the page cache can no
 * longer be trusted: Kafka marks the log dir offline). Reads of what was acknowledged keep working.
 *
 * Leader epochs: the log holds its leader-epoch cache (leader-epoch-cache.ts; file
 * leader-epoch-checkpoint.ts) and keeps it in step with the batches — loaded (or rebuilt from the
 * batch headers) at open (leader-epoch-load.ts), told of each appended batch's epoch, cut back
 * when the log end moves back after a failed write and forward when the log start moves.
 *
 * Files: see segment.ts (.log/.index/.timeindex) and leader-epoch-checkpoint.ts; this module
 * writes no other format.
 */
import { ErrorCode, KafkaError } from '../protocol/errors.js';
import { ATTR_TIMESTAMP_TYPE, BATCH_HEADER_SIZE, OFF_ATTRIBUTES, batch, restampCrc } from '../protocol/records/batch.js';
import { DataWaiters } from './data-waiters.js';
import { Deferred } from './deferred.js';
import { storageError } from './errors.js';
import { FdCache } from './fd-cache.js';
import { type StorageFs, realFs } from './fs.js';
import { type LogConfig, validateLogConfig } from './log-config.js';
import { type StorageLogger, silentLogger } from './logger.js';
import { type LogView, type ReadOptions, type ReadResult, readSlices, retryRetired, sliceBatches } from './log-reader.js';
import { LogMaintenance } from './log-maintenance.js';
import type { LeaderEpochCache } from './leader-epoch-cache.js';
import { loadLeaderEpochs } from './leader-epoch-load.js';
import { LogWriter, type RollMarker, type WriteFailure, type WriterEvents } from './log-writer.js';
import type { PartitionLogOptions } from './partition-log-options.js';
import { type AppendResult, LazyDurableAppend, PendingAppends, type QueuedAppend } from './pending-appends.js';
import { loadSegments } from './recovery.js';
import { shouldRoll } from './roll-policy.js';
import { LogSegment } from './segment.js';
import { SegmentList } from './segment-list.js';
import { findMaxTimestampOffset, findOffsetForTimestamp } from './timestamp-lookup.js';

export type { ReadOptions, ReadResult } from './log-reader.js';
export type { AppendResult } from './pending-appends.js';
export type { PartitionLogOptions } from './partition-log-options.js';

type State = 'online' | 'offline' | 'closing' | 'closed';

const noop = () => {};

export class PartitionLog implements WriterEvents<QueuedAppend> {
  readonly topic: string;
  readonly partition: number;
  readonly dir: string;
  config: LogConfig;

  /** @internal The file system seam (cleaner, retention, segment list). */
  readonly storageFs: StorageFs;
  /** @internal The fd cache shared with the other logs of the LogManager. */
  readonly fds: FdCache;
  private _logger: StorageLogger | null = null;
  private readonly opts: PartitionLogOptions;

  private segs!: SegmentList;
  private writer!: LogWriter<QueuedAppend>;
  private readonly pending = new PendingAppends();
  /** The log start offset, retention, DeleteRecords and the maintenance chain. */
  private maint!: LogMaintenance;
  /** Which leader epoch began where (leader-epoch-cache.ts). */
  private epochs!: LeaderEpochCache;
  private state: State = 'online';
  private failed = false;

  private _nextOffset = 0; // next offset to assign
  private writtenEnd = 0; // offset after the last written batch
  private _hw = 0; // visible end
  private flushedEnd = 0; // offset below which everything is fsynced
  /** Fetches parked until the high watermark passes their offset (data-waiters.ts). */
  private readonly dataWaiters = new DataWaiters(() => this.logger);

  private constructor(opts: PartitionLogOptions) {
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
  private get logger(): StorageLogger {
    this._logger ??= (this.opts.logger ?? silentLogger()).child({ topic: this.topic, partition: this.partition });
    return this._logger;
  }

  /** Opens (and if needed recovers) the partition directory, which must exist. */
  static async open(opts: PartitionLogOptions): Promise<PartitionLog> {
    const log = new PartitionLog(opts);
    await log.load();
    return log;
  }

  recoveredBytes = 0; // bytes scanned by unclean recovery while opening
  truncatedBytes = 0;

  private async load(): Promise<void> {
    const fs = this.opts.loadFs ?? this.storageFs;
    if (this.opts.createDir !== false) await fs.mkdir(this.dir);
    const epochs = await loadLeaderEpochs({ dir: this.dir, fs: this.storageFs, loadFs: fs, logger: () => this.logger, logEndOffset: () => this._nextOffset });
    this.epochs = epochs.cache;
    const res = await loadSegments({
      dir: this.dir,
      fs,
      fdCache: this.fds,
      logger: () => this.logger, // only materialised if recovery has something to say
      config: this.config,
      clean: this.opts.cleanShutdown ?? false,
      recoveryPoint: this.opts.recoveryPoint ?? 0,
      logStartOffset: this.opts.logStartOffset ?? 0,
      // Batches above the recovery point may belong to epochs the file does not have yet.
      onRecoveredBatch: epochs.onRecoveredBatch,
    });
    this.segs = new SegmentList(res.segments, this);
    this.recoveredBytes = res.recoveredBytes;
    this.truncatedBytes = res.truncatedBytes;
    const active = this.segs.active;
    this._nextOffset = this.writtenEnd = this._hw = this.flushedEnd = active.nextOffset;
    this.writer = new LogWriter<QueuedAppend>({
      fs: this.storageFs,
      fdCache: this.fds,
      segment: active,
      end: this.writtenEnd,
      config: this.config,
      onFsync: this.opts.onFsync,
      events: this,
    });
    this.maint = new LogMaintenance(this, this.segs, res.logStartOffset, (l) => {
      this.epochs.truncateFromStart(this.maint.startOffset);
      this.opts.onLogStartOffsetChanged?.(l);
    });
    await epochs.finish({ segments: this.segs.all, fs, fdCache: this.fds, intervalBytes: this.config.indexIntervalBytes }, this.maint.startOffset, this._nextOffset);
  }

  get logStartOffset(): number {
    return this.maint.startOffset;
  }
  /** Compaction: offset up to which the log has been cleaned (exclusive). */
  get cleanerCheckpoint(): number {
    return this.maint.cleanerCheckpoint;
  }
  set cleanerCheckpoint(offset: number) {
    this.maint.cleanerCheckpoint = offset;
  }
  /** The next offset to assign: appends queued but not yet written are counted (Kafka's LEO). */
  get logEndOffset(): number {
    return this._nextOffset;
  }
  /**
   * Offset after the last batch whose write completed (≤ logEndOffset): what a leader could send
   * a follower (replication, later). Nothing reads it yet.
   */
  get writtenEndOffset(): number {
    return this.writtenEnd;
  }
  /**
   * Offset below which every batch is fsynced (= recoveryPoint). Under the default flush policy a
   * follower will report this as its end offset to its leader, so acks=all means fsynced on the
   * whole ISR (DESIGN.md §5).
   */
  get durableEndOffset(): number {
    return this.flushedEnd;
  }
  /** Which leader epoch began where; the Partition layer (src/replica) assigns epochs through it. */
  get leaderEpochs(): LeaderEpochCache {
    return this.epochs;
  }
  get highWatermark(): number {
    return this._hw;
  }
  /** Offset below which every batch is fsynced (what recovery-point-offset-checkpoint records). */
  get recoveryPoint(): number {
    return this.flushedEnd;
  }
  get isOffline(): boolean {
    return this.state === 'offline';
  }
  /**
   * True once the log went offline, even after close, or when close could not write its
   * leader-epoch-checkpoint (no clean-shutdown marker then).
   */
  get hasFailed(): boolean {
    return this.failed;
  }
  get isClosed(): boolean {
    return this.state === 'closed' || this.state === 'closing';
  }
  /** Total bytes of all segments. */
  get size(): number {
    return this.segs.totalSize;
  }
  /** Segment base offsets, oldest first (tests, admin). */
  segmentBaseOffsets(): number[] {
    return this.segs.all.map((s) => s.baseOffset);
  }
  /** @internal Snapshot of the segment list (cleaner, retention, tests). */
  segmentList(): readonly LogSegment[] {
    return this.segs.all;
  }
  /** @internal */
  get log(): StorageLogger {
    return this.logger;
  }

  updateConfig(c: LogConfig): void {
    validateLogConfig(c);
    this.config = c;
    this.writer.config = c;
  }

  // -------------------------------------------------------------------------------------------
  // Append

  /**
   * Appends one batch as leader: assigns its offsets and stamps `leaderEpoch` into it (default: the
   * log's newest epoch, or 0 for a log that has none). A batch of a new epoch starts that epoch in
   * the leader-epoch cache (Kafka's per-batch assignment; one integer compare otherwise).
   *
   * Replication (later): a follower's `appendAsFollower(batch)` goes beside this one — offsets and
   * epochs come from the leader's batch (checked to continue the log, never assigned), the cache
   * learns each batch's epoch the same way; and `truncateTo(offset)` cuts the log back to where it
   * diverges from the leader's (epochs.truncateFromEnd).
   */
  append(b: Buffer, leaderEpoch?: number): AppendResult {
    if (this.state !== 'online') {
      throw storageError(this.state === 'offline' ? `log ${this.topic}-${this.partition} is offline` : `log ${this.topic}-${this.partition} is closed`);
    }
    const size = b.length;
    if (size < BATCH_HEADER_SIZE || batch.totalSize(b) !== size) throw new KafkaError(ErrorCode.CORRUPT_MESSAGE, 'buffer is not exactly one record batch');
    const lastDelta = batch.lastOffsetDelta(b);
    if (lastDelta < 0) throw new KafkaError(ErrorCode.CORRUPT_MESSAGE, 'negative lastOffsetDelta');
    const cfg = this.config;
    const now = Date.now();
    const base = this._nextOffset;
    const last = base + lastDelta;

    let seg = this.segs.active;
    if (shouldRoll(seg, size, last, now, cfg)) seg = this.queueRoll(base);
    seg.startRollingClock(now);

    const epoch = leaderEpoch ?? Math.max(this.epochs.latestEpoch, 0);
    if (epoch !== this.epochs.latestEpoch) this.epochs.assignFromLog(epoch, base);
    batch.setBaseOffset(b, base);
    batch.setPartitionLeaderEpoch(b, epoch);
    let logAppendTime = -1;
    if (cfg.messageTimestampType === 'LogAppendTime') {
      logAppendTime = now;
      b.writeInt16BE(batch.attributes(b) | ATTR_TIMESTAMP_TYPE, OFF_ATTRIBUTES);
      batch.setMaxTimestamp(b, now);
      restampCrc(b, 0, size);
    }

    const position = seg.reserve(size);
    const indexIt = seg.decideIndex(size, cfg.indexIntervalBytes);
    this._nextOffset = last + 1;

    const waitFsync = cfg.flushMessages <= 1;
    const written = new Deferred();
    const entry: QueuedAppend = { seg, buf: b, position, size, last, maxTs: batch.maxTimestamp(b), records: batch.recordCount(b), indexIt, sync: waitFsync, written, durable: waitFsync ? written : null };
    this.writer.enqueue(entry);
    // Strict policy: a plain object, `durable` is `written`. Relaxed: `durable` is made on first
    // access, through a class getter. (Returning an object literal with a getter from here raised
    // W3's p99 from ~3 to ~6.5 ms even under the strict policy; not pinned down further.)
    if (waitFsync) return { baseOffset: base, lastOffset: last, logAppendTime, written: written.promise, durable: written.promise };
    return new LazyDurableAppend(this, entry, base, last, logAppendTime);
  }

  /** @internal The durable promise of an append under a relaxed flush policy, made on first access. */
  durableOf(e: QueuedAppend): Promise<void> {
    return this.pending.durableOf(e, this.flushedEnd, this.state === 'offline');
  }

  /** Adds a new (not yet created) segment at `base`; the writer creates its file when it gets there. */
  private queueRoll(base: number): LogSegment {
    const seg = LogSegment.fresh(this.dir, base);
    this.segs.add(seg);
    return seg;
  }

  /** Rolls the active segment now (if it has data); resolves once the new segment exists. */
  roll(): Promise<void> {
    if (this.state !== 'online') return Promise.reject(storageError('log is not writable'));
    if (this.segs.active.isEmpty) return Promise.resolve();
    return this.writer.roll(this.queueRoll(this._nextOffset));
  }

  // -------------------------------------------------------------------------------------------
  // What the writer reports (WriterEvents, @internal), and what it means

  onWritten(group: readonly QueuedAppend[], end: number, syncing: boolean): void {
    this.writtenEnd = end;
    this.pending.written(group);
    // Appends queued under a relaxed policy are visible once written; the others after their sync.
    if (!syncing) this.advanceHighWatermark(this.pending.visibleWithoutSync());
  }

  onDurable(end: number): void {
    this.flushedEnd = end;
    this.pending.durable(end);
    this.advanceHighWatermark(end);
  }

  /** Makes the written appends below `to` visible (in order), then wakes readers waiting for data. */
  private advanceHighWatermark(to: number): void {
    if (to <= this._hw) return;
    const hw = this.pending.reveal(to);
    if (hw < 0) return;
    this._hw = hw;
    this.dataWaiters.fire(hw);
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
  }

  private async onFsyncFailure(seg: LogSegment, e: unknown): Promise<void> {
    this.logger.error({ err: e, segment: seg.baseOffset }, 'fsync failed; log goes offline for writes');
    // Appends written but not yet visible are void: take them back off the file.
    const covered = this.pending.takeAwaitingDurable();
    const notVisible = this.pending.takeNotVisible();
    const queued = this.writer.takeQueued();
    const first = notVisible[0];
    if (first) {
      first.seg.truncateWritten(first.position, this._hw);
      this.writtenEnd = this._hw;
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
    if (this.state === 'offline') return Promise.reject(storageError('log is offline'));
    if (this.state === 'closed') return Promise.resolve();
    return this.writer.flush();
  }

  // -------------------------------------------------------------------------------------------
  // Read (log-reader.ts, timestamp-lookup.ts)

  private readView(): LogView {
    return { segments: this.segs.all, highWatermark: this._hw, logStartOffset: this.maint.startOffset, fs: this.storageFs, fdCache: this.fds, intervalBytes: this.config.indexIntervalBytes, name: `${this.topic}-${this.partition}` };
  }

  /**
   * File slices for a fetch at `offset`: from the batch containing it, bounded by the high
   * watermark (or `maxOffset`) and by `maxBytes` (the last batch may be cut, as in Kafka; clients
   * drop a partial trailing batch). Each slice pins its segment until `release()`.
   * Throws OFFSET_OUT_OF_RANGE if offset < logStartOffset or > highWatermark.
   */
  read(offset: number, maxBytes: number, opts: ReadOptions = {}): Promise<ReadResult> {
    return retryRetired(() => readSlices(this.readView(), offset, maxBytes, opts), 'read failed');
  }

  /**
   * Whole batches from the one containing `fromOffset`, up to about maxBytes (at least one), as
   * buffers — for compaction, producer-state rebuild, replication and tests.
   */
  async readBatches(fromOffset: number, maxBytes: number): Promise<Buffer[]> {
    return sliceBatches(this.storageFs, await this.read(fromOffset, maxBytes, { minOneBatch: true }));
  }

  /**
   * ListOffsets by timestamp: the first record with timestamp ≥ ts (exact for uncompressed batches;
   * for compressed ones the batch's base offset, which is never later than the exact answer).
   */
  offsetForTimestamp(ts: number): Promise<{ offset: number; timestamp: number } | null> {
    return retryRetired(() => findOffsetForTimestamp(this.readView(), ts), 'timestamp lookup failed');
  }

  /** ListOffsets MAX_TIMESTAMP: the record with the largest timestamp (first one if tied). */
  maxTimestampOffset(): Promise<{ offset: number; timestamp: number } | null> {
    return retryRetired(() => findMaxTimestampOffset(this.readView()), 'timestamp lookup failed');
  }

  /** Registers `cb` (run once) for when the high watermark passes `offset`; returns a cancel fn. */
  waitForData(offset: number, cb: () => void): () => void {
    return this.dataWaiters.wait(this._hw, offset, cb);
  }

  // -------------------------------------------------------------------------------------------
  // Retention, DeleteRecords, maintenance

  /** Serialises retention, DeleteRecords and compaction on this log (appends are not blocked). */
  maintenance<T>(fn: () => Promise<T>): Promise<T> {
    return this.maint.run(fn);
  }

  /** DeleteRecords: moves the log start offset to `offset` (-1 = high watermark); returns it. */
  deleteRecordsBefore(offset: number): Promise<number> {
    return this.maint.deleteRecordsBefore(offset);
  }

  /**
   * Applies retention.ms / retention.bytes / the log start offset: deletes whole leading segments.
   * Returns the number of segments deleted.
   */
  applyRetention(now = Date.now()): Promise<number> {
    return this.maint.applyRetention(now);
  }

  /** @internal Deletes the first `count` segments, plus any wholly below the log start offset. */
  deleteLeadingSegments(count: number): Promise<number> {
    return this.maint.deleteLeadingSegments(count);
  }

  /** @internal Resolves when all scheduled segment deletions have finished (tests). */
  settleDeletions(): Promise<void> {
    return this.segs.settleDeletions();
  }

  /** @internal Compaction commit: swaps in a rewritten copy of an inactive segment (SegmentList.replace). */
  replaceSegment(old: LogSegment, replacement: LogSegment): boolean {
    return this.segs.replace(old, replacement);
  }

  // -------------------------------------------------------------------------------------------
  // Close

  /** Flushes, persists the active segment's indexes and closes fds; further appends throw. */
  async close(): Promise<void> {
    if (this.state === 'closed' || this.state === 'closing') return;
    const flushed = this.state === 'offline' ? null : this.flush();
    this.state = 'closing';
    this.writer.beginClose();
    await flushed?.catch((e) => this.logger.error({ err: e }, 'flush on close failed'));
    await this.writer.finish();
    if (!this.failed && this.writer.segment.fileCreated) {
      await this.writer.segment.persistIndexes(this.storageFs, true).catch((e) => this.logger.error({ err: e }, 'persisting indexes on close failed'));
    }
    await this.maint.idle();
    await this.epochs.flush().catch((e) => {
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
    this.writer.beginClose();
    this.pending.failQueued(this.writer.takeQueued(), new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, 'partition deleted'));
    await this.writer.finish();
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
