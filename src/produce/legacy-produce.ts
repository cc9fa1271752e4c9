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
 * Cost and limits: this is the only produce path that decodes and re-encodes every record. It
 * makes no object per record: a first walk checks the messages (CRC-32) and sizes the records, a
 * second writes them into one buffer, which the record walk then reads instead of decompressing
 * the converted batch again. Bounded by the request (socket.request.max.bytes); the compressed
 * messages of a partition may decompress to half of runnel.produce.max.decompressed.bytes in all
 * (MESSAGE_TOO_LARGE beyond), since they and the converted records are held at once — so a
 * conversion holds no more than a v2 batch's decompression does; the converted batch must fit
 * max.message.bytes (MESSAGE_TOO_LARGE), as Kafka checks the converted batch. The work runs in one
 * of the decompression slots (data/decompression-slots.ts) and the batch waits for it in its
 * partition's append order, so old producers' batches keep their arrival order. RecordBatch v2 on
 * Produce v3+ never comes here: one version compare on the hot path.
 */
import { ErrorCode } from '../../protocol/errors.js';
import { BATCH_HEADER_SIZE, CompressionType } from '../../protocol/records/batch.js';
import { batchAroundRecords } from '../../protocol/records/builder.js';
import { Writer, varintSize, varlongSize } from '../../protocol/primitives.js';
import { CodecError, decompress } from '../../protocol/records/compression.js';
import { firstMagic, walkMessageSet, type LegacyProblem, type LegacyRecordVisitor, type LegacyWrapper } from '../../protocol/records/legacy-message-set.js';
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
  const converted = await upConvert(b.bytes!, settings.maxDecompressedBytes, settings.maxMessageBytes);
  if (!('batch' in converted)) return converted;
  b.bytes = converted.batch;
  scope.ports.metrics.produceMessageConversions(b.topic.name, converted.count);
  const refused = checkHeader(scope, b) ?? refuseUnderReplicated(scope, b);
  if (refused !== null) return refused;
  // The records are at hand: the walk reads them instead of decompressing the batch just built.
  if (b.compressed) b.holdRecords(converted.records);
  planRecompression(b);
  try {
    const rejected = (b.compressed ? await b.decompress(settings.maxDecompressedBytes) : null) ?? walkRecords(scope, b) ?? checkSchema(scope, b);
    if (rejected !== null || b.recompressTo < 0) return rejected;
    return await recompress(b);
  } finally {
    b.release();
  }
}

/** The converted batch and, for a compressed one, its records block (so the walk need not decompress it again). */
export interface Converted {
  batch: Buffer;
  records: Buffer;
  count: number;
}

/**
 * The message set as one RecordBatch v2, or Kafka's refusal. Two walks, no object per record:
 * the first checks every message (CRCs), decompresses the wrappers and sizes the records, the
 * second writes them into one buffer. The decompressed wrappers may total half of
 * `maxDecompressedBytes`, since they and the converted records are held at once.
 */
export async function upConvert(set: Buffer, maxDecompressedBytes: number, maxMessageBytes = Infinity): Promise<Converted | LegacyProblem> {
  const budget = Math.floor(maxDecompressedBytes / 2);
  const sizing = new RecordSizing();
  const wrappers: LegacyWrapper[] = [];
  const problem = walkMessageSet(set, sizing.visit, (w) => void wrappers.push(w));
  if (problem !== null) return problem;
  const inners: Buffer[] = [];
  let decompressed = 0;
  for (const w of wrappers) {
    if (w.codec > CompressionType.Lz4) return { code: ErrorCode.UNSUPPORTED_COMPRESSION_TYPE, message: `Compression codec ${w.codec} is not allowed with message format v${w.magic}` };
    let inner: Buffer;
    try {
      inner = await decompress(w.codec as CompressionType, w.compressed, { maxSize: budget - decompressed });
    } catch (e) {
      if (e instanceof CodecError && e.code === 'TOO_LARGE') {
        return { code: ErrorCode.MESSAGE_TOO_LARGE, message: `The compressed messages decompress to more than half of runnel.produce.max.decompressed.bytes (${maxDecompressedBytes})` };
      }
      return { code: ErrorCode.INVALID_RECORD, message: `A compressed message cannot be decompressed: ${(e as Error).message}` };
    }
    decompressed += inner.length;
    const before = sizing.count;
    const innerProblem = walkMessageSet(inner, sizing.visit, NO_WRAPPER, { innerMagic: w.magic });
    if (innerProblem !== null) return innerProblem;
    if (sizing.count === before) return { code: ErrorCode.INVALID_RECORD, message: 'A compressed message holds no messages' };
    inners.push(inner);
  }
  if (sizing.count === 0) return { code: ErrorCode.INVALID_RECORD, message: 'The message set holds no messages' };
  const codec = (wrappers[0]?.codec ?? CompressionType.None) as CompressionType;
  // An uncompressed batch larger than max.message.bytes would be refused by the header check: say so before building it.
  if (codec === CompressionType.None && BATCH_HEADER_SIZE + sizing.size > maxMessageBytes) {
    return { code: ErrorCode.MESSAGE_TOO_LARGE, message: `The request included a message larger than the max message size the server will accept (${BATCH_HEADER_SIZE + sizing.size} > ${maxMessageBytes})` };
  }
  // Second walk, in the same order: each wrapper's inner set where the wrapper stood.
  const writer = new RecordWriter(BATCH_HEADER_SIZE + sizing.size, sizing.baseTimestamp);
  let next = 0;
  walkMessageSet(set, writer.visit, () => void walkMessageSet(inners[next++]!, writer.visit, NO_WRAPPER, { verifyCrc: false }), { verifyCrc: false });
  const timestamps = { base: sizing.baseTimestamp, max: sizing.maxTimestamp };
  const batch = await batchAroundRecords(writer.buf, sizing.count, timestamps, codec);
  return { batch, records: writer.buf.subarray(BATCH_HEADER_SIZE), count: sizing.count };
}

const NO_WRAPPER = (): void => undefined;

/** RecordBatch v2 record size: length, attributes, timestamp delta, offset delta, key, value, no headers. */
function recordBodySize(timestampDelta: number, offsetDelta: number, keyLength: number, valueLength: number): number {
  return 1 + varlongSize(timestampDelta) + varintSize(offsetDelta) + varintSize(keyLength) + Math.max(keyLength, 0) + varintSize(valueLength) + Math.max(valueLength, 0) + 1;
}

/** First walk: counts the records and sizes them as v2 records; base (first) and max timestamps. */
class RecordSizing {
  count = 0;
  size = 0;
  baseTimestamp = -1;
  maxTimestamp = -1;
  readonly visit: LegacyRecordVisitor = (_buf, timestamp, _keyAt, keyLength, _valueAt, valueLength) => {
    if (this.count === 0) this.baseTimestamp = this.maxTimestamp = timestamp;
    else if (timestamp > this.maxTimestamp) this.maxTimestamp = timestamp;
    const body = recordBodySize(timestamp - this.baseTimestamp, this.count, keyLength, valueLength);
    this.size += varintSize(body) + body;
    this.count++;
  };
}

/** Second walk: writes each record into the batch buffer after its header. */
class RecordWriter {
  readonly buf: Buffer;
  private readonly w: Writer;
  private count = 0;

  constructor(
    size: number,
    private readonly baseTimestamp: number,
  ) {
    this.w = new Writer(size);
    this.w.offset = BATCH_HEADER_SIZE;
    this.buf = this.w.buf;
  }

  readonly visit: LegacyRecordVisitor = (buf, timestamp, keyAt, keyLength, valueAt, valueLength) => {
    const w = this.w;
    const timestampDelta = timestamp - this.baseTimestamp;
    w.varint(recordBodySize(timestampDelta, this.count, keyLength, valueLength));
    w.int8(0);
    w.varlong(timestampDelta);
    w.varint(this.count++);
    w.varint(keyLength);
    if (keyLength > 0) w.offset += buf.copy(w.buf, w.offset, keyAt, keyAt + keyLength);
    w.varint(valueLength);
    if (valueLength > 0) w.offset += buf.copy(w.buf, w.offset, valueAt, valueAt + valueLength);
    w.varint(0);
  };
}
