/**
 * Loading a partition's leader-epoch cache when its log opens (Kafka's LogLoader steps): read
 * leader-epoch-checkpoint; let batch-by-batch recovery add the epochs of the batches it scans
 * (those above the recovery point, which the file may not have yet); rebuild from the batch
 * headers when the file is missing or unreadable; finally cut the entries to the log's extent
 * (truncateFromEnd at the log end offset, truncateFromStart at the log start offset).
 *
 * Rebuilding: the file is missing for a data dir from before it existed, a partition whose
 * epochs were never flushed, or one whose first file a clean stop left to the next checkpoint
 * (leader-epoch-summary.ts) when the broker crashed before that checkpoint. Every batch carries
 * the epoch of the leader that wrote it (partitionLeaderEpoch, offset 12 of the header), so the
 * log itself is the truth.
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
import { LeaderEpochCache, type LogEnd } from './leader-epoch-cache.js';
import { LeaderEpochCheckpointFile } from './leader-epoch-checkpoint.js';
import type { KnownEpochs } from './leader-epoch-summary.js';
import type { StorageLogger } from './logger.js';
import { withSegment } from './log-reader.js';
import type { LogSegment } from './segment.js';

export interface LeaderEpochLoad {
  cache: LeaderEpochCache;
  /** For recovery.ts (LoadContext.onRecoveredBatch); undefined when the cache will be rebuilt anyway. */
  onRecoveredBatch: ((leaderEpoch: number, baseOffset: number) => void) | undefined;
  /** After the segments are loaded: rebuild if needed, then cut the cache to [logStartOffset, logEndOffset]. */
  finish(v: RebuildView, logStartOffset: number, logEndOffset: number): Promise<void>;
}

/**
 * Reads the checkpoint in `dir` (with `loadFs`, the log manager's blocking fs at startup) and
 * makes the cache, whose later writes go through `fs`.
 */
export async function loadLeaderEpochs(o: { dir: string; fs: StorageFs; loadFs: StorageFs; logger: () => StorageLogger; log: LogEnd; known?: KnownEpochs }): Promise<LeaderEpochLoad> {
  const file = new LeaderEpochCheckpointFile(o.fs, o.dir);
  // `known`: what the file holds, from the clean-shutdown summary (leader-epoch-summary.ts);
  // 'unwritten': no file yet, these entries (the clean stop left the file for the next checkpoint).
  const stored = o.known ?? (await file.read(o.loadFs));
  const hasEntries = stored.kind === 'found' || stored.kind === 'unwritten';
  const entries = hasEntries ? stored.entries : [];
  // What the file holds: the entries; nothing when there is none (also 'unwritten': so the cache
  // is dirty and the next checkpoint creates it); unknown when it is unreadable.
  const persisted = stored.kind === 'corrupt' ? null : stored.kind === 'found' ? entries : [];
  const cache = new LeaderEpochCache(file, o.logger, o.log, entries, persisted, stored.kind === 'found');
  return {
    cache,
    onRecoveredBatch: hasEntries ? (epoch, base) => cache.assignFromLog(epoch, base) : undefined,
    async finish(v, logStartOffset, logEndOffset) {
      // A missing file is never "no epochs": a non-empty log's entries are rebuilt from its batches.
      if (!hasEntries && logEndOffset > logStartOffset) {
        if (stored.kind === 'corrupt') o.logger().warn({ reason: stored.reason }, 'leader-epoch-checkpoint unreadable; rebuilding it from the log');
        await rebuildLeaderEpochs(v, logEndOffset, cache);
      }
      cache.truncateFromEnd(logEndOffset);
      cache.truncateFromStart(logStartOffset);
    },
  };
}

/** The cache of a partition whose directory was just created empty (PartitionLogOptions.fresh): no file to read, nothing to rebuild. */
export function freshLeaderEpochs(o: { dir: string; fs: StorageFs; logger: () => StorageLogger; log: LogEnd }): LeaderEpochLoad {
  const cache = new LeaderEpochCache(new LeaderEpochCheckpointFile(o.fs, o.dir), o.logger, o.log);
  return { cache, onRecoveredBatch: undefined, finish: async () => undefined };
}

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
