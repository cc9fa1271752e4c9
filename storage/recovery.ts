/**
 * Loading a partition directory at startup: Kafka's LogLoader, staged.
 *
 *  1. Leftovers of interrupted operations: `*.swap` files are compaction output whose commit
 *     rename had happened (the .swap name is the commit point) and are renamed into place;
 *     `*.cleaned`, `*.deleted` and `*.tmp` files are removed. Index files without a .log go too.
 *  2. Segments are the `<20-digit base>.log` files, sorted by base offset.
 *  3. After a clean shutdown (marker present) nothing is scanned: the active segment's indexes are
 *     loaded and sanity-checked (entries increasing, last entry inside the file) and the batch
 *     headers after the last index entry are walked to find the log end offset. Inactive segments
 *     are only stat'ed; their indexes load lazily.
 *  4. After an unclean shutdown every segment from the one containing the recovery point onward is
 *     scanned batch by batch: bounds, magic 2, CRC32C, offsets increasing. The file is truncated at
 *     the first invalid byte and any later segments are deleted; indexes are rebuilt from the log
 *     (the log is the truth, never the index) and written out.
 *
 * No on-disk format of its own: it reads the .log/.index/.timeindex files described in
 * segment.ts, offset-index.ts and time-index.ts.
 */
import { BATCH_HEADER_SIZE, batch, batchCrcValid } from '../protocol/records/batch.js';
import type { StorageLogger } from './logger.js';
import { walkBatches, walkHeaders } from './batch-scan.js';
import type { FdCache } from './fd-cache.js';
import { CLEANED_SUFFIX, DELETED_SUFFIX, INDEX_SUFFIX, LOG_SUFFIX, SWAP_SUFFIX, TIME_INDEX_SUFFIX, parseSegmentFileName } from './file-names.js';
import { type StorageFs, isErrno, readFully } from './fs.js';
import type { LogConfig } from './log-config.js';
import { LogSegment } from './segment.js';
import { join } from 'node:path';

export interface LoadContext {
  dir: string;
  fs: StorageFs;
  fdCache: FdCache;
  /** Called only when there is something to log (a child logger per partition costs memory). */
  logger: () => StorageLogger;
  config: LogConfig;
  /** True when the data dir had a clean-shutdown marker. */
  clean: boolean;
  /** From recovery-point-offset-checkpoint; 0 when unknown (scan everything). */
  recoveryPoint: number;
  /** From log-start-offset-checkpoint; 0 when unknown. */
  logStartOffset: number;
  /** The directory was just created empty (PartitionLogOptions.fresh): not listed, one empty segment. */
  fresh?: boolean;
  /**
   * Called with each batch's partitionLeaderEpoch and base offset as batch-by-batch recovery
   * accepts it (the leader-epoch cache learns the epochs of data above the recovery point).
   */
  onRecoveredBatch?: (leaderEpoch: number, baseOffset: number) => void;
}

export interface LoadResult {
  segments: LogSegment[];
  logStartOffset: number;
  /** Bytes scanned batch by batch (unclean recovery). */
  recoveredBytes: number;
  /** Bytes cut off invalid tails. */
  truncatedBytes: number;
}

export interface SegmentScan {
  /** Bytes of valid batches from the start of the file. */
  validBytes: number;
  /** Why the scan stopped early, if it did. */
  problem: string | null;
}

/**
 * Scans a whole segment, validating every batch, and rebuilds its in-memory indexes and
 * timestamp metadata. `minBaseOffset` is the lowest acceptable base offset of its first batch.
 */
export async function recoverSegment(
  fs: StorageFs,
  fd: number,
  seg: LogSegment,
  fileSize: number,
  intervalBytes: number,
  minBaseOffset: number,
  onBatch?: (leaderEpoch: number, baseOffset: number) => void,
): Promise<SegmentScan> {
  seg.resetForScan();
  let expected = Math.max(minBaseOffset, seg.baseOffset);
  let problem: string | null = null;
  const end = await walkBatches(fs, fd, 0, fileSize, (buf, at, pos, size) => {
    const base = batch.baseOffset(buf, at);
    const lastDelta = batch.lastOffsetDelta(buf, at);
    if (base < expected) problem = `batch base offset ${base} below expected ${expected}`;
    else if (lastDelta < 0) problem = `negative last offset delta ${lastDelta}`;
    else if (base + lastDelta - seg.baseOffset > 0xffffffff) problem = 'offset too far from segment base';
    else if (!batchCrcValid(buf, at, size)) problem = 'CRC32C mismatch';
    if (problem) return false;
    const last = base + lastDelta;
    onBatch?.(batch.partitionLeaderEpoch(buf, at), base);
    seg.applyBatch(pos, size, last, batch.maxTimestamp(buf, at), seg.bytesSinceIndex > intervalBytes);
    seg.startRollingClock(batch.maxTimestamp(buf, at));
    expected = last + 1;
    return true;
  });
  if (end.kind === 'invalid') problem = end.reason;
  seg.sealRebuiltIndexes();
  return { validBytes: end.position, problem };
}

async function removeQuietly(fs: StorageFs, path: string): Promise<void> {
  await fs.unlink(path).catch((e) => (isErrno(e, 'ENOENT') ? undefined : Promise.reject(e)));
}

/** Step 1: finish or undo interrupted renames/compactions. Returns the cleaned-up file list. */
async function settleLeftovers(fs: StorageFs, dir: string, names: string[]): Promise<string[]> {
  let changed = false;
  for (const name of names) {
    if (name.endsWith(SWAP_SUFFIX)) {
      await fs.rename(join(dir, name), join(dir, name.slice(0, -SWAP_SUFFIX.length)));
      changed = true;
    } else if (name.endsWith(CLEANED_SUFFIX) || name.endsWith(DELETED_SUFFIX) || name.endsWith('.tmp')) {
      await removeQuietly(fs, join(dir, name));
      changed = true;
    }
  }
  return changed ? fs.readdir(dir) : names;
}

export async function loadSegments(ctx: LoadContext): Promise<LoadResult> {
  const { fs, dir, config } = ctx;
  const interval = config.indexIntervalBytes;
  const names = ctx.fresh ? [] : await settleLeftovers(fs, dir, await fs.readdir(dir));
  const bases: number[] = [];
  const nameSet = new Set(names);
  for (const name of names) {
    const b = parseSegmentFileName(name, LOG_SUFFIX);
    if (b !== null) bases.push(b);
    else {
      // Stray index files (their .log is gone) would confuse a later segment at that base.
      const ib = parseSegmentFileName(name, INDEX_SUFFIX) ?? parseSegmentFileName(name, TIME_INDEX_SUFFIX);
      if (ib !== null && !nameSet.has(name.replace(/\.(time)?index$/, LOG_SUFFIX))) await removeQuietly(fs, join(dir, name));
    }
  }
  bases.sort((a, b) => a - b);
  let segments = bases.map((b) => new LogSegment(dir, b, true));
  const result: LoadResult = { segments, logStartOffset: ctx.logStartOffset, recoveredBytes: 0, truncatedBytes: 0 };

  if (segments.length === 0) {
    const seg = LogSegment.fresh(dir, Math.max(0, ctx.logStartOffset));
    seg.activate();
    result.segments = [seg];
    result.logStartOffset = seg.baseOffset;
    return result;
  }

  const sizes = await Promise.all(segments.map((s) => fs.stat(s.paths.log).then((st) => st.size)));
  for (let i = 0; i < segments.length; i++) {
    const s = segments[i]!;
    s.setLoaded(sizes[i]!, i + 1 < segments.length ? segments[i + 1]!.baseOffset : s.baseOffset);
  }

  // Where batch-by-batch recovery starts: the segment holding the recovery point (unclean only).
  let recoverFrom = segments.length;
  if (!ctx.clean) {
    recoverFrom = 0;
    for (let i = 0; i < segments.length; i++) if (segments[i]!.baseOffset <= ctx.recoveryPoint) recoverFrom = i;
  }

  for (let i = recoverFrom; i < segments.length; i++) {
    const seg = segments[i]!;
    const fd = await fs.open(seg.paths.log, 'r+');
    let keepFd = false;
    try {
      const size = sizes[i]!;
      const minBase = i > 0 ? segments[i - 1]!.nextOffset : seg.baseOffset;
      const scan = await recoverSegment(fs, fd, seg, size, interval, minBase, ctx.onRecoveredBatch);
      result.recoveredBytes += scan.validBytes;
      if (scan.validBytes < size) {
        ctx.logger().warn({ segment: seg.baseOffset, position: scan.validBytes, size, reason: scan.problem }, 'truncating invalid log tail');
        await fs.ftruncate(fd, scan.validBytes);
        await fs.fsync(fd);
        result.truncatedBytes += size - scan.validBytes;
        seg.truncatedTo(scan.validBytes);
        for (const later of segments.slice(i + 1)) {
          result.truncatedBytes += later.writtenSize;
          await later.unlinkAll(fs);
        }
        segments = segments.slice(0, i + 1);
      }
      seg.syncQueuedState();
      // Rebuilt indexes of inactive segments go to disk now; the active segment's are written at
      // roll or clean close like always (after another crash they are rebuilt again anyway).
      if (i !== segments.length - 1) await seg.persistIndexes(fs, false, false);
      if (i === segments.length - 1) {
        seg.activate();
        ctx.fdCache.adopt(seg, fd);
        keepFd = true;
      } else {
        seg.dropIndexes();
      }
    } finally {
      if (!keepFd) await fs.close(fd);
    }
    if (i >= segments.length - 1) break;
  }

  const active = segments[segments.length - 1]!;
  if (!active.active) {
    // Clean path (or a recovery-point above the active segment's start, impossible but harmless).
    active.activate();
    await loadActiveClean(ctx, active, interval);
  }
  // Empty segments before the active one can linger after truncation; they are harmless.
  result.segments = segments;
  result.logStartOffset = Math.min(Math.max(ctx.logStartOffset, segments[0]!.baseOffset), active.nextOffset);
  return result;
}

/**
 * Clean-shutdown load of the active segment: load and sanity-check its indexes, then walk the
 * headers after the last index entry to find the end offset. Anything inconsistent falls back to
 * a full recovery scan of this segment.
 */
async function loadActiveClean(ctx: LoadContext, seg: LogSegment, interval: number): Promise<void> {
  const { fs } = ctx;
  const fd = await fs.open(seg.paths.log, 'r+');
  ctx.fdCache.adopt(seg, fd);
  seg.forgetEnd();
  await seg.ensureIndexes(fs, fd, interval);
  const lastEntry = seg.offsetIndex!.lastEntry();
  const start = lastEntry?.position ?? 0;
  let next = lastEntry ? lastEntry.offset + 1 : seg.baseOffset;
  let maxTs = seg.maxTimestamp;
  let offsetOfMax = seg.offsetOfMaxTimestamp;
  let firstTs = -1;
  const end = await walkHeaders(fs, fd, start, seg.writtenSize, (buf, at, pos) => {
    const ts = batch.maxTimestamp(buf, at);
    if (pos === 0) firstTs = ts;
    if (ts > maxTs) {
      maxTs = ts;
      offsetOfMax = batch.lastOffset(buf, at);
    }
    next = batch.lastOffset(buf, at) + 1;
  });
  const timeLast = seg.timeIndex!.lastEntry();
  if (end.kind === 'invalid' || (timeLast && timeLast.offset >= next)) {
    ctx.logger().warn({ segment: seg.baseOffset, reason: end.kind === 'invalid' ? end.reason : 'time index past log end' }, 'active segment inconsistent after clean shutdown; recovering it');
    const scan = await recoverSegment(fs, fd, seg, seg.writtenSize, interval, seg.baseOffset, ctx.onRecoveredBatch);
    if (scan.validBytes < seg.writtenSize) {
      await fs.ftruncate(fd, scan.validBytes);
      await fs.fsync(fd);
      seg.truncatedTo(scan.validBytes);
    }
    seg.syncQueuedState();
    await seg.persistIndexes(fs, false, false);
    return;
  }
  seg.restoreTail(next, maxTs, offsetOfMax, seg.writtenSize - start);
  if (seg.writtenSize > 0) {
    if (firstTs < 0 && start > 0) {
      const h = Buffer.allocUnsafe(BATCH_HEADER_SIZE);
      if ((await readFully(fs, fd, h, 0, BATCH_HEADER_SIZE, 0)) === BATCH_HEADER_SIZE) firstTs = batch.maxTimestamp(h, 0);
    }
    seg.startRollingClock(firstTs);
  }
  seg.syncQueuedState();
}
