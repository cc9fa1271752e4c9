/**
 * W5's restart, isolated: what a clean start of a 10,000-partition data dir costs each of two
 * builds, with the data dir as the first restart after a produce finds it but without that
 * restart's clean stop just before (whose disk work — and other tenants' load — lands on the start).
 * Each build prepares its data dir once (create the topic, produce W5's 100,000 × 1 KiB, clean
 * stop) and keeps it; every repetition restarts a fresh copy of it (cp -a, then sync), builds
 * interleaved, and reads the new process's CPU at its first answered request (schedstat, as ab.ts).
 * The clean stop that follows (nothing changed since the start) is timed too. `--prof` adds --cpu-prof (one profile per start; `--keep` keeps them).
 *
 *   npx tsx bench/suite/restart-ab.ts --baseline /tmp/base/dist/runnel.mjs [--candidate dist/runnel.mjs] [--repeats 6] [--partitions 10000] [--prof] [--keep] [--reuse <kept dir>]
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { loadavg } from 'node:os';
import { RUNNEL_BIN, startRunnel } from './lib/brokers.js';
import { WORK, cpuPressure, freePort, settleDisk } from './lib/common.js';
import { rdbench, type RdProduce } from './lib/rdbench.js';
import { schedCpu } from './lib/sched-cpu.js';

const args = process.argv.slice(2);
const val = (name: string): string | undefined => (args.includes(`--${name}`) ? args[args.indexOf(`--${name}`) + 1] : undefined);
const repeats = Number(val('repeats') ?? 6);
const partitions = Number(val('partitions') ?? 10_000);
const prof = args.includes('--prof');
const builds = [
  { name: 'baseline', bin: resolve(val('baseline') ?? RUNNEL_BIN) },
  { name: 'candidate', bin: resolve(val('candidate') ?? RUNNEL_BIN) },
];
/** --reuse <dir>: a --keep'd earlier run's directory, whose prepared data dirs are restarted again. */
const reuse = val('reuse');
const root = reuse ?? join(WORK, `restart-ab-${process.pid}`);
mkdirSync(root, { recursive: true });


const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) >> 1]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

// Prepare: one data dir per build after create + produce + clean stop.
for (const b of reuse === undefined ? builds : []) {
  const dir = join(root, `${b.name}-pristine`);
  const broker = await startRunnel({ bin: b.bin, dataDir: dir, port: await freePort() });
  await broker.createTopic('w5', partitions);
  const p = await rdbench<RdProduce>('produce', [broker.bootstrap, 'w5', 100_000, 1024, 1, partitions], 600_000);
  if (p.acked !== 100_000) throw new Error(`${b.name}: ${p.acked} acknowledged`);
  const s0 = performance.now();
  await broker.stop();
  console.log(`${b.name}: prepared ${dir} (clean stop ${(performance.now() - s0).toFixed(0)} ms)`);
}

const rows: Record<string, { cpu: number[]; main: number[]; ready: number[]; stop: number[] }> = {};
for (const b of builds) rows[b.name] = { cpu: [], main: [], ready: [], stop: [] };
console.log(`load ${loadavg().map((x) => x.toFixed(1)).join(' ')}`);
for (let rep = 0; rep < repeats; rep++) {
  for (const b of rep % 2 === 0 ? builds : [...builds].reverse()) {
    const dir = join(root, `${b.name}-run`);
    rmSync(dir, { recursive: true, force: true });
    execFileSync('cp', ['-a', join(root, `${b.name}-pristine`), dir]);
    await settleDisk();
    const profDir = join(root, `prof-${b.name}-${rep}`);
    rmSync(profDir, { recursive: true, force: true });
    mkdirSync(profDir, { recursive: true });
    const psi0 = cpuPressure();
    const broker = await startRunnel({ bin: b.bin, dataDir: dir, port: await freePort(), nodeArgs: prof ? ['--cpu-prof', `--cpu-prof-dir=${profDir}`] : [] });
    const sc = schedCpu(broker.pid);
    // The profile's clock (µs, monotonic since boot) at the first answer: an analysis keeps the start only.
    if (prof) writeFileSync(join(profDir, 'ready-at-us'), String(process.hrtime.bigint() / 1000n));
    const psi1 = cpuPressure();
    const t = broker.lastStart.readyMs;
    await settleDisk();
    const s0 = performance.now();
    await broker.stop();
    const stopMs = performance.now() - s0;
    const r = rows[b.name]!;
    r.cpu.push(sc.cpuMs);
    r.main.push(sc.mainMs);
    r.ready.push(t);
    r.stop.push(stopMs);
    const psi = psi0 && psi1 ? ((psi1.totalUs - psi0.totalUs) / 1e3 / t) * 100 : null;
    console.log(`rep ${rep} ${b.name}: ready ${t.toFixed(0)} ms, CPU ${sc.cpuMs.toFixed(0)} ms (main ${sc.mainMs.toFixed(0)}, wait ${sc.waitMs.toFixed(0)}; PSI ${psi?.toFixed(0)}%), stop (no changes) ${stopMs.toFixed(0)} ms`);
  }
}
console.log(`load ${loadavg().map((x) => x.toFixed(1)).join(' ')}`);
const [a, c] = [rows.baseline!, rows.candidate!];
const ratios = (k: 'cpu' | 'main' | 'ready' | 'stop') => a[k].map((x, i) => c[k][i]! / x - 1);
for (const k of ['cpu', 'main', 'ready', 'stop'] as const) {
  const rs = ratios(k);
  console.log(`${k}: baseline ${median(a[k]).toFixed(0)}, candidate ${median(c[k]).toFixed(0)}, paired ${(median(rs) * 100).toFixed(1)}% (${(Math.min(...rs) * 100).toFixed(1)}% … ${(Math.max(...rs) * 100).toFixed(1)}%)`);
}
if (!args.includes('--keep') && reuse === undefined && existsSync(root)) rmSync(root, { recursive: true, force: true });
