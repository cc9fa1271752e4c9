/**
 * Share-group (KIP-932) consume throughput, Runnel vs Apache Kafka 4.4 in the same run, and against
 * a classic consumer group reading the same data. Opt-in (not part of run-all): needs
 * `npm run build` (Runnel runs as its own process, dist/runnel.mjs), Java + Maven (test/java
 * runnel.ShareBench: the consumers are threads of one JVM, each its own KafkaShareConsumer /
 * KafkaConsumer 4.4) and scripts/apache-kafka.sh's jars.
 *
 *   npx tsx bench/share/throughput.ts [--rounds 3] [--records 200000] [--size 512]
 *        [--partitions 8] [--cases share-implicit-1,share-implicit-4,...]
 *        [--brokers runnel,kafka[,runnel-nofsync][,runnel-base]] [--base-bin /other/checkout/dist/runnel.mjs]
 *        [--append]
 *
 * One topic per broker is filled once (ProducerPerformance); every case then reads it from the
 * start with a fresh group: records/s from the first record received to the last of --records.
 * Cases: `share-<ack>-<workers>` with ack = implicit (share.acknowledgement.mode=implicit: the next
 * poll accepts the batch), explicit (acknowledge(record, ACCEPT) per record, sent with the next
 * poll), sync (explicit + commitSync per poll: one ShareAcknowledge round trip per batch), and
 * `classic-<workers>` (a classic consumer group, auto.offset.reset=earliest, no commits).
 * Rounds are interleaved, broker order alternating; each result carries the load average and the
 * CPU pressure over its own run (2 shared cores). Medians are reported. Every wait is bounded.
 *
 * Both brokers run with their defaults for share groups (delivery count limit 5, 2000 record locks
 * per share partition, lock 30 s); Runnel fsyncs every append and every share-state write (its
 * default), Kafka does not fsync.
 */
import { spawn } from 'node:child_process';
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ensureJavaBuilt, javaClasspath, runKafkaTool } from '../../test/helpers/java.js';
import { REPO_ROOT, cpuPressure, cpuSeconds } from '../suite/lib/common.js';
import { startKafka, startRunnel, type Broker } from '../suite/lib/brokers.js';
import { isMain } from '../is-main.js';

const { values: args } = parseArgs({
  options: {
    rounds: { type: 'string', default: '3' },
    records: { type: 'string', default: '200000' },
    size: { type: 'string', default: '512' },
    partitions: { type: 'string', default: '8' },
    cases: { type: 'string', default: 'share-implicit-1,share-implicit-4,share-implicit-16,share-explicit-4,share-sync-4,classic-1,classic-4' },
    brokers: { type: 'string', default: 'runnel,kafka' },
    append: { type: 'boolean', default: false },
    /** `runnel-base` in --brokers: another build (an A/B against this one), same settings. */
    'base-bin': { type: 'string' },
  },
});
const WORK = join(REPO_ROOT, 'bench', '.work', 'share');
const TOPIC = 'shbench';
/** The consumers' JVM: full JIT, serial GC, one heap for all threads. */
const JVM = ['-Xms512m', '-Xmx512m', '-XX:+UseSerialGC', '-Djava.awt.headless=true'];

interface Row {
  broker: string;
  kase: string;
  round: number;
  recordsPerSec: number;
  mbPerSec: number;
  secs: number;
  joinSecs: number;
  polls: number;
  /** Broker CPU-seconds per 100,000 records over the run (join included). */
  brokerCpuPer100k: number;
  complete: boolean;
  loadAvg1: number;
  pressurePct: number | null;
}

interface Target {
  name: string;
  broker: Broker;
}

function runShareBench(bootstrap: string, javaArgs: string[], timeoutMs: number): Promise<any> {
  return new Promise((resolve, reject) => {
    const child = spawn('java', [...JVM, '-cp', javaClasspath(), 'runnel.ShareBench', '--bootstrap', bootstrap, ...javaArgs], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout!.on('data', (d: Buffer) => void (out += d.toString()));
    child.stderr!.on('data', (d: Buffer) => void (err = (err + d.toString()).slice(-4000)));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      const last = out.trim().split('\n').pop() ?? '';
      try {
        const j = JSON.parse(last);
        if (j.error) console.log(`  ShareBench error: ${String(j.error).slice(0, 400)}`);
        resolve(j);
      } catch {
        reject(new Error(`ShareBench exited ${code}: ${err.slice(-1500)}`));
      }
    });
  });
}

function parseCase(k: string): { mode: 'share' | 'classic'; ack: string; workers: number } {
  const parts = k.split('-');
  if (parts[0] === 'classic') return { mode: 'classic', ack: 'none', workers: Number(parts[1]) };
  const ack = parts[1] === 'sync' ? 'explicit-sync' : parts[1]!;
  return { mode: 'share', ack, workers: Number(parts[2]) };
}

const median = (xs: number[]): number => {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

async function main(): Promise<void> {
  mkdirSync(WORK, { recursive: true });
  await ensureJavaBuilt();
  const rounds = Number(args.rounds);
  const records = Number(args.records);
  const size = Number(args.size);
  const partitions = Number(args.partitions);
  const cases = args.cases!.split(',');
  const started = new Date();
  const load0 = loadavg();
  const targets: Target[] = [];
  const rows: Row[] = [];
  const run = Date.now();
  try {
    for (const b of args.brokers!.split(',')) {
      if (b === 'runnel') targets.push({ name: 'Runnel', broker: await startRunnel({ flags: { 'runnel.group.share.auto.offset.reset': 'earliest' } }) });
      // Kafka's flush policy (page cache only): what the share-state fsync per ShareFetch costs.
      else if (b === 'runnel-nofsync') targets.push({ name: 'Runnel nofsync', broker: await startRunnel({ kind: 'runnel-nofsync', flags: { 'runnel.group.share.auto.offset.reset': 'earliest' } }) });
      else if (b === 'runnel-base') {
        if (!args['base-bin']) throw new Error('--brokers runnel-base needs --base-bin');
        targets.push({ name: 'Runnel base', broker: await startRunnel({ bin: args['base-bin'], flags: { 'runnel.group.share.auto.offset.reset': 'earliest' } }) });
      } else if (b === 'kafka') targets.push({ name: 'Apache Kafka', broker: await startKafka('shbench-kafka') });
      else throw new Error(`--brokers ${b}?`);
    }
    for (const t of targets) {
      await t.broker.createTopic(TOPIC, partitions);
      const t0 = performance.now();
      const r = await runKafkaTool(
        'ProducerPerformance',
        ['--topic', TOPIC, '--num-records', String(records), '--record-size', String(size), '--throughput', '-1', '--producer-props', `bootstrap.servers=${t.broker.bootstrap}`, 'acks=1', 'linger.ms=20', 'batch.size=262144'],
        { timeoutMs: 300_000, jvmArgs: ['-Xmx512m'] },
      );
      if (r.code !== 0) throw new Error(`${t.name}: filling failed: ${r.stderr.slice(-2000)}`);
      console.log(`${t.name}: filled ${records} x ${size} B in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    }
    for (let round = 0; round < rounds; round++) {
      for (const [i, kase] of cases.entries()) {
        const c = parseCase(kase);
        for (const t of (round + i) % 2 === 0 ? targets : [...targets].reverse()) {
          const group = `${kase}-${round}-${run}`;
          const javaArgs = ['--topic', TOPIC, '--group', group, '--count', String(records), '--workers', String(c.workers), '--mode', c.mode, '--ack', c.ack, '--max-ms', '120000'];
          if (t.broker.kind === 'kafka' && c.mode === 'share') javaArgs.push('--group-earliest', 'true');
          const p0 = cpuPressure();
          const cpu0 = t.broker.cpuSeconds();
          const w0 = performance.now();
          const j = await runShareBench(t.broker.bootstrap, javaArgs, 200_000);
          const wallUs = (performance.now() - w0) * 1000;
          const p1 = cpuPressure();
          const cpu = t.broker.cpuSeconds() - cpu0;
          const row: Row = {
            broker: t.name,
            kase,
            round,
            recordsPerSec: j.records / j.secs,
            mbPerSec: j.bytes / j.secs / 1e6,
            secs: j.secs,
            joinSecs: j.joinSecs,
            polls: j.polls,
            brokerCpuPer100k: (cpu * 100_000) / Math.max(1, j.records),
            complete: j.complete === true,
            loadAvg1: loadavg()[0]!,
            pressurePct: p0 && p1 ? (100 * (p1.totalUs - p0.totalUs)) / wallUs : null,
          };
          rows.push(row);
          console.log(`${kase.padEnd(18)} ${t.name.padEnd(12)} round ${round}: ${Math.round(row.recordsPerSec)} rec/s, ${row.mbPerSec.toFixed(1)} MB/s, ${row.secs.toFixed(2)} s (+${row.joinSecs.toFixed(1)} s join), broker ${row.brokerCpuPer100k.toFixed(2)} CPU-s/100k${row.complete ? '' : ' INCOMPLETE'} (load ${row.loadAvg1.toFixed(1)}, cpu pressure ${row.pressurePct?.toFixed(0)}%)`);
        }
      }
    }
  } finally {
    for (const t of targets) await t.broker.stop().catch((e) => console.log(`${t.name} stop: ${e}`));
  }
  const load1 = loadavg();
  writeFileSync(join(WORK, `throughput-${started.toISOString().replace(/[:.]/g, '-')}.json`), JSON.stringify({ started, rows }, null, 2));
  const table = report(targets.map((t) => t.name), cases, rows);
  console.log(table);
  if (args.append) {
    const versions = targets.map((t) => (t.broker.kind === 'kafka' ? t.broker.version : `${t.name} ${t.broker.version} (dist/${t.broker.kind === 'runnel' ? ', fsync per append' : ', no fsync'})`)).join(', ');
    appendFileSync(
      join(REPO_ROOT, 'bench', 'RESULTS.md'),
      `\n### Share groups (KIP-932): consume throughput and acknowledgement cost, Runnel vs Apache Kafka (issue 19, ${started.toISOString().slice(0, 16).replace('T', ' ')} UTC)\n\n` +
        `\`npx tsx bench/share/throughput.ts --append\` (after \`npm run build\`): ${rounds} rounds, Node ${process.version}, ${cpus().length} cores, ${versions}; ${records} records of ${size} B on ${partitions} partitions; consumers: Java KafkaShareConsumer / KafkaConsumer 4.4 threads in one JVM. Load average ${load0.map((x) => x.toFixed(1)).join('/')} at the start, ${load1.map((x) => x.toFixed(1)).join('/')} at the end.\n\n${table}\n`,
    );
  }
}

/** Markdown: medians per case and broker, every round in brackets, Runnel/Kafka ratio. */
export function report(brokers: string[], cases: string[], rows: Row[]): string {
  const out = ['| case | broker | records/s | MB/s | broker CPU-s per 100k records | join s | Runnel / Kafka | load avg / CPU pressure |', '| --- | --- | --- | --- | --- | --- | --- | --- |'];
  for (const k of cases) {
    const med = (b: string, f: (r: Row) => number) => median(rows.filter((r) => r.kase === k && r.broker === b).map(f));
    for (const b of brokers) {
      const rs = rows.filter((r) => r.kase === k && r.broker === b);
      if (rs.length === 0) continue;
      const ratio = b.startsWith('Runnel') && brokers.includes('Apache Kafka') ? `${(med(b, (r) => r.recordsPerSec) / med('Apache Kafka', (r) => r.recordsPerSec)).toFixed(2)}x` : '';
      const inc = rs.filter((r) => !r.complete).length;
      out.push(
        `| ${k} | ${b} | ${Math.round(med(b, (r) => r.recordsPerSec))} [${rs.map((r) => Math.round(r.recordsPerSec)).join(', ')}]${inc ? ` (${inc} incomplete)` : ''} | ${med(b, (r) => r.mbPerSec).toFixed(1)} | ${med(b, (r) => r.brokerCpuPer100k).toFixed(2)} | ${med(b, (r) => r.joinSecs).toFixed(1)} | ${ratio} | ${med(b, (r) => r.loadAvg1).toFixed(1)} / ${med(b, (r) => r.pressurePct ?? NaN).toFixed(0)}% |`,
      );
    }
  }
  return out.join('\n');
}

if (isMain(import.meta.url)) await main();
