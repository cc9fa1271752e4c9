/**
 * Shared pieces of the produce pipeline unit tests: Produce requests, keyed (optionally
 * compressed) batches, the response read as one row per partition, and topic setups on the handler
 * fakes (test/unit/handlers/fakes.ts) — compacted, schema-validated, recompressing.
 */
import { newProduceRequest, newProduceRequestPartition, newProduceRequestTopic, type ProduceRequest, type ProduceResponse } from '../../../protocol/generated/index.js';
import { CompressionType } from '../../../protocol/records/batch.js';
import { buildBatch, type BatchOptions } from '../../../protocol/records/builder.js';
import type { TopicSettings } from '../../../src/metadata/port.js';
import type { RecordRejection, SchemaValidationPort, TopicSchemaPolicy } from '../../../src/schema/port.js';
import { DEFAULT_TOPIC_SETTINGS, type FakeBroker } from '../handlers/fakes.js';

export const PRODUCE = 0;

export function produceRequest(topics: Record<string, Array<[number, Buffer | null]>>, opts: { acks?: number; timeoutMs?: number; transactionalId?: string | null } = {}): ProduceRequest {
  return newProduceRequest({
    acks: opts.acks ?? -1,
    timeoutMs: opts.timeoutMs ?? 5000,
    transactionalId: opts.transactionalId ?? null,
    topicData: Object.entries(topics).map(([name, parts]) => newProduceRequestTopic({ name, partitionData: parts.map(([index, r]) => newProduceRequestPartition({ index, records: r })) })),
  });
}

export interface PartitionAnswer {
  errorCode: number;
  baseOffset: number;
  logStartOffset: number;
  errorMessage: string | null;
  recordErrors: number[];
}

/** The response's partitions as "topic-partition" → answer (record_errors as their indexes). */
export function answers(res: ProduceResponse): Record<string, PartitionAnswer> {
  const out: Record<string, PartitionAnswer> = {};
  for (const t of res.responses) {
    for (const p of t.partitionResponses) {
      out[`${t.name}-${p.index}`] = { errorCode: p.errorCode, baseOffset: p.baseOffset, logStartOffset: p.logStartOffset, errorMessage: p.errorMessage, recordErrors: p.recordErrors.map((e) => e.batchIndex) };
    }
  }
  return out;
}

/** A batch of `values` keyed k0, k1, ... (a null key where `keys[i]` is null). */
export function keyedBatch(values: string[], options: BatchOptions & { keys?: Array<string | null> } = {}): Promise<Buffer> {
  const t = 1_700_000_000_000;
  return buildBatch(
    values.map((v, i) => {
      const key = options.keys ? options.keys[i] : `k${i}`;
      return { key: key === null || key === undefined ? null : Buffer.from(key), value: Buffer.from(v), timestamp: t + i };
    }),
    options,
  );
}

export const LZ4 = { compression: CompressionType.Lz4 };

/** A schema policy for the value (the recording port below ignores its content). */
export const VALUE_POLICY: TopicSchemaPolicy = { topic: 't', key: null, value: 'TopicNameStrategy' };

/** A schema validation port that records each block it was given and answers `answer`. */
export function recordingSchemas(answer: RecordRejection | null = null): SchemaValidationPort & { blocks: Buffer[] } {
  const blocks: Buffer[] = [];
  return {
    blocks,
    checkBlock(block) {
      blocks.push(Buffer.from(block));
      return answer;
    },
  };
}

/** Topic `name` (one partition) with these settings; `compacted` makes cleanup.policy=compact. */
export function topicWith(b: FakeBroker, name: string, settings: Partial<TopicSettings>, compacted = false): void {
  b.topics.add(name, 1);
  b.topics.settingsOf.set(name, { ...DEFAULT_TOPIC_SETTINGS, ...settings });
  if (compacted) b.partitions.log(name, 0).config = { messageTimestampType: 'CreateTime', cleanupPolicy: { delete: false, compact: true } };
}
