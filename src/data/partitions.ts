/**
 * The partitions port: what request handlers and the coordinators use of a partition this broker
 * hosts — append, read, offsets and watermarks, timestamps, record deletion — and of the set of
 * them. It describes partition operations (Kafka's Partition / ReplicaManager), not the storage
 * engine: today every Partition is the partition's PartitionLog (storage/partition-log.ts, which
 * satisfies the interface as it is) handed out by LocalPartitions (local-partitions.ts); a
 * replica layer can put its own Partition behind the same interface.
 *
 * Identity matters: the same partition is always the same object (producer state and the append
 * order are keyed by it), until the topic is deleted or the partition moves.
 */
import type { LogConfig } from '../../storage/log-config.js';
import type { AppendResult, ReadOptions, ReadResult } from '../../storage/partition-log.js';

export type { AppendResult, ReadOptions, ReadResult };

/** The topic configs a Partition applies that the produce path reads per batch. */
export type PartitionConfig = Readonly<Pick<LogConfig, 'messageTimestampType' | 'cleanupPolicy'>>;

export interface Partition {
  readonly topic: string;
  readonly partition: number;
  /** First offset still readable (DeleteRecords and retention move it). */
  readonly logStartOffset: number;
  /** Offset the next append gets. */
  readonly logEndOffset: number;
  /** End of what readers may see: written (and fsynced under the default flush policy). */
  readonly highWatermark: number;
  /** The partition's storage failed; it serves nothing until restarted. */
  readonly isOffline: boolean;
  /** Bytes it holds (DescribeLogDirs). */
  readonly size: number;
  readonly config: PartitionConfig;
  /**
   * Appends one validated RecordBatch, assigning its offsets synchronously (stamped into the batch
   * in place); `written` resolves when readers may see it. Throws KafkaError when refused.
   */
  append(batch: Buffer, leaderEpoch?: number): AppendResult;
  /** Batches from the one holding `offset`, as file slices, bounded by `maxBytes` and the high watermark. */
  read(offset: number, maxBytes: number, opts?: ReadOptions): Promise<ReadResult>;
  /** Whole batches copied into memory, from `fromOffset` (coordinators replaying their state). */
  readBatches(fromOffset: number, maxBytes: number): Promise<Buffer[]>;
  /** Calls `cb` once data past `offset` is readable; returns a function that cancels the wait. */
  waitForData(offset: number, cb: () => void): () => void;
  /** The first offset whose timestamp is at least `timestamp` (ListOffsets), or null. */
  offsetForTimestamp(timestamp: number): Promise<{ offset: number; timestamp: number } | null>;
  /** The record with the largest timestamp (ListOffsets -3), or null when empty. */
  maxTimestampOffset(): Promise<{ offset: number; timestamp: number } | null>;
  /** Moves the log start offset up to `offset` (DeleteRecords); resolves with the new low watermark. */
  deleteRecordsBefore(offset: number): Promise<number>;
}

export interface PartitionsPort {
  /** The partition when this broker hosts it (its topic exists and the index is in range), else undefined. */
  get(topic: string, partition: number): Partition | undefined;
  /**
   * Runs `append` in the partition's arrival order: synchronously when nothing waits on the
   * partition and there is nothing to `prepare`; otherwise after `prepare` and after every
   * earlier append that had to wait (data/append-order.ts).
   */
  appendInOrder<T>(partition: Partition, prepare: (() => Promise<void>) | null, append: () => T): T | Promise<T>;
  /**
   * Resolves once the log start offsets moved so far (deleteRecordsBefore) survive a crash; rejects
   * when recording them failed. DeleteRecords answers after it.
   */
  persistLogStartOffsets(): Promise<void>;
  /** Why client appends are refused broker-wide right now (the disk is below its free-space threshold), or null. */
  readonly appendRefusal: string | null;
  /** The directory the partitions are stored in (DescribeLogDirs). */
  readonly logDir: string;
}
