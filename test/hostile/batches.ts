/**
 * RecordBatch v2 bytes that pass the CRC check but lie inside: garbage records, impossible counts,
 * compressed garbage, and decompression bombs. The CRC is always right, so only the broker's
 * record validation stands between these and the log.
 */
import { gzipSync } from 'node:zlib';
import { BATCH_HEADER_SIZE, BATCH_LOG_OVERHEAD, CompressionType, OFF_ATTRIBUTES, OFF_LAST_OFFSET_DELTA, OFF_LENGTH, OFF_RECORD_COUNT, restampCrc } from '../../protocol/records/batch.js';
import { buildBatchSync } from '../../protocol/records/builder.js';
import { compress } from '../../protocol/records/compression.js';

export { CompressionType, buildBatchSync, compress };

export interface LieOptions {
  /** recordCount written in the header (default: unchanged). */
  recordCount?: number;
  lastOffsetDelta?: number;
  compression?: CompressionType;
}

/** A batch with a valid header and CRC whose records region is `records`, taken as is. */
export function batchWithRecords(records: Buffer, opts: LieOptions = {}): Buffer {
  const model = buildBatchSync([{ value: 'model' }]);
  const b = Buffer.alloc(BATCH_HEADER_SIZE + records.length);
  model.copy(b, 0, 0, BATCH_HEADER_SIZE);
  records.copy(b, BATCH_HEADER_SIZE);
  b.writeInt32BE(b.length - BATCH_LOG_OVERHEAD, OFF_LENGTH);
  b.writeInt16BE((b.readInt16BE(OFF_ATTRIBUTES) & ~7) | (opts.compression ?? 0), OFF_ATTRIBUTES);
  if (opts.recordCount !== undefined) b.writeInt32BE(opts.recordCount, OFF_RECORD_COUNT);
  if (opts.lastOffsetDelta !== undefined) b.writeInt32BE(opts.lastOffsetDelta, OFF_LAST_OFFSET_DELTA);
  restampCrc(b);
  return b;
}

/** The records region (after the 61-byte header) of a real batch of `n` small records. */
export function realRecords(n: number): Buffer {
  const b = buildBatchSync(Array.from({ length: n }, (_, i) => ({ key: `k${i}`, value: `v${i}` })));
  return b.subarray(BATCH_HEADER_SIZE);
}

/** A pseudo-random buffer from a seed (tests stay reproducible). */
export function noise(n: number, seed = 1): Buffer {
  const b = Buffer.alloc(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    b[i] = x & 0xff;
  }
  return b;
}

/**
 * One record whose key claims `keyLength` bytes (zig-zag varint) with only a few present: the
 * record's own length varint says the record is short, the key length says otherwise.
 */
export function recordWithKeyLength(keyLength: number): Buffer {
  const zz = (v: number) => (v >= 0 ? v * 2 : -v * 2 - 1);
  const varint = (v: number) => {
    const out: number[] = [];
    let u = zz(v);
    while (u >= 0x80) {
      out.push((u % 128) | 0x80);
      u = Math.floor(u / 128);
    }
    out.push(u);
    return out;
  };
  const body = [0 /* attributes */, ...varint(0) /* timestamp delta */, ...varint(0) /* offset delta */, ...varint(keyLength), 1, 2, 3, ...varint(-1), ...varint(0)];
  return Buffer.from([...varint(body.length), ...body]);
}

/**
 * A gzip member that inflates to `size` zero bytes (~1000:1): a decompression bomb that fits in
 * a request far below message.max.bytes.
 */
export function gzipBomb(size: number): Buffer {
  return gzipSync(Buffer.alloc(size), { level: 9 });
}
