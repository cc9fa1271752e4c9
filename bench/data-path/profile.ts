/**
 * Profiles the broker process (node --cpu-prof) under one data-path workload and prints the top
 * functions by self time (and by total time for the broker's own files).
 *
 *   npx tsx bench/data-path/profile.ts [produce|consume|both] [--size 1024] [--count 200000] [--client kcat|ck|kafkajs] (ck: confluent-kafka-python produces, kcat consumes)
 *   npx tsx bench/data-path/profile.ts --summarize some.cpuprofile
 *
 * The .cpuprofile is left in bench/.work/profiles for Chrome DevTools / speedscope.
 */
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { BENCH_WORK } from './machine.js';
import { ckProduceRate, createTopic, kafkajsConsumeRate, kafkajsProduceRate, kcatConsumeRate, kcatProduceRate, startBenchBroker } from './produce-consume.js';
import { REPO_ROOT } from '../../test/helpers/broker.js';
import { isMain } from '../is-main.js';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount: number;
  children?: number[];
}

interface Profile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface HotSpot {
  name: string;
  selfPct: number;
  totalPct?: number;
}

function label(n: ProfileNode): string {
  const url = n.callFrame.url.replace('file://', '');
  const where = url === '' ? '' : ` ${url.startsWith(REPO_ROOT) ? relative(REPO_ROOT, url) : url.replace(/.*node_modules\//, 'node_modules/')}:${n.callFrame.lineNumber + 1}`;
  return `${n.callFrame.functionName || '(anonymous)'}${where}`;
}

/** Self time per function (merged over call sites), and total time for functions in our own files. */
export function summarize(p: Profile, top = 25): { self: HotSpot[]; ours: HotSpot[]; idlePct: number } {
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const selfTime = new Map<number, number>();
  for (let i = 0; i < p.samples.length; i++) selfTime.set(p.samples[i]!, (selfTime.get(p.samples[i]!) ?? 0) + (p.timeDeltas[i] ?? 0));
  const total = p.timeDeltas.reduce((a, b) => a + b, 0);
  const self = new Map<string, number>();
  for (const [id, t] of selfTime) {
    const key = label(byId.get(id)!);
    self.set(key, (self.get(key) ?? 0) + t);
  }
  // Total (inclusive) time of our own functions: sum over the subtree, counted once per stack.
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const inclusive = new Map<string, number>();
  for (const [id, t] of selfTime) {
    const seen = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const n = byId.get(cur)!;
      const url = n.callFrame.url;
      if (!url.includes('/dist/') || url.includes('node_modules')) continue;
      const key = label(n);
      if (seen.has(key)) continue;
      seen.add(key);
      inclusive.set(key, (inclusive.get(key) ?? 0) + t);
    }
  }
  const pct = (t: number): number => (100 * t) / total;
  const idle = [...self].filter(([k]) => k.startsWith('(idle)')).reduce((a, [, t]) => a + t, 0);
  return {
    self: [...self].sort((a, b) => b[1] - a[1]).slice(0, top).map(([name, t]) => ({ name, selfPct: pct(t) })),
    ours: [...inclusive].sort((a, b) => b[1] - a[1]).slice(0, top).map(([name, t]) => ({ name, selfPct: pct(self.get(name) ?? 0), totalPct: pct(t) })),
    idlePct: pct(idle),
  };
}

export function printSummary(s: ReturnType<typeof summarize>, log: (x: string) => void = console.log): void {
  log(`idle ${s.idlePct.toFixed(1)}%`);
  log('top self time:');
  for (const h of s.self) log(`  ${h.selfPct.toFixed(1).padStart(5)}%  ${h.name}`);
  log('broker functions by total time:');
  for (const h of s.ours) log(`  ${h.totalPct!.toFixed(1).padStart(5)}% (self ${h.selfPct.toFixed(1)}%)  ${h.name}`);
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  if (args[0] === '--summarize') {
    printSummary(summarize(JSON.parse(readFileSync(args[1]!, 'utf8')) as Profile));
    return;
  }
  const mode = args[0] && !args[0].startsWith('--') ? args[0] : 'both';
  const opt = (name: string, def: string): string => (args.includes(`--${name}`) ? args[args.indexOf(`--${name}`) + 1]! : def);
  const w = { name: 'profile', count: Number(opt('count', '200000')), size: Number(opt('size', '1024')) };
  const client = opt('client', 'kcat');
  const dir = join(BENCH_WORK, 'profiles', `${Date.now()}`);
  mkdirSync(dir, { recursive: true });
  const broker = await startBenchBroker({}, ['--cpu-prof', `--cpu-prof-dir=${dir}`]);
  const topic = `profile-${Date.now()}`;
  await createTopic(broker.bootstrap, topic);
  {
    const r = client === 'kcat' ? await kcatProduceRate(broker.bootstrap, topic, w) : client === 'ck' ? await ckProduceRate(broker.bootstrap, topic, w) : await kafkajsProduceRate(broker.bootstrap, topic, w);
    console.log(`produce ${r.MBps.toFixed(1)} MB/s`);
  }
  if (mode !== 'produce') {
    for (let i = 0; i < (mode === 'consume' ? 3 : 1); i++) {
      const r = client !== 'kafkajs' ? await kcatConsumeRate(broker.bootstrap, topic, w) : await kafkajsConsumeRate(broker.bootstrap, topic, w);
      console.log(`consume ${r.MBps.toFixed(1)} MB/s`);
    }
  }
  await broker.stop();
  const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
  if (!file) throw new Error(`no profile written in ${dir}`);
  console.log(`profile: ${join(dir, file)}`);
  printSummary(summarize(JSON.parse(readFileSync(join(dir, file), 'utf8')) as Profile));
}

if (isMain(import.meta.url)) await main();
