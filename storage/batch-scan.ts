/**
 * Walking the batches of a segment file. The `.log` format is simply RecordBatch v2 bytes back to
 * back (see protocol/records/batch.ts for the 61-byte header); a batch's extent is
 * baseOffset(8) + batchLength(4) + batchLength bytes.
 *
 * Two walks:
 *  - headers only (locating an offset/timestamp, loading the tail of the active segment): reads
 *    64 KiB chunks and hops from header to header, re-reading at the next header when a large
 *    batch jumps past the chunk, so megabyte batches cost one small read each;
 *  - whole batches (recovery, compaction): reads 8 MiB chunks and hands out complete batches;
 *    a batch larger than the chunk gets its own buffer.
 *
 * Both stop at the first structurally invalid header (length too small, past `end`, magic ≠ 2):
 * recovery truncates there; readers treat it as the end.
 */
import { BATCH_HEADER_SIZE, BATCH_LOG_OVERHEAD, OFF_MAGIC, batch } from '../protocol/records/batch.js';
import { type StorageFs, readFully } from './fs.js';

const HEADER_CHUNK = 16 * 1024;
const FULL_CHUNK = 8 * 1024 * 1024;

/** Why a walk ended. 'invalid' carries the position of the first bad byte. */
export type ScanEnd = { kind: 'end' | 'stopped'; position: number } | { kind: 'invalid'; position: number; reason: string };

/**
 * Return false to stop. `buf` holds at least the 61-byte header at `at` (header walk) or the
 * whole batch (full walk).
 */
export type BatchVisitor = (buf: Buffer, at: number, position: number, size: number) => boolean | void;
/** A visitor that may wait (the cleaner writes output as it goes); `buf` is reused afterwards. */
export type AsyncBatchVisitor = (buf: Buffer, at: number, position: number, size: number) => boolean | void | Promise<boolean | void>;

/** Structural check of a header at `at` in `buf` for a batch starting at file `position`. */
export function headerProblem(buf: Buffer, at: number, position: number, end: number): string | null {
  const length = buf.readInt32BE(at + 8);
  if (length < BATCH_HEADER_SIZE - BATCH_LOG_OVERHEAD) return `batch length ${length} too small`;
  if (position + BATCH_LOG_OVERHEAD + length > end) return `batch of ${length + BATCH_LOG_OVERHEAD} bytes runs past the end (${end})`;
  const magic = buf.readInt8(at + OFF_MAGIC);
  if (magic !== 2) return `magic ${magic}`;
  return null;
}

export async function walkHeaders(fs: StorageFs, fd: number, start: number, end: number, visit: BatchVisitor, chunkSize = HEADER_CHUNK): Promise<ScanEnd> {
  let pos = start;
  let buf = Buffer.allocUnsafe(Math.min(chunkSize, Math.max(BATCH_HEADER_SIZE, end - start)));
  let bufStart = -1;
  let bufLen = 0;
  while (pos < end) {
    if (end - pos < BATCH_HEADER_SIZE) return { kind: 'invalid', position: pos, reason: 'partial batch header' };
    if (bufStart < 0 || pos < bufStart || pos + BATCH_HEADER_SIZE > bufStart + bufLen) {
      const want = Math.min(buf.length, end - pos);
      bufLen = await readFully(fs, fd, buf, 0, want, pos);
      bufStart = pos;
      if (bufLen < BATCH_HEADER_SIZE) return { kind: 'invalid', position: pos, reason: 'short read' };
    }
    const at = pos - bufStart;
    const problem = headerProblem(buf, at, pos, end);
    if (problem) return { kind: 'invalid', position: pos, reason: problem };
    const size = batch.totalSize(buf, at);
    if (visit(buf, at, pos, size) === false) return { kind: 'stopped', position: pos };
    pos += size;
  }
  return { kind: 'end', position: pos };
}

export async function walkBatches(fs: StorageFs, fd: number, start: number, end: number, visit: AsyncBatchVisitor, chunkSize = FULL_CHUNK): Promise<ScanEnd> {
  let pos = start;
  const chunk = Buffer.allocUnsafe(Math.min(chunkSize, Math.max(BATCH_HEADER_SIZE, end - start)));
  let bufStart = -1;
  let bufLen = 0;
  while (pos < end) {
    if (end - pos < BATCH_HEADER_SIZE) return { kind: 'invalid', position: pos, reason: 'partial batch header' };
    if (bufStart < 0 || pos + BATCH_HEADER_SIZE > bufStart + bufLen) {
      bufLen = await readFully(fs, fd, chunk, 0, Math.min(chunk.length, end - pos), pos);
      bufStart = pos;
      if (bufLen < BATCH_HEADER_SIZE) return { kind: 'invalid', position: pos, reason: 'short read' };
    }
    let at = pos - bufStart;
    const problem = headerProblem(chunk, at, pos, end);
    if (problem) return { kind: 'invalid', position: pos, reason: problem };
    const size = batch.totalSize(chunk, at);
    let buf = chunk;
    if (pos + size > bufStart + bufLen) {
      if (size > chunk.length) {
        buf = Buffer.allocUnsafe(size);
        const n = await readFully(fs, fd, buf, 0, size, pos);
        if (n < size) return { kind: 'invalid', position: pos, reason: 'short read' };
        at = 0;
        bufStart = -1; // next batch re-reads the chunk
      } else {
        bufLen = await readFully(fs, fd, chunk, 0, Math.min(chunk.length, end - pos), pos);
        bufStart = pos;
        at = 0;
        if (bufLen < size) return { kind: 'invalid', position: pos, reason: 'short read' };
      }
    }
    let r = visit(buf, at, pos, size);
    if (r instanceof Promise) r = await r;
    if (r === false) return { kind: 'stopped', position: pos };
    pos += size;
  }
  return { kind: 'end', position: pos };
}
