/**
 * Broker-side validation on Produce: for a topic with `confluent.value.schema.validation` (and/or
 * the key variant) every record of a batch — after decompression — must carry Confluent's wire
 * format (magic byte 0, a 4-byte big-endian schema id) with an id registered under the topic's
 * subject (per the subject name strategy), followed by a payload that is exactly one value of that
 * schema (validator.ts). Null keys/values (tombstones) pass. The first bad record rejects the
 * whole batch with INVALID_RECORD, its index and the reason.
 *
 * Cost: topics without validation never reach this file (TopicSettings.schemaValidation is null).
 * For validated ones the record framing is walked with a bounds-checked varint reader, allocating
 * nothing per record; schema lookups and the subject check happen once per schema id per batch;
 * compiled schemas are cached per id until the registry changes.
 */
import { ErrorCode } from '../../protocol/errors.js';
import { BATCH_HEADER_SIZE, CompressionType, batch } from '../../protocol/records/batch.js';
import { recordsBlock } from '../../protocol/records/records.js';
import { DEFAULT_SUBJECT_NAME_STRATEGY, SUBJECT_NAME_STRATEGIES, parseSubjectNameStrategy, topicSchemaPolicy, type SubjectNameStrategy, type TopicSchemaPolicy } from '../metadata/topic-schema-policy.js';
import type { CompiledSchema, SchemaRegistry } from './registry.js';
import { checkPayload, lastVarint, readVarint } from './validator.js';

export { SUBJECT_NAME_STRATEGIES, DEFAULT_SUBJECT_NAME_STRATEGY, parseSubjectNameStrategy, topicSchemaPolicy, type SubjectNameStrategy, type TopicSchemaPolicy };

export interface RecordRejection {
  /** INVALID_RECORD, or CORRUPT_MESSAGE when the batch itself cannot be read. */
  code: number;
  /** Index of the offending record in the batch, -1 when the batch as a whole is unreadable. */
  index: number;
  message: string;
}

const MIN_RECORD_SIZE = 7;

export class ProduceValidator {
  private generation = -1;
  private readonly compiled = new Map<number, CompiledSchema | null | undefined>();
  private lastSchema: CompiledSchema | null = null;

  constructor(private readonly registry: SchemaRegistry) {}

  /**
   * Checks every record of a produced batch (header and CRC already validated). Synchronous for
   * uncompressed batches; a promise when the batch must be decompressed first.
   */
  check(b: Buffer, policy: TopicSchemaPolicy): RecordRejection | null | Promise<RecordRejection | null> {
    const count = batch.recordCount(b);
    if (batch.compression(b) === CompressionType.None) return this.checkBlock(b.subarray(BATCH_HEADER_SIZE, batch.totalSize(b)), count, policy);
    return recordsBlock(b, { verifyCrc: false }).then((block) =>
      block.error !== null ? { code: ErrorCode.CORRUPT_MESSAGE, index: -1, message: `Record batch cannot be decompressed: ${block.error}` } : this.checkBlock(block.value, count, policy),
    );
  }

  /** Walks `count` records of an uncompressed records block. */
  checkBlock(block: Buffer, count: number, policy: TopicSchemaPolicy): RecordRejection | null {
    if (this.generation !== this.registry.store.generation) {
      this.compiled.clear();
      this.lastSchema = null;
      this.generation = this.registry.store.generation;
    }
    // The last id that passed the lookup and subject check, per field, within this batch.
    let okKeyId = -1;
    let okValueId = -1;
    const end = block.length;
    let pos = 0;
    let i = 0;
    try {
      for (; i < count; i++) {
        let p = readVarint(block, pos, end, 5);
        const length = lastVarint();
        if (p < 0 || length < MIN_RECORD_SIZE - 1 || length > end - p) return corrupt(i, 'record length out of bounds');
        const recordEnd = p + length;
        p += 1; // attributes
        p = readVarint(block, p, recordEnd, 10); // timestampDelta
        if (p >= 0) p = readVarint(block, p, recordEnd, 5); // offsetDelta
        if (p >= 0) p = readVarint(block, p, recordEnd, 5);
        const keyLength = lastVarint();
        if (p < 0 || keyLength < -1 || keyLength > recordEnd - p) return corrupt(i, 'key length out of bounds');
        const keyStart = p;
        if (keyLength > 0) p += keyLength;
        p = readVarint(block, p, recordEnd, 5);
        const valueLength = lastVarint();
        if (p < 0 || valueLength < -1 || valueLength > recordEnd - p) return corrupt(i, 'value length out of bounds');
        if (policy.key !== null && keyLength >= 0) {
          const r = this.checkField(block, keyStart, keyStart + keyLength, policy, 'key', okKeyId);
          if (typeof r === 'string') return invalid(i, `key ${r}`);
          okKeyId = r;
        }
        if (policy.value !== null && valueLength >= 0) {
          const r = this.checkField(block, p, p + valueLength, policy, 'value', okValueId);
          if (typeof r === 'string') return invalid(i, `value ${r}`);
          okValueId = r;
        }
        pos = recordEnd;
      }
    } catch (e) {
      // Only pathological input gets here (a stack overflow on deeply nested recursive data).
      return invalid(i, `payload cannot be decoded: ${(e as Error).message}`);
    }
    if (pos !== end) return corrupt(-1, `${end - pos} bytes after the last record`);
    return null;
  }

  /** The schema id when the field passes, or why it does not. */
  private checkField(buf: Buffer, start: number, end: number, policy: TopicSchemaPolicy, field: 'key' | 'value', okId: number): number | string {
    if (end - start < 5) return `has ${end - start} bytes: too short for the schema registry wire format (magic byte 0 and a 4-byte schema id)`;
    if (buf[start] !== 0) return `has unknown magic byte ${buf[start]} (expected 0, the schema registry wire format)`;
    const id = buf.readInt32BE(start + 1);
    // Records of a batch almost always share one id: after the first, no lookups at all.
    if (id === okId && this.lastSchema !== null && this.lastSchema.id === id) {
      const why = checkPayload(this.lastSchema.skip, buf, start + 5, end);
      return why === null ? id : `payload ${why} (schema id ${id})`;
    }
    let schema = this.compiled.get(id);
    if (schema === undefined) {
      schema = this.registry.compiledSchema(id);
      this.compiled.set(id, schema);
    }
    if (schema === undefined) return `has unknown schema id ${id}`;
    if (schema === null) return `has schema id ${id}, which cannot be used for validation`;
    this.lastSchema = schema;
    if (id !== okId) {
      const strategy = field === 'key' ? policy.key! : policy.value!;
      let subject: string;
      if (strategy === 'TopicNameStrategy') {
        subject = `${policy.topic}-${field}`;
      } else {
        if (schema.fullName === null) return `has schema id ${id}, which is not a named type as ${strategy} requires`;
        subject = strategy === 'RecordNameStrategy' ? schema.fullName : `${policy.topic}-${schema.fullName}`;
      }
      if (!this.registry.store.liveIds(subject).has(id)) return `has schema id ${id}, which is not registered under subject ${subject}`;
    }
    const why = checkPayload(schema.skip, buf, start + 5, end);
    return why === null ? id : `payload ${why} (schema id ${id})`;
  }
}

function invalid(index: number, message: string): RecordRejection {
  return { code: ErrorCode.INVALID_RECORD, index, message: `Record ${index} ${message}` };
}

function corrupt(index: number, message: string): RecordRejection {
  return { code: ErrorCode.CORRUPT_MESSAGE, index, message: index >= 0 ? `Record ${index}: ${message}` : message };
}
