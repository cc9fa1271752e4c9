/**
 * Client drivers for the data-path tests (test/compat/data-*.test.ts, test/crash/broker-*.test.ts)
 * and benchmarks (bench/data-path/*.ts): produce generated records with kafkajs, kcat,
 * confluent-kafka-python and kafka-python, read them back into one record shape, and check a dump
 * against what was produced.
 *
 * Record i of a run (the same in test/compat/py/dp_clients.py):
 *   key     k<i % keyMod>             (null when keyMod is 0)
 *   value   <prefix>-<i>, padded with 'x' to valueSize
 *   headers i=<i>, src=<prefix>       (kcat: only the static src=<prefix>; its -H is per run)
 *   timestamp tsBase + i              (kcat cannot set one: the producer's clock)
 *
 * kafkajs has no consumer without a consumer group, so `kafkajsFetch` drives kafkajs's own
 * Cluster/Broker classes (fetch requests, kafkajs's batch decoder and codecs), as its consumer does
 * under the hood. kafkajs ships gzip only; `registerKafkajsCodecs` plugs in snappy, lz4 and zstd.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createServer } from 'node:net';
import kafkajsPkg, { type Kafka as KafkaType, type Producer } from 'kafkajs';
import { compressSync as snappyCompress } from 'snappy';
import { CompressionType } from '../../protocol/records/batch.js';
import { compress, decompress } from '../../protocol/records/compression.js';
import { partitionForKey } from '../../src/client/partitioner.js';
import { kcat, python, run } from '../../test/helpers/clients.js';
import { RawClient } from '../../test/helpers/raw-client.js';
import {
  newFetchRequest,
  newFetchRequestPartition,
  newFetchRequestTopic,
  newProduceRequestPartition,
  newProduceRequestTopic,
  type FetchResponse,
} from '../../protocol/generated/index.js';

// kafkajs is CommonJS; Node's named-export detection misses some of its exports.
const { Kafka, logLevel, CompressionTypes, CompressionCodecs, Partitioners } = kafkajsPkg;
type Kafka = KafkaType;
type CompressionTypes = (typeof CompressionTypes)[keyof typeof CompressionTypes];

export type ClientName = 'kafkajs' | 'kcat' | 'ck' | 'kp';
export const CLIENTS: readonly ClientName[] = ['kafkajs', 'kcat', 'ck', 'kp'];
export type Codec = 'none' | 'gzip' | 'snappy' | 'lz4' | 'zstd';
export const CODEC_IDS: Record<Codec, number> = { none: 0, gzip: 1, snappy: 2, lz4: 3, zstd: 4 };

export interface GenOptions {
  count: number;
  keyMod?: number;
  prefix: string;
  valueSize?: number;
  /** Per-record headers (default true). */
  headers?: boolean;
  tsBase?: number;
}

export interface GenRecord {
  key: string | null;
  value: string;
  headers: Record<string, string> | null;
  timestamp: number | null;
}

export function gen(i: number, o: GenOptions): GenRecord {
  const key = !o.keyMod ? null : `k${i % o.keyMod}`;
  let value = `${o.prefix}-${i}`;
  if (o.valueSize && value.length < o.valueSize) value += 'x'.repeat(o.valueSize - value.length);
  const headers = o.headers === false ? null : { i: String(i), src: o.prefix };
  return { key, value, headers, timestamp: o.tsBase === undefined ? null : o.tsBase + i };
}

/** One consumed record, whatever client read it. */
export interface DumpRecord {
  topic: string;
  partition: number;
  offset: number;
  timestamp: number;
  /** 0 CreateTime, 1 LogAppendTime, -1 unknown (kcat does not print it). */
  tsType: number;
  key: string | null;
  value: string | null;
  headers: Record<string, string>;
}

// ---------------------------------------------------------------------------------------------
// kafkajs

let codecsRegistered = false;

/**
 * kafkajs codec plugins for snappy (raw, as librdkafka writes it), lz4 (frame) and zstd, built on
 * the same native libraries the broker uses; decompression accepts every framing real clients
 * write (xerial snappy included).
 */
export function registerKafkajsCodecs(): void {
  if (codecsRegistered) return;
  codecsRegistered = true;
  const plugin = (type: CompressionType, enc: (b: Buffer) => Promise<Buffer>) => () => ({
    compress: async (encoder: { buffer: Buffer }) => enc(encoder.buffer),
    decompress: async (buffer: Buffer) => decompress(type, buffer),
  });
  const codecs = CompressionCodecs as unknown as Record<number, unknown>;
  codecs[CompressionTypes.Snappy] = plugin(CompressionType.Snappy, async (b) => snappyCompress(b));
  codecs[CompressionTypes.LZ4] = plugin(CompressionType.Lz4, (b) => compress(CompressionType.Lz4, b));
  codecs[CompressionTypes.ZSTD] = plugin(CompressionType.Zstd, (b) => compress(CompressionType.Zstd, b));
}

const KAFKAJS_CODEC: Record<Codec, CompressionTypes> = {
  none: CompressionTypes.None,
  gzip: CompressionTypes.GZIP,
  snappy: CompressionTypes.Snappy,
  lz4: CompressionTypes.LZ4,
  zstd: CompressionTypes.ZSTD,
};

export function kafkajs(bootstrap: string, clientId = 'dp-kafkajs'): Kafka {
  return new Kafka({ brokers: [bootstrap], clientId, logLevel: logLevel.NOTHING, retry: { retries: 3, initialRetryTime: 100 } });
}

export interface KafkajsProduceOptions extends GenOptions {
  compression?: Codec;
  acks?: number;
  idempotent?: boolean;
  /** Records per send() call (one request per call). Default 1000. */
  chunk?: number;
  /** send() calls in flight at once (default 1; idempotent producers keep 1). */
  concurrency?: number;
  partition?: number;
  producer?: Producer;
}

export interface ProduceResult {
  acked: number;
  errors: string[];
  elapsed: number;
  /** [partition, offset] of every acknowledged record, in send order (kafkajs only). */
  offsets?: Array<[number, number]>;
}

export async function kafkajsProduce(bootstrap: string, topic: string, o: KafkajsProduceOptions): Promise<ProduceResult> {
  registerKafkajsCodecs();
  const own = o.producer === undefined;
  const producer =
    o.producer ??
    kafkajs(bootstrap).producer({ createPartitioner: Partitioners.DefaultPartitioner, idempotent: o.idempotent ?? false, maxInFlightRequests: o.idempotent ? 1 : undefined, allowAutoTopicCreation: true });
  if (own) await producer.connect();
  const chunk = o.chunk ?? 1000;
  const errors: string[] = [];
  let acked = 0;
  const t0 = performance.now();
  const offsets: Array<[number, number]> = [];
  try {
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < o.count) {
        const from = next;
        const to = Math.min(o.count, from + chunk);
        next = to;
        const messages = [];
        for (let i = from; i < to; i++) {
          const r = gen(i, o);
          messages.push({ key: r.key, value: r.value, headers: r.headers ?? undefined, timestamp: r.timestamp === null ? undefined : String(r.timestamp), partition: o.partition });
        }
        try {
          const res = await producer.send({ topic, messages, acks: o.acks ?? -1, compression: KAFKAJS_CODEC[o.compression ?? 'none'] });
          acked += messages.length;
          if (o.acks !== 0) for (const m of res) offsets.push([m.partition, Number(m.baseOffset)]);
        } catch (e) {
          if (errors.length < 10) errors.push(`${(e as Error).name}: ${(e as Error).message}`);
        }
      }
    };
    await Promise.all(Array.from({ length: o.concurrency ?? 1 }, worker));
  } finally {
    if (own) await producer.disconnect();
  }
  return { acked, errors, elapsed: (performance.now() - t0) / 1000, offsets };
}

type KafkajsCluster = {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  addTargetTopic(topic: string): Promise<void>;
  findLeaderForPartitions(topic: string, partitions: number[]): Record<string, number[]>;
  findBroker(b: { nodeId: string }): Promise<KafkajsBroker>;
};
type KafkajsBroker = { fetch(req: object): Promise<any> };

/** kafkajs's internal Cluster (what its Consumer uses), through the Kafka instance's factory. */
export function kafkajsCluster(kafka: Kafka): KafkajsCluster {
  const sym = Object.getOwnPropertySymbols(kafka).find((s) => s.description === 'private:Kafka:createCluster');
  if (!sym) throw new Error('kafkajs internals changed: no createCluster symbol');
  return (kafka as any)[sym]({ allowAutoTopicCreation: false }) as KafkajsCluster;
}

export interface FetchOptions {
  /** Stop once this many records were read. */
  expect?: number;
  /** Stop after this long without new records (default 1500 ms). */
  idleMs?: number;
  timeoutMs?: number;
  maxWaitMs?: number;
  partitionMaxBytes?: number;
  /** Called per fetched record instead of collecting them (the result is then empty). */
  onRecord?: (r: DumpRecord) => void;
}

/**
 * Reads partitions from given offsets with kafkajs's Broker.fetch (kafkajs decodes the batches,
 * decompresses, and builds its message objects), until `expect` records or the partitions stay
 * idle. Records before the fetch offset inside a compressed batch are skipped, as kafkajs's
 * consumer does.
 */
export async function kafkajsFetch(bootstrap: string, topic: string, from: Map<number, number>, o: FetchOptions = {}): Promise<{ records: DumpRecord[]; count: number; positions: Map<number, number>; elapsed: number }> {
  registerKafkajsCodecs();
  const cluster = kafkajsCluster(kafkajs(bootstrap, 'dp-kafkajs-fetch'));
  await cluster.connect();
  const records: DumpRecord[] = [];
  const positions = new Map(from);
  let count = 0;
  let t0 = 0;
  try {
    await cluster.addTargetTopic(topic);
    const leaders = cluster.findLeaderForPartitions(topic, [...from.keys()]);
    const brokers = await Promise.all(Object.keys(leaders).map(async (nodeId) => ({ broker: await cluster.findBroker({ nodeId }), partitions: leaders[nodeId]! })));
    const deadline = Date.now() + (o.timeoutMs ?? 60_000);
    let last = Date.now();
    while (Date.now() < deadline && (o.expect === undefined || count < o.expect)) {
      let got = 0;
      for (const { broker, partitions } of brokers) {
        const res = await broker.fetch({
          isolationLevel: 0,
          maxWaitTime: o.maxWaitMs ?? 100,
          minBytes: 1,
          maxBytes: 64 << 20,
          topics: [{ topic, partitions: partitions.map((p) => ({ partition: p, fetchOffset: String(positions.get(p)!), maxBytes: o.partitionMaxBytes ?? 4 << 20 })) }],
        });
        for (const t of res.responses) {
          for (const p of t.partitions) {
            const pos = positions.get(p.partition)!;
            for (const m of p.messages) {
              const offset = Number(m.offset);
              if (offset < pos || m.isControlRecord) continue;
              if (t0 === 0) t0 = performance.now();
              const headers: Record<string, string> = {};
              for (const [k, v] of Object.entries(m.headers ?? {})) headers[k] = Array.isArray(v) ? v.map(String).join('|') : String(v);
              const r: DumpRecord = {
                topic,
                partition: p.partition,
                offset,
                timestamp: Number(m.timestamp),
                tsType: m.batchContext ? (m.batchContext.timestampType ?? -1) : -1,
                key: m.key === null ? null : m.key.toString(),
                value: m.value === null ? null : m.value.toString(),
                headers,
              };
              if (o.onRecord) o.onRecord(r);
              else records.push(r);
              positions.set(p.partition, offset + 1);
              count++;
              got++;
            }
          }
        }
      }
      if (got > 0) last = Date.now();
      else if (Date.now() - last > (o.idleMs ?? 1500)) break;
    }
  } finally {
    await cluster.disconnect();
  }
  return { records, count, positions, elapsed: t0 === 0 ? 0 : (performance.now() - t0) / 1000 };
}

// ---------------------------------------------------------------------------------------------
// kcat (librdkafka)

export interface KcatProduceOptions extends GenOptions {
  compression?: Codec;
  acks?: number;
  idempotence?: boolean;
  partition?: number;
  /** Extra -X properties. */
  props?: Record<string, string | number>;
  timeoutMs?: number;
}

/** Produces `key<TAB>value` lines through kcat -P -K '\t' with murmur2 partitioning. */
export async function kcatProduce(bootstrap: string, topic: string, o: KcatProduceOptions): Promise<{ elapsed: number; stderr: string; code: number | null }> {
  const lines: string[] = [];
  for (let i = 0; i < o.count; i++) {
    const r = gen(i, { ...o, headers: false, tsBase: undefined });
    lines.push(r.key === null ? r.value : `${r.key}\t${r.value}`);
  }
  const args = ['-P', '-b', bootstrap, '-t', topic, '-X', 'partitioner=murmur2_random', '-X', `acks=${o.acks ?? -1}`, '-X', 'linger.ms=5', '-X', 'queue.buffering.max.messages=1000000'];
  if (o.keyMod) args.push('-K', '\t');
  if (o.headers !== false) args.push('-H', `src=${o.prefix}`);
  if (o.compression && o.compression !== 'none') args.push('-z', o.compression);
  if (o.idempotence) args.push('-X', 'enable.idempotence=true');
  if (o.partition !== undefined) args.push('-p', String(o.partition));
  for (const [k, v] of Object.entries(o.props ?? {})) args.push('-X', `${k}=${v}`);
  const t0 = performance.now();
  const r = await run('kcat', args, { input: lines.join('\n') + '\n', timeoutMs: o.timeoutMs ?? 120_000 });
  return { elapsed: (performance.now() - t0) / 1000, stderr: r.stderr, code: r.code };
}

const KCAT_FORMAT = '%t\\t%p\\t%o\\t%T\\t-1\\t%k\\t%s\\t%h\\n';

/** Consumes one topic with kcat -C (no group) from `offset` to the end (-e), as dump records. */
export async function kcatConsume(bootstrap: string, topic: string, opts: { offset?: string; props?: Record<string, string>; count?: number; partition?: number; timeoutMs?: number } = {}): Promise<DumpRecord[]> {
  const args = ['-C', '-b', bootstrap, '-t', topic, '-o', opts.offset ?? 'beginning', '-e', '-q', '-f', KCAT_FORMAT, '-X', 'fetch.wait.max.ms=50'];
  if (opts.partition !== undefined) args.push('-p', String(opts.partition));
  if (opts.count !== undefined) args.push('-c', String(opts.count));
  for (const [k, v] of Object.entries(opts.props ?? {})) args.push('-X', `${k}=${v}`);
  const out = await kcat(args, { timeoutMs: opts.timeoutMs ?? 120_000 });
  return parseDump(out, 'kcat');
}

// ---------------------------------------------------------------------------------------------
// Python clients (confluent-kafka-python = 'ck', kafka-python = 'kp')

export interface PyProduceOptions extends GenOptions {
  compression?: Codec;
  acks?: number;
  idempotence?: boolean;
  partition?: number;
  config?: Record<string, unknown>;
  sync?: boolean;
  offsets?: boolean;
  timeoutMs?: number;
  lingerMs?: number;
}

export function pyProduce(client: 'ck' | 'kp', bootstrap: string, topic: string, o: PyProduceOptions, timeoutMs = 180_000): Promise<ProduceResult & { unflushed?: number }> {
  return python('dp_clients.py', { op: 'produce', client, bootstrap, topic, ...o }, timeoutMs);
}

export interface PyConsumeOptions {
  partitions?: number;
  assign?: Array<[number, number | string]>;
  offset?: 'earliest' | 'latest' | number;
  reset?: 'earliest' | 'latest' | 'error' | 'none';
  expect?: number;
  idleMs?: number;
  timeoutMs?: number;
  out?: string;
  config?: Record<string, unknown>;
}

export interface PyConsumeResult {
  count: number;
  errors: string[];
  positions: Record<string, number>;
  elapsed: number;
}

export function pyConsume(client: 'ck' | 'kp', bootstrap: string, topic: string, o: PyConsumeOptions): Promise<PyConsumeResult> {
  return python('dp_clients.py', { op: 'consume', client, bootstrap, topic, ...o }, (o.timeoutMs ?? 60_000) + 30_000);
}

/** Consumes into a temp dump file and parses it. */
export async function pyConsumeRecords(client: 'ck' | 'kp', bootstrap: string, topic: string, dumpPath: string, o: PyConsumeOptions): Promise<{ result: PyConsumeResult; records: DumpRecord[] }> {
  const result = await pyConsume(client, bootstrap, topic, { ...o, out: dumpPath });
  return { result, records: parseDump(readFileSync(dumpPath, 'utf8'), client) };
}

// ---------------------------------------------------------------------------------------------
// Dumps

/** Parses TSV dump lines (see dp_clients.py; kcat prints the same columns). */
export function parseDump(text: string, source: string): DumpRecord[] {
  const out: DumpRecord[] = [];
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const f = line.split('\t');
    if (f.length < 8) throw new Error(`${source}: bad dump line ${JSON.stringify(line)}`);
    const headers: Record<string, string> = {};
    if (f[7] !== '') {
      for (const kv of f[7]!.split(',')) {
        const eq = kv.indexOf('=');
        headers[eq < 0 ? kv : kv.slice(0, eq)] = eq < 0 ? '' : kv.slice(eq + 1);
      }
    }
    const nul = (s: string): string | null => (s === '\\N' ? null : s);
    out.push({
      topic: f[0]!,
      partition: Number(f[1]),
      offset: Number(f[2]),
      timestamp: Number(f[3]),
      tsType: Number(f[4]),
      // kcat prints an empty string for a null key.
      key: source === 'kcat' && f[5] === '' ? null : nul(f[5]!),
      value: nul(f[6]!),
      headers,
    });
  }
  return out;
}

export interface Expectation extends GenOptions {
  partitions: number;
  /** Check key → partition against Java's murmur2 (clients with the Java-compatible partitioner). */
  murmur2?: boolean;
  /** Headers: per-record i/src (default), only the static src (kcat), or none. */
  headerMode?: 'per-record' | 'static' | 'none';
  /** When records carry no explicit timestamp: the produce window [from, to] in ms. */
  window?: [number, number];
  /** Expected timestamp type (0/1) when the consumer reports it. */
  tsType?: 0 | 1;
  /** Offsets start here in every partition (default 0). */
  firstOffset?: number;
}

function sortedEntries(o: Record<string, string>): Array<[string, string]> {
  return Object.entries(o).sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
}

/**
 * Checks a consumed dump against a produce run: every record exactly once, offsets contiguous per
 * partition, records in send order within a partition, one partition per key (murmur2 when asked),
 * headers and timestamps. Returns the problems found (empty when all is well), capped at 20.
 */
export function verifyDump(records: DumpRecord[], e: Expectation): string[] {
  const problems: string[] = [];
  const add = (p: string): void => {
    if (problems.length < 20) problems.push(p);
  };
  if (records.length !== e.count) add(`expected ${e.count} records, got ${records.length}`);
  const seen = new Uint8Array(e.count);
  const byPartition = new Map<number, DumpRecord[]>();
  const keyPartition = new Map<string, number>();
  const prefix = `${e.prefix}-`;
  for (const r of records) {
    if (r.partition < 0 || r.partition >= e.partitions) add(`record in partition ${r.partition}`);
    let list = byPartition.get(r.partition);
    if (!list) byPartition.set(r.partition, (list = []));
    list.push(r);
    if (r.value === null || !r.value.startsWith(prefix)) {
      add(`unexpected value ${r.value?.slice(0, 40)} at ${r.partition}/${r.offset}`);
      continue;
    }
    const i = parseInt(r.value.slice(prefix.length), 10);
    if (!(i >= 0 && i < e.count)) {
      add(`bad index in ${r.value.slice(0, 40)}`);
      continue;
    }
    if (seen[i]) add(`record ${i} seen twice (again at ${r.partition}/${r.offset})`);
    seen[i] = 1;
    const g = gen(i, e);
    if (r.value !== g.value) add(`record ${i}: value differs`);
    if (r.key !== g.key) add(`record ${i}: key ${r.key}, expected ${g.key}`);
    if (g.key !== null) {
      const p = keyPartition.get(g.key);
      if (p === undefined) keyPartition.set(g.key, r.partition);
      else if (p !== r.partition) add(`key ${g.key} in partitions ${p} and ${r.partition}`);
      if (e.murmur2 && partitionForKey(g.key, e.partitions) !== r.partition) add(`key ${g.key} in partition ${r.partition}, murmur2 says ${partitionForKey(g.key, e.partitions)}`);
    }
    const mode = e.headerMode ?? (e.headers === false ? 'none' : 'per-record');
    const want: Record<string, string> = mode === 'per-record' ? { i: String(i), src: e.prefix } : mode === 'static' ? { src: e.prefix } : {};
    if (JSON.stringify(sortedEntries(r.headers)) !== JSON.stringify(sortedEntries(want))) add(`record ${i}: headers ${JSON.stringify(r.headers)}, expected ${JSON.stringify(want)}`);
    if (e.tsType !== undefined && r.tsType >= 0 && r.tsType !== e.tsType) add(`record ${i}: timestamp type ${r.tsType}, expected ${e.tsType}`);
    if (g.timestamp !== null && e.tsType !== 1) {
      if (r.timestamp !== g.timestamp) add(`record ${i}: timestamp ${r.timestamp}, expected ${g.timestamp}`);
    } else if (e.window && (r.timestamp < e.window[0] || r.timestamp > e.window[1])) {
      add(`record ${i}: timestamp ${r.timestamp} outside the produce window ${e.window[0]}..${e.window[1]}`);
    }
  }
  for (let i = 0; i < e.count; i++) {
    if (!seen[i]) {
      add(`record ${i} missing`);
      break;
    }
  }
  const first = e.firstOffset ?? 0;
  for (const [p, list] of byPartition) {
    list.sort((a, b) => a.offset - b.offset);
    let prevIndex = -1;
    for (let k = 0; k < list.length; k++) {
      const r = list[k]!;
      if (r.offset !== first + k) {
        add(`partition ${p}: offset ${r.offset} at position ${k} (offsets not contiguous from ${first})`);
        break;
      }
      const i = r.value?.startsWith(prefix) ? parseInt(r.value.slice(prefix.length), 10) : NaN;
      if (!(i > prevIndex)) {
        add(`partition ${p}: record ${i} at offset ${r.offset} after record ${prevIndex} (out of send order)`);
        break;
      }
      prevIndex = i;
    }
  }
  return problems;
}

// ---------------------------------------------------------------------------------------------
// Stored batches

export interface StoredBatch {
  baseOffset: number;
  lastOffset: number;
  codec: number;
  timestampType: number;
  producerId: number;
  baseSequence: number;
  maxTimestamp: number;
  records: number;
  size: number;
}

/** Walks the RecordBatch headers of a partition's .log files (what the broker stored). */
export function storedBatches(dataDir: string, topic: string, partition: number): StoredBatch[] {
  const dir = join(dataDir, `${topic}-${partition}`);
  const out: StoredBatch[] = [];
  for (const name of readdirSync(dir).filter((n) => n.endsWith('.log')).sort()) {
    const b = readFileSync(join(dir, name));
    let at = 0;
    while (at + 61 <= b.length) {
      const size = b.readInt32BE(at + 8) + 12;
      if (size < 61 || at + size > b.length) break;
      const attrs = b.readInt16BE(at + 21);
      const base = Number(b.readBigInt64BE(at));
      out.push({
        baseOffset: base,
        lastOffset: base + b.readInt32BE(at + 23),
        codec: attrs & 7,
        timestampType: (attrs >> 3) & 1,
        maxTimestamp: Number(b.readBigInt64BE(at + 35)),
        producerId: Number(b.readBigInt64BE(at + 43)),
        baseSequence: b.readInt32BE(at + 53),
        records: b.readInt32BE(at + 57),
        size,
      });
      at += size;
    }
  }
  return out;
}

/** Writes a small text file (dumps for debugging a failed run). */
export function saveText(path: string, text: string): void {
  writeFileSync(path, text);
}

// ---------------------------------------------------------------------------------------------
// Raw protocol (our own codecs over a socket: exact bytes, for idempotence and long-poll checks)

/** A port that was free a moment ago (for brokers that must come back on the same port). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

export async function rawInitProducerId(c: RawClient): Promise<{ producerId: number; producerEpoch: number }> {
  const r = await c.request(22, 4, { transactionalId: null, transactionTimeoutMs: 60_000, producerId: -1, producerEpoch: -1 });
  if (!r || r.errorCode !== 0) throw new Error(`InitProducerId failed: ${JSON.stringify(r)}`);
  return { producerId: r.producerId, producerEpoch: r.producerEpoch };
}

/** One Produce (v9) of one batch to one partition; resolves with that partition's answer. */
export async function rawProduce(c: RawClient, topic: string, partition: number, records: Buffer, acks = -1): Promise<{ errorCode: number; baseOffset: number; errorMessage: string | null }> {
  const r = await c.request(0, 9, { acks, timeoutMs: 10_000, transactionalId: null, topicData: [newProduceRequestTopic({ name: topic, partitionData: [newProduceRequestPartition({ index: partition, records })] })] });
  if (!r) throw new Error('connection closed during Produce');
  const p = r.responses[0].partitionResponses[0];
  return { errorCode: p.errorCode, baseOffset: p.baseOffset, errorMessage: p.errorMessage };
}

/** Encodes a Fetch v12 request for one partition (without sending it). */
export function rawFetchFrame(topic: string, partition: number, offset: number, maxWaitMs: number, correlationId: number, minBytes = 1): Buffer {
  const body = newFetchRequest({
    replicaId: -1,
    maxWaitMs,
    minBytes,
    maxBytes: 1 << 20,
    isolationLevel: 0,
    sessionId: 0,
    sessionEpoch: -1,
    topics: [newFetchRequestTopic({ topic, partitions: [newFetchRequestPartition({ partition, fetchOffset: offset, partitionMaxBytes: 1 << 20, currentLeaderEpoch: -1, lastFetchedEpoch: -1, logStartOffset: -1 })] })],
  });
  return RawClient.encodeRequest(1, 12, body, correlationId);
}

export async function rawFetch(c: RawClient, topic: string, partition: number, offset: number, maxWaitMs = 0): Promise<FetchResponse> {
  const r = await c.request<FetchResponse>(1, 12, {
    replicaId: -1,
    maxWaitMs,
    minBytes: 1,
    maxBytes: 1 << 20,
    sessionEpoch: -1,
    topics: [newFetchRequestTopic({ topic, partitions: [newFetchRequestPartition({ partition, fetchOffset: offset, partitionMaxBytes: 1 << 20, currentLeaderEpoch: -1, lastFetchedEpoch: -1, logStartOffset: -1 })] })],
  });
  if (!r) throw new Error('connection closed during Fetch');
  return r;
}
