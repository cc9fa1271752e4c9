/**
 * ListOffsets by time: the first record with timestamp ≥ T, and the record with the largest
 * timestamp (MAX_TIMESTAMP).
 *
 * Segment choice uses each segment's max timestamp (the last time-index entry, read lazily for
 * inactive segments); inside the segment the time index gives an offset before which every batch
 * is older than T, the offset index turns that into a position, and batch headers are walked to
 * the first batch with maxTimestamp ≥ T. Within that batch the records are scanned for the exact
 * record when the batch is uncompressed and CreateTime; otherwise the batch's base offset (never
 * later than the exact answer) is returned with the batch's max timestamp.
 *
 * No on-disk format lives here (see time-index.ts).
 */
import { ATTR_COMPRESSION_MASK, ATTR_TIMESTAMP_TYPE, BATCH_HEADER_SIZE, batch } from '../protocol/records/batch.js';
import { recordsBlock } from '../protocol/records/records.js';
import { readFully } from './fs.js';
import { type LogView, withSegment } from './log-reader.js';
import { forEachRecord } from './record-scan.js';
import type { BatchLocation, LogSegment } from './segment.js';

export interface TimestampAndOffset {
  offset: number;
  timestamp: number;
}

async function readBatchAt(v: LogView, fd: number, loc: BatchLocation): Promise<Buffer> {
  const buf = Buffer.allocUnsafe(loc.size);
  await readFully(v.fs, fd, buf, 0, loc.size, loc.position);
  return buf;
}

/** The first record in the batch at or after `minOffset` whose timestamp satisfies `pred`. */
async function refineInBatch(buf: Buffer, loc: BatchLocation, minOffset: number, pred: (t: number) => boolean): Promise<TimestampAndOffset> {
  const fallback = { offset: Math.max(loc.baseOffset, minOffset), timestamp: loc.maxTimestamp };
  const attrs = batch.attributes(buf);
  if ((attrs & ATTR_TIMESTAMP_TYPE) !== 0) return fallback; // LogAppendTime: every record carries maxTimestamp
  if ((attrs & ATTR_COMPRESSION_MASK) !== 0) {
    // Compressed: walk the decompressed records behind the same header, to be exact as Kafka is.
    const block = await recordsBlock(buf);
    if (block.error !== null) return fallback;
    buf = Buffer.concat([buf.subarray(0, BATCH_HEADER_SIZE), block.value]);
  }
  const baseTs = batch.baseTimestamp(buf);
  let found: TimestampAndOffset | null = null;
  try {
    forEachRecord(buf, 0, buf.length, (r) => {
      const off = loc.baseOffset + r.offsetDelta;
      const t = baseTs + r.timestampDelta;
      if (off >= minOffset && pred(t)) {
        found = { offset: off, timestamp: t };
        return false;
      }
      return true;
    });
  } catch {
    return fallback;
  }
  return found ?? fallback;
}

export async function findOffsetForTimestamp(v: LogView, ts: number): Promise<TimestampAndOffset | null> {
  const ls = v.logStartOffset;
  for (const seg of v.segments) {
    const end = seg.visibleSize;
    if (end === 0 || seg.nextOffset <= ls) continue;
    const r = await withSegment(v.fdCache, seg, async (fd) => {
      await seg.ensureTimeMeta(v.fs, async () => fd, v.intervalBytes);
      if (seg.maxTimestamp < ts) return null;
      await seg.ensureIndexes(v.fs, fd, v.intervalBytes);
      const loc = await seg.locateTimestamp(v.fs, fd, ts, ls, end);
      if (!loc) return null;
      return await refineInBatch(await readBatchAt(v, fd, loc), loc, ls, (t) => t >= ts);
    });
    if (r) return r;
  }
  return null;
}

export async function findMaxTimestampOffset(v: LogView): Promise<TimestampAndOffset | null> {
  const ls = v.logStartOffset;
  let best: LogSegment | null = null;
  for (const seg of v.segments) {
    if (seg.visibleSize === 0 || seg.nextOffset <= ls) continue;
    await withSegment(v.fdCache, seg, (fd) => seg.ensureTimeMeta(v.fs, async () => fd, v.intervalBytes));
    if (seg.maxTimestamp >= 0 && (!best || seg.maxTimestamp > best.maxTimestamp)) best = seg;
  }
  if (!best) return null;
  const seg = best;
  const target = seg.maxTimestamp;
  const offset = Math.max(seg.offsetOfMaxTimestamp, ls);
  return withSegment(v.fdCache, seg, async (fd) => {
    await seg.ensureIndexes(v.fs, fd, v.intervalBytes);
    const loc = await seg.locateOffset(v.fs, fd, offset, seg.visibleSize);
    if (!loc) return { offset, timestamp: target };
    return await refineInBatch(await readBatchAt(v, fd, loc), loc, ls, (t) => t === target);
  });
}
