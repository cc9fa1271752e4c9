/**
 * The segments of one partition log, oldest first; the last one is the active segment.
 *
 * Copy-on-write: every change makes a new array, so a reader iterates the snapshot it took across
 * its awaits while rolls, retention and compaction go on. Segments leave the list in two ways:
 * removed (retention, DeleteRecords, truncation: renamed `.deleted` at once, closed and unlinked
 * once no reader holds them, segment-deletion.ts) or replaced by a compacted copy (retired; the old fd
 * closes once readers are done).
 *
 * No on-disk format lives here (file names: file-names.ts).
 */
import type { FdCache } from './fd-cache.js';
import { DELETED_SUFFIX } from './file-names.js';
import type { StorageFs } from './fs.js';
import type { StorageLogger } from './logger.js';
import type { LogSegment } from './segment.js';
import { removeWhenUnused } from './segment-deletion.js';

const noop = () => {};

/** What the list needs of its log (PartitionLog): the fs, the fd cache, the logger. */
export interface SegmentListOwner {
  readonly storageFs: StorageFs;
  readonly fds: FdCache;
  /** Read only when there is something to log. */
  readonly log: StorageLogger;
}

export class SegmentList {
  private segs: LogSegment[];
  /** Removals in flight; made on first use (10,000 partitions that never roll need none). */
  private pendingDeletes: Set<Promise<void>> | null = null;

  constructor(
    segments: LogSegment[],
    private readonly owner: SegmentListOwner,
  ) {
    this.segs = segments;
  }

  /** A snapshot: it never changes (changes make a new array). */
  get all(): readonly LogSegment[] {
    return this.segs;
  }

  get active(): LogSegment {
    return this.segs[this.segs.length - 1]!;
  }

  /** Total bytes of all segments, queued appends included. */
  get totalSize(): number {
    let s = 0;
    for (const seg of this.segs) s += seg.queuedSize;
    return s;
  }

  /** A rolled segment becomes the active one. */
  add(seg: LogSegment): void {
    this.segs = [...this.segs, seg];
  }

  /** After a failed write or creation: forgets segments queued but never created, except `keep`. */
  dropUncreated(keep: LogSegment): void {
    const segs = this.segs.filter((s) => s.fileCreated || s === keep);
    if (segs.length !== this.segs.length) this.segs = segs;
  }

  /**
   * Takes the first `count` segments out of the list, plus any after them that lie wholly below
   * `logStartOffset`; never the active one. The caller deletes them (remove()).
   */
  detachLeading(count: number, logStartOffset: number): LogSegment[] {
    const segs = this.segs;
    let k = count;
    while (k < segs.length - 1 && segs[k + 1]!.baseOffset <= logStartOffset) k++;
    k = Math.min(k, segs.length - 1); // the active segment always stays
    if (k <= 0) return [];
    this.segs = segs.slice(k);
    return segs.slice(0, k);
  }

  /** Truncation: takes the segments after the one at index `keep` out of the list (the caller deletes them). */
  detachAfter(keep: number): LogSegment[] {
    const segs = this.segs;
    if (keep >= segs.length - 1) return [];
    this.segs = segs.slice(0, keep + 1);
    return segs.slice(keep + 1);
  }

  /** truncateFullyAndStartAt: `seg` becomes the only segment; returns the ones it replaces. */
  detachAllFor(seg: LogSegment): LogSegment[] {
    const old = this.segs;
    this.segs = [seg];
    return old;
  }

  /**
   * Deletes segments cut off the end of the log (truncation), newest first, each rename made
   * durable (directory fsync) before the next: a crash part-way leaves a prefix of the log on
   * disk, never a hole that recovery would take for compacted-away offsets. Failures throw (the
   * caller takes the log offline; what is left on disk is still a prefix).
   */
  async removeNewestFirst(victims: readonly LogSegment[], fileDeleteDelayMs: number): Promise<void> {
    const fs = this.owner.storageFs;
    for (let i = victims.length - 1; i >= 0; i--) {
      const v = victims[i]!;
      v.markDeleted();
      await v.renameAll(fs, DELETED_SUFFIX);
      await fs.fsyncDir(v.dir);
      this.scheduleRemoval(v, fileDeleteDelayMs, true);
    }
  }

  /** Deletes detached segments: renamed `.deleted` now; closed and unlinked once unused. */
  async remove(victims: readonly LogSegment[], fileDeleteDelayMs: number): Promise<void> {
    for (const v of victims) {
      v.markDeleted();
      try {
        await v.renameAll(this.owner.storageFs, DELETED_SUFFIX);
      } catch (e) {
        this.owner.log.error({ err: e, segment: v.baseOffset }, 'renaming deleted segment failed');
      }
      this.scheduleRemoval(v, fileDeleteDelayMs, true);
    }
  }

  /**
   * Compaction commit: swaps in a rewritten copy of an inactive segment. The old object is retired
   * (new readers retry and find the new one) and its fd closes once readers finish; its file name
   * already points at the new file, so nothing is unlinked. False if `old` was no longer listed.
   */
  replace(old: LogSegment, replacement: LogSegment): boolean {
    old.retire();
    const i = this.segs.indexOf(old);
    if (i >= 0 && i < this.segs.length - 1) {
      const next = this.segs.slice();
      next[i] = replacement;
      this.segs = next;
    }
    // The old inode stays readable through fds readers hold; close it when they are done.
    this.scheduleRemoval(old, 0, false);
    return i >= 0;
  }

  /** Closes (and when `unlink`, removes the files of) a segment once unused; see segment-deletion.ts. */
  private scheduleRemoval(seg: LogSegment, delayMs: number, unlink: boolean): void {
    const p = removeWhenUnused(seg, { fs: this.owner.storageFs, fdCache: this.owner.fds, delayMs, unlink, logger: this.owner.log });
    const pending = (this.pendingDeletes ??= new Set());
    pending.add(p);
    void p.then(() => pending.delete(p));
  }

  /** Resolves when all scheduled segment removals have finished (tests). */
  async settleDeletions(): Promise<void> {
    while (this.pendingDeletes !== null && this.pendingDeletes.size > 0) await Promise.all([...this.pendingDeletes]);
  }

  /** Resolves when no listed segment is pinned by a reader. */
  whenUnpinned(): Promise<void> {
    const pinned = this.segs.filter((s) => s.pins > 0);
    return Promise.all(pinned.map((s) => new Promise<void>((resolve) => this.owner.fds.whenUnpinned(s, resolve)))).then(noop);
  }

  /** Points every segment at its directory's new name (topic deletion). */
  relocate(fromDir: string, toDir: string): void {
    for (const s of this.segs) s.relocate(fromDir, toDir);
  }

  /** Closes every segment's fds, those still pinned by a reader once released. */
  async closeFds(): Promise<void> {
    const fdCache = this.owner.fds;
    for (const s of this.segs) {
      if (s.pins > 0) fdCache.whenUnpinned(s, () => void fdCache.close(s).catch(noop));
      else await fdCache.close(s).catch((e) => this.owner.log.warn({ err: e }, 'closing segment fd failed'));
    }
  }
}
