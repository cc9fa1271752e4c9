/**
 * Produce handler micro-benchmark: the Produce handler in process against the port fakes of the
 * handler unit tests (test/unit/handlers/fakes.ts), with partitions that count appends and keep
 * nothing, so what is measured is the produce path itself — decode excluded, from the request
 * object to the response object: the checks, the record walk, decompression, schema check (a
 * port that accepts everything), recompression, producer state, append bookkeeping, acks.
 *
 *   npx tsx bench/records/produce-handler.ts [--seconds 2] [--rounds 5] [--cases plain-none,...]
 *
 * Cases: <topic>-<codec> with topic plain (delete policy, stored as sent), keyed (compacted),
 * schema (compacted, schema validation) or full (compacted, schema validation,
 * compression.type=zstd), codec none or lz4; each request holds one batch of 100 records × 100 B
 * (keys key-0 ... key-99). Rounds alternate between cases; the median CPU time per request is shown.
 * For an A/B, run the same file in a checkout of the other commit (it uses only the handler's
 * default export and the fakes, which both sides have).
 */
import { performance } from 'node:perf_hooks';
import { newProduceRequest, newProduceRequestPartition, newProduceRequestTopic, type ProduceResponse } from '../../protocol/generated/index.js';
import { CompressionType, batch } from '../../protocol/records/batch.js';
import { buildBatch } from '../../protocol/records/builder.js';
import type { AppendResult } from '../../src/data/partitions.js';
import { ApiRegistry } from '../../src/handlers/registry.js';
import type { Handler } from '../../src/handlers/types.js';
import { silentLogger } from '../../src/logger.js';
import type { SchemaValidationPort } from '../../src/schema/port.js';
import { requestContext } from '../../src/server/request-context.js';
import { DEFAULT_TOPIC_SETTINGS, fakeBroker } from '../../test/unit/handlers/fakes.js';

const args = process.argv.slice(2);
const val = (name: string): string | undefined => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
};
const seconds = Number(val('seconds') ?? 2);
const rounds = Number(val('rounds') ?? 5);
const cases = (val('cases') ?? 'plain-none,plain-lz4,keyed-none,keyed-lz4,schema-none,schema-lz4,full-none,full-lz4').split(',');
const RECORDS = 100;
const VALUE_BYTES = 100;

const b = fakeBroker();
const schemas: SchemaValidationPort = { checkBlock: () => null };
// One context for every request (the fakes' b.handle builds a pino logger per request, which
// would dominate); the handler as the registry holds it.
const ctx = requestContext({ ...b.services, schemas }, { apiKey: 0, apiVersion: 9, correlationId: 1, clientId: 'bench' }, b.conn, silentLogger());
const produce = new ApiRegistry().get(0) as unknown as Handler<object, ProduceResponse>;
const done: Promise<void> = Promise.resolve();
for (const topic of ['plain', 'keyed', 'schema', 'full']) {
  b.topics.add(topic, 1);
  const p = b.partitions.log(topic, 0);
  if (topic !== 'plain') p.config = { messageTimestampType: 'CreateTime', cleanupPolicy: { delete: false, compact: true } };
  const schemaValidation = topic === 'schema' || topic === 'full' ? { topic, key: null, value: 'TopicNameStrategy' as const } : null;
  b.topics.settingsOf.set(topic, { ...DEFAULT_TOPIC_SETTINGS, compressionType: topic === 'full' ? 'zstd' : 'producer', schemaValidation });
  // Counts instead of storing: the fake's Buffer.concat would dominate.
  p.append = (bytes: Buffer): AppendResult => {
    const base = p.logEndOffset;
    batch.setBaseOffset(bytes, base);
    p.logEndOffset = base + batch.lastOffsetDelta(bytes) + 1;
    return { baseOffset: base, lastOffset: p.logEndOffset - 1, logAppendTime: -1, written: done, durable: done };
  };
}

const value = Buffer.alloc(VALUE_BYTES, 'v');
async function batchFor(codec: string): Promise<Buffer> {
  const now = Date.now();
  const records = Array.from({ length: RECORDS }, (_, i) => ({ key: Buffer.from(`key-${i}`), value, timestamp: now + i }));
  return buildBatch(records, { compression: codec === 'lz4' ? CompressionType.Lz4 : CompressionType.None });
}

/**
 * Microseconds of this process's CPU time (user + system, so libuv's codec threads count) per
 * request over about `seconds`: less sensitive than wall-clock rates to other load on a shared
 * machine, which takes the CPU away without adding to ours.
 */
async function measure(name: string, sent: Buffer): Promise<number> {
  const topic = name.split('-')[0]!;
  const req = newProduceRequest({ acks: 1, timeoutMs: 30_000, topicData: [newProduceRequestTopic({ name: topic, partitionData: [newProduceRequestPartition({ index: 0, records: sent })] })] });
  const until = performance.now() + seconds * 1000;
  const cpu = process.cpuUsage();
  let n = 0;
  while (performance.now() < until) {
    for (let i = 0; i < 100; i++) {
      const res = (await produce.handle(ctx, req))!;
      if (res.responses[0]!.partitionResponses[0]!.errorCode !== 0) throw new Error(`${name}: error ${res.responses[0]!.partitionResponses[0]!.errorCode}`);
    }
    n += 100;
  }
  const used = process.cpuUsage(cpu);
  return (used.user + used.system) / n;
}

const batches = new Map<string, Buffer>();
for (const c of cases) batches.set(c, await batchFor(c.split('-')[1]!));
const samples = new Map<string, number[]>(cases.map((c) => [c, []]));
for (const c of cases) await measure(c, batches.get(c)!); // warm-up
for (let r = 0; r < rounds; r++) {
  for (const c of r % 2 === 0 ? cases : [...cases].reverse()) samples.get(c)!.push(await measure(c, batches.get(c)!));
}
b.close();
const median = (xs: number[]): number => [...xs].sort((x, y) => x - y)[xs.length >> 1]!;
console.log(`| case | CPU µs per request (median of ${rounds}) | requests per CPU-second | all rounds (µs) |`);
console.log('|---|---|---|---|');
for (const c of cases) {
  const s = samples.get(c)!;
  console.log(`| ${c} | ${median(s).toFixed(2)} | ${(1e6 / median(s)).toFixed(0)} | ${s.map((x) => x.toFixed(2)).join(', ')} |`);
}
