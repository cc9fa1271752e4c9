/**
 * Which leading segments retention deletes (selectRetention, a pure decision), and one retention
 * pass over a log (retentionPass: reads the max timestamps the decision needs, has the log delete
 * the segments, rolls an expired active segment and goes again).
 *
 * Kafka's three rules, each selecting a prefix of the segment list; the union is deleted:
 *  - time (retention.ms, cleanup.policy has delete): segments whose newest record is older than
 *    retention.ms, stopping at the first one that is not;
 *  - size (retention.bytes): the oldest segments while the log minus them still exceeds the limit;
 *  - log start offset (DeleteRecords): segments wholly below it, once it is checkpointed
 *    (log-maintenance.ts says why).
 * Only segments wholly below the high watermark are deletable. The active segment is never
 * deleted here; when it alone is expired by time and holds data, `rollActive` asks the caller to
 * roll it so the next pass can delete it (Kafka does the same).
 *
 * No on-disk format lives here.
 */
import { RetiredSegmentError } from './errors.js';
import type { FdCache } from './fd-cache.js';
import type { StorageFs } from './fs.js';
import type { LogConfig } from './log-config.js';
import { withSegment } from './log-reader.js';
import type { LogSegment } from './segment.js';

export interface RetentionSegmentInfo {
  baseOffset: number;
  size: number;
  /** Largest record timestamp in the segment; treat unknown as "new". */
  maxTimestamp: number;
  /** Base offset of the next segment; null for the active segment. */
  nextBaseOffset: number | null;
  /** Offset after the segment's last batch. */
  endOffset: number;
}

export interface RetentionDecision {
  /** Number of leading segments to delete. */
  count: number;
  reason: 'time' | 'size' | 'log-start' | null;
  rollActive: boolean;
}

export function selectRetention(segs: readonly RetentionSegmentInfo[], cfg: LogConfig, now: number, logStartOffset: number, highWatermark: number): RetentionDecision {
  const inactive = segs.length - 1;
  const deletable = (i: number) => i < inactive && segs[i]!.nextBaseOffset !== null && segs[i]!.nextBaseOffset! <= highWatermark;
  let time = 0;
  let rollActive = false;
  if (cfg.cleanupPolicy.delete && cfg.retentionMs >= 0) {
    while (time < inactive && deletable(time) && segs[time]!.maxTimestamp >= 0 && now - segs[time]!.maxTimestamp > cfg.retentionMs) time++;
    const active = segs[inactive];
    if (time === inactive && active && active.size > 0 && active.endOffset <= highWatermark && active.maxTimestamp >= 0 && now - active.maxTimestamp > cfg.retentionMs) rollActive = true;
  }
  let size = 0;
  if (cfg.cleanupPolicy.delete && cfg.retentionBytes >= 0) {
    let total = 0;
    for (const s of segs) total += s.size;
    let diff = total - cfg.retentionBytes;
    while (size < inactive && deletable(size) && diff - segs[size]!.size >= 0) {
      diff -= segs[size]!.size;
      size++;
    }
  }
  let start = 0;
  while (start < inactive && deletable(start) && segs[start]!.nextBaseOffset! <= logStartOffset) start++;
  const count = Math.max(time, size, start);
  const reason = count === 0 ? null : count === time ? 'time' : count === size ? 'size' : 'log-start';
  return { count, reason, rollActive };
}

/** What a retention pass needs of a log (PartitionLog). */
export interface RetainedLog {
  readonly config: LogConfig;
  readonly logStartOffset: number;
  readonly highWatermark: number;
  readonly isOffline: boolean;
  readonly isClosed: boolean;
  readonly storageFs: StorageFs;
  readonly fds: FdCache;
  segmentList(): readonly LogSegment[];
  /** Deletes the first `count` segments (and any wholly below the log start offset); returns how many. */
  deleteLeadingSegments(count: number): Promise<number>;
  roll(): Promise<void>;
}

/**
 * Applies retention.ms / retention.bytes / the checkpointed log start offset to `log`: deletes whole leading
 * segments, rolling the active one first when it alone is expired. Returns the number deleted.
 * The caller serialises it with the log's other maintenance.
 */
export async function retentionPass(log: RetainedLog, checkpointedLogStart: number, now: number): Promise<number> {
  if (log.isClosed) return 0;
  const cfg = log.config;
  let deleted = 0;
  for (let round = 0; round < 2; round++) {
    const segs = log.segmentList();
    if (cfg.cleanupPolicy.delete && cfg.retentionMs >= 0) {
      // The time rule needs each leading segment's max timestamp: read it (one time-index entry)
      // up to the first segment that is not expired.
      for (const seg of segs) {
        if (seg.visibleSize === 0) continue;
        await withSegment(log.fds, seg, (fd) => seg.ensureTimeMeta(log.storageFs, async () => fd, cfg.indexIntervalBytes)).catch((e) => {
          if (!(e instanceof RetiredSegmentError)) throw e;
        });
        if (now - seg.maxTimestamp <= cfg.retentionMs) break;
      }
    }
    const sel = selectRetention(
      segs.map((s, i) => ({ baseOffset: s.baseOffset, size: s.queuedSize, maxTimestamp: s.timeMetaKnown ? s.maxTimestamp : Number.MAX_SAFE_INTEGER, nextBaseOffset: i + 1 < segs.length ? segs[i + 1]!.baseOffset : null, endOffset: s.nextOffset })),
      cfg,
      now,
      checkpointedLogStart,
      log.highWatermark,
    );
    deleted += await log.deleteLeadingSegments(sel.count);
    if (sel.rollActive && round === 0 && !log.isOffline && !log.isClosed) {
      await log.roll();
      continue;
    }
    break;
  }
  return deleted;
}
