/**
 * `runnel perf produce|consume` — kafka-producer-perf-test.sh and kafka-consumer-perf-test.sh:
 * the same flags (--num-records, --record-size, --throughput, --producer-props; --messages,
 * --from-latest, --timeout) and the same result line, so numbers compare with Kafka's tools.
 * A progress bar runs on a terminal; elsewhere a windowed line every 5 s, as Kafka prints.
 */
import { randomBytes } from 'node:crypto';
import { Consumer } from '../../client/consumer.js';
import { Producer } from '../../client/producer.js';
import { splitKeyValue, UsageError } from '../args.js';
import type { CommandDef, CommandGroupDef } from '../command.js';
import type { Context } from '../context.js';
import { parseAcks, parseCompression, PRODUCER_FLAGS } from './produce.js';

const MB = 1024 * 1024;

/** The p-th percentile (0..1) of sorted values, as Kafka's perf tool picks it. */
export function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!;
}

/** Kafka's payload: random upper-case letters (compressible about as much as text). */
function payload(size: number): Buffer {
  const b = randomBytes(size);
  for (let i = 0; i < size; i++) b[i] = 65 + (b[i]! % 26);
  return b;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

const produce: CommandDef = {
  name: 'produce',
  summary: 'Producer throughput and latency (kafka-producer-perf-test)',
  usage: 'runnel perf produce <topic> --num-records N [--record-size BYTES] [--throughput N] [--producer-props k=v ...]',
  flags: [
    { name: 'topic', aliases: ['t'], type: 'string', value: 'NAME', description: 'Topic (or give it as an argument)' },
    { name: 'num-records', aliases: ['records', 'n'], type: 'number', description: 'How many records to send' },
    { name: 'record-size', aliases: ['s'], type: 'number', value: 'BYTES', description: 'Value size', default: 100 },
    { name: 'throughput', type: 'number', value: 'REC/S', description: 'Cap on records per second (-1: as fast as possible)', default: -1 },
    { name: 'producer-props', type: 'list', value: 'K=V', description: 'acks, compression.type, batch.size, linger.ms (Kafka names; repeatable)' },
    { name: 'quiet', aliases: ['q'], type: 'boolean', description: 'No progress output' },
    ...PRODUCER_FLAGS.map((f) => (f.name === 'batch-size' ? { ...f, default: 65536 } : f)),
  ],
  async run(ctx) {
    const topic = ctx.positionalOr(0, 'topic', 'topic name')!;
    const n = ctx.number('num-records');
    if (n === undefined || n <= 0 || !Number.isInteger(n)) throw new UsageError('--num-records N is required (a positive integer)');
    const size = ctx.number('record-size')!;
    const throughput = ctx.number('throughput')!;
    const props = new Map(ctx.list('producer-props').flatMap((p) => p.split(/\s+/)).filter(Boolean).map((p) => splitKeyValue(p, '--producer-props')));
    const producer = new Producer(ctx.kafka(), {
      acks: parseAcks(props.get('acks') ?? ctx.string('acks') ?? 'all'),
      compression: parseCompression(props.get('compression.type') ?? ctx.string('compression') ?? 'none'),
      batchSize: Number(props.get('batch.size') ?? ctx.number('batch-size')),
      lingerMs: Number(props.get('linger.ms') ?? ctx.number('linger-ms')),
    });
    const value = payload(size);
    // Latency of every record up to a million, then of every k-th (percentiles stay exact enough).
    const stride = Math.ceil(n / 1_000_000);
    const latencies = new Float64Array(Math.ceil(n / stride));
    let sampled = 0;
    let latencySum = 0;
    let latencyMax = 0;
    const progress = ctx.progress('records', n);
    const windowed = !ctx.io.stderrIsTTY && !ctx.bool('quiet');
    let acked = 0;
    let failure: Error | null = null;
    let window = { start: performance.now(), count: 0, latencySum: 0, max: 0 };
    const t0 = performance.now();
    for (let i = 0; i < n && !failure; i++) {
      const sentAt = performance.now();
      producer.send({ topic, value }, (err) => {
        if (err) {
          failure ??= err;
          return;
        }
        const now = performance.now();
        const lat = now - sentAt;
        if (acked++ % stride === 0) latencies[sampled++] = lat;
        latencySum += lat;
        if (lat > latencyMax) latencyMax = lat;
        progress.update(acked);
        window.count++;
        window.latencySum += lat;
        if (lat > window.max) window.max = lat;
        if (windowed && now - window.start >= 5000) {
          const secs = (now - window.start) / 1000;
          ctx.note(`${window.count} records sent, ${(window.count / secs).toFixed(1)} records/sec (${((window.count * size) / MB / secs).toFixed(2)} MB/sec), ${(window.latencySum / window.count).toFixed(1)} ms avg latency, ${window.max.toFixed(1)} ms max latency.`);
          window = { start: now, count: 0, latencySum: 0, max: 0 };
        }
      });
      if (producer.full()) await producer.capacity();
      if (throughput > 0) {
        const ahead = (i + 1) / throughput - (performance.now() - t0) / 1000;
        if (ahead > 0.005) await sleep(ahead * 1000);
      }
    }
    await producer.flush();
    progress.finish();
    if (failure) throw new Error(`perf produce failed after ${acked} acknowledged records: ${(failure as Error).message}`);
    const secs = (performance.now() - t0) / 1000;
    const lat = latencies.subarray(0, sampled).sort();
    const avg = latencySum / Math.max(1, acked);
    const result = {
      records: acked,
      recordsPerSec: acked / secs,
      mbPerSec: (acked * size) / MB / secs,
      avgLatencyMs: avg,
      maxLatencyMs: latencyMax,
      p50Ms: percentile(lat, 0.5),
      p95Ms: percentile(lat, 0.95),
      p99Ms: percentile(lat, 0.99),
      p999Ms: percentile(lat, 0.999),
      elapsedMs: Math.round(secs * 1000),
    };
    if (ctx.json) return ctx.printJson(result);
    ctx.out(
      `${result.records} records sent, ${result.recordsPerSec.toFixed(1)} records/sec (${result.mbPerSec.toFixed(2)} MB/sec), ${result.avgLatencyMs.toFixed(2)} ms avg latency, ${result.maxLatencyMs.toFixed(2)} ms max latency, ` +
        `${Math.round(result.p50Ms)} ms 50th, ${Math.round(result.p95Ms)} ms 95th, ${Math.round(result.p99Ms)} ms 99th, ${Math.round(result.p999Ms)} ms 99.9th.`,
    );
  },
};

const consume: CommandDef = {
  name: 'consume',
  summary: 'Consumer throughput (kafka-consumer-perf-test)',
  usage: 'runnel perf consume <topic> --messages N [--group ID] [--from-latest] [--timeout MS]',
  flags: [
    { name: 'topic', aliases: ['t'], type: 'string', value: 'NAME', description: 'Topic (or give it as an argument)' },
    { name: 'messages', aliases: ['num-records', 'n'], type: 'number', description: 'How many records to read' },
    { name: 'group', aliases: ['g'], type: 'string', value: 'ID', description: 'Read as a member of this group (default: no group)' },
    { name: 'from-latest', type: 'boolean', description: 'Start at the end instead of the beginning' },
    { name: 'timeout', aliases: ['timeout-ms'], type: 'number', value: 'MS', description: 'Give up when no record arrived for this long', default: 10000 },
    { name: 'fetch-size', type: 'number', value: 'BYTES', description: 'Bytes per partition per fetch', default: 1048576 },
    { name: 'quiet', aliases: ['q'], type: 'boolean', description: 'No progress output' },
  ],
  async run(ctx: Context) {
    const topic = ctx.positionalOr(0, 'topic', 'topic name')!;
    const n = ctx.number('messages');
    if (n === undefined || n <= 0 || !Number.isInteger(n)) throw new UsageError('--messages N is required (a positive integer)');
    const consumer = new Consumer(ctx.kafka(), {
      topics: [topic],
      groupId: ctx.string('group'),
      start: ctx.bool('from-latest') ? { kind: 'latest' } : { kind: 'earliest' },
      partitionMaxBytes: ctx.number('fetch-size'),
    });
    const progress = ctx.progress('records', n);
    const timeout = ctx.number('timeout')!;
    let count = 0;
    let bytes = 0;
    const t0 = performance.now();
    let firstRecordAt = 0;
    let last = Date.now();
    try {
      for await (const batch of consumer.batches()) {
        if (batch.length > 0 && firstRecordAt === 0) firstRecordAt = performance.now();
        for (const r of batch) {
          if (count >= n) break;
          count++;
          bytes += (r.value?.length ?? 0) + (r.key?.length ?? 0);
        }
        consumer.markProcessed(batch);
        progress.update(count);
        if (batch.length > 0) last = Date.now();
        if (count >= n || Date.now() - last > timeout) break;
      }
    } finally {
      await consumer.close();
      progress.finish();
    }
    const end = performance.now();
    const secs = (end - t0) / 1000;
    const fetchSecs = firstRecordAt > 0 ? (end - firstRecordAt) / 1000 : secs;
    const result = {
      records: count,
      mb: bytes / MB,
      mbPerSec: bytes / MB / secs,
      recordsPerSec: count / secs,
      elapsedMs: Math.round(secs * 1000),
      startupMs: Math.round((firstRecordAt > 0 ? firstRecordAt : end) - t0),
      fetchMbPerSec: bytes / MB / fetchSecs,
      fetchRecordsPerSec: count / fetchSecs,
    };
    if (count < n) ctx.note(`WARNING: Exiting before consuming the expected number of messages: timeout (${timeout} ms) exceeded.`);
    if (ctx.json) return ctx.printJson(result);
    ctx.printRows(
      ['RECORDS', 'MB', 'SECONDS', 'RECORDS/SEC', 'MB/SEC', 'STARTUP-MS', 'FETCH-RECORDS/SEC', 'FETCH-MB/SEC'],
      [[count, result.mb.toFixed(2), secs.toFixed(2), result.recordsPerSec.toFixed(1), result.mbPerSec.toFixed(2), result.startupMs, result.fetchRecordsPerSec.toFixed(1), result.fetchMbPerSec.toFixed(2)]],
    );
    return count < n ? 1 : 0;
  },
};

export const group: CommandGroupDef = {
  name: 'perf',
  summary: 'Producer and consumer performance tests',
  commands: [produce, consume],
};
