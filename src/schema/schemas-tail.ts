/**
 * The registry follows `_schemas`: its store is what the local replica of the topic holds, applied
 * in log order up to `applied` (the next offset to apply). One reader at a time; each record is
 * applied once, whoever gets to it first:
 *
 * - the tail reads what becomes readable (at startup, then on every new record: `follow`), which
 *   is how a broker that does not lead `_schemas`-0 learns of the writes of the one that does;
 * - the writer (registry.ts, on the leader) applies its own records as soon as they are
 *   acknowledged, when they are next in line (`wrote`), so its response is read-your-write; if
 *   the tail is behind, it waits for the tail to reach them instead.
 *
 * Before the leader decides a write it catches up to the log end (`catchUpToEnd`): a broker that
 * just became leader may hold records of the previous leader that are not applied yet, and ids must
 * never be handed out twice (Confluent's registry waits for its reader the same way).
 */
import type { Logger } from '../logger.js';
import type { SchemasLog } from './schemas-log.js';

/** How long the tail waits before looking again for a `_schemas` replica that is not here yet, or after a failed read. */
const NO_REPLICA_RETRY_MS = 1000;

export interface TailStats {
  records: number;
  skipped: number;
}

export class SchemasTail {
  /** The next `_schemas` offset to apply. */
  applied = 0;
  readonly stats: TailStats = { records: 0, skipped: 0 };
  private reads: Promise<void> = Promise.resolve();
  private readonly reached: Array<{ offset: number; resolve: () => void }> = [];
  private following = false;
  private cancelWait: (() => void) | null = null;
  private retry: NodeJS.Timeout | null = null;

  constructor(
    private readonly log: SchemasLog,
    /** Applies one record to the store; false when it was not understood (skipped). */
    private readonly apply: (key: Buffer, value: Buffer | null) => boolean,
    private readonly logger: Logger,
  ) {}

  /** Applies everything readable now (reads are queued: one at a time, each from where the last ended). */
  catchUp(): Promise<void> {
    const run = this.reads.then(() => this.readOnce());
    this.reads = run.catch((err: unknown) => this.logger.error({ err }, 'reading _schemas failed'));
    return run;
  }

  /**
   * Before a write is decided on the leader: everything up to the local log end is applied, or
   * REJECTS after `timeoutMs` (records the previous leader wrote are not committed yet).
   */
  async catchUpToEnd(timeoutMs: number): Promise<void> {
    const end = this.log.logEndOffset();
    if (end === null || this.applied >= end) return;
    await this.catchUp();
    if (this.applied >= end) return;
    await this.reach(end, timeoutMs);
  }

  /**
   * The writer's records [base, last] are acknowledged: applied now through `applyOwn` when they
   * are next in line (nothing else can be: only the leader writes, one write at a time), else once
   * the tail reaches them (bounded by `timeoutMs`).
   */
  async wrote(base: number, last: number, applyOwn: () => void, timeoutMs: number): Promise<void> {
    if (this.applied === base) {
      applyOwn();
      this.advance(last + 1);
      return;
    }
    if (this.applied > last) return;
    void this.catchUp();
    await this.reach(last + 1, timeoutMs);
  }

  /** Resolves once `applied` reaches `offset`; rejects after `timeoutMs`. */
  reach(offset: number, timeoutMs: number): Promise<void> {
    if (this.applied >= offset) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const entry = { offset, resolve: () => undefined as void };
      const timer = setTimeout(() => {
        const i = this.reached.indexOf(entry);
        if (i >= 0) this.reached.splice(i, 1);
        reject(new Error(`_schemas not read up to offset ${offset} within ${timeoutMs} ms (read up to ${this.applied})`));
      }, timeoutMs);
      timer.unref?.();
      entry.resolve = () => {
        clearTimeout(timer);
        resolve();
      };
      this.reached.push(entry);
    });
  }

  /** Keeps applying new records as they become readable, until `stop`. */
  follow(): void {
    if (this.following) return;
    this.following = true;
    this.waitForMore();
  }

  stop(): void {
    this.following = false;
    this.cancelWait?.();
    this.cancelWait = null;
    if (this.retry) clearTimeout(this.retry);
    this.retry = null;
  }

  private waitForMore(): void {
    if (!this.following) return;
    const cancel = this.log.waitForData(this.applied, () => {
      this.cancelWait = null;
      this.readThenWait();
    });
    if (cancel) this.cancelWait = cancel;
    else this.readLater(); // no replica of `_schemas` here yet (not created, or not assigned here yet)
  }

  private readThenWait(): void {
    // A read that fails (logged by catchUp) is tried again later, not at once: it would fail again.
    this.catchUp().then(
      () => this.waitForMore(),
      () => this.readLater(),
    );
  }

  private readLater(): void {
    if (!this.following || this.retry) return;
    this.retry = setTimeout(() => {
      this.retry = null;
      if (this.following) this.readThenWait();
    }, NO_REPLICA_RETRY_MS);
    this.retry.unref?.();
  }

  private async readOnce(): Promise<void> {
    const next = await this.log.readFrom(this.applied, (offset, key, value) => {
      // The writer may have applied its own records while this read was in flight.
      if (offset < this.applied) return;
      this.stats.records++;
      if (!this.apply(key, value)) this.stats.skipped++;
      this.applied = offset + 1;
    });
    this.advance(next);
  }

  private advance(offset: number): void {
    if (offset <= this.applied && this.reached.length === 0) return;
    if (offset > this.applied) this.applied = offset;
    for (let i = this.reached.length - 1; i >= 0; i--) {
      const w = this.reached[i]!;
      if (w.offset <= this.applied) {
        this.reached.splice(i, 1);
        w.resolve();
      }
    }
  }
}
