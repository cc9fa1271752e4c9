/**
 * DeleteRecords requests waiting for the low watermark (Kafka's DelayedDeleteRecords in the
 * delete-records purgatory), for one partition this broker leads in a cluster.
 *
 * The leader moved its own log start offset already; the request is answered once the partition's
 * low watermark — the smallest log start offset over the leader and its followers on live brokers
 * (Kafka's lowWatermarkIfLeader), which followers raise when a fetch response carries the leader's
 * log start offset and report in their next fetch — reaches the requested offset. Then: NONE with
 * that low watermark. After the request's timeout: REQUEST_TIMED_OUT with the low watermark of
 * that moment (the records are deleted on the leader either way, as in Kafka). When this broker
 * stops leading: NOT_LEADER_OR_FOLLOWER with -1.
 *
 * Few waiters at a time (one per partition of a DeleteRecords request in flight): a plain array,
 * checked when a follower's reported log start moves, the replicas change or the ISR check runs.
 */
import { ErrorCode, type ErrorCodeValue } from '../../protocol/errors.js';

/** A DeleteRecords partition's answer. */
export interface LowWatermarkAnswer {
  errorCode: ErrorCodeValue;
  lowWatermark: number;
}

interface Waiter {
  readonly required: number;
  readonly resolve: (a: LowWatermarkAnswer) => void;
  timer: NodeJS.Timeout | null;
}

export class DelayedDeleteRecords {
  private waiters: Waiter[] = [];

  constructor(
    /** The partition's low watermark now. */
    private readonly lowWatermark: () => number,
  ) {}

  get size(): number {
    return this.waiters.length;
  }

  /**
   * Resolves once the low watermark reaches `required` (at once if it has), or after `timeoutMs`
   * (≤ 0: only what is there now) with REQUEST_TIMED_OUT. Never rejects.
   */
  wait(required: number, timeoutMs: number): Promise<LowWatermarkAnswer> {
    const low = this.lowWatermark();
    if (low >= required) return Promise.resolve({ errorCode: ErrorCode.NONE, lowWatermark: low });
    if (timeoutMs <= 0) return Promise.resolve({ errorCode: ErrorCode.REQUEST_TIMED_OUT, lowWatermark: low });
    return new Promise((resolve) => {
      const w: Waiter = { required, resolve, timer: null };
      w.timer = setTimeout(() => {
        w.timer = null;
        this.remove(w);
        resolve({ errorCode: ErrorCode.REQUEST_TIMED_OUT, lowWatermark: this.lowWatermark() });
      }, timeoutMs);
      this.waiters.push(w);
    });
  }

  /** Something the low watermark depends on changed: completes the waiters it satisfies now. */
  check(): void {
    if (this.waiters.length === 0) return;
    const low = this.lowWatermark();
    const done = this.waiters.filter((w) => w.required <= low);
    if (done.length === 0) return;
    this.waiters = this.waiters.filter((w) => w.required > low);
    for (const w of done) this.finish(w, { errorCode: ErrorCode.NONE, lowWatermark: low });
  }

  /** This broker stops leading the partition. */
  failAll(errorCode: ErrorCodeValue): void {
    const all = this.waiters;
    this.waiters = [];
    for (const w of all) this.finish(w, { errorCode, lowWatermark: -1 });
  }

  private finish(w: Waiter, answer: LowWatermarkAnswer): void {
    if (w.timer !== null) clearTimeout(w.timer);
    w.timer = null;
    w.resolve(answer);
  }

  private remove(w: Waiter): void {
    const i = this.waiters.indexOf(w);
    if (i >= 0) this.waiters.splice(i, 1);
  }
}
