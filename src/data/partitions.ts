/**
 * The partitions port: what request handlers and the coordinators use of a partition this broker
 * hosts, and of the set of them. A `Partition` is Kafka's Partition (cluster/Partition.scala): the
 * replica state — leader, leader epoch, replicas, ISR — over the partition's log, with the
 * operations every data API performs on it (append as leader, read, offsets by time, record
 * deletion, leader-epoch lookups), each checking the request's current leader epoch where the
 * API carries one. src/replica/partition.ts implements it (src/replica/hosted-partitions.ts hands
 * them out, from its ReplicaManager); test/unit/handlers/fakes.ts runs the same classes over
 * in-memory logs.
 *
 * Identity matters: the same partition is always the same object (producer state and the append
 * order are keyed by it), until the topic is deleted or the partition moves.
 */
import type { ErrorCodeValue } from '../../protocol/errors.js';
import type { EpochEndOffset } from '../../storage/leader-epoch-cache.js';
import type { LogConfig } from '../../storage/log-config.js';
import type { AppendResult, ReadOptions, ReadResult } from '../../storage/partition-log.js';

export type { AppendResult, EpochEndOffset, ReadOptions, ReadResult };

/** A request's "current leader epoch" when it names none (Kafka's RecordBatch.NO_PARTITION_LEADER_EPOCH): not checked. */
export const NO_CURRENT_LEADER_EPOCH = -1;
/** ListOffsets timestamps with a meaning of their own. */
export const LATEST_TIMESTAMP = -1;
export const EARLIEST_TIMESTAMP = -2;
export const MAX_TIMESTAMP = -3;

/** The topic configs a Partition applies that the produce path reads per batch. */
export type PartitionConfig = Readonly<Pick<LogConfig, 'messageTimestampType' | 'cleanupPolicy'>>;

/** Fetch options: the log's, plus the epoch the client believes the leader has. */
export interface PartitionReadOptions extends ReadOptions {
  /** -1 or absent: not checked. */
  currentLeaderEpoch?: number;
  /** False: a follower may serve the read (checkReplica); default true, only the leader (checkLeader). */
  leaderOnly?: boolean;
}

/** A ListOffsets answer: the offset, its record's timestamp (-1 for earliest/latest) and its leader epoch (-1: unknown). */
export interface OffsetAndEpoch {
  offset: number;
  timestamp: number;
  leaderEpoch: number;
}

/** An OffsetsForLeaderEpoch answer for one partition (the response's fields). */
export interface EpochEndOffsetAnswer {
  errorCode: ErrorCodeValue;
  leaderEpoch: number;
  endOffset: number;
}

/**
 * Cluster mode: how a partition leader serves its followers' fetches (Fetch with replica_id ≥ 0;
 * Kafka's Partition.fetchRecords for a follower). The Fetch handler checks, reads with
 * `upToLogEnd`, long-polls on waitForEnd, and records each fetch.
 */
export interface FollowerFetchServing {
  /** NONE, or the refusal: checkLeader's errors, then a replica id not among the other replicas (UNKNOWN_LEADER_EPOCH with an epoch, else NOT_LEADER_OR_FOLLOWER). */
  checkFollowerFetch(replicaId: number, currentLeaderEpoch: number): ErrorCodeValue;
  /** How far followers may read: the leader's visible (durable) end. */
  readonly followerFetchEnd: number;
  /** Calls `cb` once the visible end passes `offset`; returns a cancel function. */
  waitForEnd(offset: number, cb: () => void): () => void;
  /**
   * A follower's fetch was served: its log end is `fetchOffset` (Kafka's updateFollowerFetchState,
   * with the leader's end `leaderEndOffset` as read before serving); may move the high watermark
   * and expand the ISR.
   */
  updateFollowerFetchState(replicaId: number, fetchOffset: number, logStartOffset: number, leaderEndOffset: number, nowMs: number): void;
  /** Whether the partition's replication is throttled on this leader (its topic's leader.replication.throttled.replicas names this broker). */
  readonly leaderThrottled: boolean;
  /**
   * Kafka's shouldLeaderThrottle: answer `replicaId` no records now — the partition is throttled
   * here, the follower is outside the ISR, and the leader's replication quota is exceeded.
   */
  shouldLeaderThrottle(replicaId: number): boolean;
  /** Record bytes of a throttled partition were sent to a follower: they count against the leader quota. */
  recordLeaderThrottledBytes(bytes: number): void;
}

export interface Partition {
  readonly topic: string;
  readonly partition: number;
  /** The id (16 bytes) of the topic it belongs to. */
  readonly topicId: Buffer;

  // ---- replica state (Kafka's LeaderAndIsr; single node: this broker, epoch 0) ------------------
  /** The leader's node id (-1: none). */
  readonly leaderId: number;
  /** The current leader epoch (-1 before a leader was chosen). */
  readonly leaderEpoch: number;
  /** Every replica's node id, the preferred leader first. */
  readonly replicas: readonly number[];
  /** The in-sync replicas. */
  readonly isr: readonly number[];
  /** Replicas whose log is unavailable. */
  readonly offlineReplicas: readonly number[];
  /** This broker leads the partition. */
  readonly isLeader: boolean;

  // ---- the log's state -------------------------------------------------------------------------
  /** First offset still readable (DeleteRecords and retention move it). */
  readonly logStartOffset: number;
  /** Offset the next append gets. */
  readonly logEndOffset: number;
  /** End of what readers may see: written (and fsynced under the default flush policy). */
  readonly highWatermark: number;
  /** The partition's storage failed; it serves nothing until restarted. */
  readonly isOffline: boolean;
  /** Its log was closed (topic deleted, broker stopping): nothing more is written beside it. */
  readonly isClosed: boolean;
  /** Bytes it holds (DescribeLogDirs). */
  readonly size: number;
  /** The directory of its files (producer-state snapshots are kept there, beside the log). */
  readonly dir: string;
  readonly config: PartitionConfig;

  // ---- operations ------------------------------------------------------------------------------
  /**
   * NONE, or why a request for the leader's log is refused (Kafka's getLocalLog): a current leader
   * epoch older than ours FENCED_LEADER_EPOCH, newer UNKNOWN_LEADER_EPOCH (-1: not checked), then
   * NOT_LEADER_OR_FOLLOWER when this broker does not lead (cluster mode: a leader fenced by its lost
   * etcd lease still serves these reads; writes are refused). read, fetchOffsetForTimestamp and
   * lastOffsetForLeaderEpoch check it themselves; Fetch asks first, for reads it answers without
   * reading the log.
   */
  checkLeader(currentLeaderEpoch: number): ErrorCodeValue;
  /**
   * checkLeader for a read any replica may serve (a consumer's Fetch v11+, KIP-392: Kafka's
   * fetchOnlyLeader is false then): the current-leader-epoch errors only. A follower serves up to
   * its own high watermark (min of the leader's and its log end).
   */
  checkReplica(currentLeaderEpoch: number): ErrorCodeValue;
  /**
   * False when a Produce with `requiredAcks` must be refused with NOT_ENOUGH_REPLICAS: acks=-1 and
   * fewer in-sync replicas than `minInsyncReplicas`. `append` checks it too; the produce path may
   * ask first, to refuse before reading the batch (Kafka checks before validating records).
   */
  hasEnoughReplicas(requiredAcks: number, minInsyncReplicas: number): boolean;
  /**
   * Appends one validated RecordBatch as the leader (Kafka's appendRecordsToLeader), stamped with
   * the current leader epoch, assigning its offsets synchronously (in place in the batch);
   * `written` resolves when readers may see it. With `requiredAcks` -1, refuses unless
   * hasEnoughReplicas (default acks 1: no such check). Throws KafkaError (NOT_LEADER_OR_FOLLOWER,
   * NOT_ENOUGH_REPLICAS, KAFKA_STORAGE_ERROR, ...).
   */
  append(batch: Buffer, requiredAcks?: number, minInsyncReplicas?: number): AppendResult;
  /**
   * What a Produce with `requiredAcks` waits for before answering (null: nothing, acks=0); rejects
   * with the write's KAFKA_STORAGE_ERROR. Single node: the write (fsynced under the default flush
   * policy). Cluster, acks=-1: the high watermark passing the batch, with at least
   * `minInsyncReplicas` in the ISR then (else NOT_ENOUGH_REPLICAS_AFTER_APPEND); that wait enforces
   * `timeoutMs` itself (REQUEST_TIMED_OUT).
   */
  acknowledgement(appended: AppendResult, requiredAcks: number, minInsyncReplicas?: number, timeoutMs?: number): Promise<void> | null;
  /** Cluster mode: serving followers' fetches; null on a single node, where Fetch ignores replica ids as before. */
  readonly replication: FollowerFetchServing | null;
  /**
   * Batches from the one holding `offset`, as file slices, bounded by `maxBytes` and the high
   * watermark (or opts.maxOffset). Rejects with the current-leader-epoch errors first, then
   * NOT_LEADER_OR_FOLLOWER, OFFSET_OUT_OF_RANGE, KAFKA_STORAGE_ERROR.
   */
  read(offset: number, maxBytes: number, opts?: PartitionReadOptions): Promise<ReadResult>;
  /**
   * Fetch v12+ last_fetched_epoch: null when the fetcher's log agrees with ours up to
   * `fetchOffset`, else the epoch and end offset it must truncate to. Throws KafkaError.
   */
  divergingEpoch(fetchOffset: number, lastFetchedEpoch: number, currentLeaderEpoch: number): EpochEndOffset | null;
  /**
   * Whole batches copied into memory, from `fromOffset` (coordinators and producer state replaying
   * the log): up to the high watermark; in cluster mode up to the log's visible end, committed or
   * not, as Kafka's producer state covers every appended batch.
   */
  readBatches(fromOffset: number, maxBytes: number): Promise<Buffer[]>;
  /** Calls `cb` once data past `offset` is readable; returns a function that cancels the wait. */
  waitForData(offset: number, cb: () => void): () => void;
  /**
   * ListOffsets: LATEST_TIMESTAMP → `lastFetchableOffset` (high watermark or last stable offset),
   * EARLIEST_TIMESTAMP → the log start, MAX_TIMESTAMP → the record with the largest timestamp,
   * else the first record with a timestamp ≥ it; each with its leader epoch; null when none.
   * Throws the current-leader-epoch errors and NOT_LEADER_OR_FOLLOWER.
   */
  fetchOffsetForTimestamp(timestamp: number, currentLeaderEpoch: number, lastFetchableOffset: number | null): Promise<OffsetAndEpoch | null>;
  /** Moves the log start offset up to `offset` (-1: the high watermark; DeleteRecords); resolves with the new low watermark. */
  deleteRecordsBefore(offset: number): Promise<number>;
  /**
   * DeleteRecords, after deleteRecordsBefore moved the leader's log start: the partition's answer.
   * Single node: NONE with the log start at once. Cluster (Kafka's DelayedDeleteRecords): NONE with
   * the low watermark (the smallest log start over the live replicas) once it reaches `required`;
   * REQUEST_TIMED_OUT after `timeoutMs`; NOT_LEADER_OR_FOLLOWER (-1) if leadership moved. Never rejects.
   */
  awaitLowWatermark(required: number, timeoutMs: number): Promise<{ errorCode: ErrorCodeValue; lowWatermark: number }>;
  /** OffsetsForLeaderEpoch: where `leaderEpoch` ends here, after the storage and current-leader-epoch checks. */
  lastOffsetForLeaderEpoch(currentLeaderEpoch: number, leaderEpoch: number): EpochEndOffsetAnswer;
}

/** Finds hosted partitions. */
export interface PartitionLookup {
  /** The partition when this broker hosts it (its topic exists and the index is in range), else undefined. */
  get(topic: string, partition: number): Partition | undefined;
}

export interface PartitionsPort extends PartitionLookup {
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
  /**
   * Why `get` found nothing for a partition of a known topic (Kafka's getPartitionOrError): in a
   * cluster NOT_LEADER_OR_FOLLOWER when the partition exists but is not hosted here; otherwise
   * (and when absent) UNKNOWN_TOPIC_OR_PARTITION.
   */
  missingPartitionError?(topic: string, partition: number): number;
}
