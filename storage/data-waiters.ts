/**
 * Readers waiting for a partition's high watermark to pass an offset (long-poll fetches,
 * followers). Each callback runs once, on the microtask after registering if the data is already
 * there, else when the log reports a new high watermark. A throwing callback is logged and does
 * not stop the others.
 */
import type { StorageLogger } from './logger.js';

interface Waiter {
  offset: number;
  cb: () => void;
}

const noop = () => {};

export class DataWaiters {
  private readonly waiters = new Set<Waiter>();

  constructor(private readonly logger: () => StorageLogger) {}

  /** Registers `cb` for when `hw` passes `offset`; returns a cancel function. */
  wait(hw: number, offset: number, cb: () => void): () => void {
    if (hw > offset) {
      queueMicrotask(cb);
      return noop;
    }
    const w = { offset, cb };
    this.waiters.add(w);
    return () => {
      this.waiters.delete(w);
    };
  }

  /** Runs (and forgets) every waiter whose offset is below the new high watermark. */
  fire(hw: number): void {
    if (this.waiters.size === 0) return;
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
}
