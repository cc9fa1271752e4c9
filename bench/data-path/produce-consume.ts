/**
 * Produce and consume throughput against a broker running as its own process
 * (`node dist/src/cli.js`; run `npm run build` first), driven by kcat (librdkafka, batching on) and
 * kafkajs, for 1,000,000 × 100 B and 200,000 × 1 KiB records (payload bytes count towards MB/s),
 * 6-partition topics, no compression, acks=-1 with the broker's default fsync policy
 * (flush.messages=1, group commit). Consumers read from the beginning to the end.
 *
 *   npx tsx bench/data-path/produce-consume.ts [--only kcat|kafkajs] [--scale 0.1] [--json out.json]
 *
 * Each client runs as it would in production: kcat is a separate process fed from a file (its
 * process start, ~10 ms, is inside the timing); kafkajs runs in this process (one Node thread).
 */
import { createReadStream, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import { REPO_ROOT } from '../../test/helpers/broker.js';
import { python } from '../../test/helpers/clients.js';
import { kafkajs, kafkajsFetch } from './clients.js';
import { BENCH_WORK } from './machine.js';
import { isMain } from '../is-main.js';

export interface Workload {
  name: string;
  count: number;
  size: number;
}

export const WORKLOADS: Workload[] = [
  { name: '1M x 100 B', count: 1_000_000, size: 100 },
  { name: '200k x 1 KiB', count: 200_000, size: 1024 },
];

export interface Rate {
  secs: number;
  msgPerSec: number;
  MBps: number;
  count: number;
}

const PARTITIONS = 6;

function rate(count: number, size: number, secs: number): Rate {
  return { secs, count, msgPerSec: count / secs, MBps: (count * size) / 1e6 / secs };
}

export interface BenchBroker {
  process: ChildProcess;
  bootstrap: string;
  /** Every listener as NAME://host:port, as the broker logged them. */
  listeners: string[];
  dataDir: string;
  stop: () => Promise<void>;
}

/**
 * `node [nodeArgs] dist/src/cli.js` on a fresh data dir under bench/.work, port 0; resolves once it
 * logged "broker started". (test/helpers/broker.ts's spawnBroker takes no node flags, and
 * --cpu-prof is refused in NODE_OPTIONS.)
 */
export function startBenchBroker(flags: Record<string, string | number | boolean> = {}, nodeArgs: string[] = []): Promise<BenchBroker> {
  const dataDir = join(BENCH_WORK, `broker-${process.pid}-${Date.now()}`);
  mkdirSync(dataDir, { recursive: true });
  const args = [...nodeArgs, process.env.RUNNEL_BENCH_CLI ?? join(REPO_ROOT, 'dist', 'src', 'cli.js'), '--listeners=PLAINTEXT://127.0.0.1:0', `--log.dirs=${dataDir}`, '--logger.level=info'];
  for (const [k, v] of Object.entries(flags)) args.push(`--${k}=${v}`);
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  // A benchmark that dies (uncaught error) must not leave its broker running.
  const orphanGuard = (): void => void child.kill('SIGKILL');
  process.once('exit', orphanGuard);
  void exited.then(() => process.off('exit', orphanGuard));
  const logs: string[] = [];
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`broker did not start:\n${logs.join('\n')}`));
    }, 20_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`broker exited with ${code}:\n${logs.join('\n')}`));
    });
    createInterface({ input: child.stderr! }).on('line', (line) => {
      if (logs.length < 200) logs.push(line);
      if (!line.includes('"broker started"')) return;
      clearTimeout(timer);
      const listeners = (JSON.parse(line) as { listeners: string[] }).listeners;
      resolve({
        process: child,
        bootstrap: listeners[0]!.replace(/^.*:\/\//, ''),
        listeners,
        dataDir,
        stop: async () => {
          if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
          await exited;
          rmSync(dataDir, { recursive: true, force: true });
        },
      });
    });
  });
}

export async function createTopic(bootstrap: string, topic: string, partitions = PARTITIONS, configEntries: Array<{ name: string; value: string }> = []): Promise<void> {
  const admin = kafkajs(bootstrap).admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: partitions, configEntries }] });
  await admin.disconnect();
}

/** A file of `count` lines of `size` printable bytes (kcat -P input). */
function inputFile(w: Workload): string {
  mkdirSync(BENCH_WORK, { recursive: true });
  const path = join(BENCH_WORK, `input-${w.count}-${w.size}.txt`);
  const line = Buffer.alloc(w.size + 1, 'v'.charCodeAt(0));
  line[w.size] = 10;
  const block = Buffer.concat(Array.from({ length: 1000 }, () => line));
  const parts: Buffer[] = [];
  for (let i = 0; i < w.count; i += 1000) parts.push(i + 1000 <= w.count ? block : block.subarray(0, (w.count - i) * (w.size + 1)));
  writeFileSync(path, Buffer.concat(parts));
  return path;
}

function runTimed(cmd: string, args: string[], stdinFile?: string): Promise<{ secs: number; code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ secs: (performance.now() - t0) / 1000, code, stdout: out, stderr: err }));
    if (stdinFile) createReadStream(stdinFile).pipe(child.stdin);
    else child.stdin.end();
  });
}

export const KCAT_PRODUCER_PROPS = ['-X', 'acks=-1', '-X', 'linger.ms=10', '-X', 'batch.size=1000000', '-X', 'batch.num.messages=100000', '-X', 'queue.buffering.max.messages=2000000', '-X', 'queue.buffering.max.kbytes=2097151'];
export const KCAT_CONSUMER_PROPS = ['-X', 'fetch.message.max.bytes=4194304', '-X', 'fetch.max.bytes=67108864', '-X', 'queued.max.messages.kbytes=262144', '-X', 'fetch.wait.max.ms=100'];

export async function kcatProduceRate(bootstrap: string, topic: string, w: Workload, extra: string[] = []): Promise<Rate> {
  const file = inputFile(w);
  try {
    const r = await runTimed('kcat', ['-P', '-b', bootstrap, '-t', topic, ...KCAT_PRODUCER_PROPS, ...extra], file);
    if (r.code !== 0) throw new Error(`kcat produce failed: ${r.stderr}`);
    return rate(w.count, w.size, r.secs);
  } finally {
    rmSync(file, { force: true });
  }
}

export async function kcatConsumeRate(bootstrap: string, topic: string, w: Workload): Promise<Rate> {
  // -f '%S\n' prints each payload's size: cheap output that still proves every record arrived.
  const r = await runTimed('kcat', ['-C', '-b', bootstrap, '-t', topic, '-o', 'beginning', '-e', '-q', '-f', '%S\\n', ...KCAT_CONSUMER_PROPS]);
  if (r.code !== 0) throw new Error(`kcat consume failed: ${r.stderr}`);
  const lines = r.stdout.split('\n').filter((l) => l !== '');
  if (lines.length !== w.count) throw new Error(`kcat consumed ${lines.length} of ${w.count}`);
  return rate(w.count, w.size, r.secs);
}

/** confluent-kafka-python (librdkafka) producing one shared value `count` times: less client overhead than kcat's line input. */
export async function ckProduceRate(bootstrap: string, topic: string, w: Workload, config: Record<string, unknown> = {}): Promise<Rate> {
  const r = await python<{ elapsed: number; acked: number; errors: number }>('dp_bench.py', { op: 'produce', bootstrap, topic, count: w.count, size: w.size, config }, 600_000);
  if (r.acked !== w.count) throw new Error(`ck produce: ${r.acked} of ${w.count} acknowledged, ${r.errors} errors`);
  return rate(w.count, w.size, r.elapsed);
}

export async function kafkajsProduceRate(bootstrap: string, topic: string, w: Workload, acks = -1): Promise<Rate> {
  const producer = kafkajs(bootstrap).producer({ allowAutoTopicCreation: false });
  await producer.connect();
  const value = Buffer.alloc(w.size, 'v'.charCodeAt(0));
  const perSend = Math.max(100, Math.floor((1 << 20) / w.size)); // ~1 MiB per send() call
  const inFlight = 4;
  const t0 = performance.now();
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < w.count) {
      const n = Math.min(perSend, w.count - next);
      next += n;
      const messages = new Array(n);
      for (let i = 0; i < n; i++) messages[i] = { value };
      await producer.send({ topic, messages, acks });
    }
  };
  await Promise.all(Array.from({ length: inFlight }, lane));
  const secs = (performance.now() - t0) / 1000;
  await producer.disconnect();
  return rate(w.count, w.size, secs);
}

export async function kafkajsConsumeRate(bootstrap: string, topic: string, w: Workload): Promise<Rate> {
  let n = 0;
  const t0 = performance.now();
  await kafkajsFetch(bootstrap, topic, new Map(Array.from({ length: PARTITIONS }, (_, p) => [p, 0])), {
    expect: w.count,
    idleMs: 3000,
    timeoutMs: 600_000,
    partitionMaxBytes: 4 << 20,
    onRecord: () => void n++,
  });
  const secs = (performance.now() - t0) / 1000;
  if (n !== w.count) throw new Error(`kafkajs consumed ${n} of ${w.count}`);
  return rate(w.count, w.size, secs);
}

export interface ThroughputResult {
  client: 'kcat' | 'kafkajs';
  workload: string;
  produce: Rate;
  consume: Rate;
}

export async function runThroughput(bootstrap: string, clients: Array<'kcat' | 'kafkajs'>, scale = 1, log: (s: string) => void = console.log): Promise<ThroughputResult[]> {
  const results: ThroughputResult[] = [];
  for (const client of clients) {
    for (const base of WORKLOADS) {
      const w = { ...base, count: Math.round(base.count * scale) };
      const topic = `bench-${client}-${w.size}-${Date.now()}`;
      await createTopic(bootstrap, topic);
      const produce = client === 'kcat' ? await kcatProduceRate(bootstrap, topic, w) : await kafkajsProduceRate(bootstrap, topic, w);
      const consume = client === 'kcat' ? await kcatConsumeRate(bootstrap, topic, w) : await kafkajsConsumeRate(bootstrap, topic, w);
      const r: ThroughputResult = { client, workload: base.name, produce, consume };
      log(`${client} ${base.name}: produce ${produce.MBps.toFixed(1)} MB/s ${Math.round(produce.msgPerSec)} msg/s; consume ${consume.MBps.toFixed(1)} MB/s ${Math.round(consume.msgPerSec)} msg/s`);
      results.push(r);
    }
  }
  return results;
}

if (isMain(import.meta.url)) {
  const args = process.argv.slice(2);
  const only = args.includes('--only') ? [args[args.indexOf('--only') + 1] as 'kcat' | 'kafkajs'] : (['kcat', 'kafkajs'] as const).slice();
  const scale = args.includes('--scale') ? Number(args[args.indexOf('--scale') + 1]) : 1;
  const broker = await startBenchBroker();
  try {
    const res = await runThroughput(broker.bootstrap, only, scale);
    if (args.includes('--json')) writeFileSync(args[args.indexOf('--json') + 1]!, JSON.stringify(res, null, 2));
  } finally {
    await broker.stop();
  }
}
