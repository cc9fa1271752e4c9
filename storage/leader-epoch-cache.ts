/**
 * The leader-epoch cache of one partition log: which leader epoch began at which offset (Kafka's
 * LeaderEpochFileCache, written from its behaviour). It answers OffsetsForLeaderEpoch (API 23), lets
 * a follower find where its log diverges from the leader's after a leader change (KIP-101/279), and
 * names the epoch of an offset (ListOffsets).
 *
 * Entries are kept ascending in both epoch and start offset; `assign` removes whatever would break
 * that (Kafka's rule: the newest assignment wins). The log calls the truncation hooks when its end
 * moves back (a write failed) or its start moves forward (retention, DeleteRecords).
 *
 * Persistence (format: leader-epoch-checkpoint.ts). Every change happens in memory at once; the
 * file is written by `flush()`, at most one write per partition at a time, and only when the
 * entries differ from what the file holds — leaving out entries that start at the log end offset:
 * an epoch with no batch yet, which loading would drop anyway (Kafka's loader cuts the cache at the
 * log end) and becoming leader assigns again. So an empty partition needs no file, and creating
 * 10,000 partitions writes none. Who flushes: the log manager before every recovery-
 * point checkpoint and the log at close. So the file is never older than the recovery point: the
 * epochs of every batch below the recovery point are in it, and the batches above it are scanned
 * by unclean recovery, which adds their epochs (Kafka's LogSegment.recover rule,
 * `assignFromLog`). A file that cannot be written is removed, so the next load rebuilds it from the
 * batch headers (leader-epoch-load.ts) instead of trusting stale entries. Kafka writes on every
 * assignment; we defer because every entry the file needs is recoverable from the log, and because
 * two fsyncs per partition (file and directory) cost ~3 s per 10,000 partitions here.
 *
 * A partition's first file (it has none: fresh, or never flushed) is written without those two
 * fsyncs (still `.tmp` + rename, so a killed process leaves none or a whole one). A power cut can
 * then only leave no file, or an empty or garbled one, since there was no older file to come back:
 * the loader rebuilds both cases from the batch headers, and the clean-shutdown summary
 * (leader-epoch-summary.ts) holds the entries as well. Every later write replaces a file that
 * may hold entries the log no longer supports, so it is synced. Why: the first clean stop after
 * 10,000 partitions got their first records wrote 10,000 new files with 20,000 fsyncs (~6 s here,
 * 2-4× f626e7e's whole stop, which had no such file).
 *
 * A clean shutdown does not create first files at all (`flush({ createFile: false })` from the
 * log's close): the clean-shutdown summary carries their entries as 'unwritten' (`summaryState`),
 * the next start makes the cache from them with no file, so it is dirty and the first periodic
 * checkpoint writes the file. Opening, writing, closing and renaming 10,000 new files was still
 * ~2× f626e7e's stop. A crash before that checkpoint finds no file and rebuilds the same entries
 * from the batch headers (leader-epoch-load.ts). A file that exists and lags is still rewritten
 * (and synced) at the stop: it cannot be left for later, because after a crash following the next
 * start the loader would read it and trust it (a file that exists is not rebuilt, and recovery
 * scans only above the recovery point, which the clean stop moved to the log end), so its stale
 * entries would answer OffsetsForLeaderEpoch wrongly and make followers truncate wrongly.
 *
 * No await between reading and changing the entries: every method is synchronous except flush.
 */
import type { StorageLogger } from './logger.js';
import type { EpochEntry, LeaderEpochCheckpointFile } from './leader-epoch-checkpoint.js';

export type { EpochEntry } from './leader-epoch-checkpoint.js';

/** No epoch (OffsetsForLeaderEpoch's UNDEFINED_EPOCH); also "no current leader epoch" in requests. */
export const UNDEFINED_EPOCH = -1;
/** No offset (OffsetsForLeaderEpoch's UNDEFINED_EPOCH_OFFSET). */
export const UNDEFINED_EPOCH_OFFSET = -1;

/** An OffsetsForLeaderEpoch answer: the epoch found and where it ends (exclusive). */
export interface EpochEndOffset {
  epoch: number;
  endOffset: number;
}

const UNDEFINED: EpochEndOffset = Object.freeze({ epoch: UNDEFINED_EPOCH, endOffset: UNDEFINED_EPOCH_OFFSET });
/** Shared by every idle cache (10,000 partitions need no 10,000 promises). */
const IDLE: Promise<void> = Promise.resolve();

function sameEntries(a: readonly EpochEntry[], b: readonly EpochEntry[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i]!.epoch !== b[i]!.epoch || a[i]!.startOffset !== b[i]!.startOffset) return false;
  return true;
}

/** Valid entries, epochs and start offsets both strictly ascending: what `assign` one by one would keep as they are. */
function inOrder(entries: readonly EpochEntry[]): boolean {
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i]!;
    if (!(Number.isInteger(e.epoch) && e.epoch >= 0 && Number.isSafeInteger(e.startOffset) && e.startOffset >= 0)) return false;
    if (i > 0 && (e.epoch <= entries[i - 1]!.epoch || e.startOffset <= entries[i - 1]!.startOffset)) return false;
  }
  return true;
}

/** Where the log ends now (PartitionLog: its log end offset). An object, not a closure per log. */
export interface LogEnd {
  readonly logEndOffset: number;
}

export class LeaderEpochCache {
  /** Ascending; replaced (never mutated) on change, so `entries()` can hand out the array. */
  private list: readonly EpochEntry[] = [];
  /** The last entry's epoch, or -1: read on every append (partition-log.ts). */
  private latest = UNDEFINED_EPOCH;
  /** What the file holds (no file holds nothing); null when unknown (unreadable, or a write failed). */
  private persisted: readonly EpochEntry[] | null;
  private writes: Promise<void> = IDLE;
  private closed = false;
  private writeFailed = false;

  /**
   * `entries` as read from the file (assigned one by one, so a file breaking the order is repaired
   * as Kafka's constructor does); `persisted` is what the file holds: the same entries, [] when
   * there is no file (an empty cache needs none), null when unknown (an unreadable file).
   */
  constructor(
    private readonly file: LeaderEpochCheckpointFile,
    private readonly logger: () => StorageLogger,
    /** The log end offset now (entries starting there are not written). */
    private readonly log: LogEnd,
    entries: readonly EpochEntry[] = [],
    persisted: readonly EpochEntry[] | null = [],
    /** Whether a file holds `persisted` (an empty cache may have none at all). */
    private inFile = false,
  ) {
    // Entries in order (what a file written by us holds) are taken as they are: assigning them one
    // by one made three arrays and a frozen copy of each entry per partition at every start.
    if (inOrder(entries)) this.replace(entries);
    else for (const e of entries) this.assign(e.epoch, e.startOffset);
    // The file's entries as assigned: one array, not a second copy of the same entries kept as `persisted`.
    this.persisted = persisted !== null && sameEntries(persisted, this.list) ? this.list : persisted;
  }

  // ---- reading ---------------------------------------------------------------------------------

  /** The newest epoch, or UNDEFINED_EPOCH (-1) when the cache is empty. */
  get latestEpoch(): number {
    return this.latest;
  }

  latestEntry(): EpochEntry | null {
    return this.list[this.list.length - 1] ?? null;
  }

  earliestEntry(): EpochEntry | null {
    return this.list[0] ?? null;
  }

  /** The entries, oldest first (a snapshot: later changes make a new array). */
  entries(): readonly EpochEntry[] {
    return this.list;
  }

  get isEmpty(): boolean {
    return this.list.length === 0;
  }

  /**
   * OffsetsForLeaderEpoch: the largest epoch ≤ `requested` and the offset where it ends, which is
   * the start of the next epoch, or `logEndOffset` for the newest epoch. Kafka's cases:
   *  - requested UNDEFINED_EPOCH (-1), or an empty cache: (-1, -1);
   *  - requested = the newest epoch: (that epoch, logEndOffset);
   *  - requested above the newest: (-1, -1);
   *  - requested below the oldest: (requested, start of the oldest) — the data before it is gone,
   *    so a follower truncates to where the leader's log begins;
   *  - otherwise: (largest epoch ≤ requested, start of the first epoch > requested).
   */
  endOffsetFor(requested: number, logEndOffset: number): EpochEndOffset {
    if (requested === UNDEFINED_EPOCH) return UNDEFINED;
    if (this.list.length > 0 && requested === this.latest) return { epoch: requested, endOffset: logEndOffset };
    const list = this.list;
    let higher = -1; // first entry with epoch > requested
    for (let i = 0; i < list.length; i++) {
      if (list[i]!.epoch > requested) {
        higher = i;
        break;
      }
    }
    if (higher < 0) return UNDEFINED; // newer than any epoch we know (or no epochs at all)
    const next = list[higher]!.startOffset;
    if (higher === 0) return { epoch: requested, endOffset: next };
    return { epoch: list[higher - 1]!.epoch, endOffset: next };
  }

  /** The epoch `offset` was written in: the last entry starting at or before it; -1 if none. */
  epochForOffset(offset: number): number {
    let found = UNDEFINED_EPOCH;
    for (const e of this.list) {
      if (e.startOffset > offset) break;
      found = e.epoch;
    }
    return found;
  }

  /** The epoch before `epoch` that has an entry, or -1. */
  previousEpoch(epoch: number): number {
    let found = UNDEFINED_EPOCH;
    for (const e of this.list) {
      if (e.epoch >= epoch) break;
      found = e.epoch;
    }
    return found;
  }

  // ---- changing --------------------------------------------------------------------------------

  /**
   * Records that `epoch` begins at `startOffset` (Kafka's assign). Nothing changes when the newest
   * entry is this epoch and starts at or before `startOffset` (an epoch's start never moves later).
   * Otherwise entries that would break the ascending order — epoch ≥ `epoch` or start ≥
   * `startOffset` — are removed from the end first. Returns whether anything changed.
   */
  assign(epoch: number, startOffset: number): boolean {
    if (!(Number.isInteger(epoch) && epoch >= 0 && Number.isSafeInteger(startOffset) && startOffset >= 0)) {
      throw new RangeError(`invalid leader epoch entry (${epoch}, ${startOffset})`);
    }
    const last = this.latestEntry();
    if (last !== null && last.epoch === epoch && startOffset >= last.startOffset) return false;
    let keep = this.list.length;
    while (keep > 0 && (this.list[keep - 1]!.epoch >= epoch || this.list[keep - 1]!.startOffset >= startOffset)) keep--;
    const removed = this.list.slice(keep);
    // Replacing an entry that began at the same offset is expected (no batch of it was written).
    if (removed.length > 1 || (removed.length === 1 && removed[0]!.startOffset !== startOffset)) {
      this.logger().warn({ epoch, startOffset, removed }, 'new leader epoch entry removed conflicting entries');
    }
    this.replace(this.list.slice(0, keep).concat(Object.freeze({ epoch, startOffset })));
    return true;
  }

  /**
   * What recovery (and the rebuild) does for each batch it reads: a batch of a newer epoch begins
   * that epoch; a batch of the newest epoch below its recorded start moves the start back. Older
   * epochs and -1 (no epoch) are ignored. The cheap check first: this runs per batch.
   */
  assignFromLog(epoch: number, baseOffset: number): void {
    if (epoch < 0 || epoch < this.latest) return;
    if (epoch === this.latest && baseOffset >= this.list[this.list.length - 1]!.startOffset) return;
    this.assign(epoch, baseOffset);
  }

  /**
   * The log end moved back to `endOffset`: entries starting at or after it are removed (Kafka's
   * truncateFromEnd; -1 changes nothing).
   */
  truncateFromEnd(endOffset: number): void {
    const last = this.latestEntry();
    if (endOffset < 0 || last === null || last.startOffset < endOffset) return;
    let keep = this.list.length;
    while (keep > 0 && this.list[keep - 1]!.startOffset >= endOffset) keep--;
    this.replace(this.list.slice(0, keep));
  }

  /**
   * The log start moved to `startOffset`: entries starting at or before it are removed, and the
   * epoch `startOffset` belongs to is kept, now starting there (Kafka's truncateFromStart; -1
   * changes nothing).
   */
  truncateFromStart(startOffset: number): void {
    let drop = 0;
    while (drop < this.list.length && this.list[drop]!.startOffset <= startOffset) drop++;
    if (drop === 0) return;
    const kept = this.list[drop - 1]!;
    if (drop === 1 && kept.startOffset === startOffset) return;
    this.replace([Object.freeze({ epoch: kept.epoch, startOffset })].concat(this.list.slice(drop)));
  }

  /** Forgets every entry (the log was emptied and starts afresh). */
  clear(): void {
    if (this.list.length > 0) this.replace([]);
  }

  /**
   * Every list is made by slice/concat or a literal, never grown by push or spread: those leave
   * room for 16 more entries (~190 bytes an array instead of ~60, twice per partition, 10,000
   * partitions: 2.5 MB). Partitions almost always hold one entry.
   */
  private replace(list: readonly EpochEntry[]): void {
    this.list = list;
    this.latest = list.length > 0 ? list[list.length - 1]!.epoch : UNDEFINED_EPOCH;
  }

  // ---- persistence -----------------------------------------------------------------------------

  /** Whether the last write failed (the file was removed, or could not even be removed). */
  get lastWriteFailed(): boolean {
    return this.writeFailed;
  }

  /** The entries the file should hold: all but those starting at (or past) the log end offset. */
  private toPersist(): readonly EpochEntry[] {
    const end = this.log.logEndOffset;
    let n = this.list.length;
    while (n > 0 && this.list[n - 1]!.startOffset >= end) n--;
    return n === this.list.length ? this.list : this.list.slice(0, n);
  }

  /**
   * What the file holds as far as this cache knows: its entries, 'none' when there is no file,
   * null when unknown (unreadable, or a write failed). The clean-shutdown summary
   * (leader-epoch-summary.ts) records it.
   */
  fileState(): readonly EpochEntry[] | 'none' | null {
    if (this.persisted === null) return null;
    if (this.inFile) return this.persisted;
    return this.persisted.length === 0 ? 'none' : null;
  }

  /**
   * For the clean-shutdown summary, after the log closed: what the file holds (`fileState`), or
   * `{ unwritten }` when there is no file yet and the entries need one (the close left it out).
   */
  summaryState(): readonly EpochEntry[] | 'none' | { readonly unwritten: readonly EpochEntry[] } | null {
    const state = this.fileState();
    if (state !== 'none') return state;
    const entries = this.toPersist();
    return entries.length === 0 ? 'none' : { unwritten: entries };
  }

  /** Whether the file lags the entries. */
  get isDirty(): boolean {
    return this.persisted === null || !sameEntries(this.persisted, this.toPersist());
  }

  /**
   * Writes the entries if the file lags them. Writes run one at a time; a flush asked for during a
   * write waits for it and writes again only if something changed meanwhile. A failed write removes
   * the file (see the header) and rejects. `createFile: false` (a clean shutdown's close) leaves a
   * file that does not exist yet uncreated; the summary carries its entries (see the header).
   */
  flush(opts?: { createFile?: boolean }): Promise<void> {
    const createFile = opts?.createFile ?? true;
    const run = this.writes.then(() => this.writeIfDirty(createFile));
    const tail = run.catch(() => undefined);
    this.writes = tail;
    // Back to the shared idle promise once no later flush queued behind this one (a settled
    // promise per partition would stay in memory until the next flush).
    void tail.then(() => {
      if (this.writes === tail) this.writes = IDLE;
    });
    return run;
  }

  private async writeIfDirty(createFile: boolean): Promise<void> {
    if (this.closed || !this.isDirty) return;
    // No file yet: its first one needs no fsync (see the header), or is not made at all.
    const first = this.fileState() === 'none';
    if (first && !createFile) return;
    const snapshot = this.toPersist();
    try {
      await this.file.write(snapshot, !first);
      this.persisted = snapshot;
      this.inFile = true;
      this.writeFailed = false;
    } catch (e) {
      this.persisted = null;
      this.writeFailed = true;
      await this.file.remove().catch((e2) => this.logger().error({ err: e2 }, 'removing the leader-epoch-checkpoint after a failed write failed'));
      throw e;
    }
  }

  /** No more writes (the directory is being deleted or the log closed); waits for one in flight. */
  async close(): Promise<void> {
    this.closed = true;
    await this.writes;
  }
}
