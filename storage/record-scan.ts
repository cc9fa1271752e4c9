/**
 * A minimal reader of the records inside an UNCOMPRESSED RecordBatch v2, for the two storage
 * features that need keys or per-record timestamps: compaction and offset-for-timestamp.
 * (protocol/records/records.ts will be the general iterator; this one stays local to storage so
 * the cleaner does not depend on it, and it never allocates per record.)
 *
 * Record layout (all varints zig-zag encoded):
 *   length varint              bytes after this field
 *   attributes int8            unused
 *   timestampDelta varlong     relative to the batch baseTimestamp
 *   offsetDelta varint         relative to the batch baseOffset
 *   keyLength varint, key      -1 = null key
 *   valueLength varint, value  -1 = null value (a tombstone)
 *   headerCount varint, then per header: keyLength varint, key, valueLength varint, value
 */
import { BATCH_HEADER_SIZE } from '../protocol/records/batch.js';

export interface RecordInfo {
  /** Byte range of the whole record (length prefix included) in the buffer. */
  start: number;
  end: number;
  timestampDelta: number;
  offsetDelta: number;
  keyStart: number;
  /** -1 for a null key. */
  keyLength: number;
  /** -1 for a null value (tombstone). */
  valueLength: number;
}

let cursor = 0;

/** Zig-zag varint/varlong decoding into a JS number (exact up to 2^53). Advances `cursor`. */
function readVarlong(b: Buffer, end: number): number {
  let raw = 0;
  let mul = 1;
  for (let i = 0; i < 10; i++) {
    if (cursor >= end) throw new RangeError('varint runs past the record');
    const byte = b[cursor++]!;
    raw += (byte & 0x7f) * mul;
    if ((byte & 0x80) === 0) {
      // zig-zag: (raw >>> 1) ^ -(raw & 1), done in floating point for values beyond 32 bits
      const half = Math.floor(raw / 2);
      return raw % 2 === 0 ? half : -half - 1;
    }
    mul *= 128;
  }
  throw new RangeError('varint too long');
}

/**
 * Calls `visit` for each record of the uncompressed batch at [at, at+size). Stops early if
 * `visit` returns false. Throws RangeError on malformed records.
 */
export function forEachRecord(b: Buffer, at: number, size: number, visit: (r: RecordInfo) => boolean | void): void {
  const end = at + size;
  const count = b.readInt32BE(at + 57);
  cursor = at + BATCH_HEADER_SIZE;
  const info: RecordInfo = { start: 0, end: 0, timestampDelta: 0, offsetDelta: 0, keyStart: 0, keyLength: -1, valueLength: -1 };
  for (let i = 0; i < count; i++) {
    const start = cursor;
    const len = readVarlong(b, end);
    const recEnd = cursor + len;
    if (len < 0 || recEnd > end) throw new RangeError('record length out of bounds');
    cursor++; // attributes
    info.timestampDelta = readVarlong(b, recEnd);
    info.offsetDelta = readVarlong(b, recEnd);
    info.keyLength = readVarlong(b, recEnd);
    info.keyStart = cursor;
    if (info.keyLength > 0) cursor += info.keyLength;
    info.valueLength = readVarlong(b, recEnd);
    if (cursor > recEnd) throw new RangeError('record fields out of bounds');
    info.start = start;
    info.end = recEnd;
    const saved = recEnd;
    if (visit(info) === false) return;
    cursor = saved;
  }
}
