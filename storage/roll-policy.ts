/**
 * When the active segment rolls (Kafka's LogSegment.shouldRoll): before an append that would take
 * it past segment.bytes, once segment.ms passed since its first batch (append time; on load, its
 * first batch's max timestamp), once its index holds what segment.index.bytes allows, or when the
 * batch's last offset would not fit the indexes' 32-bit relative offsets. An empty segment never
 * rolls. The decision is size and time arithmetic only, made synchronously in append().
 *
 * No on-disk format lives here.
 */
import type { LogConfig } from './log-config.js';
import type { LogSegment } from './segment.js';
import { TIME_INDEX_ENTRY_SIZE } from './time-index.js';

export const INT32_MAX = 2147483647;

/** Entries an index of `indexBytes` holds; time-index entries are larger, so that bounds both. */
export function maxIndexEntries(indexBytes: number): number {
  return Math.max(1, Math.floor(indexBytes / TIME_INDEX_ENTRY_SIZE));
}

/** Whether `seg` must roll before a batch of `size` bytes ending at offset `last` is appended. */
export function shouldRoll(seg: LogSegment, size: number, last: number, now: number, cfg: LogConfig): boolean {
  if (seg.isEmpty) return false;
  return (
    seg.queuedSize + size > cfg.segmentBytes ||
    (seg.rollingBaseMs >= 0 && now - seg.rollingBaseMs > cfg.segmentMs) ||
    seg.queuedIndexEntries >= maxIndexEntries(cfg.segmentIndexBytes) ||
    last - seg.baseOffset > INT32_MAX
  );
}
