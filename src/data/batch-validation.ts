/**
 * Checks of a produced record batch that need only its 61-byte header and one CRC pass: magic,
 * sizes, max.message.bytes, CRC, control bit, codec, count against lastOffsetDelta. Returns Kafka's
 * error code and a message, or null when the records may be walked (data/record-validation.ts,
 * which also checks timestamps, per record).
 */
import { ErrorCode } from '../../protocol/errors.js';
import { ATTR_CONTROL, BATCH_HEADER_SIZE, batch, batchCrcValid } from '../../protocol/records/batch.js';

export interface BatchProblem {
  code: number;
  message: string;
}

export interface BatchLimits {
  maxMessageBytes: number;
  /** Produce request version (zstd needs v7+). */
  produceVersion: number;
}

const ZSTD = 4;

export function validateProducedBatch(b: Buffer | null, limits: BatchLimits): BatchProblem | null {
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
  const producerId = batch.producerId(b);
  if (producerId >= 0 && batch.baseSequence(b) < 0) {
    return { code: ErrorCode.INVALID_RECORD, message: `Invalid sequence number ${batch.baseSequence(b)} in record batch with producerId ${producerId}` };
  }
  return null;
}
