/**
 * kafkajs as a data-path client: a Kafka instance with quiet logs and short retries, a producer
 * loop over generated records (chunked send() calls, optionally several in flight), and a fetcher.
 *
 * kafkajs has no consumer without a consumer group, so `kafkajsFetch` drives kafkajs's own
 * Cluster/Broker classes (fetch requests, kafkajs's batch decoder and codecs), as its consumer does
 * under the hood. kafkajs ships gzip only; `registerKafkajsCodecs` plugs in snappy, lz4 and zstd.
 */
import kafkajsPkg, { type Kafka as KafkaType, type Producer } from 'kafkajs';
import { compressSync as snappyCompress } from 'snappy';
import { CompressionType } from '../../../protocol/records/batch.js';
import { compress, decompress } from '../../../protocol/records/compression.js';
import { gen, type Codec, type DumpRecord, type GenOptions, type ProduceResult } from './records.js';

// kafkajs is CommonJS; Node's named-export detection misses some of its exports.
const { Kafka, logLevel, CompressionTypes, CompressionCodecs, Partitioners } = kafkajsPkg;
type Kafka = KafkaType;
type CompressionTypes = (typeof CompressionTypes)[keyof typeof CompressionTypes];

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
