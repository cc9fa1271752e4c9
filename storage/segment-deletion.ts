/**
 * Removing a segment that left the log (retention, DeleteRecords) or was replaced (compaction).
 *
 * Its files were already renamed `<name>.deleted` (or, for compaction, its name now belongs to the
 * new file). Readers may still hold FileSlices on its fd, so: wait until the last slice is
 * released (the segment's pin count drops to zero), then wait file.delete.delay.ms, then close
 * the fd and unlink the `.deleted` files. The segment is marked retired once unpinned, so a
 * reader working from an older snapshot retries instead of reopening it by name.
 *
 * No on-disk format lives here (file names: file-names.ts).
 */
import type { StorageLogger } from './logger.js';
import type { FdCache } from './fd-cache.js';
import type { StorageFs } from './fs.js';
import type { LogSegment } from './segment.js';

export interface RemovalOptions {
  fs: StorageFs;
  fdCache: FdCache;
  /** file.delete.delay.ms, counted from the moment the last reader finished. */
  delayMs: number;
  /** false for a compacted-away segment: only close its fd (its name is the new file's). */
  unlink: boolean;
  logger: StorageLogger;
}

export function removeWhenUnused(seg: LogSegment, o: RemovalOptions): Promise<void> {
  return new Promise<void>((resolve) => {
    const remove = async () => {
      try {
        await o.fdCache.close(seg);
        if (o.unlink) await seg.unlinkAll(o.fs);
      } catch (e) {
        o.logger.warn({ err: e, segment: seg.baseOffset }, 'removing deleted segment failed');
      }
      resolve();
    };
    const afterReaders = () => {
      seg.retire();
      if (o.delayMs <= 0) void remove();
      else setTimeout(() => void remove(), o.delayMs).unref?.();
    };
    if (seg.pins > 0) o.fdCache.whenUnpinned(seg, afterReaders);
    else queueMicrotask(afterReaders);
  });
}
