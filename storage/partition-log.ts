/**
 * One partition's log: the operations callers use. Its state and what moves it — segments, the
 * ordered writer, offsets and visibility, failures, truncation runs, close — are log-state.ts,
 * which this class extends; the older end of the log (log start offset, retention, DeleteRecords)
 * is log-maintenance.ts.
 *
 * Append path (no per-record work; only the 61-byte batch header is touched): append() assigns
 * offsets synchronously, stamps baseOffset and partitionLeaderEpoch into the batch in place
 * (neither is covered by the CRC), decides segment roll and index entry by size arithmetic, and
 * queues the buffer with the writer.
 *
 * Replication: appendAsFollower() appends a leader's batches as they are, offsets and epochs
 * included (follower-batches.ts checks them); in replicated mode (replicated-high-watermark.ts)
 * the high watermark is the replication layer's, followers read up to the visible end and wait
 * for it (waitForEnd); truncateTo() / truncateFullyAndStartAt() cut the log back
 * (log-truncation.ts) where it diverged from a new leader's.
 *
 * Leader epochs: the log holds its leader-epoch cache (leader-epoch-cache.ts; file
 * leader-epoch-checkpoint.ts) and keeps it in step with the batches — loaded (or rebuilt from the
 * batch headers) at open (leader-epoch-load.ts), told of each appended batch's epoch, cut back
 * when the log end moves back (a failed write, a truncation) and forward when the log start moves.
 *
 * Files: see segment.ts (.log/.index/.timeindex) and leader-epoch-checkpoint.ts; this module
 * writes no other format.
 */
import { ErrorCode, KafkaError } from '../protocol/errors.js';
import { ATTR_TIMESTAMP_TYPE, BATCH_HEADER_SIZE, OFF_ATTRIBUTES, batch, restampCrc } from '../protocol/records/batch.js';
import { Deferred, noop } from './deferred.js';
import { storageError } from './errors.js';
import { checkFollowerBatches } from './follower-batches.js';
import { type LogConfig, validateLogConfig } from './log-config.js';
import type { StorageLogger } from './logger.js';
import { type LogView, type ReadOptions, type ReadResult, readSlices, retryRetired, sliceBatches } from './log-reader.js';
import { LogMaintenance } from './log-maintenance.js';
import type { LeaderEpochCache } from './leader-epoch-cache.js';
import { freshLeaderEpochs, loadLeaderEpochs } from './leader-epoch-load.js';
import { cutAllAndStartAt, cutLogTo } from './log-truncation.js';
import { LogState } from './log-state.js';
import type { PartitionLogOptions } from './partition-log-options.js';
import { type AppendResult, LazyDurableAppend, type QueuedAppend } from './pending-appends.js';
import { loadSegments } from './recovery.js';
import { type EndOffsetsListener, ReplicatedHighWatermark } from './replicated-high-watermark.js';
import { INT32_MAX, shouldRoll } from './roll-policy.js';
import { LogSegment } from './segment.js';
import { SegmentList } from './segment-list.js';
import { findMaxTimestampOffset, findOffsetForTimestamp } from './timestamp-lookup.js';

export type { ReadOptions, ReadResult } from './log-reader.js';
export type { AppendResult } from './pending-appends.js';
export type { PartitionLogOptions } from './partition-log-options.js';
export type { EndOffsetsListener } from './replicated-high-watermark.js';
export { UnexpectedAppendOffsetError } from './follower-batches.js';

const DONE: Promise<void> = Promise.resolve();
/** The promises of a follower append's batches but the last: only the last one's are handed out. */
const UNWATCHED: Deferred = { promise: DONE, resolve: noop, reject: noop };

export class PartitionLog extends LogState {
  private constructor(opts: PartitionLogOptions) {
    super(opts);
  }

  /** Opens (and if needed recovers) the partition directory, which must exist. */
  static async open(opts: PartitionLogOptions): Promise<PartitionLog> {
    const log = new PartitionLog(opts);
    await log.load();
    return log;
  }

  private async load(): Promise<void> {
    const fs = this.opts.loadFs ?? this.storageFs;
    const fresh = this.opts.fresh === true;
    if (this.opts.createDir !== false && !fresh) await fs.mkdir(this.dir);
    const epochOpts = { dir: this.dir, fs: this.storageFs, loadFs: fs, logger: this.loggerFn, log: this };
    const epochs = fresh ? freshLeaderEpochs(epochOpts) : await loadLeaderEpochs({ ...epochOpts, known: this.opts.knownLeaderEpochs });
    this.epochs = epochs.cache;
    const res = await loadSegments({
      dir: this.dir,
      fs,
      fdCache: this.fds,
      logger: this.loggerFn, // only materialised if recovery has something to say
      config: this.config,
      clean: this.opts.cleanShutdown ?? false,
      recoveryPoint: this.opts.recoveryPoint ?? 0,
      logStartOffset: this.opts.logStartOffset ?? 0,
      fresh,
      // Batches above the recovery point may belong to epochs the file does not have yet.
      onRecoveredBatch: epochs.onRecoveredBatch,
    });
    this.segs = new SegmentList(res.segments, this);
    this.recoveredBytes = res.recoveredBytes;
    this.truncatedBytes = res.truncatedBytes;
    const active = this.segs.active;
    this._nextOffset = this.writtenEnd = this._visibleEnd = this.flushedEnd = active.nextOffset;
    // The writer is made on first use (log-state.ts). The one who hears of log start moves
    // checkpoints them and reports back (logStartCheckpointed).
    this.maint = new LogMaintenance(this, this.segs, res.logStartOffset, this.opts.onLogStartOffsetChanged !== undefined);
    await epochs.finish({ segments: this.segs.all, fs, fdCache: this.fds, intervalBytes: this.config.indexIntervalBytes }, this.maint.startOffset, this._nextOffset);
    // Read once; the options stay with the log, what the summary said need not (the cache has the entries).
    this.opts.knownLeaderEpochs = undefined;
    if (this.opts.replicated) {
      const hw = Math.min(this.opts.highWatermark ?? 0, this._visibleEnd);
      this.repl = new ReplicatedHighWatermark(Math.max(hw, this.maint.startOffset), this.loggerFn);
    }
  }

  /** @internal LogMaintenance: the log start offset moved (a method, not a closure per log). */
  logStartMoved(): void {
    this.epochs.truncateFromStart(this.maint.startOffset);
    this.opts.onLogStartOffsetChanged?.(this);
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
  /** Offset after the last batch whose write completed (≤ logEndOffset). */
  get writtenEndOffset(): number {
    return this.writtenEnd;
  }
  /**
   * End of what readers may see at all: written and, under flush.messages = 1, fsynced (so the
   * durable end then). A leader serves followers up to it; the high watermark never passes it.
   */
  get visibleEndOffset(): number {
    return this._visibleEnd;
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
  get isReplicated(): boolean {
    return this.repl !== null;
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
    if (this._writer !== null) this._writer.config = c;
  }

  // -------------------------------------------------------------------------------------------
  // Append

  /**
   * Appends one batch as leader: assigns its offsets and stamps `leaderEpoch` into it (default: the
   * log's newest epoch, or 0 for a log that has none). A batch of a new epoch starts that epoch in
   * the leader-epoch cache (Kafka's per-batch assignment; one integer compare otherwise).
   */
  append(b: Buffer, leaderEpoch?: number): AppendResult {
    if (this.state !== 'online') throw this.notWritable();
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

  /**
   * Appends a follower's fetched batches (a fetch response's records: batches back to back, the
   * last possibly cut) with the leader's offsets and partitionLeaderEpochs, untouched. They must
   * continue the log (follower-batches.ts: the first at or past the log end offset, increasing;
   * CRC-checked; a cut last batch is dropped); nothing is appended if one fails. Each batch of a
   * newer epoch starts it in the leader-epoch cache. Same writer, flush policy and promises as
   * append(): `written`/`durable` cover the last batch, so all of them; baseOffset/lastOffset are
   * the first batch's base and the last one's last offset, -1 when there was no whole batch.
   * The batches are views of `records`, not copies: its memory must not be reused before
   * `written` settles (as with append()).
   */
  appendAsFollower(records: Buffer): AppendResult {
    if (this.state !== 'online') throw this.notWritable();
    const found = checkFollowerBatches(records, this._nextOffset);
    if (found.count === 0) return { baseOffset: -1, lastOffset: -1, logAppendTime: -1, written: DONE, durable: DONE };
    const cfg = this.config;
    const now = Date.now();
    const waitFsync = cfg.flushMessages <= 1;
    const last = new Deferred();
    let entry: QueuedAppend | null = null;
    for (let n = 0, at = 0; n < found.count; n++) {
      const size = batch.totalSize(records, at);
      const b = records.subarray(at, at + size);
      at += size;
      const base = batch.baseOffset(b);
      const lastOffset = base + batch.lastOffsetDelta(b);
      let seg = this.segs.active;
      // Offsets may jump (a compacted leader): a segment's relative offsets must still fit 32 bits.
      if (shouldRoll(seg, size, lastOffset, now, cfg) || lastOffset - seg.baseOffset > INT32_MAX) seg = this.queueRoll(base);
      seg.startRollingClock(now);
      this.epochs.assignFromLog(batch.partitionLeaderEpoch(b), base);
      const position = seg.reserve(size);
      const indexIt = seg.decideIndex(size, cfg.indexIntervalBytes);
      this._nextOffset = lastOffset + 1;
      // Appends settle in order and a failure voids everything queued after it: the last batch's promises speak for all.
      const d = n === found.count - 1 ? last : UNWATCHED;
      entry = { seg, buf: b, position, size, last: lastOffset, maxTs: batch.maxTimestamp(b), records: batch.recordCount(b), indexIt, sync: waitFsync, written: d, durable: waitFsync ? d : null };
      this.writer.enqueue(entry);
    }
    if (waitFsync) return { baseOffset: found.firstOffset, lastOffset: found.lastOffset, logAppendTime: -1, written: last.promise, durable: last.promise };
    return new LazyDurableAppend(this, entry!, found.firstOffset, found.lastOffset, -1);
  }

  /** Adds a new (not yet created) segment at `base`; the writer creates its file when it gets there. */
  private queueRoll(base: number): LogSegment {
    this.ensureWriter(); // before the new segment becomes the active one: the writer starts on the current one
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
  // Read (log-reader.ts, timestamp-lookup.ts)

  private readView(): LogView {
    return { segments: this.segs.all, highWatermark: this.highWatermark, logEnd: this._visibleEnd, logStartOffset: this.maint.startOffset, fs: this.storageFs, fdCache: this.fds, intervalBytes: this.config.indexIntervalBytes, name: `${this.topic}-${this.partition}` };
  }

  /**
   * File slices for a fetch at `offset`: from the batch containing it, bounded by the high
   * watermark (or `maxOffset`; or with `upToLogEnd`, a follower's fetch, by the visible end) and by
   * `maxBytes` (the last batch may be cut, as in Kafka; clients drop a partial trailing batch).
   * Each slice pins its segment until `release()`.
   * Throws OFFSET_OUT_OF_RANGE if offset < logStartOffset or > visibleEndOffset (= the high
   * watermark in single-node mode; past the high watermark a replicated log returns nothing yet).
   */
  read(offset: number, maxBytes: number, opts: ReadOptions = {}): Promise<ReadResult> {
    return retryRetired(() => readSlices(this.readView(), offset, maxBytes, opts), 'read failed');
  }

  /**
   * Whole batches from the one containing `fromOffset`, up to about maxBytes (at least one), as
   * buffers — for compaction, producer-state rebuild, replication and tests. Bounded by the high
   * watermark, or with `upToLogEnd` by the visible end (a new leader rebuilding its producer state
   * from everything its log holds, committed or not).
   */
  async readBatches(fromOffset: number, maxBytes: number, upToLogEnd = false): Promise<Buffer[]> {
    return sliceBatches(this.storageFs, await this.read(fromOffset, maxBytes, upToLogEnd ? { minOneBatch: true, upToLogEnd: true } : { minOneBatch: true }));
  }

  /**
   * ListOffsets by timestamp: the first record with timestamp ≥ ts (exact for uncompressed batches;
   * for compressed ones the batch's base offset, which is never later than the exact answer).
   */
  offsetForTimestamp(ts: number): Promise<{ offset: number; timestamp: number } | null> {
    return this.belowHighWatermark(retryRetired(() => findOffsetForTimestamp(this.readView(), ts), 'timestamp lookup failed'));
  }

  /** ListOffsets MAX_TIMESTAMP: the record with the largest timestamp (first one if tied). */
  maxTimestampOffset(): Promise<{ offset: number; timestamp: number } | null> {
    return this.belowHighWatermark(retryRetired(() => findMaxTimestampOffset(this.readView()), 'timestamp lookup failed'));
  }

  /** Replicated: the lookups see the visible end, so an answer at or past the high watermark is none (as Kafka). */
  private belowHighWatermark<T extends { offset: number }>(p: Promise<T | null>): Promise<T | null> {
    return this.repl === null ? p : p.then((r) => (r !== null && r.offset < this.highWatermark ? r : null));
  }

  /** Registers `cb` (run once) for when the high watermark passes `offset`; returns a cancel fn. */
  waitForData(offset: number, cb: () => void): () => void {
    return this.dataWaiters.wait(this.highWatermark, offset, cb);
  }

  /** Registers `cb` (run once) for when the visible end passes `offset` (a follower's long poll). */
  waitForEnd(offset: number, cb: () => void): () => void {
    return (this.repl === null ? this.dataWaiters : this.repl.endWaiters).wait(this._visibleEnd, offset, cb);
  }

  // -------------------------------------------------------------------------------------------
  // Replicated mode (replicated-high-watermark.ts)

  /**
   * Turns replicated mode on (the high watermark stays where it is, then moves only through
   * updateHighWatermark; `onEndOffsetsChanged` hears of every written/durable/visible end move and
   * truncation, synchronously) or off (the high watermark is the visible end again).
   */
  setReplicated(on: boolean, onEndOffsetsChanged: EndOffsetsListener | null = null): void {
    if (on) {
      this.repl ??= new ReplicatedHighWatermark(this._visibleEnd, this.loggerFn);
      this.repl.listener = onEndOffsetsChanged;
      return;
    }
    const r = this.repl;
    if (r === null) return;
    this.repl = null;
    r.endWaiters.fire(this._visibleEnd);
    r.endWaiters.moveTo(this.dataWaiters);
    this.dataWaiters.fire(this._visibleEnd);
  }

  /**
   * Replicated mode: the owner's new high watermark (a leader's min over the ISR, a follower's
   * min(leader's, own end)), bounded by the visible end and never moved back. Returns the high
   * watermark now; readers waiting for data below it wake.
   */
  updateHighWatermark(offset: number): number {
    const r = this.repl;
    if (r === null) throw new Error(`log ${this.topic}-${this.partition} is not replicated: its high watermark is its own`);
    if (r.advance(offset, this._visibleEnd)) this.dataWaiters.fire(r.hw);
    return r.hw;
  }

  // -------------------------------------------------------------------------------------------
  // Truncation (log-truncation.ts)

  /**
   * Cuts the log back to end at or before `offset` (a follower whose log diverged from its new
   * leader's): the batch holding `offset` and everything after it go. After the maintenance queued
   * before it, with appends refused (NOT_LEADER_OR_FOLLOWER) and everything queued written and
   * synced first. The log end, written, durable and visible ends move back, the high watermark to
   * at most the new end, the leader-epoch cache (and its checkpoint) is cut, and the checkpoints
   * are written (afterTruncation). Below the log start offset it is truncateFullyAndStartAt.
   * Resolves with the new log end offset (no change when `offset` ≥ the log end offset). A failed
   * file operation takes the log offline.
   */
  truncateTo(offset: number): Promise<number> {
    return this.runTruncation(offset, async () => {
      if (offset >= this._nextOffset) return false;
      if (offset < this.maint.startOffset) return this.startAfresh(offset);
      const { end, active } = await cutLogTo(this.truncationContext(), offset);
      this.restartEnds(active, end);
      return true;
    });
  }

  /**
   * Empties the log and starts it at `offset` (a follower behind its leader's log start offset):
   * every segment goes, the log start, end and high watermark become `offset`, the leader-epoch
   * cache is cleared. Resolves with `offset`; otherwise as truncateTo.
   */
  truncateFullyAndStartAt(offset: number): Promise<number> {
    return this.runTruncation(offset, () => this.startAfresh(offset));
  }

  private async startAfresh(offset: number): Promise<boolean> {
    const seg = await cutAllAndStartAt(this.truncationContext(), offset);
    this.epochs.clear();
    this.maint.restartAt(offset);
    this.restartEnds(seg, offset);
    if (this.repl !== null) this.repl.hw = offset;
    return true;
  }

  private truncationContext() {
    return { dir: this.dir, segs: this.segs, fs: this.storageFs, fdCache: this.fds, intervalBytes: this.config.indexIntervalBytes, fileDeleteDelayMs: this.config.fileDeleteDelayMs };
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

  /**
   * The owner durably wrote `offset` as this log's log start offset (log-start-offset-checkpoint):
   * segments wholly below it are deleted now (DeleteRecords waits for this; log-maintenance.ts).
   */
  logStartCheckpointed(offset: number): void {
    this.maint.startCheckpointed(offset);
  }

  /** @internal Deletes the first `count` segments, plus any wholly below the checkpointed log start offset. */
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


}
