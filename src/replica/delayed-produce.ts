/**
 * Produce requests with acks=all waiting for the high watermark (Kafka's DelayedProduce in the
 * produce purgatory), for one partition this broker leads in a cluster.
 *
 * A waiter is done when the high watermark reaches its batch's end (last offset + 1): every ISR
 * member then has the batch on disk. It succeeds if the ISR (the maximal one, pending additions
 * included, as Kafka's checkEnoughReplicasReachOffset) still has at least the topic's
 * min.insync.replicas members, else NOT_ENOUGH_REPLICAS_AFTER_APPEND (the batch is in the log, but
 * on fewer replicas than the producer asked for). It fails with REQUEST_TIMED_OUT after the
 * request's timeout_ms (no timer when ≤ 0: the high watermark moves at the latest when the ISR
 * shrinks), and with NOT_LEADER_OR_FOLLOWER (or the log's storage error) when this
 * broker stops leading.
 *
 * Cost: waiters sit in a doubly linked list ordered by required offset. Appends get increasing
 * offsets, so a new waiter goes at the tail (a retried duplicate, rarely, a few steps before it);
 * a high watermark move takes waiters off the head while they are satisfied and looks at no other;
 * a timeout unlinks its own waiter. So each event costs O(1) plus the waiters it completes. One
 * timer per waiter: Node keeps timers of equal duration in one list, so they are cheap to arm and
 * clear.
 */
import { ErrorCode, KafkaError } from '../../protocol/errors.js';

interface Waiter {
  /** The high watermark that completes it: the batch's last offset + 1. */
  readonly required: number;
  readonly minInsyncReplicas: number;
  readonly timeoutMs: number;
  resolve: () => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout | null;
  prev: Waiter | null;
  next: Waiter | null;
  /** Still in the list. */
  linked: boolean;
}

export class DelayedProduces {
  /**
   * `onExpired`: told when a waiter times out (the leader logs what held its high watermark; a
   * timeout is rare, so it costs nothing on the path where acknowledgements arrive).
   */
  constructor(private readonly onExpired: ((required: number) => void) | null = null) {}

  private head: Waiter | null = null;
  private tail: Waiter | null = null;
  private count = 0;

  /** Waiters not yet completed. */
  get size(): number {
    return this.count;
  }

  /**
   * Resolves when complete() is called with a high watermark ≥ `requiredOffset` (and enough
   * in-sync replicas); rejects as the header says. The caller checks first that the high
   * watermark is not already there. `written` is the append's own write: if it fails, so does the
   * wait, at once, with its error (KAFKA_STORAGE_ERROR).
   */
  wait(requiredOffset: number, minInsyncReplicas: number, timeoutMs: number, written: Promise<void>): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const w: Waiter = { required: requiredOffset, minInsyncReplicas, timeoutMs, resolve, reject, timer: null, prev: null, next: null, linked: true };
      this.link(w);
      // No bound of its own when ≤ 0 (as the produce path treats timeout_ms 0; coordinators bound
      // their waits themselves): it ends with the high watermark or with the leadership.
      if (timeoutMs > 0) w.timer = setTimeout(() => this.expire(w), timeoutMs);
      written.then(undefined, (err: Error) => {
        if (!w.linked) return;
        this.unlink(w);
        reject(err);
      });
    });
  }

  /** The high watermark moved to `hw`: completes the waiters it satisfies, given `isrSize` in-sync replicas. */
  complete(hw: number, isrSize: number): void {
    let w = this.head;
    while (w !== null && w.required <= hw) {
      const next = w.next;
      this.unlink(w);
      if (isrSize >= w.minInsyncReplicas) w.resolve();
      else w.reject(new KafkaError(ErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND, `Messages are written to the log, but to fewer in-sync replicas (${isrSize}) than required (${w.minInsyncReplicas}).`));
      w = next;
    }
  }

  /** Fails every waiter with `err` (leadership lost, storage failed). */
  failAll(err: Error): void {
    let w = this.head;
    while (w !== null) {
      const next = w.next;
      this.unlink(w);
      w.reject(err);
      w = next;
    }
  }

  private expire(w: Waiter): void {
    w.timer = null;
    if (!w.linked) return;
    this.unlink(w);
    this.onExpired?.(w.required);
    w.reject(new KafkaError(ErrorCode.REQUEST_TIMED_OUT, `Append not acknowledged by the in-sync replicas within ${w.timeoutMs} ms`));
  }

  /** Inserts in required-offset order, searching from the tail (where appends land). */
  private link(w: Waiter): void {
    let after = this.tail;
    while (after !== null && after.required > w.required) after = after.prev;
    w.prev = after;
    w.next = after === null ? this.head : after.next;
    if (w.next !== null) w.next.prev = w;
    else this.tail = w;
    if (after !== null) after.next = w;
    else this.head = w;
    this.count++;
  }

  private unlink(w: Waiter): void {
    if (!w.linked) return;
    w.linked = false;
    if (w.timer !== null) {
      clearTimeout(w.timer);
      w.timer = null;
    }
    if (w.prev !== null) w.prev.next = w.next;
    else this.head = w.next;
    if (w.next !== null) w.next.prev = w.prev;
    else this.tail = w.prev;
    w.prev = w.next = null;
    this.count--;
  }
}
