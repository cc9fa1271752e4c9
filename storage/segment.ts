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
 * change only through this class's methods (each names the event: reserve, advanceWritten,
 * makeVisible, truncateWritten, ...); the fd fields belong to FdCache (fd-cache.ts CachedFile).
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

export class LogSegment implements CachedFile {
  private _paths: { log: string; index: string; timeIndex: string };

  // The three byte positions (see the header), written only through the methods below.
  private _queuedSize = 0;
  private _writtenSize = 0;
  private _visibleSize = 0;
  /** Offset after the last written batch (segment end offset). */
  private _nextOffset: number;

  private _offsetIndex: OffsetIndex | null = null;
  private _timeIndex: TimeIndex | null = null;
  private indexLoad: Promise<void> | null = null;
  /** Bytes written since the last index entry, committed and queued views. */
  private _bytesSinceIndex = 0;
  private queuedBytesSinceIndex = 0;
  private _queuedIndexEntries = 0;

  /** Largest batch maxTimestamp and the last offset of that batch; -1 when unknown/empty. */
  private _maxTimestamp = -1;
  private _offsetOfMaxTimestamp = -1;
  private _timeMetaKnown = false;
  /** Base time for segment.ms rolling (first batch's append wall time or max timestamp). */
  private _rollingBaseMs = -1;

  private _fileCreated: boolean;
  private _active = false;
  private _deleted = false;
  private _retired = false;

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
    this._paths = segmentPaths(dir, baseOffset);
    this._nextOffset = baseOffset;
    this._fileCreated = fileCreated;
  }

  /** A new, empty segment whose file the writer creates when it gets there (roll, empty log). */
  static fresh(dir: string, baseOffset: number): LogSegment {
    const seg = new LogSegment(dir, baseOffset, false);
    seg.resetIndexes();
    seg._timeMetaKnown = true;
    return seg;
  }

  get paths(): { readonly log: string; readonly index: string; readonly timeIndex: string } {
    return this._paths;
  }
  /** Bytes assigned to appends (offsets handed out, maybe not written yet). */
  get queuedSize(): number {
    return this._queuedSize;
  }
  /** Bytes whose write completed (the file length, barring a failed write). */
  get writtenSize(): number {
    return this._writtenSize;
  }
  /** Bytes readers may see. */
  get visibleSize(): number {
    return this._visibleSize;
  }
  get nextOffset(): number {
    return this._nextOffset;
  }
  get offsetIndex(): OffsetIndex | null {
    return this._offsetIndex;
  }
  get timeIndex(): TimeIndex | null {
    return this._timeIndex;
  }
  get bytesSinceIndex(): number {
    return this._bytesSinceIndex;
  }
  /** Index entries of everything queued (written or not): the segment.index.bytes roll check. */
  get queuedIndexEntries(): number {
    return this._queuedIndexEntries;
  }
  get maxTimestamp(): number {
    return this._maxTimestamp;
  }
  get offsetOfMaxTimestamp(): number {
    return this._offsetOfMaxTimestamp;
  }
  /** Whether maxTimestamp is known (else ensureTimeMeta() reads it from the time index). */
  get timeMetaKnown(): boolean {
    return this._timeMetaKnown;
  }
  /** -1 until the first batch. */
  get rollingBaseMs(): number {
    return this._rollingBaseMs;
  }
  /** False for a freshly rolled segment whose file the writer has not created yet. */
  get fileCreated(): boolean {
    return this._fileCreated;
  }
  /** The segment appends go to (its indexes stay in memory). */
  get active(): boolean {
    return this._active;
  }
  /** Removed from the log (retention/DeleteRecords); files renamed .deleted. */
  get deleted(): boolean {
    return this._deleted;
  }
  /** Replaced by a compacted copy (or removed); new readers must not open it by path. */
  get retired(): boolean {
    return this._retired;
  }

  get isEmpty(): boolean {
    return this._queuedSize === 0;
  }

  get indexesLoaded(): boolean {
    return this._offsetIndex !== null && this._timeIndex !== null;
  }

  // ---- lifecycle -------------------------------------------------------------------------------

  /** The writer created the file. */
  markCreated(): void {
    this._fileCreated = true;
  }
  activate(): void {
    this._active = true;
  }
  deactivate(): void {
    this._active = false;
  }
  markDeleted(): void {
    this._deleted = true;
  }
  retire(): void {
    this._retired = true;
  }
  /** Its directory was renamed from `fromDir` to `toDir` (topic deletion). */
  relocate(fromDir: string, toDir: string): void {
    const rebase = (p: string) => toDir + p.slice(fromDir.length);
    this._paths = { log: rebase(this._paths.log), index: rebase(this._paths.index), timeIndex: rebase(this._paths.timeIndex) };
  }

  // ---- the append path -------------------------------------------------------------------------

  /** Starts the segment.ms clock at the first batch (append time, or its max timestamp on load). */
  startRollingClock(ms: number): void {
    if (this._rollingBaseMs < 0) this._rollingBaseMs = ms;
  }

  /** Assigns `size` bytes at the end of the queued view; returns their position. */
  reserve(size: number): number {
    const position = this._queuedSize;
    this._queuedSize += size;
    return position;
  }

  /** Queue-time index decision (Kafka's: index when > interval bytes since the last entry). */
  decideIndex(size: number, intervalBytes: number): boolean {
    const indexIt = this.queuedBytesSinceIndex > intervalBytes;
    if (indexIt) {
      this.queuedBytesSinceIndex = 0;
      this._queuedIndexEntries++;
    }
    this.queuedBytesSinceIndex += size;
    return indexIt;
  }

  /**
   * Applies one written batch to the in-memory state (index entry if it was decided at queue
   * time, max timestamp). Used by the append path and by index rebuilds.
   */
  applyBatch(position: number, size: number, lastOffset: number, maxTs: number, indexIt: boolean): void {
    if (maxTs > this._maxTimestamp) {
      this._maxTimestamp = maxTs;
      this._offsetOfMaxTimestamp = lastOffset;
    }
    if (indexIt) {
      this._offsetIndex!.append(lastOffset, position);
      this._timeIndex!.maybeAppend(this._maxTimestamp, this._offsetOfMaxTimestamp);
      this._bytesSinceIndex = 0;
    }
    this._bytesSinceIndex += size;
    this._nextOffset = lastOffset + 1;
    this._timeMetaKnown = true;
  }

  /** `bytes` more were written at the end of the file (their batches applied with applyBatch). */
  advanceWritten(bytes: number): void {
    this._writtenSize += bytes;
  }

  /** Readers may see the first `position` bytes. */
  makeVisible(position: number): void {
    this._visibleSize = position;
  }

  /** Readers may see everything written. */
  makeAllVisible(): void {
    this._visibleSize = this._writtenSize;
  }

  /** Forgets queued-but-unwritten appends after a failed write. */
  rollbackQueued(): void {
    this._queuedSize = this._writtenSize;
    this.queuedBytesSinceIndex = this._bytesSinceIndex;
    this._queuedIndexEntries = this._offsetIndex?.entries ?? this._queuedIndexEntries;
  }

  /**
   * Forgets what was written from `position` (offset `offset`) on: the written size, index entries
   * and end offset go back (the caller truncates the file and calls rollbackQueued()).
   */
  truncateWritten(position: number, offset: number): void {
    this._writtenSize = position;
    this._offsetIndex?.truncateToPosition(position);
    this._timeIndex?.truncateToOffset(offset);
    this._nextOffset = offset;
  }

  // ---- load and recovery -----------------------------------------------------------------------

  /** A segment found on disk: `size` bytes, all written and visible, ending before `nextOffset`. */
  setLoaded(size: number, nextOffset: number): void {
    this._writtenSize = this._visibleSize = size;
    this._nextOffset = nextOffset;
    this.syncQueuedState();
  }

  /** The file was cut to its first `size` bytes (an invalid tail); all of them are visible. */
  truncatedTo(size: number): void {
    this._writtenSize = this._visibleSize = size;
    this.syncQueuedState();
  }

  /** Before a recovery scan: no indexes, no time metadata, no batches. */
  resetForScan(): void {
    this.resetIndexes();
    this._maxTimestamp = -1;
    this._offsetOfMaxTimestamp = -1;
    this._nextOffset = this.baseOffset;
  }

  /** After a rebuild or recovery scan: the final time-index entry; nothing of either index is on disk. */
  sealRebuiltIndexes(): void {
    this._timeIndex!.maybeAppend(this._maxTimestamp, this._offsetOfMaxTimestamp, true);
    this._offsetIndex!.persisted = 0;
    this._timeIndex!.persisted = 0;
  }

  /** The end offset is unknown until the tail is walked (this disables the time-index end check). */
  forgetEnd(): void {
    this._nextOffset = Number.MAX_SAFE_INTEGER;
  }

  /** Clean load of the active segment: what walking the batches after the last index entry found. */
  restoreTail(nextOffset: number, maxTimestamp: number, offsetOfMaxTimestamp: number, bytesSinceIndex: number): void {
    this._nextOffset = nextOffset;
    this._maxTimestamp = maxTimestamp;
    this._offsetOfMaxTimestamp = offsetOfMaxTimestamp;
    this._timeMetaKnown = true;
    this._bytesSinceIndex = bytesSinceIndex;
  }

  /** Compaction: this copy of `original` is complete with `size` bytes (its batches applied). */
  sealCopyOf(original: LogSegment, size: number): void {
    this._timeIndex!.maybeAppend(this._maxTimestamp, this._offsetOfMaxTimestamp, true);
    this._writtenSize = this._visibleSize = size;
    this._nextOffset = original.nextOffset;
    this._timeMetaKnown = true;
    this._rollingBaseMs = original.rollingBaseMs;
    this.syncQueuedState();
  }

  /** Syncs the queued view to the committed one (after load/recovery). */
  syncQueuedState(): void {
    this._queuedSize = this._writtenSize;
    this.queuedBytesSinceIndex = this._bytesSinceIndex;
    this._queuedIndexEntries = this._offsetIndex?.entries ?? 0;
  }

  /** Fresh, empty in-memory indexes (new segment, or before a rebuild). */
  resetIndexes(): void {
    // Unbounded in memory: the segment.index.bytes bound is enforced by rolling (roll-policy.ts),
    // and a rebuild must hold whatever an older, larger setting produced.
    this._offsetIndex = new OffsetIndex(this.baseOffset, UNBOUNDED);
    this._timeIndex = new TimeIndex(this.baseOffset, UNBOUNDED);
    this._bytesSinceIndex = 0;
    this.queuedBytesSinceIndex = 0;
    this._queuedIndexEntries = 0;
  }

  /** Drops the in-memory indexes (an inactive segment reloads them on its next lookup). */
  dropIndexes(): void {
    this._offsetIndex = null;
    this._timeIndex = null;
  }

  /** The max timestamp (and its offset) read back from a time index entry. */
  private setTimeMeta(maxTimestamp: number, offset: number): void {
    this._maxTimestamp = maxTimestamp;
    this._offsetOfMaxTimestamp = offset;
    this._timeMetaKnown = true;
  }

  /** Called by FdCache on eviction: inactive segments drop their indexes to bound memory. */
  onFdEvicted(): void {
    if (!this._active && this.indexLoad === null) this.dropIndexes();
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
    // A replaced segment's file names now belong to its compacted copy: never read them.
    if (this.retired) throw new RetiredSegmentError();
    const oi = await readIndexFile(fs, this.paths.index);
    const ti = await readIndexFile(fs, this.paths.timeIndex);
    const offsetIndex = oi ? OffsetIndex.decode(oi, this.baseOffset, UNBOUNDED, this.writtenSize) : null;
    const timeIndex = ti ? TimeIndex.decode(ti, this.baseOffset, UNBOUNDED, this.nextOffset > this.baseOffset ? this.nextOffset : UNBOUNDED) : null;
    if (offsetIndex && timeIndex) {
      this._offsetIndex = offsetIndex;
      this._timeIndex = timeIndex;
      const last = timeIndex.lastEntry();
      if (!this._timeMetaKnown && last) this.setTimeMeta(last.timestamp, last.offset);
      return;
    }
    await this.rebuildIndexes(fs, fd, intervalBytes);
    if (!this.active) await this.persistIndexes(fs, false);
  }

  /** Rebuilds both indexes by walking batch headers (no CRC: this is not crash recovery). */
  async rebuildIndexes(fs: StorageFs, fd: number, intervalBytes: number): Promise<void> {
    this.resetIndexes();
    this._maxTimestamp = -1;
    this._offsetOfMaxTimestamp = -1;
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
    if (this.timeMetaKnown) return;
    if (this.retired) throw new RetiredSegmentError();
    if (this.timeIndex) {
      const last = this.timeIndex.lastEntry();
      if (last) this.setTimeMeta(last.timestamp, last.offset);
      this._timeMetaKnown = true;
      return;
    }
    const last = await readLastTimeIndexEntry(fs, this.paths.timeIndex, this.baseOffset);
    if (last) {
      this.setTimeMeta(last.timestamp, last.offset);
      return;
    }
    if (this.writtenSize === 0) {
      this._timeMetaKnown = true;
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
    const next = { log: this.paths.log + suffix, index: this.paths.index + suffix, timeIndex: this.paths.timeIndex + suffix };
    if (this.fileCreated) await fs.rename(this.paths.log, next.log);
    this._paths = { ...this._paths, log: next.log };
    for (const k of ['index', 'timeIndex'] as const) {
      await fs.rename(this._paths[k], next[k]).catch((e) => (isErrno(e, 'ENOENT') ? undefined : Promise.reject(e)));
      this._paths = { ...this._paths, [k]: next[k] };
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
