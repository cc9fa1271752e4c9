/**
 * Checking the batches a follower fetched before it appends them (Kafka's analyzeAndValidateRecords
 * for a follower: offsets are taken as given, never assigned). Header-only plus one CRC32C per
 * batch; no record is decoded.
 *
 * The rules, in Kafka's terms:
 *  - a trailing partial batch is not an error: a fetch response may cut its last batch at
 *    max_bytes, so the check stops there and the partial bytes are dropped;
 *  - a batch whose length is below the header size, whose magic is not 2, whose lastOffsetDelta
 *    is negative or whose CRC does not match is CORRUPT_MESSAGE (Kafka's CorruptRecordException);
 *  - the first batch must not start below the log end offset and each batch must start after the
 *    last offset of the one before. Offsets may jump forward: a compacted leader log has holes
 *    where whole batches were removed, and Kafka's follower accepts them (only going backwards is
 *    UnexpectedAppendOffsetException / OffsetsOutOfOrderException). Both answer
 *    UNKNOWN_SERVER_ERROR, as Kafka maps exceptions that have no error code of their own.
 *
 * Everything is checked before anything is appended: a bad batch anywhere appends nothing.
 * No on-disk format lives here (batch header: protocol/records/batch.ts).
 */
import { ErrorCode, KafkaError } from '../protocol/errors.js';
import { BATCH_HEADER_SIZE, BATCH_LOG_OVERHEAD, batch, batchCrcValid } from '../protocol/records/batch.js';

/**
 * A follower's first batch starts below its log end offset (Kafka's UnexpectedAppendOffsetException).
 * The offsets let the replication layer recognise the one case Kafka repairs: an empty log whose
 * leader's log start offset lies inside that batch (truncateFullyAndStartAt, then append again).
 */
export class UnexpectedAppendOffsetError extends KafkaError {
  constructor(
    readonly firstOffset: number,
    readonly lastOffset: number,
    readonly logEndOffset: number,
  ) {
    super(ErrorCode.UNKNOWN_SERVER_ERROR, `first offset ${firstOffset} (batch up to ${lastOffset}) is below the log end offset ${logEndOffset}`);
    this.name = 'UnexpectedAppendOffsetError';
  }
}

export interface FollowerBatches {
  /** Whole, valid batches at the start of the buffer. */
  count: number;
  /** Their bytes: the buffer's first `bytes` bytes (anything after is a cut batch, dropped). */
  bytes: number;
  /** Base offset of the first batch and last offset of the last one (-1 when count is 0). */
  firstOffset: number;
  lastOffset: number;
}

/** Checks `records` (batches back to back, as a fetch response holds them) against `logEndOffset`. */
export function checkFollowerBatches(records: Buffer, logEndOffset: number): FollowerBatches {
  let at = 0;
  let count = 0;
  let expected = logEndOffset;
  let first = -1;
  let last = -1;
  while (records.length - at >= BATCH_LOG_OVERHEAD) {
    const length = batch.batchLength(records, at);
    if (length < BATCH_HEADER_SIZE - BATCH_LOG_OVERHEAD) throw new KafkaError(ErrorCode.CORRUPT_MESSAGE, `batch at byte ${at} has length ${length}, below the header size`);
    const size = length + BATCH_LOG_OVERHEAD;
    if (at + size > records.length) break; // the cut last batch of a fetch response
    const magic = batch.magic(records, at);
    if (magic !== 2) throw new KafkaError(ErrorCode.CORRUPT_MESSAGE, `batch at byte ${at} has magic ${magic}`);
    const base = batch.baseOffset(records, at);
    const delta = batch.lastOffsetDelta(records, at);
    if (delta < 0 || !Number.isSafeInteger(base + delta)) throw new KafkaError(ErrorCode.CORRUPT_MESSAGE, `batch at offset ${base} has lastOffsetDelta ${delta}`);
    if (!batchCrcValid(records, at, size)) throw new KafkaError(ErrorCode.CORRUPT_MESSAGE, `batch at offset ${base} fails its CRC32C`);
    if (base < expected) {
      if (count === 0) throw new UnexpectedAppendOffsetError(base, base + delta, logEndOffset);
      throw new KafkaError(ErrorCode.UNKNOWN_SERVER_ERROR, `out of order offsets: batch at ${base} follows offset ${expected - 1}`);
    }
    if (count === 0) first = base;
    last = base + delta;
    expected = last + 1;
    count++;
    at += size;
  }
  return { count, bytes: at, firstOffset: first, lastOffset: last };
}
