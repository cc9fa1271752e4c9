/**
 * Stage 8, recompression: a topic whose compression.type names a codec stores its batches in that
 * codec (data/topic-compression.ts); `producer` (the default) stores them as sent. The batch is
 * recompressed from the records the walk read (never decompressed again) and replaces the bytes;
 * the header fields, including a repaired maxTimestamp, are kept. Compressing is the one stage that
 * is always asynchronous, so a batch that needs it waits in its partition's append order.
 */
import { KafkaError } from '../../../protocol/errors.js';
import { compressionFor, recompressForTopic } from '../../data/topic-compression.js';
import type { ProducedBatch } from '../produced-batch.js';
import type { Refusal } from '../refusal.js';

/** Notes the codec the batch is converted to (ProducedBatch.recompressTo), -1 when stored as sent. */
export function planRecompression(b: ProducedBatch): void {
  b.recompressTo = compressionFor(b.topic.settings!.compressionType, b.codec) ?? -1;
}

/** Recompresses a batch with `recompressTo` >= 0; a refusal (CORRUPT_MESSAGE) when the codec fails. */
export async function recompress(b: ProducedBatch): Promise<Refusal | null> {
  let converted: Buffer;
  try {
    converted = await recompressForTopic(b.bytes!, b.recompressTo, b.records());
  } catch (err) {
    if (err instanceof KafkaError) return { code: err.code, message: err.message };
    throw err;
  } finally {
    // The last stage that reads the records.
    b.release();
  }
  b.bytes = converted;
  b.size = converted.length;
  b.codec = b.recompressTo;
  return null;
}
