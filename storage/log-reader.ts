/**
 * The fetch path of a partition log: offset → file slice.
 *
 * Locate: segment by binary search on base offsets → the offset index floor → a forward walk of
 * batch headers to the first batch whose last offset ≥ the target (segment.ts). The slice is
 * bounded by the segment's visible size (never bytes whose write or required fsync is pending),
 * by the high watermark (or, for a follower's fetch, the log's visible end), by `maxOffset` and by
 * `maxBytes`. A slice pins its segment (and fd) until `release()`, so
 * retention can rename the file `.deleted` underneath without breaking the reader.
 *
 * Reads a consistent snapshot: PartitionLog replaces its segment array on every change (copy on
 * write), and a segment retired by compaction mid-read makes the read retry.
 *
 * No on-disk format lives here (see segment.ts).
 */
import { ErrorCode, KafkaError } from '../protocol/errors.js';
import type { FileSlice } from '../protocol/primitives.js';
import { BATCH_LOG_OVERHEAD, batch } from '../protocol/records/batch.js';
import { RetiredSegmentError } from './errors.js';
import type { FdCache } from './fd-cache.js';
import { type StorageFs, readFully } from './fs.js';
import type { LogSegment } from './segment.js';

export interface ReadResult {
  slices: FileSlice[];
  size: number;
  highWatermark: number;
  logStartOffset: number;
  /**
   * Readable data (below the high watermark, or maxOffset) lies past the returned bytes: they were
   * cut by maxBytes, or stop at the end of a segment (a read never spans segments). A long-polling
   * fetch answers at once then, rather than wait for new data (as Kafka's DelayedFetch does).
   */
  more: boolean;
}

export interface ReadOptions {
  /** Return at least the first batch even if it is larger than maxBytes (default true). */
  minOneBatch?: boolean;
  /** Exclusive upper bound (e.g. last stable offset); the batch containing it is excluded. */
  maxOffset?: number;
  /**
   * Read up to the log's visible end instead of the high watermark: a follower's fetch (Kafka's
   * FetchLogEnd isolation). The same as the default in single-node mode, where the two are one.
   */
  upToLogEnd?: boolean;
}

/** What a read needs from the log, captured at one instant. */
export interface LogView {
  segments: readonly LogSegment[];
  highWatermark: number;
  /** The end of what the segments show (their visible sizes): = highWatermark unless replicated. */
  logEnd: number;
  logStartOffset: number;
  fs: StorageFs;
  fdCache: FdCache;
  intervalBytes: number;
  /** `<topic>-<partition>`, for error messages. */
  name: string;
}

/** Runs `op`, retrying (a few times, a tick apart) when compaction retired a segment under it. */
export async function retryRetired<T>(op: () => Promise<T>, what: string): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await op();
    } catch (e) {
      if (e instanceof RetiredSegmentError && attempt < 50) {
        await new Promise((r) => setImmediate(r));
        continue;
      }
      if (e instanceof KafkaError) throw e;
      const err = new KafkaError(ErrorCode.KAFKA_STORAGE_ERROR, `${what}: ${e instanceof Error ? e.message : String(e)}`);
      (err as Error & { cause?: unknown }).cause = e;
      throw err;
    }
  }
}

/** Runs `fn` with the segment pinned and its fd open. */
export async function withSegment<T>(fdCache: FdCache, seg: LogSegment, fn: (fd: number) => Promise<T>): Promise<T> {
  fdCache.pin(seg);
  try {
    return await fn(await fdCache.fd(seg));
  } finally {
    fdCache.unpin(seg);
  }
}

/** Index of the last segment with baseOffset ≤ offset (0 if none). */
export function segmentIndexFor(segs: readonly LogSegment[], offset: number): number {
  let lo = 0;
  let hi = segs.length - 1;
  let found = 0;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    if (segs[mid]!.baseOffset <= offset) {
      found = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found;
}

export async function readSlices(v: LogView, offset: number, maxBytes: number, opts: ReadOptions): Promise<ReadResult> {
  const hw = v.highWatermark;
  const logEnd = v.logEnd;
  const ls = v.logStartOffset;
  // Out of range is past the log end: between the high watermark and the log end (a replicated
  // log whose HW lags, e.g. just after a leader change) a consumer gets nothing yet, as in Kafka.
  if (offset < ls || offset > logEnd) throw new KafkaError(ErrorCode.OFFSET_OUT_OF_RANGE, `offset ${offset} not in [${ls}, ${logEnd}] for ${v.name}`);
  const bound = opts.upToLogEnd ? logEnd : hw;
  const limit = opts.maxOffset === undefined ? bound : Math.min(opts.maxOffset, bound);
  const minOne = opts.minOneBatch ?? true;
  const empty: ReadResult = { slices: [], size: 0, highWatermark: hw, logStartOffset: ls, more: false };
  if (offset >= limit) return empty;
  const segs = v.segments;
  for (let i = segmentIndexFor(segs, offset); i < segs.length; i++) {
    const seg = segs[i]!;
    if (seg.baseOffset >= limit) break;
    const end = seg.visibleSize;
    if (end === 0) continue;
    v.fdCache.pin(seg);
    let handedOut = false;
    try {
      const fd = await v.fdCache.fd(seg);
      await seg.ensureIndexes(v.fs, fd, v.intervalBytes);
      const loc = await seg.locateOffset(v.fs, fd, offset, end);
      if (!loc) continue; // the offset is past this segment's data (compacted away): next one
      if (loc.baseOffset >= limit) return empty;
      let endPos = end;
      if (limit < logEnd) {
        const lim = await seg.locateOffset(v.fs, fd, limit, end);
        if (lim) endPos = lim.position;
        if (endPos <= loc.position) return empty;
      }
      const readable = endPos - loc.position;
      let length = Math.min(readable, maxBytes);
      if (minOne && length < loc.size) length = Math.min(loc.size, readable);
      if (length <= 0) return { ...empty, more: true };
      const next = segs[i + 1];
      const more = length < readable || (endPos === end && next !== undefined && next.baseOffset < limit);
      handedOut = true;
      return { slices: [makeSlice(v.fdCache, seg, fd, loc.position, length)], size: length, highWatermark: hw, logStartOffset: ls, more };
    } finally {
      if (!handedOut) v.fdCache.unpin(seg);
    }
  }
  return empty;
}

function makeSlice(fdCache: FdCache, seg: LogSegment, fd: number, position: number, length: number): FileSlice {
  let released = false;
  return {
    fd,
    position,
    length,
    release: () => {
      if (released) return;
      released = true;
      fdCache.unpin(seg);
    },
  };
}

/** Reads the slices of a ReadResult into whole-batch buffers (a cut trailing batch is dropped). */
export async function sliceBatches(fs: StorageFs, r: ReadResult): Promise<Buffer[]> {
  const out: Buffer[] = [];
  for (const s of r.slices) {
    try {
      const buf = Buffer.allocUnsafe(s.length);
      const n = await readFully(fs, s.fd, buf, 0, s.length, s.position);
      let at = 0;
      while (at + BATCH_LOG_OVERHEAD <= n) {
        const size = batch.totalSize(buf, at);
        if (at + size > n) break;
        out.push(buf.subarray(at, at + size));
        at += size;
      }
    } finally {
      s.release?.();
    }
  }
  return out;
}
