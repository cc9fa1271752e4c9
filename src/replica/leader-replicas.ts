/**
 * The leader's side of replication for one partition in cluster mode (Kafka's Partition.scala as
 * leader, written from its behaviour): its followers' fetch state, the high watermark, the ISR
 * changes it proposes, and the produce requests waiting for the high watermark. The Partition
 * (partition.ts) makes one when it becomes leader and drops it (failing what waits) when it stops.
 *
 * High watermark (Kafka's maybeIncrementLeaderHW): the smallest log end offset among the leader
 * itself — its visible end, which under the default flush policy is its durable end — and every
 * follower in the maximal ISR (the committed ISR plus a member being added), or not in it but
 * caught up within replica.lag.time.max.ms (so that a follower about to join is waited for, rather
 * than left chasing a high watermark that keeps moving). Followers report durable ends, so the
 * high watermark covers only what every ISR member has on disk. It moves when the leader's own end
 * moves (the log tells us), when a follower's fetch reports a new end, and when the ISR changes;
 * never back. A new leader's followers are unknown until they fetch, so the high watermark stays
 * where it was until then.
 *
 * ISR changes (Kafka's AlterPartition, here written by the leader itself: isr-writer.ts), one at a
 * time:
 *  - Expand: a follower not in the ISR whose log end reached the high watermark and the start of
 *    the current leader epoch is added (it counts in the maximal ISR while the write is pending).
 *  - Shrink: every replica.lag.time.max.ms / 2 (isr-expiration.ts) the followers in the ISR that are
 *    not caught up (not at the leader's end, and not caught up within replica.lag.time.max.ms) are
 *    removed; never the leader. While pending, the maximal ISR still holds them. The same check
 *    re-evaluates the high watermark (a caught-up follower outside the ISR that went silent stops
 *    holding it back then, where Kafka waits for the next fetch or append).
 * The stored state comes back in the answer (and later through the metadata image); a refused
 * write answers the state now stored, which the Partition applies if it still leads at this epoch.
 *
 * Low watermark (Kafka's lowWatermarkIfLeader): the smallest log start offset over the leader and
 * the followers on live brokers, as their fetches report it (-1 until a follower has fetched in
 * this leader epoch). DeleteRecords waits for it (delayed-delete-records.ts); it is re-checked when
 * a follower's reported log start moves, the replicas change and at every ISR check (a broker
 * that died stops counting).
 */
import { ErrorCode, KafkaError } from '../../protocol/errors.js';
import { DelayedDeleteRecords, type LowWatermarkAnswer } from './delayed-delete-records.js';
import { DelayedProduces } from './delayed-produce.js';
import { FollowerState } from './follower-state.js';
import type { AlterIsrRequest, AlterIsrResult, StoredPartitionState } from './isr-writer.js';
import type { ReplicationContext } from './replication-context.js';

/** What the leader state uses of its Partition and log. */
export interface LeaderHost {
  readonly topic: string;
  readonly partition: number;
  readonly localBrokerId: number;
  readonly leaderEpoch: number;
  readonly partitionEpoch: number;
  readonly replicas: readonly number[];
  /** The committed ISR. */
  readonly isr: readonly number[];
  /** Where the current leader epoch began in the log. */
  readonly leaderEpochStartOffset: number;
  /** The log's visible end: what followers can fetch, the leader's own "log end" here. */
  readonly visibleEndOffset: number;
  readonly highWatermark: number;
  /** The leader's own log start offset. */
  readonly logStartOffset: number;
  /** Moves the log's high watermark (never back; bounded by the visible end); returns it. */
  updateHighWatermark(offset: number): number;
  /** An ISR write answered with the stored state: apply it if it is still ours. */
  applyStoredState(state: StoredPartitionState): void;
}

export class LeaderReplicas {
  /** Fetch state of every replica but this broker. */
  private readonly followers = new Map<number, FollowerState>();
  readonly delayed = new DelayedProduces((required) => this.logHeldBack(required));
  private readonly deleteRecords = new DelayedDeleteRecords(() => this.lowWatermark());
  /** The ISR change being written (Kafka's PendingExpandIsr / PendingShrinkIsr). */
  private pending: AlterIsrRequest | null = null;
  private resigned = false;

  constructor(
    private readonly host: LeaderHost,
    private readonly ctx: ReplicationContext,
  ) {}

  /**
   * The Partition applied a state as leader. A new leader epoch forgets what followers reported
   * (their ends are unknown until they fetch; ISR members count as caught up now); otherwise new
   * replicas get fresh state and removed ones go. An ISR change may move the high watermark.
   */
  stateApplied(newLeaderEpoch: boolean): void {
    const now = this.ctx.now();
    const me = this.host.localBrokerId;
    const isr = this.host.isr;
    for (const id of this.followers.keys()) if (!this.host.replicas.includes(id)) this.followers.delete(id);
    for (const id of this.host.replicas) {
      if (id === me) continue;
      let f = this.followers.get(id);
      if (f === undefined) {
        this.followers.set(id, (f = new FollowerState(id)));
        f.reset(now, isr.includes(id));
      } else if (newLeaderEpoch) f.reset(now, isr.includes(id));
    }
    if (newLeaderEpoch) this.pending = null; // an answer for the old epoch is void
    this.maybeIncrementHighWatermark(now);
    this.deleteRecords.check();
  }

  /** The ISR the high watermark and acks=all count: the committed one plus a member being added. */
  maximalIsrSize(): number {
    const p = this.pending;
    return p !== null && p.added.length > 0 ? p.isr.length : this.host.isr.length;
  }

  private inMaximalIsr(id: number): boolean {
    const p = this.pending;
    return this.host.isr.includes(id) || (p !== null && p.added.includes(id));
  }

  isFollower(replicaId: number): boolean {
    return this.followers.has(replicaId);
  }

  /** A follower's fetch was served (Kafka's updateFollowerFetchState): record it, maybe expand the ISR, maybe move the high watermark. */
  updateFollowerFetchState(replicaId: number, fetchOffset: number, logStartOffset: number, leaderEndOffset: number, nowMs: number): void {
    const f = this.followers.get(replicaId);
    if (f === undefined || this.resigned) return;
    const before = f.logEndOffset;
    const startBefore = f.logStartOffset;
    f.updateFetchState(fetchOffset, logStartOffset, nowMs, leaderEndOffset);
    this.maybeExpandIsr(f);
    if (f.logEndOffset !== before) this.maybeIncrementHighWatermark(nowMs);
    if (f.logStartOffset !== startBefore) this.deleteRecords.check();
  }

  /** The smallest log start offset over this leader and the followers on live brokers (see the header). */
  lowWatermark(): number {
    let low = this.host.logStartOffset;
    const alive = this.ctx.isBrokerAlive;
    for (const f of this.followers.values()) {
      if (f.logStartOffset < low && (alive === undefined || alive.call(this.ctx, f.brokerId))) low = f.logStartOffset;
    }
    return low;
  }

  /** DeleteRecords moved the leader's log start: answers once the low watermark reaches `required` (delayed-delete-records.ts). */
  awaitLowWatermark(required: number, timeoutMs: number): Promise<LowWatermarkAnswer> {
    if (this.resigned) return Promise.resolve({ errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER, lowWatermark: -1 });
    return this.deleteRecords.wait(required, timeoutMs);
  }

  /** The log's own end moved (an append became visible, or a truncation). */
  endsMoved(): void {
    if (!this.resigned) this.maybeIncrementHighWatermark(this.ctx.now());
  }

  /** Waits until the high watermark reaches `requiredOffset` (acks=all); see delayed-produce.ts. */
  awaitHighWatermark(requiredOffset: number, minInsyncReplicas: number, timeoutMs: number, written: Promise<void>): Promise<void> {
    if (this.resigned) return Promise.reject(this.notLeader());
    if (this.host.highWatermark >= requiredOffset) return written;
    return this.delayed.wait(requiredOffset, minInsyncReplicas, timeoutMs, written);
  }

  private maybeIncrementHighWatermark(nowMs: number): void {
    const leaderEnd = this.host.visibleEndOffset;
    let hw = leaderEnd;
    const lag = this.ctx.replicaLagTimeMaxMs;
    for (const f of this.followers.values()) {
      if (f.logEndOffset < hw && (this.inMaximalIsr(f.brokerId) || (f.isCaughtUp(leaderEnd, nowMs, lag) && this.isrEligible(f.brokerId)))) hw = f.logEndOffset;
    }
    const before = this.host.highWatermark;
    const after = this.host.updateHighWatermark(hw);
    if (after > before && this.delayed.size > 0) this.delayed.complete(after, this.maximalIsrSize());
  }

  /**
   * An acks=all produce timed out: which replicas held the high watermark below `required` and why
   * (in the ISR, or outside it but caught up and eligible), so that a stall can be told from a
   * slow follower in the log alone.
   */
  private logHeldBack(required: number): void {
    const now = this.ctx.now();
    const leaderEnd = this.host.visibleEndOffset;
    const lag = this.ctx.replicaLagTimeMaxMs;
    const followers = [...this.followers.values()].map((f) => ({
      id: f.brokerId,
      logEndOffset: f.logEndOffset,
      sinceCaughtUpMs: f.lastCaughtUpTimeMs === 0 ? -1 : now - f.lastCaughtUpTimeMs,
      inMaximalIsr: this.inMaximalIsr(f.brokerId),
      caughtUp: f.isCaughtUp(leaderEnd, now, lag),
      eligible: this.isrEligible(f.brokerId),
    }));
    this.ctx.logger.warn(
      { topic: this.host.topic, partition: this.host.partition, required, highWatermark: this.host.highWatermark, endOffset: leaderEnd, isr: this.host.isr, pending: this.pending?.isr ?? null, followers },
      'acks=all produce timed out: the high watermark did not reach it',
    );
  }

  // ---- ISR changes ---------------------------------------------------------------------------

  /** A follower's broker is registered and not stopping (ReplicationContext.isBrokerIsrEligible). */
  private isrEligible(brokerId: number): boolean {
    const eligible = this.ctx.isBrokerIsrEligible;
    return eligible === undefined || eligible.call(this.ctx, brokerId);
  }

  private maybeExpandIsr(f: FollowerState): void {
    if (this.pending !== null || this.host.isr.includes(f.brokerId) || !this.isrEligible(f.brokerId)) return;
    const start = this.host.leaderEpochStartOffset;
    if (f.logEndOffset < this.host.highWatermark || start < 0 || f.logEndOffset < start) return;
    this.submit([...this.host.isr, f.brokerId], [f.brokerId]);
  }

  /** Every replica.lag.time.max.ms / 2: removes followers that fell behind from the ISR. */
  maybeShrinkIsr(nowMs: number): void {
    if (this.resigned) return;
    // A follower outside the ISR that stopped being caught up no longer holds the high watermark;
    // no fetch may come to say so (Kafka re-evaluates only on fetches and ISR changes).
    this.maybeIncrementHighWatermark(nowMs);
    // A follower's broker that died no longer holds DeleteRecords back.
    this.deleteRecords.check();
    if (this.pending !== null) return;
    const leaderEnd = this.host.visibleEndOffset;
    const me = this.host.localBrokerId;
    const out = this.host.isr.filter((id) => id !== me && !(this.followers.get(id)?.isCaughtUp(leaderEnd, nowMs, this.ctx.replicaLagTimeMaxMs) ?? false));
    if (out.length === 0) return;
    this.ctx.logger.info(
      { topic: this.host.topic, partition: this.host.partition, isr: this.host.isr, outOfSync: out.map((id) => ({ id, logEndOffset: this.followers.get(id)?.logEndOffset ?? -1, lastCaughtUpTimeMs: this.followers.get(id)?.lastCaughtUpTimeMs ?? 0 })), highWatermark: this.host.highWatermark, endOffset: leaderEnd },
      'shrinking ISR',
    );
    this.submit(
      this.host.isr.filter((id) => !out.includes(id)),
      [],
    );
  }

  private submit(isr: readonly number[], added: readonly number[]): void {
    const writer = this.ctx.isrWriter;
    if (writer === null) return;
    const h = this.host;
    const req: AlterIsrRequest = { topic: h.topic, partition: h.partition, leader: h.localBrokerId, leaderEpoch: h.leaderEpoch, partitionEpoch: h.partitionEpoch, isr, added };
    this.pending = req;
    if (added.length > 0) this.ctx.logger.info({ topic: h.topic, partition: h.partition, isr: h.isr, adding: added }, 'expanding ISR');
    writer.alterIsr(req).then(
      (r) => this.answered(req, r),
      (err) => {
        if (this.pending === req) this.pending = null; // tried again at the next fetch or check
        this.ctx.logger.warn({ topic: h.topic, partition: h.partition, err: (err as Error).message }, 'ISR change not written');
      },
    );
  }

  private answered(req: AlterIsrRequest, r: AlterIsrResult): void {
    if (this.pending !== req) return; // resigned, or a new leader epoch began meanwhile
    this.pending = null;
    if (r.kind === 'ok') {
      const m = this.ctx.metrics;
      if (m !== null) {
        if (req.added.length > 0) m.isrExpands++;
        else m.isrShrinks++;
      }
    } else {
      this.ctx.logger.info({ topic: req.topic, partition: req.partition, partitionEpoch: req.partitionEpoch, stored: r.state }, 'ISR change refused: the partition state moved');
    }
    if (r.state !== null) this.host.applyStoredState(r.state);
    if (!this.resigned) this.maybeIncrementHighWatermark(this.ctx.now());
  }

  /** This broker stops leading: what waits for the high watermark fails (NOT_LEADER_OR_FOLLOWER by default). */
  resign(err: Error = this.notLeader()): void {
    this.resigned = true;
    this.pending = null;
    this.delayed.failAll(err);
    this.deleteRecords.failAll(ErrorCode.NOT_LEADER_OR_FOLLOWER);
  }

  private notLeader(): KafkaError {
    return new KafkaError(ErrorCode.NOT_LEADER_OR_FOLLOWER, `Leader not local for partition ${this.host.topic}-${this.host.partition} on broker ${this.host.localBrokerId}`);
  }

  /** For tests and metrics: a follower's state. */
  follower(id: number): FollowerState | undefined {
    return this.followers.get(id);
  }
}
