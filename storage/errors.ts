/**
 * Errors storage raises: KAFKA_STORAGE_ERROR for failed disk operations (what produce and fetch
 * answer with), and the internal signal that compaction replaced a segment under a reader.
 *
 * No on-disk format lives here.
 */
import { ErrorCode, KafkaError } from '../protocol/errors.js';

/** KAFKA_STORAGE_ERROR with the cause's message appended (and kept as `cause`). */
export function storageError(message: string, cause?: unknown): KafkaError {
  const detail = cause instanceof Error ? `: ${cause.message}` : '';
  const err = new KafkaError(ErrorCode.KAFKA_STORAGE_ERROR, `${message}${detail}`);
  if (cause !== undefined) (err as Error & { cause?: unknown }).cause = cause;
  return err;
}

/** The segment was replaced by compaction after the reader picked it; the reader retries. */
export class RetiredSegmentError extends Error {
  constructor() {
    super('segment was replaced');
    this.name = 'RetiredSegmentError';
  }
}
