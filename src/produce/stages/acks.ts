/**
 * Acks: the values a request may ask for — checked first, for the whole request (0, 1 and -1;
 * anything else is INVALID_REQUIRED_ACKS for every partition) — and stage 11, the wait for them
 * once a batch is appended:
 *
 *   0      nothing is waited for and no response is sent;
 *   1, -1  the write. By default (flush.messages = 1) the write includes its fsync (storage makes
 *          an append visible only once fsynced), so acks=-1 means "on disk". A topic with a relaxed
 *          fsync policy (flush.messages > 1) has chosen not to fsync each append: acks=-1 does not
 *          wait for the next fsync, which may never come when flush.ms is unset (Kafka's acks never
 *          waits for an fsync either).
 *
 * The wait is bounded by the request's timeout_ms, counted from the append (REQUEST_TIMED_OUT).
 */
import { ErrorCode } from '../../../protocol/errors.js';
import type { ProducedBatch } from '../produced-batch.js';
import type { Refusal } from '../refusal.js';

export function refuseInvalidAcks(acks: number): Refusal | null {
  return acks === 0 || acks === 1 || acks === -1 ? null : { code: ErrorCode.INVALID_REQUIRED_ACKS, message: `Invalid required acks ${acks}` };
}

/**
 * Settles once `b` has its final answer: its append ran (when it waited for its turn) and the
 * write its acks wait for is done or timed out. Null when it already has one. Never rejects:
 * failures become the batch's answer.
 */
export function whenAnswered(b: ProducedBatch, timeoutMs: number): Promise<void> | null {
  const appending = b.appending;
  if (appending !== null) {
    b.appending = null;
    return appending.then(
      () => whenAnswered(b, timeoutMs) ?? undefined,
      (err: unknown) => b.fail(err, ErrorCode.UNKNOWN_SERVER_ERROR),
    );
  }
  const written = b.written;
  return written === null ? null : acknowledged(b, written, timeoutMs);
}

function acknowledged(b: ProducedBatch, written: Promise<void>, timeoutMs: number): Promise<void> {
  const failed = (err: unknown) => {
    if (!b.failed) b.fail(err, ErrorCode.KAFKA_STORAGE_ERROR);
  };
  if (timeoutMs <= 0) return written.then(undefined, failed);
  return new Promise<void>((resolve) => {
    const timer = setTimeout(() => {
      b.refuse({ code: ErrorCode.REQUEST_TIMED_OUT, message: `Append not acknowledged within ${timeoutMs} ms` });
      resolve();
    }, timeoutMs);
    written.then(
      () => {
        clearTimeout(timer);
        resolve();
      },
      (err: unknown) => {
        clearTimeout(timer);
        failed(err);
        resolve();
      },
    );
  });
}
