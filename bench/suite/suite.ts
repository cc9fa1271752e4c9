/**
 * The benchmark suite itself (bench/run-all.ts is its entry point, `npm run bench`); each
 * workload file also runs it for just that workload, e.g. `node dist/bench/suite/w3-latency.js`
 * (= `npm run bench -- --only w3`, other options pass through).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, freemem, loadavg, release, totalmem } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { measureLimits, type Limits } from './limits.js';
import { WORK, commandExists, cpuPressure, rssMb } from './lib/common.js';
import { BROKER_LABEL, kafkaScript, startKafka, startMock, startRunnel, type Broker, type BrokerKind, type KafkaBroker } from './lib/brokers.js';
import { Results, attempt, type Ctx } from './lib/context.js';
import { ensureRdbench } from './lib/rdbench.js';
import { markdown, type RunRecord } from './lib/report.js';
import { runW1 } from './w1-sequential.js';
import { runW2 } from './w2-throughput.js';
import { runW3 } from './w3-latency.js';
import { runW4 } from './w4-fanout.js';
import { runW5 } from './w5-partitions.js';
import { runW6 } from './w6-startup.js';

const ALL_BROKERS: BrokerKind[] = ['runnel', 'runnel-nofsync', 'mock', 'kafka'];

function parseArgs(argv: string[]) {
  const val = (name: string): string | undefined => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? argv[i + 1] : argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
  };
  const quick = argv.includes('--quick');
  const only = (val('only') ?? 'w1,w2,w3,w4,w5,w6').toLowerCase().split(',');
  let brokers = (val('brokers')?.split(',') ?? ALL_BROKERS) as BrokerKind[];
  for (const b of brokers) if (!ALL_BROKERS.includes(b)) throw new Error(`unknown broker ${b} (${ALL_BROKERS.join(', ')})`);
  if (argv.includes('--no-kafka')) brokers = brokers.filter((b) => b !== 'kafka');
  return {
    quick,
    only,
    brokers,
    repeats: Number(val('repeats') ?? (quick ? 1 : 2)),
    kafkajs: !argv.includes('--no-kafkajs'),
    json: val('json'),
    md: val('md'),
  };
}

function diskOf(dir: string): string {
  try {
    const line = execFileSync('df', ['-PT', dir], { encoding: 'utf8' }).trim().split('\n')[1]!.split(/\s+/);
    return `${line[0]} (${line[1]})`;
  } catch {
    return '?';
  }
}

/** Runs the suite with command-line arguments (see bench/run-all.ts). */
export async function runSuite(argv: string[]): Promise<void> {
  const reportOf = argv.indexOf('--report');
  if (reportOf >= 0) {
    // Re-renders a saved run (its JSON file) as Markdown: for bench/RESULTS.md after report changes.
    console.log(markdown(JSON.parse(readFileSync(argv[reportOf + 1]!, 'utf8')) as RunRecord));
    return;
  }
  const opts = parseArgs(argv);
  const log = (s: string): void => console.error(s);
  const started = new Date();
  const t0 = performance.now();
  const psi0 = cpuPressure();
  mkdirSync(WORK, { recursive: true });
  const env = {
    date: started.toISOString(),
    node: process.version,
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? '?',
    memGb: totalmem() / 1024 ** 3,
    freeMemGbBefore: freemem() / 1024 ** 3,
    kernel: `Linux ${release()}`,
    disk: diskOf(WORK),
    loadBefore: loadavg().map((x) => x.toFixed(1)).join(' '),
    loadAfter: '',
    pressureAvgPct: null as number | null,
    pressureAvg10Before: psi0?.avg10 ?? null,
  };
  log(`bench: ${env.cpus} × ${env.cpuModel}, Node ${env.node}, load ${env.loadBefore}, CPU pressure avg10 ${psi0?.avg10 ?? 'n/a'}%`);
  if (!commandExists('gcc')) throw new Error('gcc is needed to build the librdkafka driver (bench/drivers/rdbench.c)');
  await ensureRdbench();
  if (opts.brokers.includes('kafka') && !kafkaScript()) {
    log('bench: scripts/apache-kafka.sh not found: Kafka is left out');
    opts.brokers = opts.brokers.filter((b) => b !== 'kafka');
  }
  if (opts.brokers.includes('kafka') && !(commandExists('java') && commandExists('mvn'))) {
    log('bench: java/mvn not found: Kafka is left out');
    opts.brokers = opts.brokers.filter((b) => b !== 'kafka');
  }

  const results = new Results();
  const running = new Map<BrokerKind, Broker>();
  const ctx: Ctx = { quick: opts.quick, repeats: opts.repeats, brokers: opts.brokers, kafkajs: opts.kafkajs, log, running, results };
  const versions: Record<string, string> = {};

  log('limits: loopback TCP, disk');
  let limits: Limits | null = null;
  await attempt(ctx, 'limits', async () => {
    limits = await measureLimits(opts.quick, log);
    log(`  ${JSON.stringify(limits)}`);
  });

  const shared = ['w1', 'w2', 'w3', 'w4'].filter((w) => opts.only.includes(w));
  if (shared.length > 0) {
    log(`brokers: starting ${opts.brokers.join(', ')}`);
    try {
      for (const kind of opts.brokers) {
        await attempt(ctx, `start ${kind}`, async () => {
          const b = kind === 'mock' ? await startMock() : kind === 'kafka' ? await startKafka('kafka-main') : await startRunnel({ kind });
          running.set(kind, b);
          versions[BROKER_LABEL[kind]] = b.version;
          log(`  ${kind}: ${b.bootstrap} (pid ${b.pid}, RSS ${rssMb(b.pid).toFixed(0)} MB)`);
        });
      }
      // Warm-up (JIT, page cache, connections): a small produce/consume on each broker, not recorded.
      const { rdbench } = await import('./lib/rdbench.js');
      for (const [kind, b] of running) {
        await attempt(ctx, `warm-up ${kind}`, async () => {
          await b.createTopic('warmup', 6);
          await rdbench('produce', [b.bootstrap, 'warmup', opts.quick ? 50_000 : 200_000, 1024, 1]);
          await rdbench('consume', [b.bootstrap, 'warmup', 6, opts.quick ? 50_000 : 200_000]);
          // The paced acks=-1 path with a waiting fetch (W1, W3) runs other code than bulk transfers:
          // without this the first ~1.5 s of W3 on a fresh process measures the JIT (p99 ×2).
          if (kind !== 'mock') {
            await b.createTopic('warmup-latency', 1);
            await rdbench('latency', [b.bootstrap, 'warmup-latency', 10_000, 3, 1024, 'all'], 60_000);
          }
        });
      }
      for (const [w, fn] of [
        ['w1', runW1],
        ['w2', runW2],
        ['w3', runW3],
        ['w4', runW4],
      ] as const) {
        if (!opts.only.includes(w)) continue;
        log(`${w.toUpperCase()}`);
        const ws = performance.now();
        await fn(ctx);
        log(`  (${((performance.now() - ws) / 1000).toFixed(0)} s)`);
      }
    } finally {
      for (const [kind, b] of running) await attempt(ctx, `stop ${kind}`, () => b.stop());
      running.clear();
    }
  }

  if (opts.only.includes('w5') || opts.only.includes('w6')) {
    let kafka: KafkaBroker | null = null;
    if (opts.brokers.includes('kafka')) {
      await attempt(ctx, 'start kafka (fresh, for W5/W6)', async () => {
        kafka = await startKafka('kafka-fresh');
        versions[BROKER_LABEL.kafka] = kafka.version;
      });
    }
    try {
      if (opts.only.includes('w6')) {
        log('W6');
        const ws = performance.now();
        await runW6(ctx, kafka);
        log(`  (${((performance.now() - ws) / 1000).toFixed(0)} s)`);
      }
      if (opts.only.includes('w5')) {
        log('W5');
        const ws = performance.now();
        for (const kind of opts.brokers) {
          if (kind === 'kafka' && !kafka) continue;
          if (kind === 'runnel-nofsync' && opts.brokers.includes('runnel')) continue;
          await runW5(ctx, kind, kind === 'kafka' ? kafka : null);
          if (kind === 'kafka') kafka = null; // runW5 stopped it
        }
        log(`  (${((performance.now() - ws) / 1000).toFixed(0)} s)`);
      }
    } finally {
      const k = kafka as KafkaBroker | null;
      if (k) await attempt(ctx, 'stop kafka', () => k.stop());
    }
  }

  const psi1 = cpuPressure();
  const durationSecs = (performance.now() - t0) / 1000;
  env.loadAfter = loadavg().map((x) => x.toFixed(1)).join(' ');
  env.pressureAvgPct = psi0 && psi1 ? (100 * (psi1.totalUs - psi0.totalUs)) / 1e6 / durationSecs : null;
  if (!versions[BROKER_LABEL.runnel]) versions.Runnel = (await import('./lib/brokers.js')).runnelVersion();
  const record: RunRecord = {
    env,
    versions,
    options: { ...opts },
    limits,
    samples: results.samples,
    notes: results.notes,
    errors: results.errors,
    durationSecs,
    command: `npm run bench${argv.length ? ` -- ${argv.join(' ')}` : ''}`,
  };
  const md = markdown(record);
  const stamp = started.toISOString().replace(/[:.]/g, '-');
  const jsonPath = opts.json ?? join(WORK, `results-${stamp}.json`);
  const mdPath = opts.md ?? join(WORK, `results-${stamp}.md`);
  writeFileSync(jsonPath, JSON.stringify(record, null, 2));
  writeFileSync(mdPath, md + '\n');
  console.log(md);
  log(`bench: ${(durationSecs / 60).toFixed(1)} min; results in ${jsonPath} and ${mdPath}`);
  if (results.errors.length > 0) process.exitCode = 1;
}

