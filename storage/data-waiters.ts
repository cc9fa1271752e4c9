/**
 * Readers waiting for a partition's end to pass an offset: long-poll fetches wait for the high
 * watermark, follower fetches (replicated mode, replicated-high-watermark.ts) for the log's
 * visible end. Each callback runs once, on the microtask after registering if the data is already
 * there, else when the log reports that end moved. A throwing callback is logged and does
 * not stop the others.
 */
import type { StorageLogger } from './logger.js';

interface Waiter {
  offset: number;
  cb: () => void;
  /** The set holding it (moveTo hands waiters over; their cancel functions follow). */
  home: DataWaiters;
}

const noop = () => {};

export class DataWaiters {
  /** Made on the first waiter: most partitions of a 10,000-partition broker never have one. */
  private set: Set<Waiter> | null = null;

  private get waiters(): Set<Waiter> {
    return (this.set ??= new Set());
  }

  constructor(private readonly logger: () => StorageLogger) {}

  /** Registers `cb` for when `hw` passes `offset`; returns a cancel function. */
  wait(hw: number, offset: number, cb: () => void): () => void {
    if (hw > offset) {
      queueMicrotask(cb);
      return noop;
    }
    const w: Waiter = { offset, cb, home: this };
    this.waiters.add(w);
    return () => {
      w.home.waiters.delete(w);
    };
  }

  /** Runs (and forgets) every waiter whose offset is below the new high watermark. */
  fire(hw: number): void {
    if (this.set === null || this.set.size === 0) return;
    let ready: Waiter[] | null = null;
    for (const w of this.waiters) if (hw > w.offset) (ready ??= []).push(w);
    if (ready === null) return;
    // Removed before any runs: a callback may register a new waiter.
    for (const w of ready) this.waiters.delete(w);
    for (const w of ready) {
      try {
        w.cb();
      } catch (e) {
        this.logger().error({ err: e }, 'data waiter threw');
      }
    }
  }

  /** Hands every waiter still waiting to `other` (replicated mode ends: one end again). */
  moveTo(other: DataWaiters): void {
    if (this.set === null) return;
    for (const w of this.set) {
      w.home = other;
      other.waiters.add(w);
    }
    this.set.clear();
  }
}
