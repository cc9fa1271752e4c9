/**
 * Share-state writes, batched (KIP-932: a share partition's state is durable before the fetch or
 * acknowledgement that changed it is answered).
 *
 * - CoalescedWrite, one per share partition: at most one write of its state in flight; calls made
 *   meanwhile share the NEXT write, which snapshots the state when it starts (so it carries every
 *   change made before any of those calls). N members persisting one hot share partition cost
 *   two writes, not N, and the writes of one key can never land out of order.
 * - StateWrites, one per request: the share partitions a ShareFetch / ShareAcknowledge changed, in
 *   memory first; flush() writes them all at once (one concurrent round: different
 *   `__share_group_state` partitions in parallel, the same one sharing a group commit in its log
 *   writer) instead of one awaited write per partition in turn. A failed write fails every part of
 *   the request that rode on it (its acquisitions are not handed out, its acknowledgements answer
 *   an error), as one write per partition did.
 */
import { ErrorCode } from '../../protocol/errors.js';

interface Waiting {
  promise: Promise<void>;
  resolve: () => void;
  reject: (err: unknown) => void;
}

export class CoalescedWrite {
  private running = false;
  private next: Waiting | null = null;

  /** `writeNow` snapshots the state synchronously when called, then resolves once it is durable. */
  constructor(private readonly writeNow: () => Promise<void>) {}

  /** Resolves once a write that started after this call is durable (rejects if that write failed). */
  write(): Promise<void> {
    if (!this.running) return this.start();
    if (this.next === null) {
      let resolve!: () => void;
      let reject!: (err: unknown) => void;
      const promise = new Promise<void>((res, rej) => ((resolve = res), (reject = rej)));
      this.next = { promise, resolve, reject };
    }
    return this.next.promise;
  }

  private start(): Promise<void> {
    this.running = true;
    let p: Promise<void>;
    try {
      p = this.writeNow();
    } catch (err) {
      p = Promise.reject(err);
    }
    const done = (): void => {
      this.running = false;
      const waiting = this.next;
      if (waiting === null) return;
      this.next = null;
      this.start().then(waiting.resolve, waiting.reject);
    };
    p.then(done, done);
    return p;
  }
}

/** What a share partition offers StateWrites. */
export interface Persistable {
  persist(): Promise<void>;
}

export class StateWrites<T extends Persistable = Persistable> {
  private readonly pending = new Set<T>();
  /** Share partitions of this request → the error of the first write that carried them (0: none). */
  private readonly firstWriteFailed = new Map<T, number>();

  /** `sp` changed in memory: it is written at the next flush. */
  add(sp: T): void {
    this.pending.add(sp);
  }

  /**
   * Writes every share partition added since the last flush, concurrently; resolves when all are
   * settled (never rejects) with the failures of this round: share partition → error code.
   */
  async flush(): Promise<Map<T, number>> {
    const round = new Map<T, number>();
    if (this.pending.size === 0) return round;
    const sps = [...this.pending];
    this.pending.clear();
    await Promise.all(
      sps.map((sp) =>
        sp.persist().catch((err: unknown) => {
          const code = (err as { code?: unknown }).code;
          round.set(sp, typeof code === 'number' && code !== 0 ? code : ErrorCode.UNKNOWN_SERVER_ERROR);
        }),
      ),
    );
    for (const sp of sps) if (!this.firstWriteFailed.has(sp)) this.firstWriteFailed.set(sp, round.get(sp) ?? 0);
    return round;
  }

  /** Whether the first write of `sp` in this request failed (what it carried then is not durable). */
  hasFailed(sp: T): boolean {
    return (this.firstWriteFailed.get(sp) ?? 0) !== 0;
  }

  /** The error of the first write of `sp` in this request (0: none, or not written). */
  failureOf(sp: T): number {
    return this.firstWriteFailed.get(sp) ?? 0;
  }
}
