/**
 * The options of PartitionLog.open(): where the partition lives, its config, the fs and fd cache
 * it shares with its LogManager, what it knows from the data dir's checkpoints, and callbacks.
 *
 * No on-disk format lives here.
 */
import type { FdCache } from './fd-cache.js';
import type { KnownEpochs } from './leader-epoch-summary.js';
import type { StorageFs } from './fs.js';
import type { LogConfig } from './log-config.js';
import type { StorageLogger } from './logger.js';

/** The log a callback is about (a PartitionLog). */
export interface PartitionLogRef {
  readonly topic: string;
  readonly partition: number;
  readonly logStartOffset: number;
}

export interface PartitionLogOptions {
  topic: string;
  partition: number;
  dir: string;
  config: LogConfig;
  fs?: StorageFs;
  /** The fs used while loading/recovering (LogManager passes blocking startupSyncFs). Default: fs. */
  loadFs?: StorageFs;
  fdCache?: FdCache;
  logger?: StorageLogger;
  /** Create the directory if missing (default true; the manager skips it for discovered dirs). */
  createDir?: boolean;
  /**
   * The directory was just created empty (LogManager.createFresh: a new topic or partition, with
   * anything left under its name moved aside first), so there is nothing to read: no segment, no
   * leader-epoch-checkpoint. Opening then touches no file — creating 10,000 partitions costs no
   * 10,000 failed opens (each a thrown ENOENT) and directory listings.
   */
  fresh?: boolean;
  /**
   * What the partition's leader-epoch-checkpoint holds, known without reading it: from the
   * clean-shutdown summary (leader-epoch-summary.ts). Absent: the file is read.
   */
  knownLeaderEpochs?: KnownEpochs;
  /** Whether the data dir was shut down cleanly (no batch-by-batch scan). Default false. */
  cleanShutdown?: boolean;
  recoveryPoint?: number;
  logStartOffset?: number;
  /** Called when the log start offset moved (the manager checkpoints it). */
  onLogStartOffsetChanged?: (log: PartitionLogRef) => void;
  /** Called when the log went offline after a storage failure. */
  onOffline?: (log: PartitionLogRef, err: unknown) => void;
  /** Called when a segment write failed (ENOSPC, EIO) and the appends were rejected; the log stays online. */
  onWriteFailed?: (log: PartitionLogRef, err: unknown) => void;
  /** Observes every fdatasync of a segment: its duration and whether it failed (metrics). */
  onFsync?: (seconds: number, failed: boolean) => void;
  /** Open in replicated mode (PartitionLog.setReplicated): the replication layer moves the high watermark. */
  replicated?: boolean;
  /**
   * Replicated mode: the high watermark from replication-offset-checkpoint. The log's starts at
   * min(this, log end), and not below the log start offset (which it is when this is missing).
   */
  highWatermark?: number;
  /**
   * Awaited after a truncation moved the log's end back, before appends resume: the log manager
   * writes its checkpoints then. A recovery point left above the new end would survive a crash,
   * and batches appended after the truncation below it would be neither scanned nor their leader
   * epochs learned. A failure takes the log offline.
   */
  afterTruncation?: (log: PartitionLogRef) => Promise<void>;
}
