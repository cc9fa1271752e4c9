/**
 * The records inside a RecordBatch v2, read without copying: keys, values and header values
 * are subarrays of the (decompressed) records block. Layout of one record:
 *
 *   length          varint  bytes after this field
 *   attributes      int8    unused
 *   timestampDelta  varlong from the batch's baseTimestamp
 *   offsetDelta     varint  from the batch's baseOffset
 *   keyLength       varint  -1 = null
 *   key             bytes
 *   valueLength     varint  -1 = null
 *   value           bytes
 *   headerCount     varint
 *   headers         [keyLength varint (≥ 0), key utf8, valueLength varint (-1 = null), value]
 *
 * Nothing here throws on hostile input: every reader returns the first problem as a string
 * (the caller maps it to CORRUPT_MESSAGE), so a garbage batch costs no more than a valid one.
 * Control batches (attribute bit 5) hold one record whose key is (version int16, type int16)
 * and, for transaction markers, whose value is (version int16, coordinatorEpoch int32).
 */
import { Reader } from '../primitives.js';
import { BATCH_HEADER_SIZE, CompressionType, batch, batchCrcValid } from './batch.js';
import { CodecError, decompress } from './compression.js';

export interface RecordHeader {
  readonly key: string;
  readonly value: Buffer | null;
}

export interface BatchRecord {
  readonly offsetDelta: number;
  readonly timestampDelta: number;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers: readonly RecordHeader[];
}

export interface ReadOptions {
  /** Cap on the decompressed records block (default 256 MiB). */
  maxSize?: number;
  /** Check the batch CRC32C first (default true; ~13 GB/s, so cheap). */
  verifyCrc?: boolean;
  /**
   * Compacted batches keep their original lastOffsetDelta and lose records, so offset deltas
   * may have gaps and a batch may be empty. Off (the default), the producer rules apply:
   * offsetDelta i for the i-th record, at least one record, last delta == lastOffsetDelta.
   */
  allowOffsetGaps?: boolean;
}

export type Result<T> = { readonly error: null; readonly value: T } | { readonly error: string; readonly value: null };

export const ControlRecordType = { Abort: 0, Commit: 1 } as const;

/** Smallest possible record: length, attributes, timestamp, offset, key, value, header count. */
const MIN_RECORD_SIZE = 7;
const NO_HEADERS: readonly RecordHeader[] = Object.freeze([]);

/** Checks the batch header at the start of `b` (magic, sizes, counts, codec, optional CRC). */
export function checkBatchHeader(b: Buffer, verifyCrc = true): string | null {
  if (b.length < BATCH_HEADER_SIZE) return `batch of ${b.length} bytes is shorter than its ${BATCH_HEADER_SIZE}-byte header`;
  const size = batch.totalSize(b);
  if (size < BATCH_HEADER_SIZE) return `batch length ${batch.batchLength(b)} is shorter than the header`;
  if (size > b.length) return `batch length ${batch.batchLength(b)} runs past the ${b.length} bytes given`;
  const magic = batch.magic(b);
  if (magic !== 2) return `unsupported record batch magic ${magic}`;
  if (batch.compression(b) > CompressionType.Zstd) return `unknown compression codec ${batch.compression(b)}`;
  if (batch.recordCount(b) < 0) return `negative record count ${batch.recordCount(b)}`;
  if (batch.lastOffsetDelta(b) < 0) return `negative lastOffsetDelta ${batch.lastOffsetDelta(b)}`;
  if (verifyCrc && !batchCrcValid(b, 0, size)) return 'batch CRC32C mismatch';
  return null;
}

/** The records block of a batch, decompressed when the batch is compressed. */
export async function recordsBlock(b: Buffer, options: ReadOptions = {}): Promise<Result<Buffer>> {
  const error = checkBatchHeader(b, options.verifyCrc ?? true);
  if (error !== null) return { error, value: null };
  const payload = b.subarray(BATCH_HEADER_SIZE, batch.totalSize(b));
  const codec = batch.compression(b) as CompressionType;
  if (codec === CompressionType.None) return { error: null, value: payload };
  try {
    return { error: null, value: await decompress(codec, payload, { maxSize: options.maxSize }) };
  } catch (e) {
    return { error: e instanceof CodecError ? e.message : String(e), value: null };
  }
}

/**
 * Calls `cb` for each record of the batch in order and returns null, or the first problem.
 * Records before a malformed one have been delivered by then: use readRecords() or
 * validateBatch() first when all-or-nothing matters.
 */
export async function forEachRecord(b: Buffer, cb: (r: BatchRecord) => void, options: ReadOptions = {}): Promise<string | null> {
  const block = await recordsBlock(b, options);
  if (block.error !== null) return block.error;
  return walkRecords(block.value, batch.recordCount(b), batch.lastOffsetDelta(b), options.allowOffsetGaps ?? false, cb);
}

/** Same as forEachRecord() for an uncompressed batch, synchronously (control batches, tests). */
export function forEachRecordSync(b: Buffer, cb: (r: BatchRecord) => void, options: ReadOptions = {}): string | null {
  const error = checkBatchHeader(b, options.verifyCrc ?? true);
  if (error !== null) return error;
  if (batch.compression(b) !== CompressionType.None) return 'compressed batch: use forEachRecord()';
  const block = b.subarray(BATCH_HEADER_SIZE, batch.totalSize(b));
  return walkRecords(block, batch.recordCount(b), batch.lastOffsetDelta(b), options.allowOffsetGaps ?? false, cb);
}

/** All records of the batch, or the first problem (then no records). */
export async function readRecords(b: Buffer, options: ReadOptions = {}): Promise<Result<BatchRecord[]>> {
  const out: BatchRecord[] = [];
  const error = await forEachRecord(b, (r) => void out.push(r), options);
  return error === null ? { error: null, value: out } : { error, value: null };
}

/** Full structural check of a batch (header, CRC, decompression, every record), no objects made. */
export async function validateBatch(b: Buffer, options: ReadOptions = {}): Promise<string | null> {
  const block = await recordsBlock(b, options);
  if (block.error !== null) return block.error;
  return walkRecords(block.value, batch.recordCount(b), batch.lastOffsetDelta(b), options.allowOffsetGaps ?? false, null);
}

/**
 * Walks `count` records of an uncompressed records block, checking every length against the
 * block and the record, and the offset deltas against lastOffsetDelta. With `cb` null it only
 * validates and allocates nothing.
 */
export function walkRecords(
  block: Buffer,
  count: number,
  lastOffsetDelta: number,
  allowOffsetGaps: boolean,
  cb: ((r: BatchRecord) => void) | null,
): string | null {
  if (count < 0) return `negative record count ${count}`;
  if (count === 0 && !allowOffsetGaps) return 'batch has no records';
  if (count > block.length / MIN_RECORD_SIZE) return `record count ${count} cannot fit in ${block.length} bytes`;
  const r = new Reader(block);
  // A failed varint read leaves its own message in r.error; prefer it to the bounds message.
  const fail = (i: number, message: string): string => `record ${i}: ${r.error ?? message}`;
  let previousDelta = -1;
  for (let i = 0; i < count; i++) {
    const length = r.varint();
    if (r.error !== null || length < MIN_RECORD_SIZE - 1 || length > r.remaining()) {
      return fail(i, `length ${length} runs past the block`);
    }
    const end = r.offset + length;
    r.int8(); // attributes: none defined for v2 records
    const timestampDelta = r.varlong();
    const offsetDelta = r.varint();
    const keyLength = r.varint();
    if (r.error !== null || keyLength < -1 || keyLength > end - r.offset) return fail(i, `key length ${keyLength} out of bounds`);
    const keyAt = r.offset;
    if (keyLength > 0) r.offset += keyLength;
    const valueLength = r.varint();
    if (r.error !== null || valueLength < -1 || valueLength > end - r.offset) {
      return fail(i, `value length ${valueLength} out of bounds`);
    }
    const valueAt = r.offset;
    if (valueLength > 0) r.offset += valueLength;
    const headerCount = r.varint();
    if (r.error !== null || headerCount < 0 || headerCount > end - r.offset) {
      return fail(i, `header count ${headerCount} out of bounds`);
    }
    let headers = NO_HEADERS;
    if (headerCount > 0) {
      const list: RecordHeader[] | null = cb === null ? null : new Array<RecordHeader>(headerCount);
      for (let h = 0; h < headerCount; h++) {
        const hKeyLength = r.varint();
        if (r.error !== null || hKeyLength < 0 || hKeyLength > end - r.offset) {
          return fail(i, `header ${h} key length ${hKeyLength} out of bounds`);
        }
        const hKeyAt = r.offset;
        r.offset += hKeyLength;
        const hValueLength = r.varint();
        if (r.error !== null || hValueLength < -1 || hValueLength > end - r.offset) {
          return fail(i, `header ${h} value length ${hValueLength} out of bounds`);
        }
        if (list !== null) {
          list[h] = {
            key: block.toString('utf8', hKeyAt, hKeyAt + hKeyLength),
            value: hValueLength < 0 ? null : block.subarray(r.offset, r.offset + hValueLength),
          };
        }
        if (hValueLength > 0) r.offset += hValueLength;
      }
      if (list !== null) headers = list;
    }
    if (r.offset !== end) return fail(i, `length ${length} does not match its fields`);
    if (allowOffsetGaps ? offsetDelta <= previousDelta || offsetDelta > lastOffsetDelta : offsetDelta !== i) {
      return fail(i, `offsetDelta ${offsetDelta} out of sequence`);
    }
    previousDelta = offsetDelta;
    if (cb !== null) {
      cb({
        offsetDelta,
        timestampDelta,
        key: keyLength < 0 ? null : block.subarray(keyAt, keyAt + keyLength),
        value: valueLength < 0 ? null : block.subarray(valueAt, valueAt + valueLength),
        headers,
      });
    }
  }
  if (r.offset !== block.length) return `${block.length - r.offset} bytes after the last record`;
  if (!allowOffsetGaps && previousDelta !== lastOffsetDelta) {
    return `last offsetDelta ${previousDelta} does not match lastOffsetDelta ${lastOffsetDelta}`;
  }
  return null;
}

export interface ControlKey {
  readonly version: number;
  /** ControlRecordType: 0 abort, 1 commit (others exist in newer Kafka: leader change, snapshots). */
  readonly type: number;
}

/** The key of a control record: version int16 (0), type int16. */
export function parseControlKey(key: Buffer | null): Result<ControlKey> {
  if (key === null || key.length < 4) return { error: 'control record key shorter than 4 bytes', value: null };
  const version = key.readInt16BE(0);
  if (version < 0) return { error: `invalid control record version ${version}`, value: null };
  return { error: null, value: { version, type: key.readInt16BE(2) } };
}

export interface EndTxnMarker {
  readonly version: number;
  readonly coordinatorEpoch: number;
}

/** The value of an abort/commit control record: version int16 (0), coordinatorEpoch int32. */
export function parseEndTxnMarker(value: Buffer | null): Result<EndTxnMarker> {
  if (value === null || value.length < 6) return { error: 'transaction marker value shorter than 6 bytes', value: null };
  return { error: null, value: { version: value.readInt16BE(0), coordinatorEpoch: value.readInt32BE(2) } };
}
