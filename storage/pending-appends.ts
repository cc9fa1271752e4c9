/**
 * Appends between their write and the moment they are visible and durable: the promises
 * append() hands out (AppendResult) and the bookkeeping that settles them as the writer reports
 * written(up to an offset) and durable(up to an offset), or rejects them when it fails.
 *
 * `written` resolves when the append becomes visible to readers: once its write completed and,
 * when it was queued with `sync` (flush.messages = 1, Runnel's default), once that sync
 * completed too. `durable` resolves after the sync that covers it; under a relaxed policy it is
 * made on first access (LazyDurableAppend), so appends nobody asks about cost nothing until the
 * next sync.
 *
 * No on-disk format lives here.
 */
import { Deferred, rejectedQuietly } from './deferred.js';
import { storageError } from './errors.js';
import { RollMarker, type WriteRequest } from './log-writer.js';

export interface AppendResult {
  baseOffset: number;
  lastOffset: number;
  /** -1 for CreateTime. */
  logAppendTime: number;
  /** Write done and visible to readers. */
  written: Promise<void>;
  /**
   * fsynced per the flush policy (the same promise as `written` when every append is fsynced).
   * Under a relaxed policy it is made on first access: an append nobody asks about costs nothing
   * until the next fsync (keeping one promise per append until a 1 GiB segment rolls would hold
   * hundreds of MB).
   */
  readonly durable: Promise<void>;
}

/** One queued append: what the writer needs, plus its promises. */
export interface QueuedAppend extends WriteRequest {
  written: Deferred;
  /** `written` when `sync`; otherwise made when someone asks for it (durableOf). */
  durable: Deferred | null;
  /** Why the append was voided or could not be made durable, once it failed. */
  failure?: unknown;
}

/** Where a LazyDurableAppend gets its promise (PartitionLog.durableOf). */
export interface DurableSource {
  durableOf(e: QueuedAppend): Promise<void>;
}

/** An AppendResult whose `durable` promise is made when first read (relaxed flush policy). */
export class LazyDurableAppend implements AppendResult {
  readonly written: Promise<void>;
  constructor(
    private readonly log: DurableSource,
    private readonly entry: QueuedAppend,
    readonly baseOffset: number,
    readonly lastOffset: number,
    readonly logAppendTime: number,
  ) {
    this.written = entry.written.promise;
  }
  get durable(): Promise<void> {
    return this.log.durableOf(this.entry);
  }
}

export class PendingAppends {
  /** Written, not yet visible, in offset order. */
  private notVisible: QueuedAppend[] = [];
  /** Written with a durable promise (made before the write): settled by the next sync. */
  private awaitingDurable: QueuedAppend[] = [];
  /** Written appends whose durable promise was asked for after their write (durableOf). */
  private lateDurable: QueuedAppend[] = [];

  /** The writer wrote `group`. */
  written(group: readonly QueuedAppend[]): void {
    for (const e of group) {
      this.notVisible.push(e);
      if (e.durable) this.awaitingDurable.push(e);
    }
  }

  /** The end of the written appends that may be visible without a sync (-1: none). */
  visibleWithoutSync(): number {
    const pv = this.notVisible;
    let i = 0;
    while (i < pv.length && !pv[i]!.sync) i++;
    return i === 0 ? -1 : pv[i - 1]!.last + 1;
  }

  /**
   * Makes the written appends below offset `to` visible, in order: their segments' visible sizes
   * and their `written` promises. Returns the new visible end, or -1 if nothing changed.
   */
  reveal(to: number): number {
    const pv = this.notVisible;
    let i = 0;
    while (i < pv.length && pv[i]!.last < to) i++;
    if (i === 0) return -1;
    const lastE = pv[i - 1]!;
    // Earlier segments are complete; the last visible append's segment is visible up to its end.
    lastE.seg.makeVisible(lastE.position + lastE.size);
    for (let j = 0; j < i; j++) {
      const e = pv[j]!;
      if (e.seg !== lastE.seg) e.seg.makeAllVisible();
      e.written.resolve();
    }
    this.notVisible = i === pv.length ? [] : pv.slice(i);
    return lastE.last + 1;
  }

  /**
   * A sync of everything written up to offset `end` completed. Everything in awaitingDurable is
   * covered (the one writer writes nothing while it syncs); late askers only if below `end`.
   */
  durable(end: number): void {
    if (this.awaitingDurable.length > 0) {
      for (const e of this.awaitingDurable) e.durable!.resolve();
      this.awaitingDurable = [];
    }
    if (this.lateDurable.length > 0) {
      const still: QueuedAppend[] = [];
      for (const e of this.lateDurable) {
        if (end > e.last) e.durable!.resolve();
        else still.push(e);
      }
      this.lateDurable = still;
    }
  }

  /** The durable promise of an append under a relaxed flush policy, made on first access. */
  durableOf(e: QueuedAppend, flushedEnd: number, offline: boolean): Promise<void> {
    if (e.durable) return e.durable.promise;
    if (e.failure !== undefined) return rejectedQuietly(e.failure);
    if (flushedEnd > e.last) return Promise.resolve();
    if (offline) return rejectedQuietly(storageError('log is offline'));
    const d = new Deferred();
    e.durable = d;
    // Still queued: written() adds it to awaitingDurable. Written already (the writer dropped its
    // buffer): settled by the first sync that ends past it — possibly one in flight now.
    if (e.buf === null) this.lateDurable.push(e);
    return d.promise;
  }

  /** Rejects an append's written (unless `written` is false) and durable promises; records why. */
  fail(e: QueuedAppend, err: unknown, written = true): void {
    e.failure ??= err;
    if (written) e.written.reject(err);
    e.durable?.reject(err);
  }

  /** Rejects appends (and roll markers) the writer will never write. */
  failQueued(items: ReadonlyArray<QueuedAppend | RollMarker>, err: unknown): void {
    for (const e of items) {
      if (e instanceof RollMarker) e.done.reject(err);
      else this.fail(e, err);
    }
  }

  /** Takes the written appends that are not visible yet (a failed sync voids them). */
  takeNotVisible(): QueuedAppend[] {
    const pv = this.notVisible;
    this.notVisible = [];
    return pv;
  }

  /** Takes the appends the failed sync was to make durable. */
  takeAwaitingDurable(): QueuedAppend[] {
    const c = this.awaitingDurable;
    this.awaitingDurable = [];
    return c;
  }

  /** The log went offline: no durable promise still waiting will be kept. */
  failDurable(err: unknown): void {
    for (const e of this.awaitingDurable) this.fail(e, err, false);
    this.awaitingDurable = [];
    for (const e of this.lateDurable) this.fail(e, err, false);
    this.lateDurable = [];
  }
}
