/**
 * Checks of a produced record batch that need only its 61-byte header and one CRC pass — never a
 * per-record decode, since the broker stores the bytes as sent. Returns Kafka's error code and a
 * message, or null when the batch may be appended.
 */
import { ErrorCode } from '../../protocol/errors.js';
import { ATTR_CONTROL, BATCH_HEADER_SIZE, batch, batchCrcValid } from '../../protocol/records/batch.js';

export interface BatchProblem {
  code: number;
  message: string;
}

export interface BatchLimits {
  maxMessageBytes: number;
  /** message.timestamp.type */
  logAppendTime: boolean;
  /** message.timestamp.difference.max.ms (removed in Kafka 4, still honoured) */
  maxTimestampDiffMs: number;
  /** message.timestamp.before.max.ms / after.max.ms (KIP-937); default: no limit */
  maxTimestampBeforeMs?: number;
  maxTimestampAfterMs?: number;
  /** Produce request version (zstd needs v7+). */
  produceVersion: number;
}

const ZSTD = 4;

export function validateProducedBatch(b: Buffer | null, limits: BatchLimits, now: number): BatchProblem | null {
  if (b === null || b.length === 0) return { code: ErrorCode.INVALID_RECORD, message: 'Produce request has no record batch for this partition' };
  if (b.length < BATCH_HEADER_SIZE) return { code: ErrorCode.CORRUPT_MESSAGE, message: `Record batch of ${b.length} bytes is smaller than the ${BATCH_HEADER_SIZE}-byte header` };
  const magic = batch.magic(b);
  if (magic !== 2) {
    return { code: ErrorCode.INVALID_RECORD, message: `Produce requests with version ${limits.produceVersion} are only allowed to contain record batches with magic version 2 (found ${magic})` };
  }
  const size = batch.totalSize(b);
  if (size > b.length) return { code: ErrorCode.CORRUPT_MESSAGE, message: `Record batch claims ${size} bytes but only ${b.length} were sent` };
  if (size < b.length) {
    return { code: ErrorCode.INVALID_RECORD, message: `Produce requests with version ${limits.produceVersion} are only allowed to contain exactly one record batch` };
  }
  if (size > limits.maxMessageBytes) {
    return { code: ErrorCode.MESSAGE_TOO_LARGE, message: `The request included a message larger than the max message size the server will accept (${size} > ${limits.maxMessageBytes})` };
  }
  if (!batchCrcValid(b, 0, size)) return { code: ErrorCode.CORRUPT_MESSAGE, message: 'Record batch CRC32C does not match its contents' };
  const attributes = batch.attributes(b);
  if ((attributes & ATTR_CONTROL) !== 0) return { code: ErrorCode.INVALID_RECORD, message: 'Clients are not allowed to write control records' };
  const codec = attributes & 0x07;
  if (codec > ZSTD) return { code: ErrorCode.UNSUPPORTED_COMPRESSION_TYPE, message: `Unknown compression codec ${codec}` };
  if (codec === ZSTD && limits.produceVersion < 7) {
    return { code: ErrorCode.UNSUPPORTED_COMPRESSION_TYPE, message: 'Produce requests with version below 7 cannot use zstd compression' };
  }
  const count = batch.recordCount(b);
  const lastDelta = batch.lastOffsetDelta(b);
  if (count <= 0) return { code: ErrorCode.INVALID_RECORD, message: `Record batch has ${count} records` };
  if (lastDelta !== count - 1) return { code: ErrorCode.INVALID_RECORD, message: `Record batch lastOffsetDelta ${lastDelta} does not match its ${count} records` };
  if (!limits.logAppendTime) {
    // From the header only: the newest record (maxTimestamp) against after.max.ms is exact; the
    // first record (baseTimestamp) stands for the oldest against before.max.ms, which is exact for
    // producers that stamp records in order (a -1 timestamp, "none", is not checked, as in Kafka).
    const newest = batch.maxTimestamp(b);
    const oldest = batch.baseTimestamp(b);
    const after = limits.maxTimestampAfterMs ?? Number.MAX_SAFE_INTEGER;
    const before = limits.maxTimestampBeforeMs ?? Number.MAX_SAFE_INTEGER;
    if (after < Number.MAX_SAFE_INTEGER && newest >= 0 && newest - now > after) {
      return { code: ErrorCode.INVALID_TIMESTAMP, message: `Timestamp ${newest} of the batch is out of range: more than ${after} ms (message.timestamp.after.max.ms) after the broker's clock ${now}` };
    }
    if (before < Number.MAX_SAFE_INTEGER && oldest >= 0 && now - oldest > before) {
      return { code: ErrorCode.INVALID_TIMESTAMP, message: `Timestamp ${oldest} of the batch is out of range: more than ${before} ms (message.timestamp.before.max.ms) before the broker's clock ${now}` };
    }
    if (limits.maxTimestampDiffMs < Number.MAX_SAFE_INTEGER && Math.abs(newest - now) > limits.maxTimestampDiffMs) {
      return { code: ErrorCode.INVALID_TIMESTAMP, message: `Timestamp ${newest} of the batch is out of range: more than ${limits.maxTimestampDiffMs} ms from the broker's clock ${now}` };
    }
  }
  return null;
}
