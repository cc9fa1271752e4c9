/**
 * Builds RecordBatch v2 bytes: for tests, compaction, transaction markers, and recompression
 * when a topic's compression.type differs from the producer's. The broker never re-encodes
 * records it only stores; these are the few places where it writes batches itself.
 *
 * Batches come out as the Java client writes them (byte for byte for uncompressed batches):
 * baseTimestamp is the first record's timestamp, maxTimestamp the largest, record attributes 0.
 */
import { Writer, varintSize, varlongSize } from '../primitives.js';
import {
  ATTR_COMPRESSION_MASK,
  ATTR_CONTROL,
  ATTR_TIMESTAMP_TYPE,
  ATTR_TRANSACTIONAL,
  BATCH_HEADER_SIZE,
  BATCH_LOG_OVERHEAD,
  CompressionType,
  OFF_ATTRIBUTES,
  OFF_LENGTH,
  batch,
  restampCrc,
} from './batch.js';
import { compress, type DecompressOptions } from './compression.js';
import { ControlRecordType, recordsBlock, walkRecords, type Result } from './records.js';

export interface RecordInput {
  key?: Buffer | string | null;
  value?: Buffer | string | null;
  headers?: ReadonlyArray<{ readonly key: string; readonly value: Buffer | string | null }>;
  /** Milliseconds since the epoch; default now. */
  timestamp?: number;
  /** Default: the record's index. Compaction passes the original deltas (increasing, gaps allowed). */
  offsetDelta?: number;
}

export interface BatchOptions {
  compression?: CompressionType;
  /** Compression level (gzip, zstd); default: the codec's Kafka default. */
  level?: number;
  baseOffset?: number;
  partitionLeaderEpoch?: number;
  producerId?: number;
  producerEpoch?: number;
  baseSequence?: number;
  transactional?: boolean;
  control?: boolean;
  /** Marks the batch LogAppendTime and sets maxTimestamp to this value. */
  logAppendTime?: number;
  /** Default: the last record's offsetDelta. Compaction keeps the original batch's value. */
  lastOffsetDelta?: number;
  /** Default: the first record's timestamp (-1 for an empty batch). */
  baseTimestamp?: number;
  /** Default: the largest record timestamp (baseTimestamp for an empty batch). */
  maxTimestamp?: number;
}

interface Encoded {
  key: Buffer | null;
  value: Buffer | null;
  headers: Array<[Buffer, Buffer | null]>;
  timestampDelta: number;
  offsetDelta: number;
  bodySize: number;
}

interface Prepared {
  records: Encoded[];
  size: number;
  baseTimestamp: number;
  maxTimestamp: number;
  lastOffsetDelta: number;
}

const toBytes = (v: Buffer | string | null | undefined): Buffer | null =>
  v === null || v === undefined ? null : typeof v === 'string' ? Buffer.from(v) : v;

const bytesFieldSize = (b: Buffer | null): number => (b === null ? 1 : varintSize(b.length) + b.length);

function prepare(inputs: readonly RecordInput[], options: BatchOptions): Prepared {
  const now = Date.now();
  const baseTimestamp = options.baseTimestamp ?? (inputs.length > 0 ? (inputs[0]!.timestamp ?? now) : -1);
  let maxTimestamp = baseTimestamp;
  let previousDelta = -1;
  let size = 0;
  const records: Encoded[] = [];
  for (let i = 0; i < inputs.length; i++) {
    const input = inputs[i]!;
    const timestamp = input.timestamp ?? now;
    if (timestamp > maxTimestamp) maxTimestamp = timestamp;
    const offsetDelta = input.offsetDelta ?? i;
    if (!Number.isInteger(offsetDelta) || offsetDelta <= previousDelta) {
      throw new RangeError(`record ${i}: offsetDelta ${offsetDelta} must increase`);
    }
    previousDelta = offsetDelta;
    const key = toBytes(input.key);
    const value = toBytes(input.value);
    const headers: Array<[Buffer, Buffer | null]> = (input.headers ?? []).map((h) => [Buffer.from(h.key), toBytes(h.value)]);
    const timestampDelta = timestamp - baseTimestamp;
    let bodySize = 1 + varlongSize(timestampDelta) + varintSize(offsetDelta) + bytesFieldSize(key) + bytesFieldSize(value);
    bodySize += varintSize(headers.length);
    for (const [k, v] of headers) bodySize += bytesFieldSize(k) + bytesFieldSize(v);
    size += varintSize(bodySize) + bodySize;
    records.push({ key, value, headers, timestampDelta, offsetDelta, bodySize });
  }
  const lastOffsetDelta = options.lastOffsetDelta ?? Math.max(previousDelta, 0);
  if (lastOffsetDelta < previousDelta) throw new RangeError(`lastOffsetDelta ${lastOffsetDelta} is below the last record's`);
  return { records, size, baseTimestamp, maxTimestamp: options.maxTimestamp ?? maxTimestamp, lastOffsetDelta };
}

function writeNullableBytes(w: Writer, b: Buffer | null): void {
  if (b === null) {
    w.varint(-1);
  } else {
    w.varint(b.length);
    w.raw(b);
  }
}

function writeRecords(w: Writer, records: readonly Encoded[]): void {
  for (const r of records) {
    w.varint(r.bodySize);
    w.int8(0);
    w.varlong(r.timestampDelta);
    w.varint(r.offsetDelta);
    writeNullableBytes(w, r.key);
    writeNullableBytes(w, r.value);
    w.varint(r.headers.length);
    for (const [k, v] of r.headers) {
      writeNullableBytes(w, k);
      writeNullableBytes(w, v);
    }
  }
}

/** Fills the 61-byte header (CRC last, once the rest is final). */
function writeHeader(b: Buffer, p: Prepared, count: number, codec: CompressionType, options: BatchOptions): void {
  const w = new Writer(BATCH_HEADER_SIZE);
  w.int64(options.baseOffset ?? 0);
  w.int32(b.length - BATCH_LOG_OVERHEAD);
  w.int32(options.partitionLeaderEpoch ?? -1);
  w.int8(2);
  w.uint32(0); // CRC, below
  let attributes = codec & ATTR_COMPRESSION_MASK;
  if (options.logAppendTime !== undefined) attributes |= ATTR_TIMESTAMP_TYPE;
  if (options.transactional === true) attributes |= ATTR_TRANSACTIONAL;
  if (options.control === true) attributes |= ATTR_CONTROL;
  w.int16(attributes);
  w.int32(p.lastOffsetDelta);
  w.int64(p.baseTimestamp);
  w.int64(options.logAppendTime ?? p.maxTimestamp);
  w.int64(options.producerId ?? -1);
  w.int16(options.producerEpoch ?? -1);
  w.int32(options.baseSequence ?? -1);
  w.int32(count);
  w.buf.copy(b, 0);
  restampCrc(b, 0, b.length);
}

/** An uncompressed batch, synchronously (one allocation: header and records written in place). */
export function buildBatchSync(records: readonly RecordInput[], options: BatchOptions = {}): Buffer {
  if ((options.compression ?? CompressionType.None) !== CompressionType.None) {
    throw new RangeError('buildBatchSync() builds uncompressed batches: use buildBatch()');
  }
  const p = prepare(records, options);
  const w = new Writer(BATCH_HEADER_SIZE + p.size);
  w.offset = BATCH_HEADER_SIZE;
  writeRecords(w, p.records);
  writeHeader(w.buf, p, records.length, CompressionType.None, options);
  return w.buf;
}

export async function buildBatch(records: readonly RecordInput[], options: BatchOptions = {}): Promise<Buffer> {
  const codec = options.compression ?? CompressionType.None;
  if (codec === CompressionType.None) return buildBatchSync(records, options);
  const p = prepare(records, options);
  const w = new Writer(p.size);
  writeRecords(w, p.records);
  const payload = await compress(codec, w.buf, { level: options.level });
  const out = Buffer.allocUnsafe(BATCH_HEADER_SIZE + payload.length);
  payload.copy(out, BATCH_HEADER_SIZE);
  writeHeader(out, p, records.length, codec, options);
  return out;
}

/**
 * The batch around records a converter wrote itself (src/produce/legacy-produce.ts writes them
 * straight into one buffer instead of one object per record): `buf` holds `count` records from
 * byte BATCH_HEADER_SIZE on, offset deltas 0..count-1. Uncompressed: the header is written into
 * `buf` and `buf` returned; else the records are compressed into a new buffer.
 */
export async function batchAroundRecords(buf: Buffer, count: number, timestamps: { base: number; max: number }, codec: CompressionType): Promise<Buffer> {
  const p: Prepared = { records: [], size: buf.length - BATCH_HEADER_SIZE, baseTimestamp: timestamps.base, maxTimestamp: timestamps.max, lastOffsetDelta: count - 1 };
  if (codec === CompressionType.None) {
    writeHeader(buf, p, count, codec, {});
    return buf;
  }
  const payload = await compress(codec, buf.subarray(BATCH_HEADER_SIZE));
  const out = Buffer.allocUnsafe(BATCH_HEADER_SIZE + payload.length);
  payload.copy(out, BATCH_HEADER_SIZE);
  writeHeader(out, p, count, codec, {});
  return out;
}

export interface ControlBatchOptions {
  producerId: number;
  producerEpoch: number;
  coordinatorEpoch: number;
  baseOffset?: number;
  partitionLeaderEpoch?: number;
  /** Default now. */
  timestamp?: number;
}

/**
 * A transaction marker: a transactional control batch with one record whose key is
 * (version 0, type) and value (version 0, coordinatorEpoch), as Java's EndTransactionMarker.
 */
export function buildControlBatch(type: (typeof ControlRecordType)[keyof typeof ControlRecordType], options: ControlBatchOptions): Buffer {
  const key = Buffer.alloc(4);
  key.writeInt16BE(type, 2);
  const value = Buffer.alloc(6);
  value.writeInt32BE(options.coordinatorEpoch, 2);
  return buildBatchSync([{ key, value, timestamp: options.timestamp ?? Date.now() }], {
    baseOffset: options.baseOffset,
    partitionLeaderEpoch: options.partitionLeaderEpoch,
    producerId: options.producerId,
    producerEpoch: options.producerEpoch,
    transactional: true,
    control: true,
  });
}

export interface RecompressOptions extends DecompressOptions {
  level?: number;
  verifyCrc?: boolean;
  /**
   * The batch's records, already decompressed and walked by the caller (the produce path): used
   * as they are, so a batch is never decompressed twice.
   */
  block?: Buffer;
}

/**
 * The same batch with its records block in another codec: offsets, timestamps, producer
 * fields, leader epoch and the other attribute bits are kept; the records are validated
 * (so a hostile block never gets a fresh, valid CRC) but not re-encoded.
 */
export async function recompress(b: Buffer, codec: CompressionType, options: RecompressOptions = {}): Promise<Result<Buffer>> {
  const block = options.block !== undefined ? { error: null, value: options.block } : await recordsBlock(b, options);
  if (block.error !== null) return block;
  if (options.block === undefined) {
    const error = walkRecords(block.value, batch.recordCount(b), batch.lastOffsetDelta(b), true, null);
    if (error !== null) return { error, value: null };
  }
  const size = batch.totalSize(b);
  if (batch.compression(b) === codec) return { error: null, value: b.subarray(0, size) };
  let payload: Buffer;
  try {
    payload = await compress(codec, block.value, { level: options.level });
  } catch (e) {
    return { error: (e as Error).message, value: null };
  }
  const out = Buffer.allocUnsafe(BATCH_HEADER_SIZE + payload.length);
  b.copy(out, 0, 0, BATCH_HEADER_SIZE);
  payload.copy(out, BATCH_HEADER_SIZE);
  out.writeInt32BE(out.length - BATCH_LOG_OVERHEAD, OFF_LENGTH);
  out.writeInt16BE((batch.attributes(b) & ~ATTR_COMPRESSION_MASK) | codec, OFF_ATTRIBUTES);
  restampCrc(out, 0, out.length);
  return { error: null, value: out };
}
