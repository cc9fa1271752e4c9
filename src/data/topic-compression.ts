/**
 * The topic's compression.type applied to produced batches: `producer` (the default) keeps the
 * batch exactly as sent; any other codec recompresses only batches that arrive in a different one.
 */
import type { ConfigValue } from '../config/definitions.js';
import { ErrorCode, KafkaError } from '../../protocol/errors.js';
import { recompress } from '../../protocol/records/builder.js';
import type { CompressionType } from '../../protocol/records/batch.js';

const CODECS: Record<string, number> = { uncompressed: 0, gzip: 1, snappy: 2, lz4: 3, zstd: 4 };

/** The codec to convert a batch to, or null to store it as sent. */
export function compressionFor(topicSetting: ConfigValue, batchCodec: number): number | null {
  if (typeof topicSetting !== 'string' || topicSetting === 'producer') return null;
  const target = CODECS[topicSetting];
  return target === undefined || target === batchCodec ? null : target;
}

/** `records`: the batch's records, uncompressed and already walked by the produce path (never decompressed twice). */
export async function recompressForTopic(b: Buffer, codec: number, records: Buffer): Promise<Buffer> {
  const r = await recompress(b, codec as CompressionType, { block: records });
  if (r.error !== null) throw new KafkaError(ErrorCode.CORRUPT_MESSAGE, `Cannot recompress the batch: ${r.error}`);
  return r.value;
}
