/**
 * Acks: the values a request may ask for — checked first, for the whole request (0, 1 and -1;
 * anything else is INVALID_REQUIRED_ACKS for every partition) — and stage 11, the wait for them
 * once a batch is appended:
 *
 *   0      nothing is waited for and no response is sent;
 *   1, -1  what the Partition acknowledges (Partition.acknowledgement; on one broker, the write;
 *          in a cluster acks=-1 waits for the high watermark to pass the batch, so every ISR
 *          member has it on disk, NOT_ENOUGH_REPLICAS_AFTER_APPEND when the ISR shrank below
 *          min.insync.replicas meanwhile). By default (flush.messages = 1) the write includes its fsync (storage makes
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
 * Settles once `b` has its final answer: its append ran (when it waited for its turn in the
 * partition's order) and what its acks wait for is done or timed out. Never rejects: a
 * failure becomes the batch's answer (a KafkaError keeps its code).
 */
export async function whenAnswered(b: ProducedBatch, timeoutMs: number): Promise<void> {
  if (b.appending !== null) {
    try {
      await b.appending;
    } catch (err) {
      return b.fail(err, ErrorCode.UNKNOWN_SERVER_ERROR);
    }
  }
  if (b.acknowledgement === null) return;
  try {
    // A cluster acks=-1 wait times out by itself (REQUEST_TIMED_OUT), and leaves its queue then.
    if (b.acknowledgementTimed) await b.acknowledgement;
    else if ((await withinTimeout(b.acknowledgement, timeoutMs)) === 'timeout') b.refuse({ code: ErrorCode.REQUEST_TIMED_OUT, message: `Append not acknowledged within ${timeoutMs} ms` });
  } catch (err) {
    b.fail(err, ErrorCode.KAFKA_STORAGE_ERROR);
  }
}

/** The acknowledgement, or 'timeout' after `ms` (no bound when `ms` <= 0). */
function withinTimeout(acknowledgement: Promise<void>, ms: number): Promise<'acknowledged' | 'timeout'> {
  if (ms <= 0) return acknowledgement.then(() => 'acknowledged' as const);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => resolve('timeout'), ms);
    acknowledgement.then(
      () => {
        clearTimeout(timer);
        resolve('acknowledged');
      },
      (err: unknown) => {
        clearTimeout(timer);
        reject(err);
      },
    );
  });
}
