/**
 * A/B of two Runnel builds over the suite's workloads, interleaved, for a shared and loaded
 * machine where absolute figures (and two runs of `npm run bench` hours apart) cannot be compared.
 * Both builds run the same workload back to back, which one goes first alternates (per repetition
 * and per case), and the report gives per workload: the baseline's and the candidate's medians, the
 * median of the per-repetition ratios (candidate / baseline of measurements taken back to back:
 * load drift hits both alike) and their spread (min–max of those ratios).
 *
 * CPU-based metrics (the broker process's own CPU, all threads, from /proc/<pid>/task/<tid>/schedstat
 * in ns — /proc/<pid>/stat's 10 ms ticks cannot resolve a 50 ms produce: per MB, per request, to
 * the first answered request) are the ones to trust on a loaded machine: wall-clock figures move
 * with other people's load, CPU time moves much less. Startup CPU includes V8 parsing/compiling
 * the bundle, so a grown bundle shows there; "waiting for a CPU" (schedstat's run-queue time) shows
 * how much of a start's wall time was other people's load.
 *
 *   git archive <base> | tar -x -C /tmp/base && ln -s $PWD/node_modules /tmp/base/ && (cd /tmp/base && npm run build)
 *   npm run build && npx tsx bench/suite/ab.ts --baseline /tmp/base/dist/runnel.mjs
 *       [--candidate dist/runnel.mjs]        the other build (default: this checkout's)
 *       [--only produce,w1,w3,w4,w5,w6]      workloads (default all of them)
 *       [--repeats 4]                        interleaved repetitions of produce/consume, W1, W3, W4
 *       [--sizes 100,1024] [--codecs none,lz4] [--scale 1]   produce cases (W2's counts × scale)
 *       [--w3-seconds 10] [--w4-groups 4]
 *       [--w5-partitions 10000] [--w5-repeats 3] [--w6-repeats 8]
 *       [--baseline-flags none|<flag,flag>] [--candidate-flags ...]   V8 flags (default src/node-flags.ts's)
 *   Give the same build twice (--baseline dist/runnel.mjs) for an A/A run: the noise floor.
 *
 * Workloads (the suite's, bench/suite/w*.ts, with the same clients and broker settings):
 * - produce: W2's produce half (librdkafka rdbench, 6 partitions, acks=1, linger.ms=10) per record
 *   size and codec, then W2's consume of the same topic: MB/s and MB per broker CPU-second of both;
 * - w1: 5,000 × 100 B acks=-1 one at a time (every ack after an fdatasync): total s, p50/p99,
 *   broker CPU ms per request;
 * - w3: 1 KiB at 10,000 msg/s acks=-1, end-to-end latency p50/p99/p99.9 and broker CPU µs per record;
 * - w4: one producer and N consumer groups over 12 partitions: delivered MB/s, broker CPU per MB;
 * - w5: a fresh broker per build and repetition: create a 10,000-partition topic (ms and broker
 *   CPU ms), produce 100,000 × 1 KiB over it (MB/s, MB per CPU-s), RSS, clean stop, restart →
 *   first answered request (ms, and the new process's CPU ms by then: all threads, main thread),
 *   idle RSS;
 * - w6: fresh data dir, Runnel's defaults: start → accept / first answer (ms and CPU ms), idle RSS.
 *
 * Two brokers (one per build) serve produce/w1/w3/w4, started once with fresh data dirs; w5 and w6
 * start their own. Output: Markdown tables on stdout and every sample in
 * bench/.work/suite/ab-<time>.json. bench/records/walk-ab.ts is the produce-only ancestor (it
 * also takes Apache Kafka as the baseline).
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { loadavg } from 'node:os';
import { RUNNEL_BIN, settledRss, startRunnel, type Broker } from './lib/brokers.js';
import { PhaseMeter, WORK, cpuPressure, freePort, settleDisk, sleep } from './lib/common.js';
import { schedCpu } from './lib/sched-cpu.js';
import { topicName } from './lib/context.js';
import { rdbench, type RdConsume, type RdFanout, type RdLatency, type RdProduce, type RdSequential } from './lib/rdbench.js';

const args = process.argv.slice(2);
const val = (name: string): string | undefined => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
};
const num = (name: string, def: number): number => Number(val(name) ?? def);
const baselineBin = val('baseline');
if (!baselineBin) throw new Error("--baseline <path to the other build's dist/runnel.mjs> is required");
const flagsArg = (name: string): readonly string[] | undefined => {
  const v = val(name);
  if (v === undefined) return undefined;
  return v === 'none' ? [] : v.split(',');
};

type Build = 'baseline' | 'candidate';
interface BuildSpec {
  name: Build;
  bin: string;
  nodeFlags: readonly string[] | undefined;
}
const BUILDS: BuildSpec[] = [
  { name: 'baseline', bin: resolve(baselineBin), nodeFlags: flagsArg('baseline-flags') },
  { name: 'candidate', bin: resolve(val('candidate') ?? RUNNEL_BIN), nodeFlags: flagsArg('candidate-flags') },
];
const only = (val('only') ?? 'produce,w1,w3,w4,w5,w6').split(',');
const repeats = num('repeats', 4);
const sizes = (val('sizes') ?? '100,1024').split(',').map(Number);
const codecs = (val('codecs') ?? 'none,lz4').split(',');
const scale = num('scale', 1);
const w3Seconds = num('w3-seconds', 10);
const w4Groups = num('w4-groups', 4);
const w5Partitions = num('w5-partitions', 10_000);
const w5Repeats = num('w5-repeats', 3);
const w6Repeats = num('w6-repeats', 8);
const PARTITIONS = 6;
/** W2's record counts (1,000,000 × 100 B, 200,000 × 1 KiB), scaled. */
const countFor = (size: number): number => Math.round((size >= 1024 ? 200_000 : 1_000_000) * scale);

interface Sample {
  workload: string;
  case: string;
  metric: string;
  better: 'higher' | 'lower';
  build: Build;
  rep: number;
  value: number;
  /** CPU pressure (PSI "some", % of wall time) during the measurement, when it had one. */
  pressurePct?: number | null;
}
const samples: Sample[] = [];
const add = (s: Sample): void => {
  samples.push(s);
};
const log = (s: string): void => console.log(s);

/** The two builds in the order of this turn: alternating, so going first or second is balanced over an even number of turns. */
const ordered = (turn: number): BuildSpec[] => (turn % 2 === 0 ? BUILDS : [...BUILDS].reverse());

const startBuild = (b: BuildSpec, extra: Parameters<typeof startRunnel>[0] = {}) => startRunnel({ bin: b.bin, nodeFlags: b.nodeFlags, ...extra });


// ---------------------------------------------------------------------------------------------
// Workloads on one long-running broker per build

/**
 * Runs `fn` against `broker` and measures it: wall seconds, the broker's CPU ms (schedCpu) and CPU
 * pressure. What the suite's `measured` does, with the CPU in nanoseconds instead of 10 ms ticks (a
 * 25 MB produce costs the broker ~0.1 s: ticks would be ±10%). The disk is settled first.
 */
async function measure<T>(broker: Broker, fn: () => Promise<T>): Promise<{ r: T; wallSecs: number; cpuMs: number; pressurePct: number | null }> {
  await settleDisk();
  const m = new PhaseMeter();
  const c0 = schedCpu(broker.pid).cpuMs;
  const r = await fn();
  const cpuMs = schedCpu(broker.pid).cpuMs - c0;
  const e = m.end();
  return { r, wallSecs: e.wallSecs, cpuMs, pressurePct: e.pressurePct };
}


async function produceConsume(brokers: Map<Build, Broker>): Promise<void> {
  let turn = 0;
  for (let rep = 0; rep < repeats; rep++) {
    for (const size of sizes) {
      for (const codec of codecs) {
        const count = countFor(size);
        const c = `${size === 1024 ? '1 KiB' : `${size} B`} × ${count.toLocaleString('en-US')}, ${codec}`;
        for (const b of ordered(rep + turn++)) {
          const broker = brokers.get(b.name)!;
          const topic = topicName('ab-w2');
          await broker.createTopic(topic, PARTITIONS);
          const props = codec === 'none' ? '' : `compression.type=${codec}`;
          const p = await measure(broker, () => rdbench<RdProduce>('produce', [broker.bootstrap, topic, count, size, 1, PARTITIONS, props]));
          if (p.r.acked !== count) throw new Error(`${b.name} ${c}: ${p.r.acked} of ${count} acknowledged (${p.r.error})`);
          const mb = (count * size) / 1e6;
          const pMBps = mb / p.r.elapsed;
          const cpuP = p.cpuMs / 1000;
          add({ workload: 'produce', case: c, metric: 'produce MB/s', better: 'higher', build: b.name, rep, value: pMBps, pressurePct: p.pressurePct });
          add({ workload: 'produce', case: c, metric: 'produce MB per broker CPU-s', better: 'higher', build: b.name, rep, value: mb / cpuP, pressurePct: p.pressurePct });
          const k = await measure(broker, () => rdbench<RdConsume>('consume', [broker.bootstrap, topic, PARTITIONS, count]));
          if (k.r.count < count) throw new Error(`${b.name} ${c} consume: ${k.r.count} of ${count}`);
          const cMBps = k.r.bytes / 1e6 / ((k.r.lastMs - k.r.firstMs) / 1000);
          const cpuK = k.cpuMs / 1000;
          add({ workload: 'consume', case: c, metric: 'consume MB/s', better: 'higher', build: b.name, rep, value: cMBps, pressurePct: k.pressurePct });
          add({ workload: 'consume', case: c, metric: 'consume MB per broker CPU-s', better: 'higher', build: b.name, rep, value: mb / cpuK, pressurePct: k.pressurePct });
          log(`  rep ${rep} ${c} ${b.name}: produce ${pMBps.toFixed(0)} MB/s, ${(mb / cpuP).toFixed(0)} MB/CPU-s; consume ${cMBps.toFixed(0)} MB/s, ${(mb / cpuK).toFixed(0)} MB/CPU-s (PSI ${p.pressurePct?.toFixed(0)}%)`);
        }
      }
    }
  }
}

async function w1(brokers: Map<Build, Broker>): Promise<void> {
  const [count, size] = [5000, 100];
  const c = `${count.toLocaleString('en-US')} × ${size} B, acks=-1, one at a time`;
  for (let rep = 0; rep < repeats; rep++) {
    for (const b of ordered(rep)) {
      const broker = brokers.get(b.name)!;
      const topic = topicName('ab-w1');
      await broker.createTopic(topic, 1);
      const m = await measure(broker, () => rdbench<RdSequential>('sequential', [broker.bootstrap, topic, count, size]));
      const cpuMsPerReq = m.cpuMs / count;
      const base = { workload: 'W1', case: c, build: b.name, rep, pressurePct: m.pressurePct };
      add({ ...base, metric: 'total s', better: 'lower', value: m.r.elapsed });
      add({ ...base, metric: 'p50 ms', better: 'lower', value: m.r.p50 });
      add({ ...base, metric: 'p99 ms', better: 'lower', value: m.r.p99 });
      add({ ...base, metric: 'broker CPU ms per request', better: 'lower', value: cpuMsPerReq });
      log(`  rep ${rep} W1 ${b.name}: ${m.r.elapsed.toFixed(2)} s, p99 ${m.r.p99.toFixed(2)} ms, ${cpuMsPerReq.toFixed(3)} CPU ms/req (PSI ${m.pressurePct?.toFixed(0)}%)`);
    }
  }
}

async function w3(brokers: Map<Build, Broker>): Promise<void> {
  const [rate, size] = [10_000, 1024];
  const c = `1 KiB at ${rate.toLocaleString('en-US')} msg/s for ${w3Seconds} s, acks=-1`;
  for (let rep = 0; rep < repeats; rep++) {
    for (const b of ordered(rep + 1)) {
      const broker = brokers.get(b.name)!;
      const topic = topicName('ab-w3');
      await broker.createTopic(topic, 1);
      const m = await measure(broker, () => rdbench<RdLatency>('latency', [broker.bootstrap, topic, rate, w3Seconds, size, 'all'], (w3Seconds + 90) * 1000));
      if (m.r.count < m.r.sent * 0.99) throw new Error(`W3 ${b.name}: only ${m.r.count} of ${m.r.sent} records arrived`);
      const base = { workload: 'W3', case: c, build: b.name, rep, pressurePct: m.pressurePct };
      add({ ...base, metric: 'p50 ms', better: 'lower', value: m.r.p50 });
      add({ ...base, metric: 'p99 ms', better: 'lower', value: m.r.p99 });
      add({ ...base, metric: 'p99.9 ms', better: 'lower', value: m.r.p999 });
      // Per record, not per second: the run's wall time includes the clients' start and drain.
      add({ ...base, metric: 'broker CPU µs per record', better: 'lower', value: (1000 * m.cpuMs) / m.r.sent });
      log(`  rep ${rep} W3 ${b.name}: p50 ${m.r.p50.toFixed(2)} p99 ${m.r.p99.toFixed(2)} p99.9 ${m.r.p999.toFixed(2)} ms, broker CPU ${((100 * m.cpuMs) / 1000 / m.wallSecs).toFixed(0)}% (PSI ${m.pressurePct?.toFixed(0)}%)`);
    }
  }
}

async function w4(brokers: Map<Build, Broker>): Promise<void> {
  const [count, size, partitions] = [50_000, 1024, 12]; // the suite's W4 (quick: 20,000)
  const c = `1 KiB × ${count.toLocaleString('en-US')}, ${w4Groups} group${w4Groups > 1 ? 's' : ''}, ${partitions} partitions`;
  for (let rep = 0; rep < repeats; rep++) {
    for (const b of ordered(rep)) {
      const broker = brokers.get(b.name)!;
      const topic = topicName('ab-w4');
      await broker.createTopic(topic, partitions);
      const m = await measure(broker, () => rdbench<RdFanout>('fanout', [broker.bootstrap, topic, count, size, w4Groups, partitions], 300_000));
      if (m.r.consumed !== w4Groups * count) throw new Error(`W4 ${b.name}: ${m.r.consumed} of ${w4Groups * count} records delivered`);
      const deliveredMb = (w4Groups * count * size) / 1e6;
      const base = { workload: 'W4', case: c, build: b.name, rep, pressurePct: m.pressurePct };
      add({ ...base, metric: 'delivered MB/s (all groups)', better: 'higher', value: deliveredMb / m.r.doneSecs });
      add({ ...base, metric: 'delivered MB per broker CPU-s', better: 'higher', value: deliveredMb / (m.cpuMs / 1000) });
      log(`  rep ${rep} W4 ${b.name}: ${(deliveredMb / m.r.doneSecs).toFixed(0)} MB/s delivered, broker CPU ${((100 * m.cpuMs) / 1000 / m.wallSecs).toFixed(0)}% (PSI ${m.pressurePct?.toFixed(0)}%)`);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Fresh brokers: partitions (W5) and startup (W6)


async function w5(): Promise<void> {
  const [count, size] = [100_000, 1024];
  const c = `${w5Partitions.toLocaleString('en-US')} partitions`;
  for (let rep = 0; rep < w5Repeats; rep++) {
    for (const b of ordered(rep)) {
      const broker = await startBuild(b);
      try {
        const base = { workload: 'W5', case: c, build: b.name, rep };
        const e = await measure(broker, () => broker.createTopic('w5', w5Partitions));
        add({ ...base, metric: 'create topic ms', better: 'lower', value: e.wallSecs * 1000, pressurePct: e.pressurePct });
        add({ ...base, metric: 'create topic, broker CPU ms', better: 'lower', value: e.cpuMs, pressurePct: e.pressurePct });
        const p = await measure(broker, () => rdbench<RdProduce>('produce', [broker.bootstrap, 'w5', count, size, 1, w5Partitions], 600_000));
        if (p.r.acked !== count) throw new Error(`W5 ${b.name}: ${p.r.acked} of ${count} acknowledged: ${p.r.error}`);
        add({ ...base, metric: 'produce MB/s', better: 'higher', value: (count * size) / 1e6 / p.r.elapsed, pressurePct: p.pressurePct });
        add({ ...base, metric: 'produce MB per broker CPU-s', better: 'higher', value: (count * size) / 1e6 / (p.cpuMs / 1000), pressurePct: p.pressurePct });
        await sleep(1000);
        const rssAfter = broker.rssMb();
        add({ ...base, metric: 'RSS after produce MB', better: 'lower', value: rssAfter });
        await settleDisk();
        const psi0 = cpuPressure();
        const r0 = performance.now();
        const t = await broker.restart!();
        // restart() = clean stop (SIGTERM → exit: every log closed and checkpointed) + start.
        const stopMs = performance.now() - r0 - t.readyMs;
        const sc = schedCpu(broker.pid);
        const psi1 = cpuPressure();
        const restartPsi = psi0 && psi1 ? (100 * (psi1.totalUs - psi0.totalUs)) / 1e6 / (t.readyMs / 1000) : null;
        add({ ...base, metric: 'clean stop ms (not a suite figure)', better: 'lower', value: stopMs });
        add({ ...base, metric: 'clean restart → first answer ms', better: 'lower', value: t.readyMs, pressurePct: restartPsi });
        add({ ...base, metric: 'clean restart → first answer, broker CPU ms', better: 'lower', value: sc.cpuMs, pressurePct: restartPsi });
        add({ ...base, metric: 'clean restart → first answer, main thread CPU ms', better: 'lower', value: sc.mainMs, pressurePct: restartPsi });
        add({ ...base, metric: 'clean restart → first answer, waiting for a CPU ms', better: 'lower', value: sc.waitMs, pressurePct: restartPsi });
        const idle = await settledRss(() => broker.rssMb());
        add({ ...base, metric: 'RSS idle after restart MB', better: 'lower', value: idle });
        log(`  rep ${rep} W5 ${b.name}: create ${(e.wallSecs * 1000).toFixed(0)} ms (CPU ${e.cpuMs.toFixed(0)} ms), produce CPU ${p.cpuMs.toFixed(0)} ms, RSS ${rssAfter.toFixed(0)} MB, stop ${stopMs.toFixed(0)} ms, restart ${t.readyMs.toFixed(0)} ms (CPU ${sc.cpuMs.toFixed(0)} ms, main ${sc.mainMs.toFixed(0)}, run-queue wait ${sc.waitMs.toFixed(0)}; PSI ${restartPsi?.toFixed(0)}%), idle RSS ${idle.toFixed(0)} MB`);
      } finally {
        await broker.stop();
      }
    }
  }
}

async function w6(): Promise<void> {
  const c = 'fresh data dir, defaults, idle';
  for (let rep = 0; rep < w6Repeats; rep++) {
    for (const b of ordered(rep)) {
      const dataDir = join(WORK, `ab-w6-${process.pid}-${b.name}-${rep}`);
      mkdirSync(dataDir, { recursive: true });
      const psi0 = cpuPressure();
      const broker = await startBuild(b, { defaults: true, dataDir, port: await freePort() });
      const sc = schedCpu(broker.pid);
      const psi1 = cpuPressure();
      try {
        const t = broker.lastStart;
        const psi = psi0 && psi1 ? (100 * (psi1.totalUs - psi0.totalUs)) / 1e6 / (t.readyMs / 1000) : null;
        const base = { workload: 'W6', case: c, build: b.name, rep, pressurePct: psi };
        add({ ...base, metric: 'start → accept ms', better: 'lower', value: t.acceptMs });
        add({ ...base, metric: 'start → first answer ms', better: 'lower', value: t.readyMs });
        add({ ...base, metric: 'start → first answer, broker CPU ms', better: 'lower', value: sc.cpuMs });
        add({ ...base, metric: 'start → first answer, main thread CPU ms', better: 'lower', value: sc.mainMs });
        add({ ...base, metric: 'start → first answer, waiting for a CPU ms', better: 'lower', value: sc.waitMs });
        const rss = await settledRss(() => broker.rssMb());
        add({ ...base, metric: 'idle RSS MB', better: 'lower', value: rss });
        log(`  rep ${rep} W6 ${b.name}: accept ${t.acceptMs.toFixed(0)} ms, answer ${t.readyMs.toFixed(0)} ms (CPU ${sc.cpuMs.toFixed(0)} ms, main ${sc.mainMs.toFixed(0)}, run-queue wait ${sc.waitMs.toFixed(0)}; PSI ${psi?.toFixed(0)}%), idle RSS ${rss.toFixed(1)} MB`);
      } finally {
        await broker.stop();
        rmSync(dataDir, { recursive: true, force: true });
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Report

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const fmt = (x: number): string => (Math.abs(x) >= 100 ? x.toFixed(0) : Math.abs(x) >= 10 ? x.toFixed(1) : Math.abs(x) >= 1 ? x.toFixed(2) : x.toFixed(3));
const pct = (ratio: number): string => `${ratio >= 1 ? '+' : ''}${((ratio - 1) * 100).toFixed(1)}%`;

export function report(all: Sample[]): string {
  const out: string[] = [];
  const workloads = [...new Set(all.map((s) => s.workload))];
  for (const w of workloads) {
    out.push(`\n${w}\n`);
    out.push('| case | metric | baseline | candidate | ratio of medians | paired ratio (median) | paired spread (min–max) | n |');
    out.push('|---|---|---|---|---|---|---|---|');
    const ws = all.filter((s) => s.workload === w);
    const keys = [...new Set(ws.map((s) => `${s.case}\u0000${s.metric}`))];
    for (const key of keys) {
      const [c, metric] = key.split('\u0000') as [string, string];
      const of = (b: Build) => ws.filter((s) => s.case === c && s.metric === metric && s.build === b);
      const [base, cand] = [of('baseline'), of('candidate')];
      const ratios: number[] = [];
      for (const x of cand) {
        const y = base.find((s) => s.rep === x.rep);
        if (y && y.value !== 0) ratios.push(x.value / y.value);
      }
      const mb = median(base.map((s) => s.value));
      const mc = median(cand.map((s) => s.value));
      const spread = ratios.length ? `${pct(Math.min(...ratios))} … ${pct(Math.max(...ratios))}` : '–';
      out.push(`| ${c} | ${metric} (${base[0]?.better ?? ''} is better) | ${fmt(mb)} | ${fmt(mc)} | ${pct(mc / mb)} | ${ratios.length ? pct(median(ratios)) : '–'} | ${spread} | ${ratios.length} |`);
    }
  }
  return out.join('\n');
}

// ---------------------------------------------------------------------------------------------

const t0 = performance.now();
const psiStart = cpuPressure();
const loadBefore = loadavg();
log(`A/B: baseline ${BUILDS[0]!.bin} vs candidate ${BUILDS[1]!.bin}; ${only.join(',')}; load ${loadBefore.map((x) => x.toFixed(1)).join(' ')}`);
const onLong = only.filter((w) => ['produce', 'w1', 'w3', 'w4'].includes(w));
if (onLong.length > 0) {
  const brokers = new Map<Build, Broker>();
  try {
    for (const b of BUILDS) brokers.set(b.name, await startBuild(b));
    // Warm-up (JIT) on both: one small produce and consume, as the suite's warm-up does.
    for (const b of BUILDS) {
      const broker = brokers.get(b.name)!;
      const topic = topicName('ab-warm');
      await broker.createTopic(topic, PARTITIONS);
      await rdbench<RdProduce>('produce', [broker.bootstrap, topic, 50_000, 1024, 1, PARTITIONS]);
      await rdbench<RdConsume>('consume', [broker.bootstrap, topic, PARTITIONS, 50_000]);
    }
    if (only.includes('produce')) (log('produce + consume (W2)'), await produceConsume(brokers));
    if (only.includes('w1')) (log('W1'), await w1(brokers));
    if (only.includes('w3')) (log('W3'), await w3(brokers));
    if (only.includes('w4')) (log('W4'), await w4(brokers));
  } finally {
    for (const b of brokers.values()) await b.stop();
  }
}
if (only.includes('w6')) (log('W6'), await w6());
if (only.includes('w5')) (log('W5'), await w5());

const wallSecs = (performance.now() - t0) / 1000;
const psiEnd = cpuPressure();
const pressurePct = psiStart && psiEnd ? (100 * (psiEnd.totalUs - psiStart.totalUs)) / 1e6 / wallSecs : null;
const loadAfter = loadavg();
const header = [
  `A/B ${new Date().toISOString()}: ${(wallSecs / 60).toFixed(1)} min; baseline ${BUILDS[0]!.bin} (V8 flags ${JSON.stringify(BUILDS[0]!.nodeFlags ?? 'default')}), candidate ${BUILDS[1]!.bin} (${JSON.stringify(BUILDS[1]!.nodeFlags ?? 'default')})`,
  `Machine: load ${loadBefore.map((x) => x.toFixed(1)).join(' ')} before, ${loadAfter.map((x) => x.toFixed(1)).join(' ')} after; CPU pressure (PSI "some") ${pressurePct?.toFixed(0) ?? '?'}% of the run's wall time`,
  `Ratios are candidate / baseline; "paired" pairs the two builds' measurements of the same repetition (taken back to back).`,
];
log(`\n${header.join('\n')}\n${report(samples)}`);
mkdirSync(WORK, { recursive: true });
const outFile = join(WORK, `ab-${Date.now()}.json`);
writeFileSync(outFile, JSON.stringify({ args, builds: BUILDS, wallSecs, pressurePct, loadBefore, loadAfter, samples }, null, 1));
log(`samples: ${outFile}`);
