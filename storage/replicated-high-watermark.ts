/**
 * Replicated mode of a partition log (PartitionLog.setReplicated): the high watermark belongs to
 * the replication layer. In single-node mode the log moves it itself, to its visible end (written
 * and, under flush.messages = 1, fsynced). Replicated, it has two ends:
 *
 *   visible end     what the log wrote (and synced per the flush policy); followers fetch up to it
 *                   and its moves are reported to the owner (the Partition), which then recomputes
 *                   min(ISR) as a leader or sends its next fetch as a follower;
 *   high watermark  what consumers may read; moved only by the owner (updateHighWatermark: a
 *                   leader's min over the ISR, a follower's min(leader's HW, own end)), bounded by
 *                   the visible end, never backwards except when the log is truncated.
 *
 * So under the default flush policy a high watermark never covers data that is not on this
 * broker's disk, and on every ISR member's once the leader computes it from durable ends.
 * Consumers' waiters (data-waiters.ts) fire on high-watermark moves; followers' on visible-end
 * moves, through the second set of waiters here.
 *
 * No on-disk format lives here (the high watermark is checkpointed by the log manager in
 * replication-offset-checkpoint, checkpoints.ts).
 */
import { DataWaiters } from './data-waiters.js';
import type { StorageLogger } from './logger.js';

/** Told (synchronously, after the log updated its state) that a log end moved, forward or back. */
export type EndOffsetsListener = () => void;

export class ReplicatedHighWatermark {
  /** What consumers may read. */
  hw: number;
  /** Follower fetches waiting for the visible end to pass their offset. */
  readonly endWaiters: DataWaiters;
  /** The owner's callback (PartitionLog.setReplicated). */
  listener: EndOffsetsListener | null = null;

  constructor(
    hw: number,
    private readonly logger: () => StorageLogger,
  ) {
    this.hw = hw;
    this.endWaiters = new DataWaiters(logger);
  }

  /** Moves the high watermark to `offset`, bounded by `visibleEnd`, never back; true if it moved. */
  advance(offset: number, visibleEnd: number): boolean {
    const to = Math.min(offset, visibleEnd);
    if (!(to > this.hw)) return false; // also refuses NaN
    this.hw = to;
    return true;
  }

  /** The log's written, durable or visible end moved: wake follower fetches, tell the owner. */
  endsMoved(visibleEnd: number): void {
    this.endWaiters.fire(visibleEnd);
    const l = this.listener;
    if (l === null) return;
    try {
      l();
    } catch (e) {
      this.logger().error({ err: e }, 'end offsets listener threw');
    }
  }

  /** The log was cut back to `end` (truncation): the high watermark cannot stay above it. */
  truncated(end: number): void {
    if (this.hw > end) this.hw = end;
  }
}
