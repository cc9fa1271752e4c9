/**
 * The benchmark suite: Runnel against this machine's limits, librdkafka's mock cluster and Apache
 * Kafka, all measured in one run with the same clients and the same data (issues 8 and 10).
 *
 *   npm run bench                         everything, ~12 min on 2 cores
 *   npm run bench -- --quick              smaller counts, fewer repetitions, ~5 min
 *   npm run bench -- --only w2,w3         some workloads (w1..w6; limits always run)
 *   npm run bench -- --brokers runnel,kafka   a subset of runnel, runnel-nofsync, mock, kafka
 *   npm run bench -- --repeats 3 --no-kafkajs --json out.json --md out.md
 *   npx tsx bench/run-all.ts ...          the same without a build of bench/ (dist/runnel.mjs must exist)
 *
 * Steps: the machine's limits (limits.ts); the four brokers started side by side on free
 * 127.0.0.1 ports with fresh data dirs under bench/.work/suite; W1-W4 on them, each measurement
 * repeated and interleaved across brokers (the order rotates); the brokers stopped; then W6
 * (startup, fresh processes) and W5 (partitions, a fresh broker of each kind). Prints a Markdown
 * report (bench/RESULTS.md carries the latest) and writes it with a JSON file of every sample and
 * the machine's details to bench/.work/suite/results-<time>.{md,json}. Everything it starts is
 * stopped at the end, or killed if the suite dies.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, freemem, loadavg, release, totalmem } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { measureLimits, type Limits } from './suite/limits.js';
import { WORK, commandExists, cpuPressure, rssMb } from './suite/lib/common.js';
import { BROKER_LABEL, kafkaScript, startKafka, startMock, startRunnel, type Broker, type BrokerKind, type KafkaBroker } from './suite/lib/brokers.js';
import { Results, attempt, type Ctx } from './suite/lib/context.js';
import { ensureRdbench } from './suite/lib/rdbench.js';
import { markdown, type RunRecord } from './suite/lib/report.js';
import { runW1 } from './suite/w1-sequential.js';
import { runW2 } from './suite/w2-throughput.js';
import { runW3 } from './suite/w3-latency.js';
import { runW4 } from './suite/w4-fanout.js';
import { runW5 } from './suite/w5-partitions.js';
import { runW6 } from './suite/w6-startup.js';

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

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
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
      const { rdbench } = await import('./suite/lib/rdbench.js');
      for (const [kind, b] of running) {
        await attempt(ctx, `warm-up ${kind}`, async () => {
          await b.createTopic('warmup', 6);
          await rdbench('produce', [b.bootstrap, 'warmup', opts.quick ? 50_000 : 200_000, 1024, 1]);
          await rdbench('consume', [b.bootstrap, 'warmup', 6, opts.quick ? 50_000 : 200_000]);
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
  if (!versions[BROKER_LABEL.runnel]) versions.Runnel = (await import('./suite/lib/brokers.js')).runnelVersion();
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

await main();
