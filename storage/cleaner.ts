/**
 * Log compaction (cleanup.policy=compact): keep the latest record per key.
 *
 * One pass over a log, in Kafka's terms:
 *  - the dirty section runs from the cleaner checkpoint (cleaner-offset-checkpoint) to the first
 *    uncleanable segment: the active segment, a segment younger than min.compaction.lag.ms, or one
 *    not wholly below the high watermark. Only whole inactive segments are ever touched, so the
 *    writer (which only appends to the active segment) is never stalled.
 *  - the pass runs when dirty bytes / (clean + dirty) ≥ min.cleanable.dirty.ratio, or the oldest
 *    dirty segment is older than max.compaction.lag.ms (or when forced).
 *  - key → latest offset is collected over the dirty section; then every segment from the log
 *    start to the end of the dirty section is rewritten without superseded records, keyless
 *    records, and tombstones (null value) whose timestamp is older than delete.retention.ms.
 *    Surviving records keep their offsets (offsetDelta relative to the original base); a rewritten
 *    batch keeps its header (baseOffset, lastOffsetDelta, producer id/epoch, base sequence,
 *    timestamps) with a new length, record count and CRC32C. Batches with nothing left are dropped.
 *  - compressed batches are read through the `decompress` hook (the log manager plugs in
 *    protocol/records/compression.ts); a changed batch is written back uncompressed. Without the
 *    hook (unit tests) compressed batches are kept whole and their keys supersede nothing.
 *  - control batches (transaction markers) are kept whole, and transactional records never
 *    supersede other records (pass 1 skips them: an aborted value must not remove the committed
 *    one before it); they are themselves removed once a later non-transactional record has their
 *    key. TODO: drop aborted transactional data and markers past delete.retention.ms (Kafka's
 *    transaction-aware cleaning); keep the last batch of each producer (producer state).
 *
 * On-disk commit protocol for one rewritten segment `<base>.log`:
 *   write `<base>.log.cleaned`, fsync → delete the old `.index`/`.timeindex` → rename to
 *   `<base>.log.swap` (the commit point) → rename over `<base>.log` → write new indexes → fsync dir.
 * Recovery (recovery.ts) deletes `.cleaned` files and renames `.swap` files into place, and rebuilds
 * any missing index, so a crash at any step leaves either the old or the new segment.
 */
import { ATTR_COMPRESSION_MASK, ATTR_TIMESTAMP_TYPE, BATCH_HEADER_SIZE, OFF_ATTRIBUTES, OFF_LENGTH, OFF_RECORD_COUNT, batch, restampCrc } from '../protocol/records/batch.js';
import { walkBatches } from './batch-scan.js';
import { RetiredSegmentError } from './errors.js';
import { CLEANED_SUFFIX, SWAP_SUFFIX } from './file-names.js';
import { isErrno, writevFully } from './fs.js';
import { withSegment } from './log-reader.js';
import type { PartitionLog } from './partition-log.js';
import { forEachRecord } from './record-scan.js';
import { LogSegment } from './segment.js';

export interface CleanerOptions {
  now?: number;
  /** Clean even if the dirty ratio is below min.cleanable.dirty.ratio. */
  force?: boolean;
  /** Given the codec (attributes bits 0-2) and the compressed records section, the uncompressed one. */
  decompress?: (codec: number, data: Buffer) => Promise<Buffer>;
  /** Bound on distinct keys per pass (memory); the dirty section is cut at a segment boundary. */
  maxKeys?: number;
}

export interface CleanResult {
  cleaned: boolean;
  segmentsRewritten: number;
  bytesBefore: number;
  bytesAfter: number;
  recordsRemoved: number;
  /** New cleaner checkpoint (first dirty offset). */
  cleanedUpTo: number;
}

const OUTPUT_FLUSH_BYTES = 4 * 1024 * 1024;
const NOTHING: CleanResult = { cleaned: false, segmentsRewritten: 0, bytesBefore: 0, bytesAfter: 0, recordsRemoved: 0, cleanedUpTo: -1 };

export function cleanLog(log: PartitionLog, opts: CleanerOptions = {}): Promise<CleanResult> {
  return log.maintenance(() => cleanOnce(log, opts));
}

/** The records section of a batch as an uncompressed batch-shaped buffer (header + records), or null. */
async function uncompressedView(buf: Buffer, at: number, size: number, opts: CleanerOptions): Promise<Buffer | null> {
  const codec = batch.attributes(buf, at) & ATTR_COMPRESSION_MASK;
  if (codec === 0) return buf.subarray(at, at + size);
  if (!opts.decompress) return null;
  let records: Buffer;
  try {
    records = await opts.decompress(codec, buf.subarray(at + BATCH_HEADER_SIZE, at + size));
  } catch {
    return null; // undecodable: keep the batch whole rather than lose data
  }
  const view = Buffer.allocUnsafe(BATCH_HEADER_SIZE + records.length);
  buf.copy(view, 0, at, at + BATCH_HEADER_SIZE);
  records.copy(view, BATCH_HEADER_SIZE);
  view.writeInt32BE(view.length - 12, OFF_LENGTH);
  view.writeInt16BE(batch.attributes(view) & ~ATTR_COMPRESSION_MASK, OFF_ATTRIBUTES);
  return view;
}

function recordTimestamp(view: Buffer, tsDelta: number): number {
  if ((batch.attributes(view) & ATTR_TIMESTAMP_TYPE) !== 0) return batch.maxTimestamp(view);
  return batch.baseTimestamp(view) + tsDelta;
}

async function cleanOnce(log: PartitionLog, opts: CleanerOptions): Promise<CleanResult> {
  const cfg = log.config;
  if (!cfg.cleanupPolicy.compact || log.isClosed) return NOTHING;
  const now = opts.now ?? Date.now();
  const fs = log.storageFs;
  const fds = log.fds;
  const segs = log.segmentList();
  const activeIdx = segs.length - 1;
  const hw = log.highWatermark;

  const withSeg = <T>(seg: LogSegment, fn: (fd: number) => Promise<T>): Promise<T> => withSegment(fds, seg, fn);

  // Cleanable end: stop at the active segment, a too-young segment, or one not below the HW.
  let endIdx = activeIdx;
  for (let i = 0; i < activeIdx; i++) {
    const seg = segs[i]!;
    if (seg.visibleSize > 0) await withSeg(seg, (fd) => seg.ensureTimeMeta(fs, async () => fd, cfg.indexIntervalBytes));
    if (seg.nextOffset > hw || segs[i + 1]!.baseOffset > hw || (seg.maxTimestamp >= 0 && now - seg.maxTimestamp < cfg.minCompactionLagMs)) {
      endIdx = i;
      break;
    }
  }
  const firstDirty = Math.max(log.cleanerCheckpoint, log.logStartOffset);
  let dirtyIdx = 0;
  for (let i = 0; i < endIdx; i++) if (segs[i]!.baseOffset <= firstDirty) dirtyIdx = i;
  if (dirtyIdx < endIdx && segs[dirtyIdx + 1] && segs[dirtyIdx + 1]!.baseOffset <= firstDirty) dirtyIdx++;
  // Nothing dirty: only a forced pass runs (to drop tombstones past delete.retention.ms).
  if (endIdx === 0 || (dirtyIdx >= endIdx && !opts.force)) return NOTHING;
  if (dirtyIdx > endIdx) dirtyIdx = endIdx;

  let cleanBytes = 0;
  let dirtyBytes = 0;
  for (let i = 0; i < endIdx; i++) (i < dirtyIdx ? (cleanBytes += segs[i]!.writtenSize) : (dirtyBytes += segs[i]!.writtenSize));
  const ratio = dirtyBytes / Math.max(1, cleanBytes + dirtyBytes);
  const oldestDirty = dirtyIdx < endIdx ? segs[dirtyIdx]!.maxTimestamp : -1;
  const lagBreached = oldestDirty >= 0 && now - oldestDirty > cfg.maxCompactionLagMs;
  if (!opts.force && (dirtyBytes === 0 || (ratio < cfg.minCleanableDirtyRatio && !lagBreached))) return NOTHING;

  // Pass 1: key → latest offset over the dirty section.
  const latest = new Map<string, number>();
  const maxKeys = opts.maxKeys ?? 4_000_000;
  for (let i = dirtyIdx; i < endIdx; i++) {
    const seg = segs[i]!;
    if (seg.visibleSize === 0) continue;
    await withSeg(seg, (fd) =>
      walkBatches(fs, fd, 0, seg.writtenSize, async (buf, at, _pos, size) => {
        // Transactional records never supersede others: the cleaner does not know which
        // transactions aborted, and an aborted value must not remove the committed one before it.
        if (batch.isControl(buf, at) || batch.isTransactional(buf, at)) return;
        const view = await uncompressedView(buf, at, size, opts);
        if (!view) return;
        const base = batch.baseOffset(view);
        forEachRecord(view, 0, view.length, (r) => {
          if (r.keyLength < 0) return;
          latest.set(view.toString('latin1', r.keyStart, r.keyStart + r.keyLength), base + r.offsetDelta);
        });
      }),
    );
    if (latest.size > maxKeys && i + 1 < endIdx) {
      endIdx = i + 1;
      break;
    }
  }
  const cleanedUpTo = segs[endIdx]!.baseOffset;

  // Pass 2: rewrite [0, endIdx).
  const result: CleanResult = { cleaned: true, segmentsRewritten: 0, bytesBefore: 0, bytesAfter: 0, recordsRemoved: 0, cleanedUpTo };
  const tombstoneHorizon = now - cfg.deleteRetentionMs;
  for (let i = 0; i < endIdx; i++) {
    const seg = segs[i]!;
    if (seg.visibleSize === 0) continue;
    try {
      await withSeg(seg, (fd) => rewriteSegment(log, seg, fd, latest, tombstoneHorizon, opts, result));
    } catch (e) {
      if (e instanceof RetiredSegmentError) continue;
      throw e;
    }
  }
  log.cleanerCheckpoint = Math.max(log.cleanerCheckpoint, cleanedUpTo);
  log.log.info({ segments: result.segmentsRewritten, removed: result.recordsRemoved, before: result.bytesBefore, after: result.bytesAfter, cleanedUpTo }, 'compacted log');
  return result;
}

/** Filters one batch; returns the bytes to keep (the original, a rebuilt batch, or null). */
async function filterBatch(buf: Buffer, at: number, size: number, latest: Map<string, number>, tombstoneHorizon: number, opts: CleanerOptions, stats: { removed: number }): Promise<Buffer | null | 'whole'> {
  if (batch.isControl(buf, at)) return 'whole';
  const view = await uncompressedView(buf, at, size, opts);
  if (!view) return 'whole';
  const base = batch.baseOffset(view);
  const keep: Array<[number, number]> = [];
  let total = 0;
  let count = 0;
  forEachRecord(view, 0, view.length, (r) => {
    total++;
    if (r.keyLength < 0) return;
    const off = base + r.offsetDelta;
    const l = latest.get(view.toString('latin1', r.keyStart, r.keyStart + r.keyLength));
    if (l !== undefined && l > off) return;
    if (r.valueLength < 0 && recordTimestamp(view, r.timestampDelta) < tombstoneHorizon) return;
    keep.push([r.start, r.end]);
    count++;
  });
  stats.removed += total - count;
  if (count === total) return 'whole';
  if (count === 0) return null;
  let len = BATCH_HEADER_SIZE;
  for (const [s, e] of keep) len += e - s;
  const out = Buffer.allocUnsafe(len);
  view.copy(out, 0, 0, BATCH_HEADER_SIZE);
  let o = BATCH_HEADER_SIZE;
  for (const [s, e] of keep) o += view.copy(out, o, s, e);
  out.writeInt32BE(len - 12, OFF_LENGTH);
  out.writeInt32BE(count, OFF_RECORD_COUNT);
  restampCrc(out, 0, len);
  return out;
}

async function rewriteSegment(log: PartitionLog, seg: LogSegment, fd: number, latest: Map<string, number>, tombstoneHorizon: number, opts: CleanerOptions, result: CleanResult): Promise<void> {
  const fs = log.storageFs;
  const interval = log.config.indexIntervalBytes;
  // Dry run first: most segments of a mostly-clean log need no rewrite.
  const dry = { removed: 0 };
  await walkBatches(fs, fd, 0, seg.writtenSize, async (buf, at, _pos, size) => {
    await filterBatch(buf, at, size, latest, tombstoneHorizon, opts, dry);
  });
  if (dry.removed === 0) return;

  const replacement = new LogSegment(seg.dir, seg.baseOffset, true);
  replacement.resetIndexes();
  const cleanedPath = seg.paths.log + CLEANED_SUFFIX;
  const out = await fs.open(cleanedPath, 'w+');
  let outPos = 0;
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  const stats = { removed: 0 };
  const flushOut = async () => {
    if (pendingBytes === 0) return;
    await writevFully(fs, out, pending, outPos, pendingBytes);
    outPos += pendingBytes;
    pending = [];
    pendingBytes = 0;
  };
  try {
    await walkBatches(fs, fd, 0, seg.writtenSize, async (buf, at, _pos, size) => {
      const f = await filterBatch(buf, at, size, latest, tombstoneHorizon, opts, stats);
      if (f === null) return;
      const bytes = f === 'whole' ? Buffer.from(buf.subarray(at, at + size)) : f;
      const position = outPos + pendingBytes;
      replacement.applyBatch(position, bytes.length, batch.lastOffset(bytes), batch.maxTimestamp(bytes), replacement.bytesSinceIndex > interval);
      pending.push(bytes);
      pendingBytes += bytes.length;
      if (pendingBytes >= OUTPUT_FLUSH_BYTES) await flushOut();
    });
    await flushOut();
    await fs.fsync(out);
  } catch (e) {
    await fs.close(out).catch(() => {});
    await fs.unlink(cleanedPath).catch(() => {});
    throw e;
  }
  await fs.close(out);

  // Commit (see header): old indexes go first so a crash never pairs old indexes with the new log.
  for (const p of [seg.paths.index, seg.paths.timeIndex]) await fs.unlink(p).catch((e) => (isErrno(e, 'ENOENT') ? undefined : Promise.reject(e)));
  const swapPath = seg.paths.log + SWAP_SUFFIX;
  await fs.rename(cleanedPath, swapPath);
  replacement.sealCopyOf(seg, outPos);
  // From here the old object must not open its file name (it is about to name the new file):
  // readers that hold its fd keep reading the old inode; others retry and find the replacement.
  seg.retire();
  await fs.rename(swapPath, replacement.paths.log);
  if (!log.replaceSegment(seg, replacement)) log.log.warn({ segment: seg.baseOffset }, 'compacted segment vanished before swap');
  await replacement.persistIndexes(fs, true, false);
  await fs.fsyncDir(seg.dir);
  result.segmentsRewritten++;
  result.bytesBefore += seg.writtenSize;
  result.bytesAfter += outPos;
  result.recordsRemoved += stats.removed;
}
