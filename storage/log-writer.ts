/**
 * The one ordered writer of a partition log. PartitionLog queues batches whose offsets and byte
 * positions it already assigned (each for a segment, at a position); the writer puts them into
 * the segment files in queue order, syncs them per the flush policy, and reports what happened:
 * written(up to an offset), durable(up to an offset), failed. What those mean (the high
 * watermark, the append promises, going offline) is PartitionLog's to decide.
 *
 * Group commit: the writer takes everything queued for the current segment (up to MAX_IOV
 * buffers and MAX_GROUP_BYTES), writes it with ONE positional writev, then fsyncs per the flush
 * policy. Appends that arrive while a write/fsync is in flight form the next group, so 64
 * concurrent producers share one fdatasync instead of queueing 64.
 *
 * O_DSYNC: when the flush policy syncs every append (flush.messages = 1) and nothing written
 * awaits a sync, the group goes through the segment's O_DSYNC descriptor instead: write and sync
 * in one system call (one thread-pool round trip, not two). A sync failure reported by that
 * write is a failed sync, not a failed write.
 *
 * Flush policy: a sync after flush.messages records or flush.ms since the first unsynced write
 * (a timer), right after writing a request queued with `sync` (flush.messages = 1 then), before
 * leaving a segment (Kafka flushes a segment when it rolls), and for flush().
 *
 * Rolls: a request for another segment, or a roll marker (roll(): switch with nothing to
 * write), makes the writer finish the current segment (sync it if needed, write its indexes),
 * create the next file and fsync the directory before going on.
 *
 * Truncation: with the writer idle and nothing queued, restartAt() points it at the segment and
 * offset the log was cut back to (PartitionLog.truncateTo).
 *
 * Failures: the writer stops at the first failed write, segment creation or sync and awaits
 * `onWriterFailed` before it takes anything else from the queue; the handler uses takeQueued(),
 * truncateFile() and fail() (PartitionLog: truncate and rewind after a failed write, offline
 * after a failed sync). Nothing of a group whose write failed counts as written.
 *
 * Files: writes the .log bytes PartitionLog queued and, at a roll, the finished segment's
 * indexes (segment.ts); no format of its own.
 */
import { Deferred } from './deferred.js';
import { storageError } from './errors.js';
import type { FdCache } from './fd-cache.js';
import { type StorageFs, writevFully } from './fs.js';
import type { LogConfig } from './log-config.js';
import type { LogSegment } from './segment.js';

const MAX_IOV = 1024;
const MAX_GROUP_BYTES = 16 * 1024 * 1024;
const NO_TIMER_MS = 2147483647;

/** One batch to write: where it goes and what it holds (the batch header, read at queue time). */
export interface WriteRequest {
  readonly seg: LogSegment;
  /** The batch bytes; set to null once written, so the request no longer holds them. */
  buf: Buffer | null;
  readonly position: number;
  readonly size: number;
  /** Last offset in the batch. */
  readonly last: number;
  readonly maxTs: number;
  readonly records: number;
  /** Add an index entry for it (decided at queue time: LogSegment.decideIndex). */
  readonly indexIt: boolean;
  /** Sync right after writing it (flush.messages = 1 when it was queued). */
  readonly sync: boolean;
}

/** Queued by roll(): switch to `seg` with nothing to write; `done` settles when it exists. */
export class RollMarker {
  readonly buf = null;
  readonly done = new Deferred();
  constructor(readonly seg: LogSegment) {}
}

export type WriteFailure<W> =
  /** The writev failed or was torn: nothing of `group` counts as written; the file may hold a torn tail past seg.writtenSize. */
  | { kind: 'write'; seg: LogSegment; group: W[]; err: unknown }
  /** Creating `seg`'s file failed (or finishing the one before it): nothing was written to it. */
  | { kind: 'create'; seg: LogSegment; err: unknown }
  /** A sync failed: what was written since the last good sync can no longer be trusted. */
  | { kind: 'sync'; seg: LogSegment; err: unknown }
  /** A bug: an unexpected exception in the writer loop. */
  | { kind: 'internal'; err: unknown };

export interface WriterEvents<W extends WriteRequest> {
  /**
   * `group` (in queue order) is in the file and applied to its segment; everything below offset
   * `end` is written. `syncing`: the write went through O_DSYNC, and onDurable() or a 'sync'
   * failure for it follows at once.
   */
  onWritten(group: readonly W[], end: number, syncing: boolean): void;
  /** Everything below offset `end` is on disk. */
  onDurable(end: number): void;
  /** A write, segment creation or sync failed; the writer waits for this before it goes on. */
  onWriterFailed(failure: WriteFailure<W>): Promise<void> | void;
}

export interface LogWriterOptions<W extends WriteRequest> {
  fs: StorageFs;
  fdCache: FdCache;
  /** The segment being written (the active one when the log was opened). */
  segment: LogSegment;
  /** Offset after the last written batch. */
  end: number;
  /** flush.messages and flush.ms are read at each decision (the config can change). */
  config: Pick<LogConfig, 'flushMessages' | 'flushMs'>;
  events: WriterEvents<W>;
  /** Observes every sync of a segment (fdatasync or O_DSYNC write): duration and failure. */
  onFsync?: (seconds: number, failed: boolean) => void;
}

export class LogWriter<W extends WriteRequest> {
  config: Pick<LogConfig, 'flushMessages' | 'flushMs'>;
  private readonly fs: StorageFs;
  private readonly fdCache: FdCache;
  private readonly events: WriterEvents<W>;
  private readonly onFsync: ((seconds: number, failed: boolean) => void) | undefined;

  private queue: Array<W | RollMarker> = [];
  private running = false;
  private _segment: LogSegment;
  /** Offset after the last written batch. */
  private end: number;
  /** Something was written since the last sync began. */
  private dirty = false;
  /** A request queued with `sync` was written since the last sync began. */
  private syncDemanded = false;
  private unflushedRecords = 0;
  private firstUnflushedAt = 0;
  private flushTimer: NodeJS.Timeout | null = null;
  private flushRequested = false;
  private flushWaiters: Deferred[] = [];
  /** After fail(): nothing more is written. */
  private stopped = false;
  /** After beginClose(): the flush timer no longer starts syncs. */
  private closing = false;

  constructor(o: LogWriterOptions<W>) {
    this.fs = o.fs;
    this.fdCache = o.fdCache;
    this._segment = o.segment;
    this.end = o.end;
    this.config = o.config;
    this.events = o.events;
    this.onFsync = o.onFsync;
  }

  /** The segment the writer is writing (or last wrote). */
  get segment(): LogSegment {
    return this._segment;
  }

  /** True while the writer loop runs. */
  get busy(): boolean {
    return this.running;
  }

  /** Queues a batch; its segment must be the current one or one queued after it (a roll). */
  enqueue(w: W): void {
    this.queue.push(w);
    this.kick();
  }

  /** Queues a switch to `seg` (a new, empty segment); resolves once its file exists. */
  roll(seg: LogSegment): Promise<void> {
    const m = new RollMarker(seg);
    this.queue.push(m);
    this.kick();
    return m.done.promise;
  }

  /** Resolves once everything queued so far is written and synced. */
  flush(): Promise<void> {
    const d = new Deferred();
    this.flushWaiters.push(d);
    this.kick();
    return d.promise;
  }

  /** Takes everything still queued out of the queue (the caller settles it). */
  takeQueued(): Array<W | RollMarker> {
    const q = this.queue;
    this.queue = [];
    return q;
  }

  /** Cuts a segment's file to `size` bytes (a torn tail, or data that must not survive). */
  async truncateFile(seg: LogSegment, size: number): Promise<void> {
    if (seg.fd < 0) throw new Error('segment fd is not open');
    await this.fs.ftruncate(seg.fd, size);
  }

  /**
   * After a truncation, with the writer idle and nothing queued: writing goes on in `seg` (already
   * cut to its new end, or a new empty one) after offset `end`. Nothing written is unsynced: the
   * truncation flushed first.
   */
  restartAt(seg: LogSegment, end: number): void {
    if (this.running || this.queue.length > 0) throw new Error('log writer restarted while busy');
    if (seg !== this._segment) this._segment.deactivate();
    seg.activate();
    this._segment = seg;
    this.end = end;
    this.syncStarted();
  }

  /** Stops writing for good (the log went offline): pending flush() calls reject with `err`. */
  fail(err: unknown): void {
    this.stopped = true;
    for (const w of this.flushWaiters) w.reject(err);
    this.flushWaiters = [];
    this.clearTimer();
  }

  /** The log is closing: the flush timer starts no more syncs (queued work still completes). */
  beginClose(): void {
    this.closing = true;
  }

  /** Closing: resolves once the writer loop is idle, and leaves no flush timer behind. */
  async finish(): Promise<void> {
    while (this.running) await new Promise((r) => setImmediate(r));
    this.clearTimer();
  }

  private kick(): void {
    if (this.running) return;
    this.running = true;
    void this.run();
  }

  private async run(): Promise<void> {
    try {
      for (;;) {
        if (this.queue.length > 0) {
          await this.writeNext();
          continue;
        }
        if (this.flushRequested || this.flushWaiters.length > 0) {
          this.flushRequested = false;
          const waiters = this.flushWaiters;
          this.flushWaiters = [];
          try {
            if (this.dirty) await this.fsyncNow(this._segment);
            if (this.stopped) throw storageError('log is offline');
            for (const w of waiters) w.resolve();
          } catch (e) {
            for (const w of waiters) w.reject(e);
          }
          continue;
        }
        break;
      }
    } catch (e) {
      await this.events.onWriterFailed({ kind: 'internal', err: e });
    } finally {
      this.running = false;
    }
  }

  private async writeNext(): Promise<void> {
    const head = this.queue[0]!;
    if (head.seg !== this._segment || !head.seg.fileCreated) {
      try {
        await this.switchSegment(head.seg);
      } catch (e) {
        if (this.stopped) return;
        await this.events.onWriterFailed({ kind: 'create', seg: head.seg, err: e });
        return;
      }
      if (this.stopped) return;
      // Topic deletion may have taken the queue (takeQueued) while the segment was being switched:
      // `head` is no longer ours to write, and a group of nothing would fail below and take the log
      // offline (found by the hostile fuzzer).
      if (this.queue[0] !== head) return;
    }
    if (head instanceof RollMarker) {
      this.queue.shift();
      head.done.resolve();
      return;
    }
    const seg = head.seg;
    const bufs: Buffer[] = [];
    let bytes = 0;
    let n = 0;
    while (n < this.queue.length && n < MAX_IOV) {
      const e = this.queue[n]!;
      if (e.seg !== seg || e.buf === null || (n > 0 && bytes + e.size > MAX_GROUP_BYTES)) break;
      bufs.push(e.buf);
      bytes += e.size;
      n++;
    }
    const group = this.queue.splice(0, n) as W[];
    // When every append is synced (flush.messages=1, the default) and nothing written is waiting
    // for a sync, write through the segment's O_DSYNC descriptor: write and sync in one call, one
    // thread-pool round trip instead of two (~70 µs less per acks=-1 produce here). Group commit
    // is unchanged: the group is one writev, so one sync.
    const dsync = this.config.flushMessages <= 1 && !this.dirty;
    let syncFailure: unknown = null;
    const t0 = dsync && this.onFsync ? performance.now() : 0;
    this.fdCache.pin(seg);
    try {
      let fd: number;
      try {
        fd = await this.fdCache.fd(seg);
        if (!dsync) await writevFully(this.fs, fd, bufs, seg.writtenSize, bytes);
        else {
          try {
            await writevFully(this.fs, await this.fdCache.dsyncFd(seg), bufs, seg.writtenSize, bytes);
          } catch (e) {
            // A failed sync (not a failed write) takes the sync-failure path below, once the
            // group is accounted as written: the log goes offline, as after a failed fdatasync.
            if ((e as NodeJS.ErrnoException).syscall !== 'fdatasync') throw e;
            syncFailure = e;
          }
        }
      } catch (e) {
        await this.events.onWriterFailed({ kind: 'write', seg, group, err: e });
        return;
      }
      let records = 0;
      for (const e of group) {
        seg.applyBatch(e.position, e.size, e.last, e.maxTs, e.indexIt);
        records += e.records;
        if (e.sync) this.syncDemanded = true;
        // The bytes are in the file now. Drop the reference: under a relaxed flush policy the
        // request may wait for the next sync (possibly the segment roll), and holding the batch (a
        // view of its whole request frame) kept every produced byte on the heap until then.
        e.buf = null;
      }
      seg.advanceWritten(bytes);
      this.end = group[group.length - 1]!.last + 1;
      if (!this.dirty) this.firstUnflushedAt = Date.now();
      this.dirty = true;
      this.unflushedRecords += records;
      this.events.onWritten(group, this.end, dsync);
      if (dsync) {
        this.onFsync?.((performance.now() - t0) / 1000, syncFailure !== null);
        this.syncStarted();
        if (syncFailure !== null) await this.events.onWriterFailed({ kind: 'sync', seg, err: syncFailure });
        else this.events.onDurable(this.end);
        return;
      }
      if (this.shouldFsync()) await this.fsyncNow(seg, fd);
      else this.scheduleFlushTimer();
    } finally {
      this.fdCache.unpin(seg);
    }
  }

  private shouldFsync(): boolean {
    const cfg = this.config;
    return this.syncDemanded || this.unflushedRecords >= cfg.flushMessages || Date.now() - this.firstUnflushedAt >= cfg.flushMs;
  }

  private scheduleFlushTimer(): void {
    if (this.flushTimer || this.config.flushMs >= NO_TIMER_MS) return;
    const delay = Math.max(0, this.firstUnflushedAt + this.config.flushMs - Date.now());
    this.flushTimer = setTimeout(() => {
      this.flushTimer = null;
      if (this.stopped || this.closing) return;
      this.flushRequested = true;
      this.kick();
    }, delay);
    this.flushTimer.unref?.();
  }

  private clearTimer(): void {
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = null;
  }

  /** A sync of everything written so far begins: nothing counts as unsynced any more. */
  private syncStarted(): void {
    this.dirty = false;
    this.syncDemanded = false;
    this.unflushedRecords = 0;
    this.clearTimer();
  }

  private async fsyncNow(seg: LogSegment, knownFd?: number): Promise<void> {
    if (!seg.fileCreated) return;
    this.syncStarted();
    const end = this.end;
    this.fdCache.pin(seg);
    const t0 = this.onFsync ? performance.now() : 0;
    try {
      const fd = knownFd ?? (await this.fdCache.fd(seg));
      await this.fs.fdatasync(fd);
      this.onFsync?.((performance.now() - t0) / 1000, false);
    } catch (e) {
      this.onFsync?.((performance.now() - t0) / 1000, true);
      await this.events.onWriterFailed({ kind: 'sync', seg, err: e });
      return;
    } finally {
      this.fdCache.unpin(seg);
    }
    this.events.onDurable(end);
  }

  private async switchSegment(next: LogSegment): Promise<void> {
    const old = this._segment;
    if (old !== next && old.fileCreated) {
      // Kafka flushes a segment when it rolls: afterwards the recovery point can move past it.
      if (this.dirty) await this.fsyncNow(old);
      if (this.stopped) return;
      await old.persistIndexes(this.fs, true);
    }
    if (!next.fileCreated) {
      const fd = await this.fs.open(next.paths.log, 'w+');
      next.markCreated();
      this.fdCache.adopt(next, fd);
      await this.fs.fsyncDir(next.dir);
    }
    // Only now: if creating `next` failed, `old` stays the segment being written (indexes kept in memory).
    if (old !== next) old.deactivate();
    next.activate();
    this._segment = next;
  }
}
