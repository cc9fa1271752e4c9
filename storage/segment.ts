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
 * decisions are synchronous) and applied when its write completes.
 *
 * Indexes of inactive segments are loaded on first lookup and dropped when the segment's fd is
 * evicted from the FdCache, which bounds index memory with the same LRU. The active segment's
 * index entries are written to disk at roll and at clean shutdown only: after a crash the active
 * segment is always rebuilt from the log (it is at or after the recovery point).
 */
import { batch } from '../protocol/records/batch.js';
import { walkHeaders } from './batch-scan.js';
import { RetiredSegmentError } from './errors.js';
import { INDEX_SUFFIX, TIME_INDEX_SUFFIX, segmentPaths } from './file-names.js';
import { type StorageFs, isErrno, readFully, readWholeFile, writevFully } from './fs.js';
import { OFFSET_INDEX_ENTRY_SIZE, OffsetIndex } from './offset-index.js';
import { TIME_INDEX_ENTRY_SIZE, TimeIndex } from './time-index.js';

export interface BatchLocation {
  position: number;
  size: number;
  baseOffset: number;
  lastOffset: number;
  maxTimestamp: number;
}

/** Entries an index of `indexBytes` holds; time-index entries are larger, so that bounds both. */
export function maxIndexEntries(indexBytes: number): number {
  return Math.max(1, Math.floor(indexBytes / TIME_INDEX_ENTRY_SIZE));
}

const UNBOUNDED = Number.MAX_SAFE_INTEGER;

export class LogSegment {
  paths: { log: string; index: string; timeIndex: string };

  queuedSize = 0;
  writtenSize = 0;
  visibleSize = 0;
  /** Offset after the last written batch (segment end offset). */
  nextOffset: number;

  offsetIndex: OffsetIndex | null = null;
  timeIndex: TimeIndex | null = null;
  private indexLoad: Promise<void> | null = null;
  /** Bytes written since the last index entry, committed and queued views. */
  bytesSinceIndex = 0;
  queuedBytesSinceIndex = 0;
  queuedIndexEntries = 0;

  /** Largest batch maxTimestamp and the last offset of that batch; -1 when unknown/empty. */
  maxTimestamp = -1;
  offsetOfMaxTimestamp = -1;
  timeMetaKnown = false;
  /** Base time for segment.ms rolling (first batch's append wall time or max timestamp). */
  rollingBaseMs = -1;

  /** False for a freshly rolled segment whose file the writer has not created yet. */
  fileCreated: boolean;
  active = false;

  /** Owned by FdCache. */
  fd = -1;
  /** Owned by FdCache: the writer's O_DSYNC descriptor of the active segment, when it uses one. */
  dsyncFd = -1;
  pins = 0;
  onUnpinned: (() => void) | null = null;
  /** Removed from the log (retention/DeleteRecords); files renamed .deleted. */
  deleted = false;
  /** Replaced by a compacted copy; new readers must not open it by path. */
  retired = false;

  constructor(
    readonly dir: string,
    readonly baseOffset: number,
    fileCreated: boolean,
  ) {
    this.paths = segmentPaths(dir, baseOffset);
    this.nextOffset = baseOffset;
    this.fileCreated = fileCreated;
  }

  get isEmpty(): boolean {
    return this.queuedSize === 0;
  }

  get indexesLoaded(): boolean {
    return this.offsetIndex !== null && this.timeIndex !== null;
  }

  /** Fresh, empty in-memory indexes (new segment, or before a rebuild). */
  resetIndexes(): void {
    // Unbounded in memory: the segment.index.bytes bound is enforced by rolling (PartitionLog),
    // and a rebuild must hold whatever an older, larger setting produced.
    this.offsetIndex = new OffsetIndex(this.baseOffset, UNBOUNDED);
    this.timeIndex = new TimeIndex(this.baseOffset, UNBOUNDED);
    this.bytesSinceIndex = 0;
    this.queuedBytesSinceIndex = 0;
    this.queuedIndexEntries = 0;
  }

  /** Called by FdCache on eviction: inactive segments drop their indexes to bound memory. */
  onFdEvicted(): void {
    if (!this.active && this.indexLoad === null) {
      this.offsetIndex = null;
      this.timeIndex = null;
    }
  }

  /**
   * Applies one written batch to the in-memory state (index entry if it was decided at queue
   * time, max timestamp). Used by the append path and by index rebuilds.
   */
  applyBatch(position: number, size: number, lastOffset: number, maxTs: number, indexIt: boolean): void {
    if (maxTs > this.maxTimestamp) {
      this.maxTimestamp = maxTs;
      this.offsetOfMaxTimestamp = lastOffset;
    }
    if (indexIt) {
      this.offsetIndex!.append(lastOffset, position);
      this.timeIndex!.maybeAppend(this.maxTimestamp, this.offsetOfMaxTimestamp);
      this.bytesSinceIndex = 0;
    }
    this.bytesSinceIndex += size;
    this.nextOffset = lastOffset + 1;
    this.timeMetaKnown = true;
  }

  /** Queue-time index decision (Kafka's: index when > interval bytes since the last entry). */
  decideIndex(size: number, intervalBytes: number): boolean {
    const indexIt = this.queuedBytesSinceIndex > intervalBytes;
    if (indexIt) {
      this.queuedBytesSinceIndex = 0;
      this.queuedIndexEntries++;
    }
    this.queuedBytesSinceIndex += size;
    return indexIt;
  }

  /** Forgets queued-but-unwritten appends after a failed write. */
  rollbackQueued(): void {
    this.queuedSize = this.writtenSize;
    this.queuedBytesSinceIndex = this.bytesSinceIndex;
    this.queuedIndexEntries = this.offsetIndex?.entries ?? this.queuedIndexEntries;
  }

  /** Syncs the queued view to the committed one (after load/recovery). */
  syncQueuedState(): void {
    this.queuedSize = this.writtenSize;
    this.queuedBytesSinceIndex = this.bytesSinceIndex;
    this.queuedIndexEntries = this.offsetIndex?.entries ?? 0;
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
    const oi = await readOptional(fs, this.paths.index);
    const ti = await readOptional(fs, this.paths.timeIndex);
    const offsetIndex = oi ? OffsetIndex.decode(oi, this.baseOffset, UNBOUNDED, this.writtenSize) : null;
    const timeIndex = ti ? TimeIndex.decode(ti, this.baseOffset, UNBOUNDED, this.nextOffset > this.baseOffset ? this.nextOffset : UNBOUNDED) : null;
    if (offsetIndex && timeIndex) {
      this.offsetIndex = offsetIndex;
      this.timeIndex = timeIndex;
      const last = timeIndex.lastEntry();
      if (!this.timeMetaKnown && last) {
        this.maxTimestamp = last.timestamp;
        this.offsetOfMaxTimestamp = last.offset;
        this.timeMetaKnown = true;
      }
      return;
    }
    await this.rebuildIndexes(fs, fd, intervalBytes);
    if (!this.active) await this.persistIndexes(fs, false);
  }

  /** Rebuilds both indexes by walking batch headers (no CRC: this is not crash recovery). */
  async rebuildIndexes(fs: StorageFs, fd: number, intervalBytes: number): Promise<void> {
    this.resetIndexes();
    this.maxTimestamp = -1;
    this.offsetOfMaxTimestamp = -1;
    const end = this.writtenSize;
    await walkHeaders(fs, fd, 0, end, (buf, at, pos, size) => {
      const indexIt = this.bytesSinceIndex > intervalBytes;
      this.applyBatch(pos, size, batch.lastOffset(buf, at), batch.maxTimestamp(buf, at), indexIt);
    });
    this.timeIndex!.maybeAppend(this.maxTimestamp, this.offsetOfMaxTimestamp, true);
    this.offsetIndex!.persisted = 0;
    this.timeIndex!.persisted = 0;
    this.syncQueuedState();
  }

  /** The max timestamp of an inactive segment: the last time-index entry (12-byte read). */
  async ensureTimeMeta(fs: StorageFs, fd: () => Promise<number>, intervalBytes: number): Promise<void> {
    if (this.timeMetaKnown) return;
    if (this.retired) throw new RetiredSegmentError();
    if (this.timeIndex) {
      const last = this.timeIndex.lastEntry();
      if (last) {
        this.maxTimestamp = last.timestamp;
        this.offsetOfMaxTimestamp = last.offset;
      }
      this.timeMetaKnown = true;
      return;
    }
    try {
      const tfd = await fs.open(this.paths.timeIndex, 'r');
      try {
        const { size } = await fs.fstat(tfd);
        if (size >= TIME_INDEX_ENTRY_SIZE && size % TIME_INDEX_ENTRY_SIZE === 0) {
          const b = Buffer.allocUnsafe(TIME_INDEX_ENTRY_SIZE);
          if ((await readFully(fs, tfd, b, 0, TIME_INDEX_ENTRY_SIZE, size - TIME_INDEX_ENTRY_SIZE)) === TIME_INDEX_ENTRY_SIZE) {
            const e = TimeIndex.decodeEntry(b, 0, this.baseOffset);
            this.maxTimestamp = e.timestamp;
            this.offsetOfMaxTimestamp = e.offset;
            this.timeMetaKnown = true;
            return;
          }
        }
      } finally {
        await fs.close(tfd);
      }
    } catch (e) {
      if (!isErrno(e, 'ENOENT')) throw e;
    }
    if (this.writtenSize === 0) {
      this.timeMetaKnown = true;
      return;
    }
    // No usable time index: rebuild (this also yields the max timestamp).
    this.offsetIndex = null;
    this.timeIndex = null;
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
    await persistOne(fs, this.paths.index, oi.persisted, oi.entries, OFFSET_INDEX_ENTRY_SIZE, (from) => oi.encode(from), sync);
    oi.persisted = oi.entries;
    await persistOne(fs, this.paths.timeIndex, ti.persisted, ti.entries, TIME_INDEX_ENTRY_SIZE, (from) => ti.encode(from), sync);
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
    this.paths = { ...this.paths, log: next.log };
    for (const k of ['index', 'timeIndex'] as const) {
      await fs.rename(this.paths[k], next[k]).catch((e) => (isErrno(e, 'ENOENT') ? undefined : Promise.reject(e)));
      this.paths = { ...this.paths, [k]: next[k] };
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

async function readOptional(fs: StorageFs, path: string): Promise<Buffer | null> {
  try {
    return await readWholeFile(fs, path);
  } catch (e) {
    if (isErrno(e, 'ENOENT')) return null;
    throw e;
  }
}

async function persistOne(fs: StorageFs, path: string, persisted: number, entries: number, entrySize: number, encode: (from: number) => Buffer, sync: boolean): Promise<void> {
  if (persisted === entries && persisted > 0 && !sync) return;
  let fd: number;
  if (persisted === 0) fd = await fs.open(path, 'w+');
  else {
    try {
      fd = await fs.open(path, 'r+');
    } catch (e) {
      if (!isErrno(e, 'ENOENT')) throw e;
      fd = await fs.open(path, 'w+'); // vanished: write everything
      persisted = 0;
    }
  }
  try {
    const data = encode(persisted);
    if (data.length > 0) await writevFully(fs, fd, [data], persisted * entrySize, data.length);
    await fs.ftruncate(fd, entries * entrySize);
    if (sync) await fs.fsync(fd);
  } finally {
    await fs.close(fd);
  }
}
