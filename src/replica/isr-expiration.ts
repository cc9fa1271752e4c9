/**
 * The ISR shrink check (Kafka's isr-expiration task): every replica.lag.time.max.ms / 2, each
 * partition this broker leads removes followers that have not caught up within
 * replica.lag.time.max.ms from its ISR (leader-replicas.ts, maybeShrinkIsr). Checking at half the
 * lag bound means a follower is out of the ISR at most 1.5 × replica.lag.time.max.ms after it last
 * caught up. One timer for the whole broker.
 */
import type { Partition } from './partition.js';

export class IsrExpiration {
  private timer: NodeJS.Timeout | null = null;

  constructor(
    /** The partitions this broker leads now. */
    private readonly leaders: () => Iterable<Partition>,
    private readonly lagTimeMaxMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  start(): void {
    if (this.timer !== null) return;
    this.timer = setInterval(() => this.check(), Math.max(1, Math.floor(this.lagTimeMaxMs / 2)));
    this.timer.unref?.();
  }

  /** One pass (the timer's; tests call it directly). */
  check(): void {
    const now = this.now();
    for (const p of this.leaders()) p.replication?.maybeShrinkIsr(now);
  }

  stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }
}
