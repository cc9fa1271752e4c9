/**
 * What a leader knows of one follower of a partition (Kafka's cluster/Replica.scala, written from
 * its behaviour): the follower's log end offset as its last fetch reported it — a follower fetches
 * from its durable end, so this is what it has on disk — and when it last caught up with the
 * leader, which decides whether it stays in (or may join) the ISR.
 *
 * Caught up (Kafka's updateFetchState): a fetch at or past the leader's end at that moment means
 * the follower was caught up at the fetch time; a fetch at or past the leader's end as of the
 * follower's previous fetch means it was caught up at that previous fetch time (it had everything
 * the leader had then). lastCaughtUpTimeMs never moves back. isCaughtUp: at the leader's end now,
 * or caught up within replica.lag.time.max.ms.
 *
 * A new leader (new leader epoch) knows nothing yet: every follower's log end is unknown (-1)
 * until it fetches, and ISR members count as caught up "now", so that they get a full
 * replica.lag.time.max.ms to fetch before they can be dropped.
 */

/** A follower's log end offset before its first fetch in this leader epoch. */
export const UNKNOWN_OFFSET = -1;

export class FollowerState {
  /** The follower's log end offset: its last fetch offset (-1: unknown). */
  logEndOffset = UNKNOWN_OFFSET;
  /** The follower's log start offset as its last fetch reported it (-1: unknown). */
  logStartOffset = UNKNOWN_OFFSET;
  lastCaughtUpTimeMs = 0;
  /** The leader's end offset when the follower last fetched. */
  private lastFetchLeaderLogEndOffset = UNKNOWN_OFFSET;
  private lastFetchTimeMs = 0;

  constructor(readonly brokerId: number) {}

  /**
   * Records a fetch: `fetchOffset` (the follower's end), `logStartOffset`, the time, and the
   * leader's end offset as read before serving it.
   */
  updateFetchState(fetchOffset: number, logStartOffset: number, fetchTimeMs: number, leaderEndOffset: number): void {
    if (fetchOffset >= leaderEndOffset) {
      this.lastCaughtUpTimeMs = Math.max(this.lastCaughtUpTimeMs, fetchTimeMs);
    } else if (fetchOffset >= this.lastFetchLeaderLogEndOffset) {
      this.lastCaughtUpTimeMs = Math.max(this.lastCaughtUpTimeMs, this.lastFetchTimeMs);
    }
    this.logEndOffset = fetchOffset;
    this.logStartOffset = logStartOffset;
    this.lastFetchLeaderLogEndOffset = leaderEndOffset;
    this.lastFetchTimeMs = fetchTimeMs;
  }

  /** At the leader's end, or caught up within `maxLagMs` (Kafka's isCaughtUp). */
  isCaughtUp(leaderEndOffset: number, nowMs: number, maxLagMs: number): boolean {
    return this.logEndOffset === leaderEndOffset || nowMs - this.lastCaughtUpTimeMs <= maxLagMs;
  }

  /** A new leader epoch here: the end is unknown until the next fetch; ISR members start caught up now. */
  reset(nowMs: number, inIsr: boolean): void {
    this.logEndOffset = UNKNOWN_OFFSET;
    this.logStartOffset = UNKNOWN_OFFSET;
    this.lastFetchLeaderLogEndOffset = UNKNOWN_OFFSET;
    this.lastFetchTimeMs = 0;
    this.lastCaughtUpTimeMs = inIsr ? nowMs : 0;
  }
}
