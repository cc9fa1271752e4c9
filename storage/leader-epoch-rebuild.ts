/**
 * Rebuilding a partition's leader-epoch cache from its batch headers, when the
 * leader-epoch-checkpoint file is missing (a data dir from before the file existed, a partition
 * never flushed) or cannot be read. Every batch carries the epoch of the leader that wrote it
 * (partitionLeaderEpoch, offset 12 of the header), so the log itself is the truth.
 *
 * Cheap because epochs never decrease along a log (a leader stamps its current epoch; a follower's
 * log is a prefix of its leader's after truncation; compaction keeps order): when a segment's first
 * batch has the same epoch as the next segment's first batch (for the last segment: the log's last
 * batch), every batch of the segment has that epoch. So the rebuild reads one header per segment
 * plus the last batch's, and walks the headers only of segments in which the epoch changes —
 * none at all for Runnel's single-node logs, which are written at epoch 0 throughout.
 *
 * Why not start empty, or with "epoch 0 at the log start" (what every single-node Runnel log
 * holds)? Both answer wrongly for a replicated log that has seen leader changes, and a wrong epoch
 * cache makes a follower truncate the wrong amount; reading the headers costs one or two reads per
 * partition and is right for every log.
 *
 * No on-disk format of its own (batch headers: protocol/records/batch.ts).
 */
import { BATCH_HEADER_SIZE, batch } from '../protocol/records/batch.js';
import { walkHeaders } from './batch-scan.js';
import type { FdCache } from './fd-cache.js';
import { type StorageFs, readFully } from './fs.js';
import type { LeaderEpochCache } from './leader-epoch-cache.js';
import { withSegment } from './log-reader.js';
import type { LogSegment } from './segment.js';

export interface RebuildView {
  segments: readonly LogSegment[];
  fs: StorageFs;
  fdCache: FdCache;
  intervalBytes: number;
}

/** The epoch and base offset of the batch whose header starts at `position`. */
async function headerAt(fs: StorageFs, fd: number, position: number): Promise<{ epoch: number; base: number } | null> {
  const h = Buffer.allocUnsafe(BATCH_HEADER_SIZE);
  if ((await readFully(fs, fd, h, 0, BATCH_HEADER_SIZE, position)) < BATCH_HEADER_SIZE) return null;
  return { epoch: batch.partitionLeaderEpoch(h), base: batch.baseOffset(h) };
}

/**
 * Adds the epochs of the log's batches (from `v.segments`, whose data ends at `logEndOffset`) to
 * `cache`, which should be empty. Returns the number of segments whose headers were walked.
 */
export async function rebuildLeaderEpochs(v: RebuildView, logEndOffset: number, cache: LeaderEpochCache): Promise<number> {
  const segs = v.segments.filter((s) => s.visibleSize > 0);
  if (segs.length === 0) return 0;
  const firsts = [];
  for (const seg of segs) {
    const h = await withSegment(v.fdCache, seg, (fd) => headerAt(v.fs, fd, 0));
    if (h === null) return walkAll(v, segs, cache); // cannot happen after recovery; be thorough
    firsts.push(h);
  }
  const tail = segs[segs.length - 1]!;
  const lastEpoch = await withSegment(v.fdCache, tail, async (fd) => {
    await tail.ensureIndexes(v.fs, fd, v.intervalBytes);
    const loc = await tail.locateOffset(v.fs, fd, logEndOffset - 1, tail.visibleSize);
    return loc === null ? null : (await headerAt(v.fs, fd, loc.position))?.epoch ?? null;
  });
  if (lastEpoch === null) return walkAll(v, segs, cache);
  let walked = 0;
  for (let i = 0; i < segs.length; i++) {
    const after = i + 1 < segs.length ? firsts[i + 1]!.epoch : lastEpoch;
    if (firsts[i]!.epoch === after) {
      cache.assignFromLog(firsts[i]!.epoch, firsts[i]!.base);
    } else {
      await walkSegment(v, segs[i]!, cache);
      walked++;
    }
  }
  return walked;
}

async function walkAll(v: RebuildView, segs: readonly LogSegment[], cache: LeaderEpochCache): Promise<number> {
  for (const seg of segs) await walkSegment(v, seg, cache);
  return segs.length;
}

function walkSegment(v: RebuildView, seg: LogSegment, cache: LeaderEpochCache): Promise<void> {
  return withSegment(v.fdCache, seg, async (fd) => {
    await walkHeaders(v.fs, fd, 0, seg.visibleSize, (buf, at) => {
      cache.assignFromLog(batch.partitionLeaderEpoch(buf, at), batch.baseOffset(buf, at));
    });
  });
}
