/**
 * What a LogManager (log-manager.ts) is opened with, and the startup figures it reports: the
 * contract between the storage floor and the broker that composes it, kept apart from the manager's
 * work.
 */
import type { CleanerOptions } from './cleaner.js';
import type { StorageFs } from './fs.js';
import type { LogConfig } from './log-config.js';
import type { StorageLogger } from './logger.js';
import type { PartitionLogRef } from './partition-log-options.js';

export interface LogManagerOptions {
  dataDir: string;
  fs?: StorageFs;
  logger: StorageLogger;
  defaults: LogConfig;
  /** runnel.max.open.files: soft bound on open segment fds (default 1000). */
  maxOpenFiles?: number;
  /** log.retention.check.interval.ms (default 300000). 0 disables the background task. */
  retentionCheckIntervalMs?: number;
  /** log.flush.offset.checkpoint.interval.ms (default 60000). */
  recoveryPointCheckpointIntervalMs?: number;
  /** log.cleaner.backoff.ms (default 15000). 0 disables background compaction. */
  cleanerBackoffMs?: number;
  /** Concurrent partition loads at startup (default 64). */
  loadConcurrency?: number;
  /** Cleaner hooks (decompress) and bounds. */
  cleaner?: Omit<CleanerOptions, 'now' | 'force'>;
  /** Observes every segment fdatasync (duration, failure), e.g. for fsync latency metrics. */
  onFsync?: (seconds: number, failed: boolean) => void;
  /**
   * Cluster mode: every log opens replicated (PartitionLog.setReplicated), its high watermark
   * resuming from replication-offset-checkpoint. Default false (single node). A log switched to
   * replicated mode later keeps the high watermark it has (its visible end), so a cluster broker
   * must set this to resume the replicated ones.
   */
  replicated?: boolean;
  /**
   * Called when a partition log went offline on a storage failure, or a segment write failed
   * (ENOSPC, EIO: the log rewinds and stays online for later appends). A cluster broker stops on
   * it (Kafka's rule for a broker whose only log dir failed), so that its leaderships move to
   * replicas that can still write.
   */
  onLogDirFailure?: (log: PartitionLogRef, err: unknown) => void;
}

export interface StorageStats {
  recoveredBytes: number;
  recoveryMs: number;
  uncleanShutdown: boolean;
  truncatedBytes: number;
  partitionsLoaded: number;
}
