/**
 * One partition as this broker hosts it (Kafka's cluster/Partition.scala, written from its
 * behaviour): the replica state — leader, leader epoch, partition epoch, replicas, ISR — over the
 * partition's log, and every request that reads or writes the partition going through it, so that
 * the epoch checks and "am I the leader?" live in one place.
 *
 * Single node: this broker is the only replica, leader at the newest epoch its log has (0 so
 * far), ISR = {this broker}; the high watermark is the log's visible end (fsynced under the
 * default flush policy).
 *
 * Cluster (a ReplicationContext given; the log opened replicated): `replication`, a ClusterReplica
 * (cluster-replica.ts), holds the rest — followers' fetch state and the high watermark as leader,
 * acks=all waiting for it, ISR changes, serving followers' fetches, and what the fetcher does to
 * the log as follower. On a single node it is null and every path here is the single-node one.
 *
 * Current leader epoch (KIP-320): Fetch v9+, ListOffsets v4+ and OffsetsForLeaderEpoch v2+ carry
 * the epoch the client believes the leader has; -1 means "not given" and is not checked (Fetch
 * turns any negative value into -1 first, as Kafka's FetchRequest does). Older than
 * ours → FENCED_LEADER_EPOCH (the client is behind and refreshes its metadata), newer →
 * UNKNOWN_LEADER_EPOCH (we are behind), as Kafka's Partition checks it. Produce carries none
 * (KIP-951 only adds leader hints to its response, v10+).
 *
 * It is the port's Partition (src/data/partitions.ts), which handlers and coordinators see through
 * `ctx.partitions`: members named like PartitionLog's (read, deleteRecordsBefore, highWatermark
 * ...) keep its meaning plus the replica checks; `append` is Kafka's appendRecordsToLeader; the
 * Kafka-named ones (fetchOffsetForTimestamp, lastOffsetForLeaderEpoch, divergingEpoch) answer from
 * the leader-epoch cache.
 *
 * Fenced leader (cluster mode, `fence()`: this broker's etcd lease counts as lost, docs/cluster.md
 * "Losing etcd"): it stops leading — appends, acks=all waits, DeleteRecords and followers' fetches
 * are refused, the coordinators resign — but keeps answering consumers' reads of its log (Fetch,
 * ListOffsets, OffsetsForLeaderEpoch) up to the high watermark it had, which stays put. That is
 * safe: everything below it is on every ISR member it knew of, and any leader the controller may
 * have elected meanwhile comes from that ISR, so it has those records at the same offsets. A
 * reader only risks seeing no newer records there (staleness, never loss or a record that goes
 * away). Until the image or unfencing changes the state. Hot path: read and append add two field compares to the log's call and
 * allocate nothing.
 */
import { ErrorCode, type ErrorCodeValue, KafkaError } from '../../protocol/errors.js';
import type * as port from '../data/partitions.js';
import {
  EARLIEST_TIMESTAMP,
  type EpochEndOffsetAnswer,
  LATEST_TIMESTAMP,
  MAX_TIMESTAMP,
  NO_CURRENT_LEADER_EPOCH,
  type OffsetAndEpoch,
  type PartitionConfig,
  type PartitionReadOptions,
} from '../data/partitions.js';
import { type EpochEndOffset, type LeaderEpochCache, UNDEFINED_EPOCH, UNDEFINED_EPOCH_OFFSET } from '../../storage/leader-epoch-cache.js';
import type { AppendResult, ReadOptions, ReadResult } from '../../storage/partition-log.js';
import { ClusterReplica, type ReplicatedLog } from './cluster-replica.js';
import type { ReplicationContext } from './replication-context.js';

export { EARLIEST_TIMESTAMP, LATEST_TIMESTAMP, MAX_TIMESTAMP, NO_CURRENT_LEADER_EPOCH };
export type { EpochEndOffsetAnswer, OffsetAndEpoch, PartitionReadOptions };

/** What the controller decides for a partition (Kafka's LeaderAndIsr; with one broker: fixed). */
export interface PartitionState {
  leaderEpoch: number;
  partitionEpoch: number;
  replicas: readonly number[];
  isr: readonly number[];
}

/**
 * What a Partition uses of its log: storage/partition-log.ts's PartitionLog (which satisfies it as
 * it is), or an in-memory log in handler unit tests.
 */
export interface ReplicaLog {
  readonly topic: string;
  readonly partition: number;
  readonly dir: string;
  readonly logStartOffset: number;
  readonly logEndOffset: number;
  readonly highWatermark: number;
  readonly isOffline: boolean;
  readonly isClosed: boolean;
  readonly size: number;
  readonly config: PartitionConfig;
  /** Where each leader epoch began (file `leader-epoch-checkpoint`). */
  readonly leaderEpochs: LeaderEpochCache;
  append(batch: Buffer, leaderEpoch?: number): AppendResult;
  read(offset: number, maxBytes: number, opts?: ReadOptions): Promise<ReadResult>;
  readBatches(fromOffset: number, maxBytes: number, upToLogEnd?: boolean): Promise<Buffer[]>;
  waitForData(offset: number, cb: () => void): () => void;
  offsetForTimestamp(timestamp: number): Promise<{ offset: number; timestamp: number } | null>;
  maxTimestampOffset(): Promise<{ offset: number; timestamp: number } | null>;
  deleteRecordsBefore(offset: number): Promise<number>;
  /** Set by a log opened replicated (cluster mode; storage/partition-log.ts). */
  readonly isReplicated?: boolean;
}

const NO_REPLICAS: readonly number[] = Object.freeze([]);

export function epochAnswer(errorCode: ErrorCodeValue, leaderEpoch = UNDEFINED_EPOCH, endOffset = UNDEFINED_EPOCH_OFFSET): EpochEndOffsetAnswer {
  return { errorCode, leaderEpoch, endOffset };
}

const NOT_ENOUGH_REPLICAS_MESSAGE = 'Messages are rejected since there are fewer in-sync replicas than required.';

export class Partition implements port.Partition {
  readonly topic: string;
  /** The partition index (named as on PartitionLog). */
  readonly partition: number;

  private _leaderId = -1;
  private _leaderEpoch = UNDEFINED_EPOCH;
  private _partitionEpoch = -1;
  private _replicas: readonly number[] = NO_REPLICAS;
  private _isr: readonly number[] = NO_REPLICAS;
  /** The log end offset when this broker became leader at the current epoch (Kafka's leaderEpochStartOffsetOpt). */
  private epochStartOffset = -1;
  /** It led at the current epoch and was fenced (see the header): reads are still served here, writes not. */
  private fencedLeader = false;
  /** Cluster mode: the replication half (null on a single node). */
  readonly replication: ClusterReplica | null;

  constructor(
    /** The partition's log. */
    readonly log: ReplicaLog,
    /** The topic id (16 bytes) of the topic this partition belongs to. */
    readonly topicId: Buffer,
    /** This broker's node id. */
    readonly localBrokerId: number,
    /** Cluster mode (the log must be opened replicated); absent on a single node. */
    replication: ReplicationContext | null = null,
  ) {
    this.topic = log.topic;
    this.partition = log.partition;
    this.replication = replication === null ? null : new ClusterReplica(this, log as ReplicatedLog, replication);
  }

  // ---- replica state -----------------------------------------------------------------------

  get leaderId(): number {
    return this._leaderId;
  }
  get leaderEpoch(): number {
    return this._leaderEpoch;
  }
  get partitionEpoch(): number {
    return this._partitionEpoch;
  }
  get replicas(): readonly number[] {
    return this._replicas;
  }
  get isr(): readonly number[] {
    return this._isr;
  }
  /** Replicas whose log is unavailable. Single node: none is reported (the log's state is per request). */
  get offlineReplicas(): readonly number[] {
    return NO_REPLICAS;
  }
  get isLeader(): boolean {
    return this._leaderId === this.localBrokerId;
  }
  /** Led here at the current leader epoch until this broker was fenced: still serves reads (see the header). */
  get isFencedLeader(): boolean {
    return this.fencedLeader;
  }
  /** The log end offset at which the current leader epoch began here (-1 when not leader). */
  get leaderEpochStartOffset(): number {
    return this.epochStartOffset;
  }

  /**
   * Makes this broker the partition's leader with `state` (Kafka's makeLeader). A state older than
   * the one held (lower partition epoch) is ignored. A new leader epoch is recorded in the log's
   * leader-epoch cache at the current log end offset, so that OffsetsForLeaderEpoch for the
   * previous epoch answers where it ended. Returns whether this broker was not the leader before.
   *
   * Cluster: the controller's decisions arrive here and in makeFollower; a new leader epoch (or
   * leading again) also resets the followers' fetch state, and an ISR change may move the high
   * watermark (ClusterReplica.leading).
   */
  makeLeader(state: PartitionState): boolean {
    if (state.partitionEpoch < this._partitionEpoch) return false;
    this.fencedLeader = false;
    const wasLeader = this.isLeader;
    this._replicas = state.replicas;
    this._isr = state.isr;
    // A follower (or a fenced leader) knows the epoch without having it in its cache: record it
    // when it leads at an epoch its log does not have yet.
    const newEpoch = state.leaderEpoch > this._leaderEpoch || (!wasLeader && state.leaderEpoch > this.log.leaderEpochs.latestEpoch);
    if (newEpoch) {
      const start = this.log.logEndOffset;
      this.log.leaderEpochs.assign(state.leaderEpoch, start);
      this._leaderEpoch = state.leaderEpoch;
      this.epochStartOffset = start;
    } else if (!wasLeader) {
      // Leading again at an epoch its log has (fenced, then unfenced): it began where the cache says.
      const e = this.log.leaderEpochs.latestEntry();
      if (e !== null && e.epoch === this._leaderEpoch) this.epochStartOffset = e.startOffset;
    }
    this._partitionEpoch = state.partitionEpoch;
    this._leaderId = this.localBrokerId;
    this.replication?.leading(newEpoch || !wasLeader);
    return !wasLeader;
  }

  /**
   * Makes this broker a follower of `leaderId` with `state` (Kafka's makeFollower; -1: no leader
   * known, or this broker is fenced and stops acting as leader). A state older than the one held
   * (lower partition epoch) is ignored. Appends are refused from now on (NOT_LEADER_OR_FOLLOWER)
   * and produces waiting for the high watermark fail so; a follower does not record the leader
   * epoch in its epoch cache (the fetched batches carry theirs). Returns whether the leader or the
   * leader epoch changed: the follower fetcher must (re)start for this partition (the replica
   * manager tells the fetchers; the fetcher truncates where the logs diverged).
   */
  makeFollower(state: PartitionState, leaderId: number): boolean {
    if (state.partitionEpoch < this._partitionEpoch) return false;
    this.fencedLeader = false;
    const changed = leaderId !== this._leaderId || state.leaderEpoch !== this._leaderEpoch;
    this._replicas = state.replicas;
    this._isr = state.isr;
    this._leaderEpoch = Math.max(this._leaderEpoch, state.leaderEpoch);
    this._partitionEpoch = state.partitionEpoch;
    this._leaderId = leaderId === this.localBrokerId ? -1 : leaderId;
    this.epochStartOffset = -1;
    this.replication?.following(changed);
    return changed;
  }

  /**
   * This broker's lease counts as lost (cluster mode): it stops leading at once, as makeFollower
   * with no leader known, but as a fenced leader it keeps serving reads of what it committed (see
   * the header). Returns whether it was leading.
   */
  fence(): boolean {
    if (!this.isLeader) return false;
    this.makeFollower({ leaderEpoch: this._leaderEpoch, partitionEpoch: this._partitionEpoch, replicas: this._replicas, isr: this._isr }, -1);
    this.fencedLeader = true;
    return true;
  }

  /**
   * This broker no longer hosts the partition (a reassignment took it off, or the topic went).
   * It stops leading at once: appends are refused and acks=all produces waiting for the high
   * watermark fail with NOT_LEADER_OR_FOLLOWER (Kafka completes them so when a replica is
   * stopped), so their clients retry on the new leader instead of waiting out timeout_ms. Without
   * this a leader dropped by a reassignment — its state goes straight from leader to not a
   * replica, never through makeFollower — left those produces parked until their timeout.
   */
  unhosted(): void {
    this.fencedLeader = false;
    this._leaderId = -1;
    this.epochStartOffset = -1;
    this.replication?.following(false);
  }

  /** NONE, FENCED_LEADER_EPOCH or UNKNOWN_LEADER_EPOCH for a request's current leader epoch (-1: not checked). */
  checkLeaderEpoch(current: number | undefined): ErrorCodeValue {
    if (current === undefined || current === NO_CURRENT_LEADER_EPOCH) return ErrorCode.NONE;
    if (current < this._leaderEpoch) return ErrorCode.FENCED_LEADER_EPOCH;
    if (current > this._leaderEpoch) return ErrorCode.UNKNOWN_LEADER_EPOCH;
    return ErrorCode.NONE;
  }

  /**
   * NONE, or why a consumer's read of the leader's log is refused (Kafka's getLocalLog): the
   * current-leader-epoch errors first, then NOT_LEADER_OR_FOLLOWER unless this broker leads or is
   * a fenced leader (header). Writes check `isLeader` itself.
   */
  checkLeader(currentLeaderEpoch: number | undefined): ErrorCodeValue {
    const code = this.checkLeaderEpoch(currentLeaderEpoch);
    if (code !== ErrorCode.NONE) return code;
    return this._leaderId === this.localBrokerId || this.fencedLeader ? ErrorCode.NONE : ErrorCode.NOT_LEADER_OR_FOLLOWER;
  }

  /** checkLeader for reads any replica may serve (a consumer's Fetch v11+): the epoch errors only. */
  checkReplica(currentLeaderEpoch: number | undefined): ErrorCodeValue {
    return this.checkLeaderEpoch(currentLeaderEpoch);
  }

  /** Throws what checkLeader (checkReplica when not `leaderOnly`) answers, with Kafka's message. */
  private checkLocal(currentLeaderEpoch: number | undefined, leaderOnly = true): void {
    const code = leaderOnly ? this.checkLeader(currentLeaderEpoch) : this.checkReplica(currentLeaderEpoch);
    if (code === ErrorCode.NONE) return;
    if (code === ErrorCode.NOT_LEADER_OR_FOLLOWER) throw this.notLeader();
    throw new KafkaError(code, `${code === ErrorCode.FENCED_LEADER_EPOCH ? 'Fenced' : 'Unknown'} leader epoch ${currentLeaderEpoch} for ${this.topic}-${this.partition}: the current leader epoch is ${this._leaderEpoch}`);
  }

  private notLeader(): KafkaError {
    return new KafkaError(ErrorCode.NOT_LEADER_OR_FOLLOWER, `Leader not local for partition ${this.topic}-${this.partition} on broker ${this.localBrokerId}`);
  }

  // ---- offsets and the log's state ---------------------------------------------------------

  /**
   * The end of what consumers may read. Single node: the log's visible end (fsynced under the
   * default flush policy). Cluster: min log end offset over the ISR, advanced on follower fetches.
   */
  get highWatermark(): number {
    return this.log.highWatermark;
  }
  /** The next offset to assign (appends in flight included). */
  get logEndOffset(): number {
    return this.log.logEndOffset;
  }
  get logStartOffset(): number {
    return this.log.logStartOffset;
  }
  get isOffline(): boolean {
    return this.log.isOffline;
  }
  get isClosed(): boolean {
    return this.log.isClosed;
  }
  get dir(): string {
    return this.log.dir;
  }
  get config(): PartitionConfig {
    return this.log.config;
  }
  /** Bytes on disk. */
  get size(): number {
    return this.log.size;
  }

  /** Whole batches copied into memory from `fromOffset` (coordinators and producer state replaying the log; no checks). */
  readBatches(fromOffset: number, maxBytes: number): Promise<Buffer[]> {
    // Cluster: everything the log holds, past the high watermark too (Kafka's producer state
    // covers every appended batch, so a retry of one above the high watermark is a duplicate).
    return this.replication === null ? this.log.readBatches(fromOffset, maxBytes) : this.log.readBatches(fromOffset, maxBytes, true);
  }

  /** Runs `cb` once when the high watermark passes `offset` (long-polling fetches); returns a cancel function. */
  waitForData(offset: number, cb: () => void): () => void {
    return this.log.waitForData(offset, cb);
  }

  // ---- Produce -----------------------------------------------------------------------------

  /** False when acks=-1 must be refused: fewer in-sync replicas than `minInsyncReplicas` (Kafka's check in appendRecordsToLeader). */
  hasEnoughReplicas(requiredAcks: number, minInsyncReplicas: number): boolean {
    return requiredAcks !== -1 || this._isr.length >= minInsyncReplicas;
  }

  /**
   * Appends one validated batch as leader, stamped with the current leader epoch (Kafka's
   * appendRecordsToLeader). With acks=-1 and fewer in-sync replicas than `minInsyncReplicas`:
   * NOT_ENOUGH_REPLICAS, nothing appended (default acks 1: not checked; the broker's own state
   * topics append so). Offsets are assigned synchronously, so appends keep the order of the
   * calls. Throws KafkaError (NOT_LEADER_OR_FOLLOWER, NOT_ENOUGH_REPLICAS, KAFKA_STORAGE_ERROR,
   * CORRUPT_MESSAGE).
   */
  append(batch: Buffer, requiredAcks = 1, minInsyncReplicas = 1): AppendResult {
    if (this._leaderId !== this.localBrokerId) throw this.notLeader();
    if (requiredAcks === -1 && this._isr.length < minInsyncReplicas) throw new KafkaError(ErrorCode.NOT_ENOUGH_REPLICAS, NOT_ENOUGH_REPLICAS_MESSAGE);
    return this.log.append(batch, this._leaderEpoch);
  }

  /**
   * What a Produce with `requiredAcks` waits for before answering: nothing for acks=0; otherwise
   * the write, which by default includes its fsync (flush.messages = 1), so acks=-1 means on disk.
   * Rejects with the write's KAFKA_STORAGE_ERROR.
   *
   * Cluster: acks=-1 waits until the high watermark passes the batch (every ISR member has it on
   * disk; Kafka's DelayedProduce), and answers NOT_ENOUGH_REPLICAS_AFTER_APPEND if the ISR is then
   * smaller than `minInsyncReplicas`, REQUEST_TIMED_OUT after `timeoutMs`, NOT_LEADER_OR_FOLLOWER
   * when this broker stops leading first. (The wait enforces its timeout itself then; 0, the
   * default, sets none: the coordinators bound their acks=all writes themselves.)
   */
  acknowledgement(appended: AppendResult, requiredAcks: number, minInsyncReplicas = 1, timeoutMs = 0): Promise<void> | null {
    if (requiredAcks === 0) return null;
    if (requiredAcks === -1 && this.replication !== null) return this.replication.awaitAllAcks(appended, minInsyncReplicas, timeoutMs);
    return appended.written;
  }

  // ---- Fetch -------------------------------------------------------------------------------

  /**
   * File slices for a fetch at `offset`, bounded by the high watermark (or `opts.maxOffset`, the
   * last stable offset for read_committed) and `maxBytes`; see PartitionLog.read. Checks
   * `opts.currentLeaderEpoch` first (Fetch v9+), and that this broker leads unless
   * `opts.leaderOnly` is false (a follower then serves up to its own high watermark). Throws
   * KafkaError (FENCED_LEADER_EPOCH, UNKNOWN_LEADER_EPOCH, NOT_LEADER_OR_FOLLOWER,
   * OFFSET_OUT_OF_RANGE, KAFKA_STORAGE_ERROR).
   *
   * Cluster: followers' fetches go through `replication` (checkFollowerFetch, then a read with
   * `upToLogEnd`, then updateFollowerFetchState).
   */
  read(offset: number, maxBytes: number, opts?: PartitionReadOptions): Promise<ReadResult> {
    try {
      this.checkLocal(opts?.currentLeaderEpoch, opts?.leaderOnly ?? true);
    } catch (e) {
      return Promise.reject(e);
    }
    return this.log.read(offset, maxBytes, opts);
  }

  /**
   * Fetch v12+ `last_fetched_epoch` (sent by followers): whether the fetcher's log has diverged
   * from ours (Kafka's readRecords). Null: it has not, read on. Otherwise the epoch and end offset
   * the fetcher must truncate to, answered instead of records. Throws OFFSET_OUT_OF_RANGE when the
   * epoch's end cannot be determined or the offset is below the log start, and the epoch errors.
   */
  divergingEpoch(fetchOffset: number, lastFetchedEpoch: number, currentLeaderEpoch: number): EpochEndOffset | null {
    const found = this.lastOffsetForLeaderEpoch(currentLeaderEpoch, lastFetchedEpoch, false);
    if (found.errorCode !== ErrorCode.NONE) throw new KafkaError(found.errorCode);
    if (found.endOffset === UNDEFINED_EPOCH_OFFSET || found.leaderEpoch === UNDEFINED_EPOCH) {
      throw new KafkaError(ErrorCode.OFFSET_OUT_OF_RANGE, `Could not determine the end offset of the last fetched epoch ${lastFetchedEpoch}`);
    }
    if (fetchOffset < this.log.logStartOffset) {
      throw new KafkaError(ErrorCode.OFFSET_OUT_OF_RANGE, `Received request for offset ${fetchOffset} for partition ${this.topic}-${this.partition}, but we only have log segments from ${this.log.logStartOffset}`);
    }
    if (found.leaderEpoch < lastFetchedEpoch || found.endOffset < fetchOffset) return { epoch: found.leaderEpoch, endOffset: found.endOffset };
    return null;
  }

  // ---- ListOffsets -------------------------------------------------------------------------

  /**
   * ListOffsets for one partition (Kafka's fetchOffsetForTimestamp): LATEST_TIMESTAMP (-1) →
   * `lastFetchableOffset` with the current epoch; EARLIEST_TIMESTAMP (-2) → the log start offset
   * with the oldest epoch; MAX_TIMESTAMP (-3) → the record with the largest timestamp; any other
   * value → the first record with timestamp ≥ it. Each with the epoch it was written in; null when
   * no record matches. `lastFetchableOffset` is the high watermark (read_uncommitted) or last
   * stable offset (read_committed) for a consumer, null for a replica (the log end offset).
   *
   * For a consumer, Kafka answers OFFSET_NOT_AVAILABLE while the high watermark is still below the
   * start of the current epoch (a new leader catching up; never with one broker), and treats a
   * record found at or after `lastFetchableOffset` as not found — which a timestamp lookup over
   * the visible log can only meet for read_committed (the last stable offset below the high
   * watermark). Throws the epoch errors and NOT_LEADER_OR_FOLLOWER.
   */
  async fetchOffsetForTimestamp(timestamp: number, currentLeaderEpoch: number, lastFetchableOffset: number | null): Promise<OffsetAndEpoch | null> {
    this.checkLocal(currentLeaderEpoch);
    const epochs = this.log.leaderEpochs;
    const lagging = lastFetchableOffset !== null && this.epochStartOffset > this.log.highWatermark;
    const notAvailable = () =>
      new KafkaError(ErrorCode.OFFSET_NOT_AVAILABLE, `Failed to fetch offsets for partition ${this.topic}-${this.partition} as its high watermark (${this.log.highWatermark}) is lagging behind the start offset of the current epoch (${this.epochStartOffset})`);
    if (timestamp === LATEST_TIMESTAMP) {
      if (lagging) throw notAvailable();
      return { offset: lastFetchableOffset ?? this.log.logEndOffset, timestamp: -1, leaderEpoch: this._leaderEpoch };
    }
    if (timestamp === EARLIEST_TIMESTAMP) {
      const start = this.log.logStartOffset;
      const first = epochs.earliestEntry();
      return { offset: start, timestamp: -1, leaderEpoch: first !== null && first.startOffset <= start ? first.epoch : UNDEFINED_EPOCH };
    }
    const found = timestamp === MAX_TIMESTAMP ? await this.log.maxTimestampOffset() : await this.log.offsetForTimestamp(timestamp);
    if (found === null || (lastFetchableOffset !== null && found.offset >= lastFetchableOffset)) {
      if (lagging) throw notAvailable();
      return null;
    }
    return { offset: found.offset, timestamp: found.timestamp, leaderEpoch: epochs.epochForOffset(found.offset) };
  }

  // ---- DeleteRecords -----------------------------------------------------------------------

  /**
   * DeleteRecords on the leader: moves the log start offset to `offset` (-1: the high watermark)
   * and returns the new log start. OFFSET_OUT_OF_RANGE above the high watermark. Kafka also refuses
   * topics whose cleanup.policy lacks `delete` (POLICY_VIOLATION); Runnel does not yet.
   */
  deleteRecordsBefore(offset: number): Promise<number> {
    if (!this.isLeader) return Promise.reject(this.notLeader());
    return this.log.deleteRecordsBefore(offset);
  }

  /**
   * Then the answer: on a single node the log start, at once; in a cluster, the low watermark (the
   * minimum log start offset over the live replicas) once it reaches `required`, as Kafka's
   * DelayedDeleteRecords waits (cluster-replica.ts).
   */
  awaitLowWatermark(required: number, timeoutMs: number): Promise<{ errorCode: ErrorCodeValue; lowWatermark: number }> {
    if (this.replication !== null) return this.replication.awaitLowWatermark(required, timeoutMs);
    return Promise.resolve({ errorCode: ErrorCode.NONE, lowWatermark: this.log.logStartOffset });
  }

  // ---- OffsetsForLeaderEpoch ---------------------------------------------------------------

  /**
   * The end of `leaderEpoch` in this log (Kafka's lastOffsetForLeaderEpoch): the largest epoch ≤ it
   * and where that epoch ends — the start of the next one, or the log end offset for the current
   * epoch. An epoch we cannot place answers NONE with epoch and offset -1. Checked first: an
   * offline log (KAFKA_STORAGE_ERROR, which Kafka's getPartitionOrError answers before the epoch),
   * then the current leader epoch, then (`requireLeader`: consumers and followers ask the leader)
   * that this broker leads. Kafka's debugging replica id -2 would skip the last check; with one
   * replica it makes no difference.
   */
  lastOffsetForLeaderEpoch(currentLeaderEpoch: number, leaderEpoch: number, requireLeader = true): EpochEndOffsetAnswer {
    if (this.log.isOffline) return epochAnswer(ErrorCode.KAFKA_STORAGE_ERROR);
    const code = this.checkLeaderEpoch(currentLeaderEpoch);
    if (code !== ErrorCode.NONE) return epochAnswer(code);
    if (requireLeader && !this.isLeader && !this.fencedLeader) return epochAnswer(ErrorCode.NOT_LEADER_OR_FOLLOWER);
    const found = this.log.leaderEpochs.endOffsetFor(leaderEpoch, this.log.logEndOffset);
    if (found.endOffset === UNDEFINED_EPOCH_OFFSET) return epochAnswer(ErrorCode.NONE);
    return epochAnswer(ErrorCode.NONE, found.epoch, found.endOffset);
  }
}
