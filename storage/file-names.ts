/**
 * Kafka's file and directory names.
 *
 *   <dataDir>/<topic>-<partition>/                     one directory per partition
 *     <20-digit base offset>.log | .index | .timeindex  one segment
 *     <name>.deleted                                   segment waiting for its readers, then removal
 *     <name>.cleaned / <name>.swap                      compaction output before / at the commit rename
 *     leader-epoch-checkpoint                          leader epoch → start offset (leader-epoch-checkpoint.ts)
 *   <dataDir>/<topic>-<partition>.<uuid>-delete/       partition directory of a deleted topic (the
 *                                                    topic cut short so the name fits 255 bytes)
 *   <dataDir>/recovery-point-offset-checkpoint, log-start-offset-checkpoint, cleaner-offset-checkpoint,
 *             replication-offset-checkpoint (replicated logs' high watermarks)
 *   <dataDir>/.kafka_cleanshutdown                     present only after a clean shutdown
 *   <dataDir>/runnel-leader-epochs-at-clean-shutdown   Runnel's: every leader-epoch-checkpoint in one
 *                                                    file, beside the marker (leader-epoch-summary.ts)
 */
import { join } from 'node:path';

export const LOG_SUFFIX = '.log';
export const INDEX_SUFFIX = '.index';
export const TIME_INDEX_SUFFIX = '.timeindex';
export const DELETED_SUFFIX = '.deleted';
export const CLEANED_SUFFIX = '.cleaned';
export const SWAP_SUFFIX = '.swap';
export const DELETE_DIR_SUFFIX = '-delete';
export const CLEAN_SHUTDOWN_FILE = '.kafka_cleanshutdown';
export const RECOVERY_POINT_CHECKPOINT = 'recovery-point-offset-checkpoint';
export const LOG_START_CHECKPOINT = 'log-start-offset-checkpoint';
export const CLEANER_CHECKPOINT = 'cleaner-offset-checkpoint';
export const REPLICATION_CHECKPOINT = 'replication-offset-checkpoint';
/** In each partition directory (Kafka's LeaderEpochCheckpointFile name). */
export const LEADER_EPOCH_CHECKPOINT = 'leader-epoch-checkpoint';
/** In the data dir, only after a clean shutdown (leader-epoch-summary.ts). */
export const LEADER_EPOCH_SUMMARY = 'runnel-leader-epochs-at-clean-shutdown';

export function offsetFileName(offset: number): string {
  return String(offset).padStart(20, '0');
}

export function segmentPaths(dir: string, baseOffset: number) {
  const stem = join(dir, offsetFileName(baseOffset));
  return { log: stem + LOG_SUFFIX, index: stem + INDEX_SUFFIX, timeIndex: stem + TIME_INDEX_SUFFIX };
}

export function partitionDirName(topic: string, partition: number): string {
  return `${topic}-${partition}`;
}

/** The longest file name Linux file systems accept, in bytes (topic names are ASCII). */
export const MAX_FILE_NAME_BYTES = 255;

/**
 * `<topic>-<partition>.<uniqueId>-delete`: where a deleted partition waits for its removal. Topic
 * names may be 249 characters, so the whole name could pass the 255-byte limit and the rename
 * would fail (ENAMETOOLONG): the topic part is cut to fit, as Kafka's logDeleteDirName does. The
 * unique id keeps truncated names apart; nothing parses the topic back out of these names.
 */
export function deleteDirName(topic: string, partition: number, uniqueId: string): string {
  const suffix = `-${partition}.${uniqueId}${DELETE_DIR_SUFFIX}`;
  return topic.slice(0, Math.max(0, MAX_FILE_NAME_BYTES - suffix.length)) + suffix;
}

/** `<topic>-<partition>` → parts (topic names may contain '-', so split at the last one). */
export function parsePartitionDirName(name: string): { topic: string; partition: number } | null {
  const dash = name.lastIndexOf('-');
  if (dash <= 0 || dash === name.length - 1) return null;
  const p = name.slice(dash + 1);
  if (!/^\d{1,9}$/.test(p)) return null;
  return { topic: name.slice(0, dash), partition: Number(p) };
}

/** Base offset of a segment file name (`00000000000000000042.log` → 42), or null. */
export function parseSegmentFileName(name: string, suffix: string): number | null {
  if (!name.endsWith(suffix)) return null;
  const stem = name.slice(0, name.length - suffix.length);
  if (!/^\d{20}$/.test(stem)) return null;
  return Number(stem);
}
