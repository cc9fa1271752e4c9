/**
 * Cutting a partition log back (Kafka's LocalLog.truncateTo / truncateFullyAndStartAt): the file
 * work of PartitionLog.truncateTo and truncateFullyAndStartAt, which first stop appends and drain
 * the writer, and afterwards move the log's offsets, epochs and checkpoints back.
 *
 * truncateTo(offset) keeps the batches that end before `offset`. A batch holding `offset` goes
 * whole (a log holds whole batches), so the new end is that batch's base offset; when `offset`
 * falls between batches (a compacted log's hole) the end is `offset` itself, as in Kafka.
 *
 * Crash safety (kill -9 at any instant leaves a log recovery accepts, and a completed truncation
 * never comes back):
 *  1. readers stop seeing the cut bytes first (segment visible sizes, the segment list);
 *  2. later segments are renamed `.deleted` newest first, each rename fsynced before the next, so
 *     what is on disk is always a prefix of the log (recovery removes `.deleted` files; a missing
 *     middle segment would look like a compacted hole and silently lose data);
 *  3. the segment holding the cut is truncated and fsynced last. It is then the log's last
 *     segment, which unclean recovery always scans (whatever the recovery point says) and whose
 *     indexes it rebuilds, so an index file still pointing past the new file end is never used:
 *     the in-memory indexes are cut here and written at the next roll or clean close.
 * truncateFullyAndStartAt deletes every segment the same way, then creates the empty
 * `<offset>.log` and fsyncs the directory: a crash in between leaves an empty log.
 *
 * A reader holding a slice past the cut when the file shrinks gets a short read (its response
 * fails and the connection closes, as Kafka's FileRecords does); new reads stop at the cut.
 *
 * No on-disk format of its own (segment files: segment.ts).
 */
import { batch } from '../protocol/records/batch.js';
import { walkHeaders } from './batch-scan.js';
import type { FdCache } from './fd-cache.js';
import type { StorageFs } from './fs.js';
import { segmentIndexFor, withSegment } from './log-reader.js';
import { LogSegment } from './segment.js';
import type { SegmentList } from './segment-list.js';

export interface TruncationContext {
  dir: string;
  segs: SegmentList;
  fs: StorageFs;
  fdCache: FdCache;
  intervalBytes: number;
  fileDeleteDelayMs: number;
}

/**
 * Cuts the log so it ends at or before `offset` (which must be at or above the first segment's
 * base offset). Returns the new end offset and the segment that is now the last one.
 */
export async function cutLogTo(c: TruncationContext, offset: number): Promise<{ end: number; active: LogSegment }> {
  const i = segmentIndexFor(c.segs.all, offset);
  const seg = c.segs.all[i]!;
  seg.activate(); // it will be the one written next; and an active segment keeps its indexes in memory
  let position = seg.writtenSize;
  let end = offset;
  if (seg.writtenSize > 0) {
    const loc = await withSegment(c.fdCache, seg, async (fd) => {
      await seg.ensureIndexes(c.fs, fd, c.intervalBytes);
      return seg.locateOffset(c.fs, fd, offset, seg.writtenSize);
    });
    if (loc !== null) {
      position = loc.position;
      if (loc.baseOffset < offset) end = loc.baseOffset;
    }
  }
  seg.hideFrom(position);
  await c.segs.removeNewestFirst(c.segs.detachAfter(i), c.fileDeleteDelayMs);
  if (position < seg.writtenSize) {
    await withSegment(c.fdCache, seg, async (fd) => {
      await seg.ensureIndexes(c.fs, fd, c.intervalBytes);
      await c.fs.ftruncate(fd, position);
      await c.fs.fsync(fd);
      seg.truncateWritten(position, end);
      await restoreTailMeta(c.fs, fd, seg, position, end);
    });
  } else {
    seg.truncateWritten(position, end); // nothing cut here: only the end offset moves
  }
  seg.syncQueuedState();
  return { end, active: seg };
}

/**
 * After the cut: the segment's max timestamp and bytes since its last index entry, from the last
 * time-index entry left and the batch headers after the last offset-index entry left (every
 * remaining index entry describes kept data: entries past the cut were dropped with it).
 */
async function restoreTailMeta(fs: StorageFs, fd: number, seg: LogSegment, position: number, end: number): Promise<void> {
  const start = seg.offsetIndex!.lastEntry()?.position ?? 0;
  const t = seg.timeIndex!.lastEntry();
  let maxTs = t?.timestamp ?? -1;
  let offsetOfMax = t?.offset ?? -1;
  await walkHeaders(fs, fd, start, position, (buf, at) => {
    const ts = batch.maxTimestamp(buf, at);
    if (ts > maxTs) {
      maxTs = ts;
      offsetOfMax = batch.lastOffset(buf, at);
    }
  });
  seg.restoreTail(end, maxTs, offsetOfMax, position - start);
}

/** Deletes every segment (newest first) and starts an empty one at `offset`; returns it. */
export async function cutAllAndStartAt(c: TruncationContext, offset: number): Promise<LogSegment> {
  const seg = LogSegment.fresh(c.dir, offset);
  await c.segs.removeNewestFirst(c.segs.detachAllFor(seg), c.fileDeleteDelayMs);
  const fd = await c.fs.open(seg.paths.log, 'w+');
  seg.markCreated();
  c.fdCache.adopt(seg, fd);
  await c.fs.fsyncDir(c.dir);
  return seg;
}
