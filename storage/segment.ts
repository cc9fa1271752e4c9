/**
 * One log segment: `<base>.log` plus its `.index` and `.timeindex` (formats in offset-index.ts and
 * time-index.ts; the .log is RecordBatch v2 bytes back to back, see batch-scan.ts).
 *
 * A segment tracks three byte positions:
 *   queuedSize  ≥ writtenSize ≥ visibleSize
 *   queuedSize   bytes assigned to appends (offsets handed out, maybe not written yet)
 *   writtenSize  bytes whose write completed (the file length, barring a failed write)
 *   visibleSize  bytes readers may see (write done, and fsync done when the flush policy says so)
 * The index decision for each batch is made when it is queued (pure arithmetic on sizes, so roll
 * decisions are synchronous) and applied when its write completes. Positions, offsets and flags
 * are readonly outside this class and change only through its methods (each names the event:
 * reserve, advanceWritten, makeVisible, truncateWritten, ...); the fd fields belong to FdCache
 * (fd-cache.ts CachedFile).
 *
 * Indexes of inactive segments are loaded on first lookup and dropped when the segment's fd is
 * evicted from the FdCache, which bounds index memory with the same LRU. The active segment's
 * index entries are written to disk at roll and at clean shutdown only: after a crash the active
 * segment is always rebuilt from the log (it is at or after the recovery point).
 */
import { batch } from '../protocol/records/batch.js';
import { walkHeaders } from './batch-scan.js';
import { RetiredSegmentError } from './errors.js';
import type { CachedFile } from './fd-cache.js';
import { INDEX_SUFFIX, TIME_INDEX_SUFFIX, segmentPaths } from './file-names.js';
import { type StorageFs, isErrno } from './fs.js';
import { readIndexFile, readLastTimeIndexEntry, writeIndexFile } from './index-files.js';
import { OFFSET_INDEX_ENTRY_SIZE, OffsetIndex } from './offset-index.js';
import { TIME_INDEX_ENTRY_SIZE, TimeIndex } from './time-index.js';

export interface BatchLocation {
  position: number;
  size: number;
  baseOffset: number;
  lastOffset: number;
  maxTimestamp: number;
}

const UNBOUNDED = Number.MAX_SAFE_INTEGER;

/** The segment's own writable view of its fields: they are readonly to everyone else. */
type Own = { -readonly [K in keyof LogSegment]: LogSegment[K] };

export class LogSegment implements CachedFile {
  // Public readonly fields, not getters: the append and fetch paths read them on every call, and
  // getters there cost measurable time (V8 inlines less). Only this class's methods write them,
  // through `this as Own`; each method names the event (reserve, advanceWritten, makeVisible, ...).

  readonly paths: { readonly log: string; readonly index: string; readonly timeIndex: string };

  /** Bytes assigned to appends (offsets handed out, maybe not written yet). */
  readonly queuedSize: number = 0;
  /** Bytes whose write completed (the file length, barring a failed write). */
  readonly writtenSize: number = 0;
  /** Bytes readers may see. */
  readonly visibleSize: number = 0;
  /** Offset after the last written batch (segment end offset). */
  readonly nextOffset: number;

  readonly offsetIndex: OffsetIndex | null = null;
  readonly timeIndex: TimeIndex | null = null;
  private indexLoad: Promise<void> | null = null;
  /** Bytes written since the last index entry, committed and queued views. */
  readonly bytesSinceIndex: number = 0;
  private queuedBytesSinceIndex = 0;
  /** Index entries of everything queued (written or not): the segment.index.bytes roll check. */
  readonly queuedIndexEntries: number = 0;

  /** Largest batch maxTimestamp and the last offset of that batch; -1 when unknown/empty. */
  readonly maxTimestamp: number = -1;
  readonly offsetOfMaxTimestamp: number = -1;
  /** Whether maxTimestamp is known (else ensureTimeMeta() reads it from the time index). */
  readonly timeMetaKnown: boolean = false;
  /** Base time for segment.ms rolling (first batch's append wall time or max timestamp); -1 before. */
  readonly rollingBaseMs: number = -1;

  /** False for a freshly rolled segment whose file the writer has not created yet. */
  readonly fileCreated: boolean;
  /** The segment appends go to (its indexes stay in memory). */
  readonly active: boolean = false;
  /** Removed from the log (retention/DeleteRecords); files renamed .deleted. */
  readonly deleted: boolean = false;
  /** Replaced by a compacted copy (or removed); new readers must not open it by path. */
  readonly retired: boolean = false;

  /** Owned by FdCache (CachedFile). */
  fd = -1;
  /** Owned by FdCache: the writer's O_DSYNC descriptor of the active segment, when it uses one. */
  dsyncFd = -1;
  pins = 0;
  onUnpinned: (() => void) | null = null;

  constructor(
    readonly dir: string,
    readonly baseOffset: number,
    fileCreated: boolean,
  ) {
    this.paths = segmentPaths(dir, baseOffset);
    this.nextOffset = baseOffset;
    this.fileCreated = fileCreated;
  }

  /** A new, empty segment whose file the writer creates when it gets there (roll, empty log). */
  static fresh(dir: string, baseOffset: number): LogSegment {
    const seg = new LogSegment(dir, baseOffset, false);
    seg.resetIndexes();
    (seg as Own).timeMetaKnown = true;
    return seg;
  }

  get isEmpty(): boolean {
    return this.queuedSize === 0;
  }

  get indexesLoaded(): boolean {
    return this.offsetIndex !== null && this.timeIndex !== null;
  }

  // ---- lifecycle -------------------------------------------------------------------------------

  /** The writer created the file. */
  markCreated(): void {
    (this as Own).fileCreated = true;
  }
  activate(): void {
    (this as Own).active = true;
  }
  deactivate(): void {
    (this as Own).active = false;
  }
  markDeleted(): void {
    (this as Own).deleted = true;
  }
  retire(): void {
    (this as Own).retired = true;
  }
  /** Its directory was renamed from `fromDir` to `toDir` (topic deletion). */
  relocate(fromDir: string, toDir: string): void {
    const rebase = (p: string) => toDir + p.slice(fromDir.length);
    (this as Own).paths = { log: rebase(this.paths.log), index: rebase(this.paths.index), timeIndex: rebase(this.paths.timeIndex) };
  }

  // ---- the append path -------------------------------------------------------------------------

  /** Starts the segment.ms clock at the first batch (append time, or its max timestamp on load). */
  startRollingClock(ms: number): void {
    if (this.rollingBaseMs < 0) (this as Own).rollingBaseMs = ms;
  }

  /** Assigns `size` bytes at the end of the queued view; returns their position. */
  reserve(size: number): number {
    const position = this.queuedSize;
    (this as Own).queuedSize += size;
    return position;
  }

  /** Queue-time index decision (Kafka's: index when > interval bytes since the last entry). */
  decideIndex(size: number, intervalBytes: number): boolean {
    const indexIt = this.queuedBytesSinceIndex > intervalBytes;
    if (indexIt) {
      this.queuedBytesSinceIndex = 0;
      (this as Own).queuedIndexEntries++;
    }
    this.queuedBytesSinceIndex += size;
    return indexIt;
  }

  /**
   * Applies one written batch to the in-memory state (index entry if it was decided at queue
   * time, max timestamp). Used by the append path and by index rebuilds.
   */
  applyBatch(position: number, size: number, lastOffset: number, maxTs: number, indexIt: boolean): void {
    const own = this as Own;
    if (maxTs > this.maxTimestamp) {
      own.maxTimestamp = maxTs;
      own.offsetOfMaxTimestamp = lastOffset;
    }
    if (indexIt) {
      this.offsetIndex!.append(lastOffset, position);
      this.timeIndex!.maybeAppend(this.maxTimestamp, this.offsetOfMaxTimestamp);
      own.bytesSinceIndex = 0;
    }
    own.bytesSinceIndex += size;
    own.nextOffset = lastOffset + 1;
    own.timeMetaKnown = true;
  }

  /** `bytes` more were written at the end of the file (their batches applied with applyBatch). */
  advanceWritten(bytes: number): void {
    (this as Own).writtenSize += bytes;
  }

  /** Readers may see the first `position` bytes. */
  makeVisible(position: number): void {
    (this as Own).visibleSize = position;
  }

  /** Readers may see everything written. */
  makeAllVisible(): void {
    (this as Own).visibleSize = this.writtenSize;
  }

  /** Forgets queued-but-unwritten appends after a failed write. */
  rollbackQueued(): void {
    const own = this as Own;
    own.queuedSize = this.writtenSize;
    this.queuedBytesSinceIndex = this.bytesSinceIndex;
    own.queuedIndexEntries = this.offsetIndex?.entries ?? this.queuedIndexEntries;
  }

  /**
   * Forgets what was written from `position` (offset `offset`) on: the written size, index entries
   * and end offset go back (the caller truncates the file and calls rollbackQueued()).
   */
  truncateWritten(position: number, offset: number): void {
    const own = this as Own;
    own.writtenSize = position;
    this.offsetIndex?.truncateToPosition(position);
    this.timeIndex?.truncateToOffset(offset);
    own.nextOffset = offset;
  }

  /** Log truncation, before the file is cut: readers no longer see bytes from `position` on. */
  hideFrom(position: number): void {
    if (this.visibleSize > position) (this as Own).visibleSize = position;
  }

  // ---- load and recovery -----------------------------------------------------------------------

  /** A segment found on disk: `size` bytes, all written and visible, ending before `nextOffset`. */
  setLoaded(size: number, nextOffset: number): void {
    const own = this as Own;
    own.writtenSize = own.visibleSize = size;
    own.nextOffset = nextOffset;
    this.syncQueuedState();
  }

  /** The file was cut to its first `size` bytes (an invalid tail); all of them are visible. */
  truncatedTo(size: number): void {
    const own = this as Own;
    own.writtenSize = own.visibleSize = size;
    this.syncQueuedState();
  }

  /** Before a recovery scan: no indexes, no time metadata, no batches. */
  resetForScan(): void {
    const own = this as Own;
    this.resetIndexes();
    own.maxTimestamp = -1;
    own.offsetOfMaxTimestamp = -1;
    own.nextOffset = this.baseOffset;
  }

  /** After a rebuild or recovery scan: the final time-index entry; nothing of either index is on disk. */
  sealRebuiltIndexes(): void {
    this.timeIndex!.maybeAppend(this.maxTimestamp, this.offsetOfMaxTimestamp, true);
    this.offsetIndex!.persisted = 0;
    this.timeIndex!.persisted = 0;
  }

  /** The end offset is unknown until the tail is walked (this disables the time-index end check). */
  forgetEnd(): void {
    (this as Own).nextOffset = Number.MAX_SAFE_INTEGER;
  }

  /** Clean load of the active segment: what walking the batches after the last index entry found. */
  restoreTail(nextOffset: number, maxTimestamp: number, offsetOfMaxTimestamp: number, bytesSinceIndex: number): void {
    const own = this as Own;
    own.nextOffset = nextOffset;
    own.maxTimestamp = maxTimestamp;
    own.offsetOfMaxTimestamp = offsetOfMaxTimestamp;
    own.timeMetaKnown = true;
    own.bytesSinceIndex = bytesSinceIndex;
  }

  /** Compaction: this copy of `original` is complete with `size` bytes (its batches applied). */
  sealCopyOf(original: LogSegment, size: number): void {
    const own = this as Own;
    this.timeIndex!.maybeAppend(this.maxTimestamp, this.offsetOfMaxTimestamp, true);
    own.writtenSize = own.visibleSize = size;
    own.nextOffset = original.nextOffset;
    own.timeMetaKnown = true;
    own.rollingBaseMs = original.rollingBaseMs;
    this.syncQueuedState();
  }

  /** Syncs the queued view to the committed one (after load/recovery). */
  syncQueuedState(): void {
    const own = this as Own;
    own.queuedSize = this.writtenSize;
    this.queuedBytesSinceIndex = this.bytesSinceIndex;
    own.queuedIndexEntries = this.offsetIndex?.entries ?? 0;
  }

  /** Fresh, empty in-memory indexes (new segment, or before a rebuild). */
  resetIndexes(): void {
    const own = this as Own;
    // Unbounded in memory: the segment.index.bytes bound is enforced by rolling (roll-policy.ts),
    // and a rebuild must hold whatever an older, larger setting produced.
    own.offsetIndex = new OffsetIndex(this.baseOffset, UNBOUNDED);
    own.timeIndex = new TimeIndex(this.baseOffset, UNBOUNDED);
    own.bytesSinceIndex = 0;
    this.queuedBytesSinceIndex = 0;
    own.queuedIndexEntries = 0;
  }

  /** Drops the in-memory indexes (an inactive segment reloads them on its next lookup). */
  dropIndexes(): void {
    const own = this as Own;
    own.offsetIndex = null;
    own.timeIndex = null;
  }

  /** The max timestamp (and its offset) read back from a time index entry. */
  private setTimeMeta(maxTimestamp: number, offset: number): void {
    const own = this as Own;
    own.maxTimestamp = maxTimestamp;
    own.offsetOfMaxTimestamp = offset;
    own.timeMetaKnown = true;
  }

  /** Called by FdCache on eviction: inactive segments drop their indexes to bound memory. */
  onFdEvicted(): void {
    if (!this.active && this.indexLoad === null) this.dropIndexes();
  }

  /**
   * Loads the indexes of a segment from disk (sanity-checked), rebuilding them from the log if
   * they are missing or fail the check. Needs the segment pinned with an open fd.
   */
  ensureIndexes(fs: StorageFs, fd: number, intervalBytes: number): Promise<void> {
    if (this.indexesLoaded) return Promise.resolve();
    if (!this.indexLoad) {
      this.indexLoad = this.loadIndexes(fs, fd, intervalBytes).finally(() => {
        this.indexLoad = null;
      });
    }
    return this.indexLoad;
  }

  private async loadIndexes(fs: StorageFs, fd: number, intervalBytes: number): Promise<void> {
    const own = this as Own;
    // A replaced segment's file names now belong to its compacted copy: never read them.
    if (this.retired) throw new RetiredSegmentError();
    const oi = await readIndexFile(fs, this.paths.index);
    const ti = await readIndexFile(fs, this.paths.timeIndex);
    const offsetIndex = oi ? OffsetIndex.decode(oi, this.baseOffset, UNBOUNDED, this.writtenSize) : null;
    const timeIndex = ti ? TimeIndex.decode(ti, this.baseOffset, UNBOUNDED, this.nextOffset > this.baseOffset ? this.nextOffset : UNBOUNDED) : null;
    if (offsetIndex && timeIndex) {
      own.offsetIndex = offsetIndex;
      own.timeIndex = timeIndex;
      const last = timeIndex.lastEntry();
      if (!this.timeMetaKnown && last) this.setTimeMeta(last.timestamp, last.offset);
      return;
    }
    await this.rebuildIndexes(fs, fd, intervalBytes);
    if (!this.active) await this.persistIndexes(fs, false);
  }

  /** Rebuilds both indexes by walking batch headers (no CRC: this is not crash recovery). */
  async rebuildIndexes(fs: StorageFs, fd: number, intervalBytes: number): Promise<void> {
    const own = this as Own;
    this.resetIndexes();
    own.maxTimestamp = -1;
    own.offsetOfMaxTimestamp = -1;
    const end = this.writtenSize;
    await walkHeaders(fs, fd, 0, end, (buf, at, pos, size) => {
      const indexIt = this.bytesSinceIndex > intervalBytes;
      this.applyBatch(pos, size, batch.lastOffset(buf, at), batch.maxTimestamp(buf, at), indexIt);
    });
    this.sealRebuiltIndexes();
    this.syncQueuedState();
  }

  /** The max timestamp of an inactive segment: the last time-index entry (12-byte read). */
  async ensureTimeMeta(fs: StorageFs, fd: () => Promise<number>, intervalBytes: number): Promise<void> {
    const own = this as Own;
    if (this.timeMetaKnown) return;
    if (this.retired) throw new RetiredSegmentError();
    if (this.timeIndex) {
      const last = this.timeIndex.lastEntry();
      if (last) this.setTimeMeta(last.timestamp, last.offset);
      own.timeMetaKnown = true;
      return;
    }
    const last = await readLastTimeIndexEntry(fs, this.paths.timeIndex, this.baseOffset);
    if (last) {
      this.setTimeMeta(last.timestamp, last.offset);
      return;
    }
    if (this.writtenSize === 0) {
      own.timeMetaKnown = true;
      return;
    }
    // No usable time index: rebuild (this also yields the max timestamp).
    this.dropIndexes();
    await this.ensureIndexes(fs, await fd(), intervalBytes);
  }

  /**
   * Writes index entries not yet on disk (appending after the persisted ones; the file is
   * truncated to exactly the entries, dropping anything stale). `finalEntry` appends the segment
   * max timestamp to the time index first (roll, clean close).
   */
  async persistIndexes(fs: StorageFs, sync: boolean, finalEntry = true): Promise<void> {
    const oi = this.offsetIndex;
    const ti = this.timeIndex;
    if (!oi || !ti || this.retired) return;
    if (finalEntry) ti.maybeAppend(this.maxTimestamp, this.offsetOfMaxTimestamp, true);
    await writeIndexFile(fs, this.paths.index, oi.persisted, oi.entries, OFFSET_INDEX_ENTRY_SIZE, (from) => oi.encode(from), sync);
    oi.persisted = oi.entries;
    await writeIndexFile(fs, this.paths.timeIndex, ti.persisted, ti.entries, TIME_INDEX_ENTRY_SIZE, (from) => ti.encode(from), sync);
    ti.persisted = ti.entries;
  }

  /**
   * Finds the first batch whose last offset ≥ target, scanning headers forward from the offset
   * index floor, within [0, end). Null if the segment has no such batch below `end`.
   */
  async locateOffset(fs: StorageFs, fd: number, target: number, end: number): Promise<BatchLocation | null> {
    const start = Math.min(this.offsetIndex!.lookup(target).position, end);
    let found: BatchLocation | null = null;
    await walkHeaders(fs, fd, start, end, (buf, at, position, size) => {
      const lastOffset = batch.lastOffset(buf, at);
      if (lastOffset < target) return true;
      found = { position, size, baseOffset: batch.baseOffset(buf, at), lastOffset, maxTimestamp: batch.maxTimestamp(buf, at) };
      return false;
    });
    return found;
  }

  /** First batch with maxTimestamp ≥ ts and lastOffset ≥ minOffset, within [0, end). */
  async locateTimestamp(fs: StorageFs, fd: number, ts: number, minOffset: number, end: number): Promise<BatchLocation | null> {
    const fromOffset = Math.max(this.timeIndex!.lookup(ts).offset, minOffset);
    const start = Math.min(this.offsetIndex!.lookup(fromOffset).position, end);
    let found: BatchLocation | null = null;
    await walkHeaders(fs, fd, start, end, (buf, at, position, size) => {
      const lastOffset = batch.lastOffset(buf, at);
      const maxTimestamp = batch.maxTimestamp(buf, at);
      if (lastOffset < minOffset || maxTimestamp < ts) return true;
      found = { position, size, baseOffset: batch.baseOffset(buf, at), lastOffset, maxTimestamp };
      return false;
    });
    return found;
  }

  /** Renames all files of this segment with `suffix` appended (.deleted); missing indexes are fine. */
  async renameAll(fs: StorageFs, suffix: string): Promise<void> {
    const own = this as Own;
    const next = { log: this.paths.log + suffix, index: this.paths.index + suffix, timeIndex: this.paths.timeIndex + suffix };
    if (this.fileCreated) await fs.rename(this.paths.log, next.log);
    own.paths = { ...this.paths, log: next.log };
    for (const k of ['index', 'timeIndex'] as const) {
      await fs.rename(this.paths[k], next[k]).catch((e) => (isErrno(e, 'ENOENT') ? undefined : Promise.reject(e)));
      own.paths = { ...this.paths, [k]: next[k] };
    }
  }

  async unlinkAll(fs: StorageFs): Promise<void> {
    for (const p of [this.paths.log, this.paths.index, this.paths.timeIndex]) {
      await fs.unlink(p).catch((e) => (isErrno(e, 'ENOENT') ? undefined : Promise.reject(e)));
    }
  }

  /** Index file paths for a log path (used by recovery when cleaning up stray files). */
  static indexPathsOf(logPath: string) {
    const stem = logPath.slice(0, -'.log'.length);
    return { index: stem + INDEX_SUFFIX, timeIndex: stem + TIME_INDEX_SUFFIX };
  }
}
