/**
 * A bounded LRU of open segment file descriptors, shared by every partition of a LogManager.
 *
 * Segment files are opened lazily (first read or write) and closed when the cache is over its
 * capacity and the segment is not pinned. Pins are taken by the writer for the duration of one
 * write cycle and by every FileSlice handed to the fetch path until its `release()`, so an fd is
 * never closed under a reader. The capacity is soft: if everything is pinned we stay above it
 * rather than fail a read. 10,000 partitions therefore need only `capacity` fds, plus the fds of
 * the segments being read or written at that moment.
 *
 * No on-disk format lives here.
 */
import type { Logger } from '../src/logger.js';
import { type StorageFs, isErrno } from './fs.js';
import type { LogSegment } from './segment.js';

/** The segment was replaced by compaction after the reader picked it; the reader retries. */
export class RetiredSegmentError extends Error {
  constructor() {
    super('segment was replaced');
    this.name = 'RetiredSegmentError';
  }
}

export class FdCache {
  private readonly lru = new Map<LogSegment, true>();
  private readonly opening = new Map<LogSegment, Promise<number>>();

  constructor(
    readonly fs: StorageFs,
    readonly capacity: number,
    private readonly logger?: Logger,
  ) {}

  get openCount(): number {
    return this.lru.size;
  }

  /** The fd of a pinned segment, opening the file if needed. */
  fd(seg: LogSegment): number | Promise<number> {
    if (seg.fd >= 0) {
      this.lru.delete(seg);
      this.lru.set(seg, true);
      return seg.fd;
    }
    if (seg.retired) return Promise.reject(new RetiredSegmentError());
    let p = this.opening.get(seg);
    if (!p) {
      p = this.openSegment(seg);
      this.opening.set(seg, p);
    }
    return p;
  }

  /**
   * The segment's O_DSYNC write descriptor (fs.ts 'dsync'), opened on first use and closed with the
   * segment's fd (eviction, close): a pinned segment whose fd() is open. The writer uses it when
   * every append is fsynced anyway, to write and sync in one call.
   */
  async dsyncFd(seg: LogSegment): Promise<number> {
    if (seg.dsyncFd >= 0) return seg.dsyncFd;
    if (seg.retired) throw new RetiredSegmentError();
    const fd = await this.fs.open(seg.paths.log, 'dsync');
    if (seg.dsyncFd >= 0 || seg.retired || seg.fd < 0) {
      // Raced with another opener, a retirement or an eviction/close: don't keep it.
      await this.fs.close(fd);
      if (seg.dsyncFd >= 0) return seg.dsyncFd;
      throw seg.retired ? new RetiredSegmentError() : new Error('segment fd was closed');
    }
    seg.dsyncFd = fd;
    return fd;
  }

  private closeDsync(seg: LogSegment): Promise<void> {
    if (seg.dsyncFd < 0) return Promise.resolve();
    const fd = seg.dsyncFd;
    seg.dsyncFd = -1;
    return this.fs.close(fd);
  }

  private async openSegment(seg: LogSegment): Promise<number> {
    try {
      let fd: number;
      const path = seg.paths.log;
      try {
        fd = await this.fs.open(path, 'r+');
      } catch (e) {
        // Renamed (.deleted) while we were opening: follow the new name once.
        if (isErrno(e, 'ENOENT') && seg.paths.log !== path) fd = await this.fs.open(seg.paths.log, 'r+');
        else throw e;
      }
      if (seg.retired) {
        await this.fs.close(fd);
        throw new RetiredSegmentError();
      }
      seg.fd = fd;
      this.lru.set(seg, true);
      this.evict();
      return fd;
    } finally {
      this.opening.delete(seg);
    }
  }

  /** Hands an fd opened elsewhere (segment creation, recovery) to the cache. */
  adopt(seg: LogSegment, fd: number): void {
    if (seg.fd >= 0 && seg.fd !== fd) void this.fs.close(seg.fd).catch(() => {});
    seg.fd = fd;
    this.lru.delete(seg);
    this.lru.set(seg, true);
    this.evict();
  }

  pin(seg: LogSegment): void {
    seg.pins++;
  }

  unpin(seg: LogSegment): void {
    if (--seg.pins === 0) {
      const cb = seg.onUnpinned;
      if (cb) {
        seg.onUnpinned = null;
        cb();
      }
      if (this.lru.size > this.capacity) this.evict();
    }
  }

  /** Closes a segment's fd now (segment deleted, replaced or log closed); the caller ensures no pins. */
  async close(seg: LogSegment): Promise<void> {
    const pending = this.opening.get(seg);
    if (pending) await pending.catch(() => {});
    await this.closeDsync(seg);
    if (seg.fd < 0) return;
    const fd = seg.fd;
    seg.fd = -1;
    this.lru.delete(seg);
    await this.fs.close(fd);
  }

  private evict(): void {
    if (this.lru.size <= this.capacity) return;
    for (const seg of this.lru.keys()) {
      if (this.lru.size <= this.capacity) break;
      if (seg.pins > 0) continue;
      this.lru.delete(seg);
      const fd = seg.fd;
      seg.fd = -1;
      seg.onFdEvicted();
      this.fs.close(fd).catch((e) => this.logger?.warn({ err: e }, 'closing evicted segment fd failed'));
      this.closeDsync(seg).catch((e) => this.logger?.warn({ err: e }, 'closing evicted segment fd failed'));
    }
  }
}
