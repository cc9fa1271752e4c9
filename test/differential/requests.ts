/**
 * Raw protocol requests the differential scenarios send to both brokers (our codecs, so exact
 * versions and exact error codes), and the consumer-protocol byte formats groups carry.
 */
import { newCreateTopicsRequestConfig, newCreateTopicsRequestTopic } from '../../protocol/generated/19-create-topics.js';
import { newProduceRequestPartition, newProduceRequestTopic } from '../../protocol/generated/00-produce.js';
import { newFetchRequestPartition, newFetchRequestTopic } from '../../protocol/generated/01-fetch.js';
import { newListOffsetsRequestPartition, newListOffsetsRequestTopic } from '../../protocol/generated/02-list-offsets.js';
import { newMetadataRequestTopic } from '../../protocol/generated/03-metadata.js';
import { newOffsetForLeaderEpochRequestPartition, newOffsetForLeaderEpochRequestTopic } from '../../protocol/generated/23-offset-for-leader-epoch.js';
import { errorName } from '../../protocol/errors.js';
import { buildBatch, buildBatchSync, type BatchOptions, type RecordInput } from '../../protocol/records/builder.js';
import { RawClient } from '../helpers/raw-client.js';

export { buildBatchSync, type RecordInput, type BatchOptions };

export async function req<T = any>(c: RawClient, apiKey: number, version: number, body: Record<string, unknown>): Promise<T> {
  const r = await c.request<T>(apiKey, version, body);
  if (r === null) throw new Error(`connection closed on api ${apiKey} v${version}`);
  return r;
}

/** One request on its own connection: the response, or 'connection closed'. */
export async function probe<T = any>(host: string, port: number, apiKey: number, version: number, body: Record<string, unknown>): Promise<T | 'connection closed'> {
  const c = await RawClient.connect(host, port);
  try {
    return (await c.request<T>(apiKey, version, body)) ?? 'connection closed';
  } finally {
    c.close();
  }
}

export interface TopicSpec {
  name: string;
  partitions?: number;
  replicationFactor?: number;
  configs?: Record<string, string | null>;
}

export function createTopics(c: RawClient, topics: TopicSpec[], opts: { version?: number; validateOnly?: boolean } = {}): Promise<any> {
  return req(c, 19, opts.version ?? 7, {
    timeoutMs: 30_000,
    validateOnly: opts.validateOnly ?? false,
    topics: topics.map((t) =>
      newCreateTopicsRequestTopic({
        name: t.name,
        numPartitions: t.partitions ?? 1,
        replicationFactor: t.replicationFactor ?? 1,
        configs: Object.entries(t.configs ?? {}).map(([name, value]) => newCreateTopicsRequestConfig({ name, value })),
      }),
    ),
  });
}

export function metadata(c: RawClient, topics: string[] | null, opts: { version?: number; allowAutoTopicCreation?: boolean } = {}): Promise<any> {
  return req(c, 3, opts.version ?? 12, {
    topics: topics === null ? null : topics.map((name) => newMetadataRequestTopic({ name })),
    allowAutoTopicCreation: opts.allowAutoTopicCreation ?? false,
    includeClusterAuthorizedOperations: false,
    includeTopicAuthorizedOperations: false,
  });
}

/**
 * Waits until every partition of the topics has a leader (Kafka's metadata reaches the broker a
 * moment after CreateTopics answers; Runnel's at once).
 */
export async function waitTopics(c: RawClient, topics: string[], timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const m = await metadata(c, topics);
    const ready = m.topics.every((t: any) => t.errorCode === 0 && t.partitions.length > 0 && t.partitions.every((p: any) => p.errorCode === 0 && p.leaderId >= 0));
    if (ready) {
      // Kafka's metadata cache can name a leader a moment before that broker acts as one: ask
      // each partition for its end offset until none answers NOT_LEADER_OR_FOLLOWER.
      let leading = true;
      for (const t of m.topics) {
        const r = await listOffsets(c, t.name, t.partitions.map((p: any) => ({ partition: p.partitionIndex, timestamp: -1 })));
        if (r.topics[0].partitions.some((p: any) => p.errorCode !== 0)) leading = false;
      }
      if (leading) return;
    }
    if (Date.now() > deadline) throw new Error(`topics not ready: ${JSON.stringify(m.topics)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export async function createTopicsReady(c: RawClient, topics: TopicSpec[]): Promise<void> {
  const r = await createTopics(c, topics);
  for (const t of r.topics) if (t.errorCode !== 0) throw new Error(`CreateTopics ${t.name}: ${t.errorCode} ${t.errorMessage}`);
  await waitTopics(c, topics.map((t) => t.name));
}

export function produce(c: RawClient, topic: string, partition: number, records: Buffer | null, opts: { acks?: number; version?: number } = {}): Promise<any> {
  return req(c, 0, opts.version ?? 9, {
    transactionalId: null,
    acks: opts.acks ?? -1,
    timeoutMs: 10_000,
    topicData: [newProduceRequestTopic({ name: topic, partitionData: [newProduceRequestPartition({ index: partition, records })] })],
  });
}

/** The one partition result of a single-partition Produce. */
export async function produceOne(c: RawClient, topic: string, partition: number, records: Buffer | null, opts: { acks?: number; version?: number } = {}): Promise<any> {
  return (await produce(c, topic, partition, records, opts)).responses[0].partitionResponses[0];
}

export function fetch(c: RawClient, parts: Array<{ topic: string; partition: number; offset: number }>, opts: { version?: number; maxBytes?: number } = {}): Promise<any> {
  const byTopic = new Map<string, Array<{ partition: number; offset: number }>>();
  for (const p of parts) byTopic.set(p.topic, [...(byTopic.get(p.topic) ?? []), p]);
  return req(c, 1, opts.version ?? 12, {
    replicaId: -1,
    maxWaitMs: 0,
    minBytes: 0,
    maxBytes: opts.maxBytes ?? 1 << 20,
    isolationLevel: 0,
    sessionId: 0,
    sessionEpoch: -1,
    topics: [...byTopic].map(([topic, ps]) =>
      newFetchRequestTopic({ topic, partitions: ps.map((p) => newFetchRequestPartition({ partition: p.partition, fetchOffset: p.offset, partitionMaxBytes: 1 << 20 })) }),
    ),
    forgottenTopicsData: [],
    rackId: '',
  });
}

export function listOffsets(c: RawClient, topic: string, queries: Array<{ partition: number; timestamp: number }>, version = 7, isolationLevel = 0): Promise<any> {
  return req(c, 2, version, {
    replicaId: -1,
    isolationLevel,
    topics: [newListOffsetsRequestTopic({ name: topic, partitions: queries.map((q) => newListOffsetsRequestPartition({ partitionIndex: q.partition, timestamp: q.timestamp, maxNumOffsets: 1 })) })],
  });
}

/** One OffsetForLeaderEpoch question: the epoch asked about, and the current leader epoch the client believes in (-1: none). */
export interface EpochQuery {
  partition: number;
  leaderEpoch: number;
  currentLeaderEpoch?: number;
}

/** OffsetForLeaderEpoch (API 23) as a consumer asks it (replica id -1; Kafka 4 serves v2-4). */
export function offsetForLeaderEpoch(c: RawClient, topic: string, queries: EpochQuery[], version = 4): Promise<any> {
  return req(c, 23, version, {
    replicaId: -1,
    topics: [newOffsetForLeaderEpochRequestTopic({ topic, partitions: queries.map((q) => newOffsetForLeaderEpochRequestPartition({ partition: q.partition, leaderEpoch: q.leaderEpoch, currentLeaderEpoch: q.currentLeaderEpoch ?? -1 })) })],
  });
}

/**
 * An OffsetForLeaderEpoch response as a user reads it: per answered partition, in order,
 * `<error> <epoch> <end offset>` (the replica layer's unit test compares against the same form).
 */
export function epochAnswers(r: { topics: Array<{ partitions: Array<{ errorCode: number; leaderEpoch: number; endOffset: number | bigint }> }> }): string[] {
  return r.topics.flatMap((t) => t.partitions.map((p) => `${errorName(p.errorCode)} ${p.leaderEpoch} ${Number(p.endOffset)}`));
}

/** Records with explicit timestamps (key k<i>, value v<i>). */
export function batch(count: number, opts: BatchOptions & { timestamp?: number; key?: (i: number) => string | null; valueSize?: number } = {}): Promise<Buffer> {
  const records: RecordInput[] = Array.from({ length: count }, (_, i) => ({
    key: opts.key ? opts.key(i) : `k${i}`,
    value: opts.valueSize ? Buffer.alloc(opts.valueSize, 120) : `v${i}`,
    timestamp: opts.timestamp ?? 1_700_000_000_000 + i,
  }));
  return buildBatch(records, opts);
}

// The consumer protocol (ConsumerProtocolSubscription / ConsumerProtocolAssignment, version 0).

export function subscription(topics: string[]): Buffer {
  const parts: Buffer[] = [int16(0), int32(topics.length), ...topics.map(str), int32(-1)];
  return Buffer.concat(parts);
}

export function assignment(parts: Record<string, number[]>): Buffer {
  const entries = Object.entries(parts);
  return Buffer.concat([int16(0), int32(entries.length), ...entries.flatMap(([t, ps]) => [str(t), int32(ps.length), ...ps.map(int32)]), int32(-1)]);
}

/** Decodes a ConsumerProtocolAssignment into { topic: partitions }. */
export function decodeAssignment(b: Buffer): Record<string, number[]> {
  if (b.length === 0) return {};
  let at = 2;
  const n = b.readInt32BE(at);
  at += 4;
  const out: Record<string, number[]> = {};
  for (let i = 0; i < n; i++) {
    const len = b.readInt16BE(at);
    const t = b.toString('utf8', at + 2, at + 2 + len);
    at += 2 + len;
    const m = b.readInt32BE(at);
    at += 4;
    out[t] = Array.from({ length: m }, (_, j) => b.readInt32BE(at + 4 * j));
    at += 4 * m;
  }
  return out;
}

function int16(n: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeInt16BE(n);
  return b;
}

function int32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeInt32BE(n);
  return b;
}

function str(s: string): Buffer {
  const v = Buffer.from(s);
  return Buffer.concat([int16(v.length), v]);
}

/** A request frame with any api key/version and a raw body (for versions our codecs do not have). */
export function rawFrame(apiKey: number, apiVersion: number, correlationId: number, body: Buffer = Buffer.from([0]), clientId = 'diff'): Buffer {
  const cid = Buffer.from(clientId);
  const head = Buffer.alloc(4 + 2 + 2 + 4 + 2);
  head.writeInt32BE(2 + 2 + 4 + 2 + cid.length + body.length, 0);
  head.writeInt16BE(apiKey, 4);
  head.writeInt16BE(apiVersion, 6);
  head.writeInt32BE(correlationId, 8);
  head.writeInt16BE(cid.length, 12);
  return Buffer.concat([head, cid, body]);
}
