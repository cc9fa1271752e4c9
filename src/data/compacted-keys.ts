/**
 * Kafka's rule for compacted topics (cleanup.policy contains compact): every produced record needs
 * a key, since compaction keeps the latest record per key. A batch with a keyless record is refused
 * whole with INVALID_RECORD, naming the first such record (Produce v8+ record_errors), as Kafka's
 * LogValidator does. Only compacted topics pay for this walk over the records; compressed batches
 * are decompressed first (hence the promise).
 */
import { ErrorCode } from '../../protocol/errors.js';
import { BATCH_HEADER_SIZE, CompressionType, batch } from '../../protocol/records/batch.js';
import { recordsBlock, walkRecords } from '../../protocol/records/records.js';

export interface KeylessRecord {
  code: number;
  /** The first keyless record's index in the batch, or -1 when the batch cannot be read. */
  index: number;
  message: string;
}

/** Checks a batch whose header and CRC were already validated; null when every record has a key. */
export function checkCompactedKeys(b: Buffer, topic: string, partition: number): KeylessRecord | null | Promise<KeylessRecord | null> {
  const count = batch.recordCount(b);
  const lastDelta = batch.lastOffsetDelta(b);
  const walk = (block: Buffer): KeylessRecord | null => {
    let i = 0;
    let keyless = -1;
    const problem = walkRecords(block, count, lastDelta, false, (r) => {
      if (r.key === null && keyless < 0) keyless = i;
      i++;
    });
    if (problem !== null) return { code: ErrorCode.CORRUPT_MESSAGE, index: -1, message: `Record batch cannot be read: ${problem}` };
    if (keyless < 0) return null;
    return { code: ErrorCode.INVALID_RECORD, index: keyless, message: `Compacted topic cannot accept message without key in topic partition ${topic}-${partition}.` };
  };
  if (batch.compression(b) === CompressionType.None) return walk(b.subarray(BATCH_HEADER_SIZE, batch.totalSize(b)));
  return recordsBlock(b, { verifyCrc: false }).then((block) =>
    block.error !== null ? { code: ErrorCode.CORRUPT_MESSAGE, index: -1, message: `Record batch cannot be decompressed: ${block.error}` } : walk(block.value),
  );
}
