/**
 * Which leading segments retention deletes (pure decision; PartitionLog does the deleting).
 *
 * Kafka's three rules, each selecting a prefix of the segment list; the union is deleted:
 *  - time (retention.ms, cleanup.policy has delete): segments whose newest record is older than
 *    retention.ms, stopping at the first one that is not;
 *  - size (retention.bytes): the oldest segments while the log minus them still exceeds the limit;
 *  - log start offset (DeleteRecords): segments wholly below it.
 * Only segments wholly below the high watermark are deletable. The active segment is never
 * deleted here; when it alone is expired by time and holds data, `rollActive` asks the caller to
 * roll it so the next pass can delete it (Kafka does the same).
 *
 * No on-disk format lives here.
 */
import type { LogConfig } from './log-config.js';

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
