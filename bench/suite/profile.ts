/**
 * Profiles the broker (`node --cpu-prof dist/runnel.mjs start ...`) under one of the suite's
 * workloads, driven by the same librdkafka driver, and prints the hot spots (self time per
 * function, and total time of Runnel's own functions). The .cpuprofile stays in
 * bench/.work/suite/profiles/ for Chrome DevTools or speedscope.
 *
 *   node dist/bench/suite/profile.js produce  [--size 1024] [--count 200000] [--acks 1] [--nofsync] [--codec lz4]
 *   node dist/bench/suite/profile.js consume  [--size 1024] [--count 200000]
 *   node dist/bench/suite/profile.js latency  [--seconds 10]           (W3: 1 KiB at 10,000 msg/s)
 *   node dist/bench/suite/profile.js sequential                         (W1)
 *   node dist/bench/suite/profile.js partitions [--partitions 10000] [--restart]   (W5: create, produce; --restart: and a clean restart, profiled apart)
 *   node dist/bench/suite/profile.js startup                            (W6: fresh data dir, Runnel's defaults, start and stop)
 *   ... [--bin <another build's dist/runnel.mjs>] [--node-flags none|<flag,flag>]   (profile another build, e.g. an A/B's baseline)
 */
import { mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { printSummary, summarize } from '../data-path/profile.js';
import { WORK } from './lib/common.js';
import { startRunnel } from './lib/brokers.js';
import { rdbench, type RdConsume, type RdLatency, type RdProduce, type RdSequential } from './lib/rdbench.js';

const args = process.argv.slice(2);
const mode = args[0] && !args[0].startsWith('--') ? args[0] : 'produce';
const opt = (name: string, def: number): number => (args.includes(`--${name}`) ? Number(args[args.indexOf(`--${name}`) + 1]) : def);
const size = opt('size', 1024);
const count = opt('count', 200_000);
const acks = opt('acks', 1);
const str = (name: string): string | undefined => (args.includes(`--${name}`) ? args[args.indexOf(`--${name}`) + 1] : undefined);
const nodeFlagsArg = str('node-flags');
const dir = join(WORK, 'profiles', `${mode}-${Date.now()}`);
mkdirSync(dir, { recursive: true });
const broker = await startRunnel({
  kind: args.includes('--nofsync') ? 'runnel-nofsync' : 'runnel',
  nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${dir}`],
  bin: str('bin'),
  nodeFlags: nodeFlagsArg === undefined ? undefined : nodeFlagsArg === 'none' ? [] : nodeFlagsArg.split(','),
  defaults: mode === 'startup',
});
const b = broker.bootstrap;
try {
  if (mode === 'produce' || mode === 'consume') {
    await broker.createTopic('p', 6);
    const codec = str('codec');
    const p = await rdbench<RdProduce>('produce', [b, 'p', count, size, acks, 6, codec === undefined || codec === 'none' ? '' : `compression.type=${codec}`]);
    console.log(`produce: ${((count * size) / 1e6 / p.elapsed).toFixed(0)} MB/s`);
    if (mode === 'consume') {
      for (let i = 0; i < 3; i++) {
        const c = await rdbench<RdConsume>('consume', [b, 'p', 6, count]);
        console.log(`consume: ${(c.bytes / 1e6 / ((c.lastMs - c.firstMs) / 1000)).toFixed(0)} MB/s`);
      }
    }
  } else if (mode === 'latency') {
    await broker.createTopic('l', 1);
    const r = await rdbench<RdLatency>('latency', [b, 'l', 10_000, opt('seconds', 10), 1024, 'all']);
    console.log(`latency: p50 ${r.p50.toFixed(2)} p99 ${r.p99.toFixed(2)} p99.9 ${r.p999.toFixed(2)} max ${r.max.toFixed(1)} ms`);
  } else if (mode === 'sequential') {
    await broker.createTopic('s', 1);
    const r = await rdbench<RdSequential>('sequential', [b, 's', 5000, 100]);
    console.log(`sequential: ${r.elapsed.toFixed(2)} s, p50 ${r.p50.toFixed(3)} p99 ${r.p99.toFixed(3)} ms`);
  } else if (mode === 'partitions') {
    const parts = opt('partitions', 10_000);
    const t0 = performance.now();
    await broker.createTopic('w5', parts);
    console.log(`create ${parts}: ${(performance.now() - t0).toFixed(0)} ms`);
    const p = await rdbench<RdProduce>('produce', [b, 'w5', 100_000, 1024, 1, parts]);
    console.log(`produce: ${(102.4 / p.elapsed).toFixed(0)} MB/s, RSS ${broker.rssMb().toFixed(0)} MB`);
    if (args.includes('--restart')) {
      const t = await broker.restart!();
      console.log(`restart → first answer: ${t.readyMs.toFixed(0)} ms`);
    }
  } else if (mode === 'startup') {
    console.log(`start → first answer: ${broker.lastStart.readyMs.toFixed(0)} ms`);
  } else {
    throw new Error(`unknown mode ${mode}`);
  }
} finally {
  await broker.stop();
}
// One profile per broker process (two with --restart), oldest first.
const files = readdirSync(dir)
  .filter((f) => f.endsWith('.cpuprofile'))
  .map((f) => join(dir, f))
  .sort((a, b) => statSync(a).mtimeMs - statSync(b).mtimeMs);
if (files.length === 0) throw new Error(`no profile written in ${dir}`);
for (const file of files) {
  console.log(`profile: ${file}`);
  printSummary(summarize(JSON.parse(readFileSync(file, 'utf8'))));
}
