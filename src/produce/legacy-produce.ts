/**
 * Produce v0-v2 carrying message format v0/v1 (magic 0/1): converted on the way in to one
 * RecordBatch v2, which then takes the ordinary stages 5-10 (pipeline.ts), as Kafka 2.x's
 * LogValidator up-converted old messages to the topic's format. Kafka 4.0 removed these versions
 * (KIP-896); they are served because producers still shipped by distributions send them — sarama
 * 1.22 with its default config.Version (0.8.2) sends Produce v0 with magic 0 messages, with 0.10.x
 * Produce v2 with magic 1 (docs/compatibility.md).
 *
 * The conversion (Kafka's rules): records keep their order, keys and values; magic 1 timestamps
 * are kept, magic 0 records get none (-1); the message offsets are ignored (the log assigns
 * them); the batch has no producer id (old producers are never idempotent) and takes the codec of
 * the first compressed message ("wrapper"), or none — the topic's compression.type applies after,
 * as for any batch. A wrapper's inner messages must be uncompressed and of its magic.
 *
 * Cost and limits: this is the only produce path that decodes and re-encodes every record — one
 * object per record, bounded by the request (socket.request.max.bytes) and, for compressed
 * wrappers, by runnel.produce.max.decompressed.bytes over all wrappers of the partition
 * (MESSAGE_TOO_LARGE beyond it, as for a v2 batch); the converted batch must fit
 * max.message.bytes (MESSAGE_TOO_LARGE), as Kafka checks the converted batch. The work runs in one
 * of the decompression slots (data/decompression-slots.ts) and the batch waits for it in its
 * partition's append order, so old producers' batches keep their arrival order. RecordBatch v2 on
 * Produce v3+ never comes here: one version compare on the hot path.
 */
import { ErrorCode } from '../../protocol/errors.js';
import { CompressionType } from '../../protocol/records/batch.js';
import { buildBatch, type RecordInput } from '../../protocol/records/builder.js';
import { CodecError, decompress } from '../../protocol/records/compression.js';
import { firstMagic, walkMessageSet, type LegacyProblem, type LegacyRecord, type LegacyWrapper } from '../../protocol/records/legacy-message-set.js';
import { withDecompressionSlot } from '../data/decompression-slots.js';
import type { ProducedBatch } from './produced-batch.js';
import type { ProduceScope } from './produce-scope.js';
import type { Refusal } from './refusal.js';
import { appendInOrder } from './stages/append.js';
import { checkHeader } from './stages/header.js';
import { planRecompression, recompress } from './stages/recompress.js';
import { walkRecords } from './stages/records.js';
import { checkSchema } from './stages/schema.js';
import { refuseUnderReplicated, resolvePartition } from './stages/target.js';

/** The first Produce version whose record sets are RecordBatch v2 only. */
export const FIRST_RECORD_BATCH_VERSION = 3;

/** A Produce v0-v2 record set in message format v0/v1 (v0-v2 may also carry a RecordBatch v2: the ordinary path). */
export function isLegacyMessageSet(version: number, bytes: Buffer | null): boolean {
  if (version >= FIRST_RECORD_BATCH_VERSION || bytes === null) return false;
  const magic = firstMagic(bytes);
  return magic === 0 || magic === 1;
}

/** Stages 4 and then, once converted, 5-10 for a legacy message set. */
export function runLegacyPipeline(scope: ProduceScope, b: ProducedBatch): void {
  const refused = b.topic.refusal ?? resolvePartition(scope, b);
  if (refused !== null) return b.refuse(refused);
  appendInOrder(scope, b, withDecompressionSlot(() => convertThenCheck(scope, b)));
}

async function convertThenCheck(scope: ProduceScope, b: ProducedBatch): Promise<Refusal | null> {
  const settings = b.topic.settings!;
  const converted = await upConvert(b.bytes!, settings.maxDecompressedBytes);
  if (!Buffer.isBuffer(converted)) return converted;
  b.bytes = converted;
  const refused = checkHeader(scope, b) ?? refuseUnderReplicated(scope, b);
  if (refused !== null) return refused;
  planRecompression(b);
  try {
    const rejected = (b.compressed ? await b.decompress(settings.maxDecompressedBytes) : null) ?? walkRecords(scope, b) ?? checkSchema(scope, b);
    if (rejected !== null || b.recompressTo < 0) return rejected;
    return await recompress(b);
  } finally {
    b.release();
  }
}

/** The message set as one RecordBatch v2, or Kafka's refusal. */
export async function upConvert(set: Buffer, maxDecompressedBytes: number): Promise<Buffer | LegacyProblem> {
  // The outer walk, in order: records, and wrappers to expand in their place.
  const items: Array<RecordInput | LegacyWrapper> = [];
  const problem = walkMessageSet(set, (r) => void items.push(asInput(r)), (w) => void items.push(w));
  if (problem !== null) return problem;
  let codec: number = CompressionType.None;
  let budget = maxDecompressedBytes;
  const records: RecordInput[] = [];
  for (const item of items) {
    if (!('compressed' in item)) {
      records.push(item);
      continue;
    }
    if (codec === CompressionType.None) codec = item.codec;
    if (item.codec > CompressionType.Lz4) return { code: ErrorCode.UNSUPPORTED_COMPRESSION_TYPE, message: `Compression codec ${item.codec} is not allowed with message format v${item.magic}` };
    let inner: Buffer;
    try {
      inner = await decompress(item.codec as CompressionType, item.compressed, { maxSize: budget });
    } catch (e) {
      if (e instanceof CodecError && e.code === 'TOO_LARGE') {
        return { code: ErrorCode.MESSAGE_TOO_LARGE, message: `The messages decompress to more than runnel.produce.max.decompressed.bytes (${maxDecompressedBytes})` };
      }
      return { code: ErrorCode.INVALID_RECORD, message: `A compressed message cannot be decompressed: ${(e as Error).message}` };
    }
    budget -= inner.length;
    const before = records.length;
    const innerProblem = walkMessageSet(inner, (r) => void records.push(asInput(r)), () => undefined, item.magic);
    if (innerProblem !== null) return innerProblem;
    if (records.length === before) return { code: ErrorCode.INVALID_RECORD, message: 'A compressed message holds no messages' };
  }
  if (records.length === 0) return { code: ErrorCode.INVALID_RECORD, message: 'The message set holds no messages' };
  return buildBatch(records, { compression: codec as CompressionType });
}

function asInput(r: LegacyRecord): RecordInput {
  return { timestamp: r.timestamp, key: r.key, value: r.value };
}
