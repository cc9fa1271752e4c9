/**
 * Shared by the state-file crash tests (state-files-crash-points, -crash-images and -kill): the
 * broker's state files, a strict check that each one on disk is whole (its full format, not a
 * prefix that happens to parse), raw-socket helpers for the requests that rewrite them, and a
 * baseline data dir with every state file plus the view of it a client gets (observe).
 *
 * State files (all written with storage/fs.ts writeFileAtomic: `<name>.tmp`, fsync, rename, fsync
 * the directory), in the data dir: meta.properties, runnel-metadata.json, producer-id-block,
 * transactional-partitions.json, the three offset checkpoints and the empty clean-shutdown marker;
 * in each partition directory: leader-epoch-checkpoint and `<offset>.snapshot` producer state.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { newAddPartitionsToTxnRequestTopic } from '../../protocol/generated/index.js';
import { decodeCheckpoint } from '../../storage/checkpoints.js';
import { decodeLeaderEpochCheckpoint } from '../../storage/leader-epoch-checkpoint.js';
import { LEADER_EPOCH_SUMMARY } from '../../storage/file-names.js';
import { decodeLeaderEpochSummary } from '../../storage/leader-epoch-summary.js';
import { buildBatchSync, epochAnswers, fetch, metadata, offsetForLeaderEpoch, produceOne, req } from '../differential/requests.js';
import { decodeBatch } from '../unit/storage/helpers.js';
import type { RawClient } from '../helpers/raw-client.js';
import { BROKER_RESOURCE, createTopics, deleteRecords, setConfigs } from '../helpers/topic-admin.js';

export const CHECKPOINTS = ['recovery-point-offset-checkpoint', 'log-start-offset-checkpoint', 'cleaner-offset-checkpoint'];
export const CLEAN_MARKER = '.kafka_cleanshutdown';

const SNAPSHOT = /^\d{20}\.snapshot$/;

/** Throws unless `text` is a whole copy of the state file `name` (as the broker writes it). */
export function checkWhole(name: string, text: string): void {
  if (name === 'meta.properties') {
    if (!/^cluster\.id=\S+$/m.test(text) || !/^node\.id=\d+$/m.test(text) || !text.endsWith('version=1\n')) throw new Error('not a whole meta.properties');
  } else if (name === 'runnel-metadata.json') {
    const m = JSON.parse(text) as { version: number; topics: unknown[] };
    if (m.version !== 1 || !Array.isArray(m.topics)) throw new Error('not a whole runnel-metadata.json');
  } else if (name === 'producer-id-block') {
    if (!/^nextBlockStart=\d+\n$/.test(text)) throw new Error('not a whole producer-id-block');
  } else if (name === 'transactional-partitions.json') {
    const t = JSON.parse(text) as Record<string, unknown>;
    if (typeof t !== 'object' || t === null || Object.values(t).some((v) => !Array.isArray(v))) throw new Error('not a whole transactional-partitions.json');
  } else if (CHECKPOINTS.includes(name)) {
    decodeCheckpoint(text);
  } else if (name === 'leader-epoch-checkpoint') {
    decodeLeaderEpochCheckpoint(text);
  } else if (name === LEADER_EPOCH_SUMMARY) {
    decodeLeaderEpochSummary(text);
  } else if (SNAPSHOT.test(name)) {
    const s = JSON.parse(text) as { version: number; producers: unknown[] };
    if (s.version !== 2 || !Array.isArray(s.producers)) throw new Error('not a whole snapshot');
  } else if (name === CLEAN_MARKER) {
    if (text !== '') throw new Error('clean-shutdown marker not empty');
  }
}

/** Every state file under `dataDir` that is not whole, as "path: reason" (empty when all are). */
export function tornStateFiles(dataDir: string): string[] {
  const problems: string[] = [];
  const check = (dir: string, name: string) => {
    try {
      checkWhole(name, readFileSync(join(dir, name), 'utf8'));
    } catch (e) {
      problems.push(`${join(dir, name)}: ${(e as Error).message}`);
    }
  };
  for (const name of readdirSync(dataDir)) {
    const path = join(dataDir, name);
    if (!statSync(path).isDirectory()) {
      if (!name.endsWith('.tmp') && name !== '.lock') check(dataDir, name);
      continue;
    }
    for (const inner of readdirSync(path)) if (inner === 'leader-epoch-checkpoint' || SNAPSHOT.test(inner)) check(path, inner);
  }
  return problems;
}

/** InitProducerId v1: the producer id and epoch (throws on an error code). */
export async function initProducerId(c: RawClient, transactionalId: string | null = null): Promise<{ producerId: number; producerEpoch: number }> {
  const r = await req(c, 22, 1, { transactionalId, transactionTimeoutMs: 60_000, producerId: -1, producerEpoch: -1 });
  if (r.errorCode !== 0) throw new Error(`InitProducerId: error ${r.errorCode}`);
  return { producerId: Number(r.producerId), producerEpoch: r.producerEpoch };
}

/** AddPartitionsToTxn v1 of one partition: its error code. */
export async function addPartitionToTxn(c: RawClient, transactionalId: string, p: { producerId: number; producerEpoch: number }, topic: string, partition: number): Promise<number> {
  const r = await req(c, 24, 1, { transactionalId, ...p, topics: [newAddPartitionsToTxnRequestTopic({ name: topic, partitions: [partition] })] });
  return r.resultsByTopicV3AndBelow[0].resultsByPartition[0].partitionErrorCode;
}

/** An idempotent batch of `count` records from sequence `seq`. */
export function idempotentBatch(p: { producerId: number; producerEpoch: number }, seq: number, count: number, tag: string): Buffer {
  const records = Array.from({ length: count }, (_, i) => ({ key: `k${seq + i}`, value: `${tag}-${seq + i}`, timestamp: Date.now() }));
  return buildBatchSync(records, { producerId: p.producerId, producerEpoch: p.producerEpoch, baseSequence: seq });
}

/** Produce v9 acks=-1 of one batch to one partition: { errorCode, baseOffset }. */
export async function produceBatch(c: RawClient, topic: string, partition: number, batch: Buffer): Promise<{ errorCode: number; baseOffset: number }> {
  const r = await produceOne(c, topic, partition, batch, { acks: -1 });
  return { errorCode: r.errorCode, baseOffset: Number(r.baseOffset) };
}

/** DescribeProducers v0 of one partition: "<producer id>/<epoch>/<last sequence>" per active producer. */
export async function describeProducers(c: RawClient, topic: string, partition: number): Promise<string[]> {
  const r = await req(c, 61, 0, { topics: [{ name: topic, partitionIndexes: [partition] }] });
  const p = r.topics[0].partitions[0];
  if (p.errorCode !== 0) throw new Error(`DescribeProducers ${topic}-${partition}: error ${p.errorCode}`);
  return p.activeProducers.map((s: { producerId: bigint | number; producerEpoch: number; lastSequence: number }) => `${Number(s.producerId)}/${s.producerEpoch}/${s.lastSequence}`).sort();
}

/** ListOffsets v7 of partitions 0..n-1: [earliest, latest] each. */
export async function offsetRange(c: RawClient, topic: string, partitions: number): Promise<Array<[number, number]>> {
  const ask = async (timestamp: number) => {
    const r = await req(c, 2, 7, { replicaId: -1, isolationLevel: 0, topics: [{ name: topic, partitions: Array.from({ length: partitions }, (_, p) => ({ partitionIndex: p, currentLeaderEpoch: -1, timestamp, maxNumOffsets: 1 })) }] });
    return r.topics[0].partitions.map((p: { errorCode: number; offset: bigint | number }) => (p.errorCode === 0 ? Number(p.offset) : -1 - p.errorCode));
  };
  const [first, last] = [await ask(-2), await ask(-1)];
  return first.map((f: number, i: number) => [f, last[i]]);
}

/** Fetch v12 of one partition from `offset` to its end: value by offset. */
export async function fetchValues(c: RawClient, topic: string, partition: number, offset: number): Promise<Map<number, string>> {
  const out = new Map<number, string>();
  for (let next = offset; ; ) {
    const p = (await fetch(c, [{ topic, partition, offset: next }])).responses[0].partitions[0];
    if (p.errorCode !== 0) throw new Error(`Fetch ${topic}-${partition}@${next}: error ${p.errorCode}`);
    const bytes: Buffer = p.records ?? Buffer.alloc(0);
    const from = next;
    for (let at = 0; at + 12 <= bytes.length; ) {
      const size = 12 + bytes.readInt32BE(at + 8);
      if (at + size > bytes.length) break;
      for (const rec of decodeBatch(bytes.subarray(at, at + size))) if (rec.offset >= from) out.set(rec.offset, rec.value!);
      next = Number(bytes.readBigInt64BE(at)) + bytes.readInt32BE(at + 23) + 1;
      at += size;
    }
    if (next === from) return out;
  }
}

// ---------------------------------------------------------------------------------------------
// A data dir holding every state file, with content that shows in answers.

export const DATA = 'cp-data';
export const TXN = 'cp-txn';

/**
 * Topics with config overrides, a dynamic broker config, an idempotent producer's five records in
 * cp-data-0, ten plain records in cp-data-1 of which DeleteRecords removed four, an aborted
 * transaction over cp-txn-0 (producer-id-block, transactional-partitions.json). A clean stop
 * then adds a producer snapshot, the checkpoints and the marker.
 */
export async function makeBaseline(c: RawClient): Promise<void> {
  const created = await createTopics(c, [{ name: DATA, numPartitions: 2, configs: { 'retention.ms': '111111' } }, { name: TXN, numPartitions: 1 }]);
  expect(created.map((t) => t.errorCode)).toEqual([0, 0]);
  expect((await setConfigs(c, BROKER_RESOURCE, '1', { 'log.retention.bytes': '123456789' })).errorCode).toBe(0);
  const pid = await initProducerId(c);
  expect(pid.producerId).toBe(0);
  expect(await produceBatch(c, DATA, 0, idempotentBatch(pid, 0, 3, 'a'))).toEqual({ errorCode: 0, baseOffset: 0 });
  expect(await produceBatch(c, DATA, 0, idempotentBatch(pid, 3, 2, 'a'))).toEqual({ errorCode: 0, baseOffset: 3 });
  const plain = buildBatchSync(Array.from({ length: 10 }, (_, i) => ({ key: null, value: `b-${i}`, timestamp: Date.now() })));
  expect(await produceBatch(c, DATA, 1, plain)).toEqual({ errorCode: 0, baseOffset: 0 });
  expect(await deleteRecords(c, DATA, 1, 4)).toMatchObject({ errorCode: 0, lowWatermark: 4 });
  const tx = await initProducerId(c, 'cp-tx');
  expect(await addPartitionToTxn(c, 'cp-tx', tx, TXN, 0)).toBe(0);
  expect((await req(c, 26, 1, { transactionalId: 'cp-tx', ...tx, committed: false })).errorCode).toBe(0);
}

export type Observed = Awaited<ReturnType<typeof observe>>;

/** Everything the state files decide, as clients see it (over `c`). */
export async function observe(c: RawClient) {
  const m = await metadata(c, null);
  const topics: string[] = [];
  for (const t of m.topics.filter((x: { isInternal: boolean }) => !x.isInternal)) {
    const d = await req(c, 32, 4, { resources: [{ resourceType: 2, resourceName: t.name, configurationKeys: null }], includeSynonyms: false, includeDocumentation: false });
    const overrides = d.results[0].configs.filter((x: { configSource: number }) => x.configSource === 1).map((x: { name: string; value: string }) => `${x.name}=${x.value}`);
    topics.push(`${t.name}/${t.partitions.length} ${overrides.sort().join(',')}`);
  }
  const brokerCfg = await req(c, 32, 4, { resources: [{ resourceType: BROKER_RESOURCE, resourceName: '1', configurationKeys: ['log.retention.bytes'] }], includeSynonyms: false, includeDocumentation: false });
  const ranges = await offsetRange(c, DATA, 2);
  const values = [];
  for (let p = 0; p < 2; p++) values.push([...(await fetchValues(c, DATA, p, ranges[p]![0]))].map(([o, v]) => `${o}:${v}`).join(' '));
  return {
    clusterId: m.clusterId as string,
    topics: topics.sort(),
    brokerRetentionBytes: brokerCfg.results[0].configs[0].value as string,
    producers: await describeProducers(c, DATA, 0),
    ranges,
    values,
    epochs: epochAnswers(await offsetForLeaderEpoch(c, DATA, [0, 1].map((partition) => ({ partition, leaderEpoch: 0 })))),
  };
}
