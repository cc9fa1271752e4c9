/**
 * RecordBatch v2 bytes with a valid CRC around records that are not what the header says: the
 * poison pills a buggy or hostile producer can send (garbage records, a record count that does not
 * match, lengths that overrun, offset deltas out of order), plus the sarama 1.22 shape (a
 * maxTimestamp of -1). Used by the unit tests of the record walk, the end-to-end produce tests and
 * the differential scenario against Apache Kafka, so all three see the same bytes.
 *
 * Records are written field by field here (not with protocol/records/builder.ts, which only writes
 * well-formed records); the header is the builder's layout with every field chosen by the caller.
 */
import { BATCH_HEADER_SIZE, BATCH_LOG_OVERHEAD, CompressionType, restampCrc } from '../../protocol/records/batch.js';
import { compress } from '../../protocol/records/compression.js';

/** Zig-zag varint (as records use), for values that fit in a double exactly. */
export function varint(v: number): Buffer {
  let z = v >= 0 ? v * 2 : -v * 2 - 1;
  const out: number[] = [];
  while (z >= 0x80) {
    out.push((z % 0x80) | 0x80);
    z = Math.floor(z / 0x80);
  }
  out.push(z);
  return Buffer.from(out);
}

/** A length-prefixed field: bytes, null (-1), or a bare length with no bytes behind it. */
export type Field = Buffer | string | null | { length: number };

function field(f: Field): Buffer {
  if (f === null) return varint(-1);
  if (typeof f === 'string') f = Buffer.from(f);
  if (Buffer.isBuffer(f)) return Buffer.concat([varint(f.length), f]);
  return varint(f.length);
}

export interface RawRecord {
  timestampDelta?: number;
  offsetDelta: number;
  key?: Field;
  value?: Field;
  headers?: Array<[Field, Field]>;
  /** Overrides the header count written (default headers.length). */
  headerCount?: number;
  attributes?: number;
  /** Added to the true body length in the length prefix (to make it lie). */
  lengthSkew?: number;
}

/** One record as it appears in a records block. */
export function encodeRecord(r: RawRecord): Buffer {
  const headers = r.headers ?? [];
  const body = Buffer.concat([
    Buffer.from([r.attributes ?? 0]),
    varint(r.timestampDelta ?? 0),
    varint(r.offsetDelta),
    field(r.key === undefined ? `k${r.offsetDelta}` : r.key),
    field(r.value === undefined ? `v${r.offsetDelta}` : r.value),
    varint(r.headerCount ?? headers.length),
    ...headers.flatMap(([k, v]) => [field(k), field(v)]),
  ]);
  return Buffer.concat([varint(body.length + (r.lengthSkew ?? 0)), body]);
}

/** `n` well-formed records with offset deltas 0..n-1 and timestamp deltas 0..n-1. */
export function goodRecords(n: number): Buffer {
  return Buffer.concat(Array.from({ length: n }, (_, i) => encodeRecord({ offsetDelta: i, timestampDelta: i })));
}

export interface FrameOptions {
  recordCount: number;
  lastOffsetDelta?: number;
  compression?: CompressionType;
  baseTimestamp?: number;
  /** Default baseTimestamp + recordCount - 1 (what goodRecords() holds). */
  maxTimestamp?: number;
  /** Extra attribute bits (e.g. 0x08 LogAppendTime). */
  attributes?: number;
  producerId?: number;
  producerEpoch?: number;
  baseSequence?: number;
}

export const BASE_TIMESTAMP = 1_700_000_000_000;

/** A batch around `block` (compressed here when asked) with a correct CRC and length. */
export async function frameBatch(block: Buffer, o: FrameOptions): Promise<Buffer> {
  const codec = o.compression ?? CompressionType.None;
  const payload = codec === CompressionType.None ? block : await compress(codec, block);
  const b = Buffer.alloc(BATCH_HEADER_SIZE + payload.length);
  const baseTimestamp = o.baseTimestamp ?? BASE_TIMESTAMP;
  b.writeBigInt64BE(0n, 0);
  b.writeInt32BE(b.length - BATCH_LOG_OVERHEAD, 8);
  b.writeInt32BE(-1, 12);
  b.writeInt8(2, 16);
  b.writeInt16BE(codec | (o.attributes ?? 0), 21);
  b.writeInt32BE(o.lastOffsetDelta ?? o.recordCount - 1, 23);
  b.writeBigInt64BE(BigInt(baseTimestamp), 27);
  b.writeBigInt64BE(BigInt(o.maxTimestamp ?? baseTimestamp + o.recordCount - 1), 35);
  b.writeBigInt64BE(BigInt(o.producerId ?? -1), 43);
  b.writeInt16BE(o.producerEpoch ?? -1, 51);
  b.writeInt32BE(o.baseSequence ?? -1, 53);
  b.writeInt32BE(o.recordCount, 57);
  payload.copy(b, BATCH_HEADER_SIZE);
  restampCrc(b, 0, b.length);
  return b;
}

/**
 * Batches that every broker must refuse, each CRC-valid (so only a walk over the records finds
 * the problem). Kafka answers INVALID_RECORD for all of them.
 */
export function malformedBatches(compression: CompressionType = CompressionType.None): Record<string, () => Promise<Buffer>> {
  const c = compression;
  return {
    garbageRecords: () => frameBatch(Buffer.from('this is not a record, just bytes that pass the CRC'), { recordCount: 1, compression: c }),
    countTooHigh: () => frameBatch(goodRecords(1), { recordCount: 1000, compression: c, maxTimestamp: BASE_TIMESTAMP }),
    countTooLow: () => frameBatch(goodRecords(2), { recordCount: 1, compression: c }),
    trailingBytes: () => frameBatch(Buffer.concat([goodRecords(1), Buffer.from([0, 0, 0])]), { recordCount: 1, compression: c }),
    lengthPastEnd: () => frameBatch(encodeRecord({ offsetDelta: 0, lengthSkew: 40 }), { recordCount: 1, compression: c }),
    lengthShort: () => frameBatch(Buffer.concat([encodeRecord({ offsetDelta: 0, lengthSkew: -2 }), encodeRecord({ offsetDelta: 1 })]), { recordCount: 2, compression: c }),
    keyPastRecord: () => frameBatch(encodeRecord({ offsetDelta: 0, key: { length: 30 }, value: null }), { recordCount: 1, compression: c }),
    negativeHeaderCount: () => frameBatch(encodeRecord({ offsetDelta: 0, headerCount: -3 }), { recordCount: 1, compression: c }),
    negativeHeaderKey: () => frameBatch(encodeRecord({ offsetDelta: 0, headers: [[{ length: -2 }, 'x']] }), { recordCount: 1, compression: c }),
    varintTooLong: () => frameBatch(Buffer.concat([Buffer.from([0x80, 0x80, 0x80, 0x80, 0x80, 0x01]), goodRecords(1)]), { recordCount: 1, compression: c }),
  };
}
