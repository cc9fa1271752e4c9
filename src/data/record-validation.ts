/**
 * Kafka's LogValidator over the records of one produced batch (after the header and CRC checks of
 * batch-validation.ts): every record is walked (protocol/records/record-walk.ts) and the batch is
 * refused or repaired as Apache Kafka 4 does:
 *
 *   records that do not add up (lengths, counts, trailing bytes, offset deltas)  INVALID_RECORD
 *   a compressed payload that does not decompress                               INVALID_RECORD
 *   decompressed records above runnel.produce.max.decompressed.bytes           MESSAGE_TOO_LARGE
 *   CreateTime outside message.timestamp.before/after.max.ms (per record)      INVALID_TIMESTAMP
 *   a LogAppendTime bit set by the producer where Kafka refuses it              INVALID_TIMESTAMP
 *   a keyless record on a compacted topic                                       INVALID_RECORD
 *
 * The last three name every offending record (Produce v8+ record_errors); for one record that has
 * both problems the key is reported, and the batch's code is INVALID_TIMESTAMP if any timestamp is
 * reported, as Kafka does.
 *
 * Repair (CreateTime topics): the header's maxTimestamp becomes the largest record timestamp when
 * it differs (sarama 1.22 writes -1, so ListOffsets by timestamp, the time index and time-based
 * retention would never see its records), a producer-set LogAppendTime bit is cleared, and the CRC
 * is recomputed, as Kafka's setMaxTimestamp does. LogAppendTime topics are stamped on append.
 *
 * The produce path (src/produce/) owns the records of a batch: it decompresses a compressed batch
 * once (decompressRecords) and walks the block with checkRecordBlock, then hands the same block
 * to the schema check and to recompression. An uncompressed batch is walked in place: no copy, no
 * allocation on success. checkProducedRecords is the same walk over one batch on its own.
 */
import { ErrorCode } from '../../protocol/errors.js';
import { ATTR_TIMESTAMP_TYPE, BATCH_HEADER_SIZE, OFF_ATTRIBUTES, batch, restampCrc, type CompressionType } from '../../protocol/records/batch.js';
import { CodecError, decompress } from '../../protocol/records/compression.js';
import { newRecordWalk, walkRecordBlock, type RecordWalk } from '../../protocol/records/record-walk.js';

export interface RecordPolicy {
  topic: string;
  partition: number;
  /** message.timestamp.type is LogAppendTime. */
  logAppendTime: boolean;
  /** cleanup.policy includes compact: every record needs a key. */
  compacted: boolean;
  /** message.timestamp.before.max.ms / after.max.ms / difference.max.ms (MAX_SAFE_INTEGER: none). */
  maxTimestampBeforeMs: number;
  maxTimestampAfterMs: number;
  maxTimestampDiffMs: number;
  /** runnel.produce.max.decompressed.bytes */
  maxDecompressedBytes: number;
  /** The broker clock for the timestamp window. */
  now: number;
}

/** One refused record (Produce v8+ record_errors). */
export interface RecordIssue {
  index: number;
  message: string;
}

export interface RecordsRejection {
  readonly ok: false;
  code: number;
  message: string;
  /** The offending records; empty when the batch as a whole cannot be read. */
  records: RecordIssue[];
}

/** Accepted records: the decompressed block of a compressed batch, null when the batch is uncompressed. */
export interface ProducedRecords {
  readonly ok: true;
  readonly decompressed: Buffer | null;
}

export type RecordsCheck = RecordsRejection | ProducedRecords;

const IN_PLACE: ProducedRecords = Object.freeze({ ok: true as const, decompressed: null });
const NO_LIMIT = Number.MAX_SAFE_INTEGER;

/** The records of a batch as uncompressed bytes: the decompressed block, or a view of the batch. */
export function recordsOf(b: Buffer, r: ProducedRecords): Buffer {
  return r.decompressed ?? b.subarray(BATCH_HEADER_SIZE, batch.totalSize(b));
}

/**
 * Walks (and on CreateTime topics repairs) one batch whose header and CRC were validated.
 * Synchronous for an uncompressed batch; a promise when it has to be decompressed first.
 */
export function checkProducedRecords(b: Buffer, policy: RecordPolicy): RecordsCheck | Promise<RecordsCheck> {
  if (batch.compression(b) === 0) return checkRecordBlock(b, b, BATCH_HEADER_SIZE, batch.totalSize(b), policy) ?? IN_PLACE;
  return decompressRecords(b, policy.maxDecompressedBytes).then((block): RecordsCheck => {
    if (!Buffer.isBuffer(block)) return block;
    return checkRecordBlock(b, block, 0, block.length, policy) ?? { ok: true, decompressed: block };
  });
}

/**
 * The records block of a compressed batch, decompressed (capped at `maxBytes`); a refusal when it
 * does not decompress (INVALID_RECORD) or is larger (MESSAGE_TOO_LARGE), as Kafka answers.
 */
export function decompressRecords(b: Buffer, maxBytes: number): Promise<Buffer | RecordsRejection> {
  const codec = batch.compression(b) as CompressionType;
  return decompress(codec, b.subarray(BATCH_HEADER_SIZE, batch.totalSize(b)), { maxSize: maxBytes }).then(
    (block) => block,
    (e: unknown): RecordsRejection => {
      if (e instanceof CodecError && e.code === 'TOO_LARGE') {
        return rejection(ErrorCode.MESSAGE_TOO_LARGE, `The record batch decompresses to more than runnel.produce.max.decompressed.bytes (${maxBytes})`);
      }
      return rejection(ErrorCode.INVALID_RECORD, `The record batch cannot be decompressed: ${(e as Error).message}`);
    },
  );
}

function rejection(code: number, message: string, records: RecordIssue[] = []): RecordsRejection {
  return { ok: false, code, message, records };
}

/**
 * The walk over block[start, end) holding the records of batch `b` (the batch itself for an
 * uncompressed batch, else its decompressed block), then the policy; null when accepted (and the
 * header repaired where needed).
 */
export function checkRecordBlock(b: Buffer, block: Buffer, start: number, end: number, policy: RecordPolicy): RecordsRejection | null {
  const count = batch.recordCount(b);
  const producerSetAppendTime = (batch.attributes(b) & ATTR_TIMESTAMP_TYPE) !== 0;
  // Per-record windows apply to CreateTime records only; a producer-set LogAppendTime bit gives
  // every record the header's maxTimestamp instead (checked below).
  const window = !policy.logAppendTime && !producerSetAppendTime;
  const low = window ? lowestTimestamp(policy) : -Infinity;
  const high = window ? highestTimestamp(policy) : Infinity;
  const walk = newRecordWalk(policy.compacted);
  const problem = walkRecordBlock(block, start, end, count, batch.baseTimestamp(b), low, high, walk);
  if (problem !== null) return rejection(ErrorCode.INVALID_RECORD, `The record batch is invalid: ${problem}`);
  if (producerSetAppendTime || walk.badTimestamps !== null || (policy.compacted && walk.firstKeyless >= 0)) {
    const refused = refusedRecords(b, walk, count, policy, producerSetAppendTime);
    if (refused !== null) return refused;
  }
  if (!policy.logAppendTime) repairHeader(b, producerSetAppendTime ? batch.maxTimestamp(b) : walk.maxTimestamp, producerSetAppendTime);
  return null;
}

function lowestTimestamp(p: RecordPolicy): number {
  const before = Math.min(p.maxTimestampBeforeMs, p.maxTimestampDiffMs);
  return before >= NO_LIMIT ? -Infinity : p.now - before;
}

function highestTimestamp(p: RecordPolicy): number {
  const after = Math.min(p.maxTimestampAfterMs, p.maxTimestampDiffMs);
  return after >= NO_LIMIT ? Infinity : p.now + after;
}

/** Keyless records (compacted topics) and bad timestamps, as Kafka's record_errors; null when none. */
function refusedRecords(b: Buffer, walk: RecordWalk, count: number, policy: RecordPolicy, producerSetAppendTime: boolean): RecordsRejection | null {
  const keyless = policy.compacted && walk.firstKeyless >= 0 ? walk.keyless! : null;
  let badTimes: number[] | null = null;
  let timeMessage: (index: number) => string = () => '';
  if (producerSetAppendTime) {
    // Kafka reads every record's timestamp as the header's maxTimestamp here.
    const ts = batch.maxTimestamp(b);
    if (policy.logAppendTime || ts === -1) {
      badTimes = allIndexes(count);
      timeMessage = () => 'Invalid timestamp type in message: producer should not set timestamp type to LogAppendTime.';
    } else if (ts < lowestTimestamp(policy) || ts > highestTimestamp(policy) || !Number.isSafeInteger(ts)) {
      badTimes = allIndexes(count);
      timeMessage = (i) => outOfRange(ts, i, policy);
    }
  } else if (!policy.logAppendTime && walk.badTimestamps !== null) {
    badTimes = walk.badTimestamps;
    const values = new Map(badTimes.map((index, k) => [index, walk.badTimestampValues![k]!]));
    timeMessage = (i) => outOfRange(values.get(i)!, i, policy);
  }
  if (keyless === null && badTimes === null) return null;
  const keyMessage = `Compacted topic cannot accept message without key in topic partition ${policy.topic}-${policy.partition}.`;
  const keySet = new Set(keyless ?? []);
  const indexes = [...new Set([...(keyless ?? []), ...(badTimes ?? [])])].sort((x, y) => x - y);
  let anyTime = false;
  const records = indexes.map((index): RecordIssue => {
    if (keySet.has(index)) return { index, message: keyMessage };
    anyTime = true;
    return { index, message: timeMessage(index) };
  });
  if (anyTime) return rejection(ErrorCode.INVALID_TIMESTAMP, 'One or more records have been rejected due to invalid timestamp', records);
  const shown = records.slice(0, 3).map((r) => `${r.index}: ${r.message}`).join('; ');
  return rejection(ErrorCode.INVALID_RECORD, `One or more records have been rejected due to ${records.length} record errors in total, and only showing the first three errors at most: [${shown}]`, records);
}

function allIndexes(count: number): number[] {
  return Array.from({ length: count }, (_, i) => i);
}

function outOfRange(ts: number, index: number, p: RecordPolicy): string {
  const low = lowestTimestamp(p);
  const high = highestTimestamp(p);
  const bound = (v: number) => (Number.isFinite(v) ? String(v) : v > 0 ? 'no upper limit' : 'no lower limit');
  return `Timestamp ${ts} of message with offset ${index} is out of range. The timestamp should be within [${bound(low)}, ${bound(high)}]`;
}

/** Kafka's setMaxTimestamp for CreateTime: header maxTimestamp and timestamp type, then the CRC. */
function repairHeader(b: Buffer, maxTimestamp: number, clearAppendTime: boolean): void {
  if (!clearAppendTime && batch.maxTimestamp(b) === maxTimestamp) return;
  if (clearAppendTime) b.writeInt16BE(batch.attributes(b) & ~ATTR_TIMESTAMP_TYPE, OFF_ATTRIBUTES);
  batch.setMaxTimestamp(b, maxTimestamp);
  restampCrc(b);
}
