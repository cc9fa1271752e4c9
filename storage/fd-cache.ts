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
import { RetiredSegmentError } from './errors.js';
import { type StorageFs, isErrno } from './fs.js';
import type { StorageLogger } from './logger.js';

/**
 * What the cache needs of a segment (segment.ts LogSegment is one): where its log file is, whether
 * it was retired, and the descriptor fields the cache owns (nothing else writes them).
 */
export interface CachedFile {
  readonly paths: { readonly log: string };
  /** Replaced by compaction: its file name now belongs to the new file, never open it. */
  readonly retired: boolean;
  /** Owned by FdCache: the open read/write descriptor, or -1. */
  fd: number;
  /** Owned by FdCache: the writer's O_DSYNC descriptor, or -1. */
  dsyncFd: number;
  /** Owned by FdCache (pin/unpin): readers and the writer using the fd right now. */
  pins: number;
  /** Run once when the pin count drops to zero (then cleared). */
  onUnpinned: (() => void) | null;
  /** Called when the cache closed the fd to stay under capacity. */
  onFdEvicted(): void;
}

export class FdCache {
  private readonly lru = new Map<CachedFile, true>();
  private readonly opening = new Map<CachedFile, Promise<number>>();

  constructor(
    readonly fs: StorageFs,
    readonly capacity: number,
    private readonly logger?: StorageLogger,
  ) {}

  get openCount(): number {
    return this.lru.size;
  }

  /** The fd of a pinned segment, opening the file if needed. */
  fd(seg: CachedFile): number | Promise<number> {
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
  async dsyncFd(seg: CachedFile): Promise<number> {
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

  private closeDsync(seg: CachedFile): Promise<void> {
    if (seg.dsyncFd < 0) return Promise.resolve();
    const fd = seg.dsyncFd;
    seg.dsyncFd = -1;
    return this.fs.close(fd);
  }

  private async openSegment(seg: CachedFile): Promise<number> {
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
  adopt(seg: CachedFile, fd: number): void {
    if (seg.fd >= 0 && seg.fd !== fd) void this.fs.close(seg.fd).catch(() => {});
    seg.fd = fd;
    this.lru.delete(seg);
    this.lru.set(seg, true);
    this.evict();
  }

  pin(seg: CachedFile): void {
    seg.pins++;
  }

  unpin(seg: CachedFile): void {
    if (--seg.pins === 0) {
      const cb = seg.onUnpinned;
      if (cb) {
        seg.onUnpinned = null;
        cb();
      }
      if (this.lru.size > this.capacity) this.evict();
    }
  }

  /** Runs `cb` once the segment's pin count drops to zero (after callbacks registered before it). */
  whenUnpinned(seg: CachedFile, cb: () => void): void {
    const prev = seg.onUnpinned;
    seg.onUnpinned = prev
      ? () => {
          prev();
          cb();
        }
      : cb;
  }

  /** Closes a segment's fd now (segment deleted, replaced or log closed); the caller ensures no pins. */
  async close(seg: CachedFile): Promise<void> {
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
