/**
 * A Partition's cluster-mode half (docs/cluster.md, "Replication"): what changes when the
 * partition has other replicas. The Partition (partition.ts) keeps the replica state and the
 * checks every request goes through; this object exists only in cluster mode (a single node has
 * none, so its paths are exactly the single-node ones) and owns the rest:
 *
 *  - the log in replicated mode: its high watermark is moved from here, never by the log itself;
 *  - as leader, a LeaderReplicas (leader-replicas.ts): followers' fetch state, high watermark =
 *    min over the ISR, ISR changes, acks=all produces waiting for the high watermark; and serving
 *    followers' fetches (the Fetch handler: replica check, reads and long polls up to the log's
 *    visible end, recording each fetch);
 *  - as follower, what the fetcher (fetcher.ts) does to the log: appends of the leader's batches,
 *    the high watermark = min(the leader's, our visible end), truncation where the logs diverged.
 *
 * The leader's own "log end" here is the log's visible end (its durable end under the default
 * flush policy), and a follower fetches from its durable end: so the high watermark counts only
 * what every ISR member has on disk, and acks=all means fsynced on the whole ISR.
 */
import { ErrorCode, type ErrorCodeValue, KafkaError } from '../../protocol/errors.js';
import { BATCH_HEADER_SIZE, batch } from '../../protocol/records/batch.js';
import type { FollowerFetchServing } from '../data/partitions.js';
import type { AppendResult, EndOffsetsListener } from '../../storage/partition-log.js';
import type { StoredPartitionState } from './isr-writer.js';
import type { LowWatermarkAnswer } from './delayed-delete-records.js';
import { type LeaderHost, LeaderReplicas } from './leader-replicas.js';
import type { Partition, ReplicaLog } from './partition.js';
import type { ReplicationContext } from './replication-context.js';

/** The log of a partition in cluster mode: PartitionLog opened replicated (storage/replicated-high-watermark.ts). */
export interface ReplicatedLog extends ReplicaLog {
  readonly isReplicated: boolean;
  /** What the log wrote (and synced per the flush policy): followers fetch up to it. */
  readonly visibleEndOffset: number;
  setReplicated(on: boolean, onEndOffsetsChanged: EndOffsetsListener | null): void;
  updateHighWatermark(offset: number): number;
  waitForEnd(offset: number, cb: () => void): () => void;
  appendAsFollower(records: Buffer): AppendResult;
  truncateTo(offset: number): Promise<number>;
  truncateFullyAndStartAt(offset: number): Promise<number>;
}

export class ClusterReplica implements LeaderHost, FollowerFetchServing {
  private leader: LeaderReplicas | null = null;
  /** While following: the leader's high watermark from the last fetch response. */
  private leaderHighWatermark = 0;

  constructor(
    /** The Partition this is the cluster half of (its replica state and checks). */
    private readonly p: Partition,
    readonly log: ReplicatedLog,
    private readonly ctx: ReplicationContext,
  ) {
    if (log.isReplicated !== true) throw new Error(`partition ${log.topic}-${log.partition}: cluster mode needs a replicated log`);
  }

  // ---- LeaderHost (leader-replicas.ts) ---------------------------------------------------------

  get topic(): string {
    return this.p.topic;
  }
  get partition(): number {
    return this.p.partition;
  }
  get localBrokerId(): number {
    return this.p.localBrokerId;
  }
  get leaderEpoch(): number {
    return this.p.leaderEpoch;
  }
  get partitionEpoch(): number {
    return this.p.partitionEpoch;
  }
  get replicas(): readonly number[] {
    return this.p.replicas;
  }
  get isr(): readonly number[] {
    return this.p.isr;
  }
  get leaderEpochStartOffset(): number {
    return this.p.leaderEpochStartOffset;
  }
  get visibleEndOffset(): number {
    return this.log.visibleEndOffset;
  }
  get highWatermark(): number {
    return this.log.highWatermark;
  }
  get logStartOffset(): number {
    return this.log.logStartOffset;
  }
  updateHighWatermark(offset: number): number {
    return this.log.updateHighWatermark(offset);
  }

  /**
   * An ISR write was answered with the state stored now: applied while this broker still leads at
   * that leader epoch and the state is newer; anything else arrives through the metadata image.
   */
  applyStoredState(s: StoredPartitionState): void {
    const p = this.p;
    if (!p.isLeader || s.leader !== p.localBrokerId || s.leaderEpoch !== p.leaderEpoch || s.partitionEpoch <= p.partitionEpoch) return;
    p.makeLeader({ leaderEpoch: s.leaderEpoch, partitionEpoch: s.partitionEpoch, replicas: s.replicas, isr: s.isr });
  }

  // ---- role changes (the Partition's makeLeader / makeFollower) ---------------------------------

  /** The Partition applied a state as leader; `newEpoch`: a new leader epoch (or it was not leading). */
  leading(newEpoch: boolean): void {
    if (this.leader === null) {
      this.leader = new LeaderReplicas(this, this.ctx);
      newEpoch = true;
      this.ctx.onBecameLeader?.(this.p);
    }
    this.log.setReplicated(true, this.onLeaderEnds);
    this.leader.stateApplied(newEpoch);
  }

  /** The Partition became (or stays) a follower; `changed`: of another leader or leader epoch. */
  following(changed: boolean): void {
    if (this.leader !== null) {
      this.leader.resign();
      this.leader = null;
    }
    // The new leader's high watermark is known from its first fetch response.
    if (changed) this.leaderHighWatermark = this.log.highWatermark;
    this.log.setReplicated(true, this.onFollowerEnds);
  }

  private readonly onLeaderEnds: EndOffsetsListener = () => this.leader?.endsMoved();
  private readonly onFollowerEnds: EndOffsetsListener = () => {
    this.log.updateHighWatermark(this.leaderHighWatermark);
  };

  /** Every replica.lag.time.max.ms / 2 (isr-expiration.ts). */
  maybeShrinkIsr(nowMs: number): void {
    this.leader?.maybeShrinkIsr(nowMs);
  }

  /** While leading: the followers' state (tests, metrics). */
  get leaderReplicas(): LeaderReplicas | null {
    return this.leader;
  }

  // ---- Produce, acks=all -----------------------------------------------------------------------

  /** Resolves once the high watermark passes the append (see delayed-produce.ts). */
  awaitAllAcks(appended: AppendResult, minInsyncReplicas: number, timeoutMs: number): Promise<void> {
    const leader = this.leader;
    if (leader === null) return Promise.reject(new KafkaError(ErrorCode.NOT_LEADER_OR_FOLLOWER, `Leader not local for partition ${this.topic}-${this.partition} on broker ${this.localBrokerId}`));
    return leader.awaitHighWatermark(appended.lastOffset + 1, minInsyncReplicas, timeoutMs, appended.written);
  }

  // ---- DeleteRecords ---------------------------------------------------------------------------

  /**
   * After the leader moved its log start for DeleteRecords: resolves once every live replica's log
   * start reached `required` (Kafka's DelayedDeleteRecords), REQUEST_TIMED_OUT after `timeoutMs`,
   * NOT_LEADER_OR_FOLLOWER when not (or no longer) leading.
   */
  awaitLowWatermark(required: number, timeoutMs: number): Promise<LowWatermarkAnswer> {
    const leader = this.leader;
    if (leader === null) return Promise.resolve({ errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER, lowWatermark: -1 });
    return leader.awaitLowWatermark(required, timeoutMs);
  }

  // ---- serving followers (FollowerFetchServing: the Fetch handler) -------------------------------

  /**
   * NONE, or why a follower's fetch is refused: the leader checks first (the current leader epoch,
   * then NOT_LEADER_OR_FOLLOWER), then that `replicaId` is one of the other replicas — else, as
   * Kafka answers, UNKNOWN_LEADER_EPOCH when the request carries an epoch (the follower knows of a
   * state we do not have yet) and NOT_LEADER_OR_FOLLOWER when it does not.
   */
  checkFollowerFetch(replicaId: number, currentLeaderEpoch: number): ErrorCodeValue {
    const code = this.p.checkLeaderEpoch(currentLeaderEpoch);
    if (code !== ErrorCode.NONE) return code;
    // A fenced leader serves consumers' reads only: a follower's fetch would move its high watermark.
    if (!this.p.isLeader) return ErrorCode.NOT_LEADER_OR_FOLLOWER;
    if (this.leader !== null && this.leader.isFollower(replicaId)) return ErrorCode.NONE;
    return currentLeaderEpoch >= 0 ? ErrorCode.UNKNOWN_LEADER_EPOCH : ErrorCode.NOT_LEADER_OR_FOLLOWER;
  }

  /** How far followers may fetch: the log's visible end. */
  get followerFetchEnd(): number {
    return this.log.visibleEndOffset;
  }

  waitForEnd(offset: number, cb: () => void): () => void {
    return this.log.waitForEnd(offset, cb);
  }

  updateFollowerFetchState(replicaId: number, fetchOffset: number, logStartOffset: number, leaderEndOffset: number, nowMs: number): void {
    this.leader?.updateFollowerFetchState(replicaId, fetchOffset, logStartOffset, leaderEndOffset, nowMs);
  }

  get leaderThrottled(): boolean {
    const q = this.ctx.quotas;
    return q !== undefined && q.leader.isThrottled(this.p.topic, this.p.partition);
  }

  shouldLeaderThrottle(replicaId: number): boolean {
    const q = this.ctx.quotas;
    return q !== undefined && q.leader.shouldThrottle(this.p.topic, this.p.partition, this.p.isr.includes(replicaId));
  }

  recordLeaderThrottledBytes(bytes: number): void {
    this.ctx.quotas?.leader.record(bytes);
  }

  // ---- following (the fetcher) -----------------------------------------------------------------

  /** Where the next fetch starts: the log end (the fetcher waits for its appends to be durable first). */
  get fetchOffset(): number {
    return this.log.logEndOffset;
  }

  /** Fetch v12 last_fetched_epoch: the epoch of the newest batch (or -1). */
  get lastFetchedEpoch(): number {
    return this.log.leaderEpochs.latestEpoch;
  }

  /**
   * Before appending a fetch response's batches: when they hold a transactional batch (data or
   * marker) and the partition is not yet recorded as transactional here, the record of it, to be
   * awaited before the append (the log never holds a transaction the record does not cover).
   * Null when there is nothing to wait for: only batch headers are read, and only until the
   * partition is recorded.
   */
  recordTransactional(records: Buffer): Promise<void> | null {
    const tp = this.ctx.transactionalPartitions;
    if (tp === undefined || tp.has(this.topic, this.partition)) return null;
    for (let at = 0; at + BATCH_HEADER_SIZE <= records.length; ) {
      if (batch.isTransactional(records, at)) return tp.add([[this.topic, this.partition]]);
      const size = batch.totalSize(records, at);
      if (size < BATCH_HEADER_SIZE) break; // malformed: the append refuses it
      at += size;
    }
    return null;
  }

  /** Appends a fetch response's batches (throws NOT_LEADER_OR_FOLLOWER if this broker leads now). */
  appendAsFollower(records: Buffer): AppendResult {
    if (this.p.isLeader) throw new KafkaError(ErrorCode.NOT_LEADER_OR_FOLLOWER, `${this.topic}-${this.partition} is led here: it takes no follower appends`);
    return this.log.appendAsFollower(records);
  }

  /** A fetch response's high watermark: ours is min(it, our visible end), never back. */
  updateFollowerHighWatermark(leaderHighWatermark: number): void {
    if (this.p.isLeader) return;
    this.leaderHighWatermark = leaderHighWatermark;
    this.log.updateHighWatermark(leaderHighWatermark);
  }

  /**
   * A fetch response's log start offset: ours follows it up (DeleteRecords and retention on the
   * leader; Kafka's maybeIncrementLogStartOffset on the follower), never past our high watermark.
   * Queued on the log's maintenance chain; resolves once moved, never rejects: a failure is logged
   * and retried by the next response.
   */
  followLeaderLogStart(leaderLogStartOffset: number): Promise<void> {
    const target = Math.min(leaderLogStartOffset, this.log.highWatermark);
    if (target <= this.log.logStartOffset || this.p.isLeader) return Promise.resolve();
    return this.log.deleteRecordsBefore(target).then(
      () => undefined,
      (err: Error) => this.ctx.logger.warn({ topic: this.topic, partition: this.partition, err: err.message }, 'moving the log start offset up to the leader failed'),
    );
  }

  /**
   * Cuts the log back to `offset` (a diverging epoch). At or past the log end nothing is cut, but
   * leader epochs starting at the end go, as Kafka's truncateTo does: a former leader may have
   * recorded an epoch in which it wrote nothing, and kept sending it as its last fetched epoch.
   */
  async truncateTo(offset: number): Promise<number> {
    const end = this.log.logEndOffset;
    if (this.p.isLeader) return end; // led here since the fetch: the leader's log is never cut
    if (offset >= end) {
      this.log.leaderEpochs.truncateFromEnd(end);
      return end;
    }
    return this.log.truncateTo(offset);
  }

  truncateFullyAndStartAt(offset: number): Promise<number> {
    if (this.p.isLeader) return Promise.resolve(this.log.logEndOffset);
    return this.log.truncateFullyAndStartAt(offset);
  }
}
