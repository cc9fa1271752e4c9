/**
 * Consumer-group rebalances (issue 18, KIP-848): the classic protocol against the consumer
 * protocol, on Runnel and on Apache Kafka in the same run. Opt-in (not part of run-all): needs
 * `npm run build` (Runnel runs as its own process, dist/runnel.mjs), Java + Maven (the members are
 * Java KafkaConsumers 4.4, test/java) and scripts/apache-kafka.sh's jars.
 *
 *   npx tsx bench/groups/rebalance.ts [--rounds 3] [--only settle,churn] [--brokers runnel,kafka]
 *        [--protocols classic,classic-coop,consumer] [--fill-mb 1536] [--member-mbps 10]
 *        [--every-ms 4000] [--duration-ms 20000] [--append]
 *
 * Protocols: `classic` = group.protocol=classic with the Java consumer's default assignors (range,
 * eager: every member gives up everything at each rebalance), `classic-coop` = classic with the
 * CooperativeStickyAssignor (incremental, client-side), `consumer` = group.protocol=consumer with
 * the broker's `uniform` assignor. Both brokers run with Kafka's group defaults (heartbeat interval
 * 5 s for the consumer protocol, 3 s for classic) and group.initial.rebalance.delay.ms=0.
 *
 * 1. settle: 10 members (threads of ONE JVM, runnel.GroupBench) subscribe to an empty 24-partition
 *    topic at the same moment; from their own callbacks, the time until every partition has
 *    exactly one owner, every member its final assignment, and no callback follows for 3 s.
 * 2. churn: 6 members read a pre-filled 24-partition topic (--fill-mb of 1 KiB records) from the
 *    start; once they cover it, every --every-ms the oldest member leaves (close) and a new one
 *    joins, for --duration-ms: MB/s consumed in that window, and the longest pause per member
 *    (between its non-empty polls) and group-wide (nobody got a record). Each member processes at
 *    most --member-mbps (an application's pace, and without it the members read 1.5 GB in seconds
 *    and the topic runs dry before the window ends): 6 x 10 = 60 MB/s is the ceiling, and what a
 *    rebalance costs shows as MB/s below it. `--every-ms 0` runs the same without any change: the
 *    control, whose pauses are the noise floor (pacing, fetch round trips, GC, a CPU-starved JVM).
 *
 * Every case runs --rounds times, rounds interleaved (broker order alternates), and each result
 * carries the load average and the CPU pressure (/proc/pressure/cpu "some", % of the time) over
 * its own run: the 2-core machine is shared. Medians are reported. Every wait is bounded.
 * The measuring code is in rebalance-analysis.ts (test/unit/bench/rebalance-analysis.test.ts).
 */
import { spawn } from 'node:child_process';
import { appendFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { ensureJavaBuilt, javaClasspath, runKafkaTool } from '../../test/helpers/java.js';
import { REPO_ROOT, cpuPressure } from '../suite/lib/common.js';
import { startKafka, startRunnel, type Broker } from '../suite/lib/brokers.js';
import { churn, median, parseEvents, settle, type GroupEvent } from './rebalance-analysis.js';
import { isMain } from '../is-main.js';

const { values: args } = parseArgs({
  options: {
    rounds: { type: 'string', default: '3' },
    only: { type: 'string', default: 'settle,churn' },
    brokers: { type: 'string', default: 'runnel,kafka' },
    protocols: { type: 'string', default: 'classic,classic-coop,consumer' },
    members: { type: 'string', default: '10' },
    'churn-members': { type: 'string', default: '6' },
    'fill-mb': { type: 'string', default: '1536' },
    'member-mbps': { type: 'string', default: '10' },
    'every-ms': { type: 'string', default: '4000' },
    'duration-ms': { type: 'string', default: '20000' },
    append: { type: 'boolean', default: false },
    // Recompute the churn tables of an earlier run from its saved member logs (after a fix in
    // rebalance-analysis.ts): --recompute bench/.work/groups/rebalance-<date>.json --run <id>.
    recompute: { type: 'string' },
    run: { type: 'string' },
  },
});
const PARTITIONS = 24;
const WORK = join(REPO_ROOT, 'bench', '.work', 'groups');
/** The members' JVM: full JIT (throughput), one heap for all members, serial GC (short young pauses). */
const JVM = ['-Xms512m', '-Xmx512m', '-XX:+UseSerialGC', '-Djava.awt.headless=true'];

interface Load {
  loadAvg1: number;
  /** % of wall time some task waited for a CPU over the run (PSI "some"); null without PSI. */
  pressurePct: number | null;
}

function measureLoad<T>(fn: () => Promise<T>): Promise<{ value: T; load: Load }> {
  const p0 = cpuPressure();
  const t0 = performance.now();
  return fn().then((value) => {
    const p1 = cpuPressure();
    const us = (performance.now() - t0) * 1000;
    return { value, load: { loadAvg1: loadavg()[0]!, pressurePct: p0 && p1 ? (100 * (p1.totalUs - p0.totalUs)) / us : null } };
  });
}

/** Runs runnel.GroupBench to its end; returns its events (and saves the raw log). */
function runMembers(bootstrap: string, javaArgs: string[], tag: string, timeoutMs: number): Promise<GroupEvent[]> {
  return new Promise((resolve, reject) => {
    const child = spawn('java', [...JVM, '-cp', javaClasspath(), 'runnel.GroupBench', '--bootstrap', bootstrap, ...javaArgs], { stdio: ['ignore', 'pipe', 'pipe'] });
    const lines: string[] = [];
    let stderr = '';
    createInterface({ input: child.stdout! }).on('line', (l) => lines.push(l));
    child.stderr!.on('data', (d: Buffer) => void (stderr = (stderr + d.toString()).slice(-4000)));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      writeFileSync(join(WORK, `${tag}.log`), lines.join('\n') + '\n');
      const events = parseEvents(lines);
      const errors = events.filter((e) => e.e === 'error');
      if (errors.length > 0) console.log(`${tag}: member errors: ${errors.map((e) => e.error).join('; ').slice(0, 500)}`);
      if (code !== 0 && code !== 3) return reject(new Error(`${tag}: GroupBench exited ${code}: ${stderr}`));
      resolve(events);
    });
  });
}

interface Target {
  name: string;
  broker: Broker;
}

interface SettleRow {
  broker: string;
  protocol: string;
  round: number;
  settleMs: number | null;
  firstCompleteMs: number | null;
  callbacks: number;
  problem: string | null;
  load: Load;
}

interface ChurnRow {
  /** The member log's name in bench/.work/groups (without .log). */
  tag?: string;
  broker: string;
  protocol: string;
  round: number;
  mbPerSec: number;
  changes: number;
  maxMemberPauseMs: number;
  medianMemberPauseMs: number;
  groupPauseMs: number;
  idleTailMs: number;
  /** Partitions moved in the window: median and longest ms from release to the next owner. */
  handoverMedianMs: number;
  handoverMaxMs: number;
  load: Load;
}

async function fill(t: Target, topic: string, mb: number): Promise<number> {
  await t.broker.createTopic(topic, PARTITIONS);
  const n = mb * 1024;
  const t0 = performance.now();
  const r = await runKafkaTool(
    'ProducerPerformance',
    ['--topic', topic, '--num-records', String(n), '--record-size', '1024', '--throughput', '-1', '--producer-props', `bootstrap.servers=${t.broker.bootstrap}`, 'acks=1', 'linger.ms=20', 'batch.size=262144', 'max.request.size=4194304'],
    { timeoutMs: 600_000, jvmArgs: ['-Xmx512m'] },
  );
  if (r.code !== 0) throw new Error(`${t.name}: filling ${topic} failed: ${r.stderr.slice(-2000)}`);
  return (performance.now() - t0) / 1000;
}

const order = (targets: Target[], round: number, i: number): Target[] => ((round + i) % 2 === 0 ? targets : [...targets].reverse());

async function main(): Promise<void> {
  mkdirSync(WORK, { recursive: true });
  await ensureJavaBuilt();
  const rounds = Number(args.rounds);
  const only = new Set(args.only!.split(','));
  const protocols = args.protocols!.split(',');
  const every = Number(args['every-ms']);
  const duration = Number(args['duration-ms']);
  const started = new Date();
  const load0 = loadavg();
  const targets: Target[] = [];
  const settleRows: SettleRow[] = [];
  const churnRows: ChurnRow[] = [];
  const run = Date.now();
  try {
    for (const b of args.brokers!.split(',')) {
      if (b === 'runnel') targets.push({ name: 'Runnel', broker: await startRunnel() });
      else if (b === 'kafka') targets.push({ name: 'Apache Kafka', broker: await startKafka('grpbench-kafka') });
      else throw new Error(`--brokers ${b}?`);
    }
    if (only.has('settle')) {
      for (const t of targets) await t.broker.createTopic('settle', PARTITIONS);
      for (let round = 0; round < rounds; round++) {
        for (const [i, protocol] of protocols.entries()) {
          for (const t of order(targets, round, i)) {
            const tag = `settle-${t.broker.kind}-${protocol}-${round}-${run}`;
            const javaArgs = ['--mode', 'settle', '--topic', 'settle', '--group', tag, '--protocol', protocol, '--members', args.members!, '--partitions', String(PARTITIONS), '--quiet-ms', '3000', '--max-ms', '60000'];
            const { value: events, load } = await measureLoad(() => runMembers(t.broker.bootstrap, javaArgs, tag, 120_000));
            const s = settle(events, PARTITIONS);
            settleRows.push({ broker: t.name, protocol, round, ...s, load });
            console.log(`settle ${t.name.padEnd(12)} ${protocol.padEnd(12)} round ${round}: ${s.settleMs === null ? `NOT SETTLED (${s.problem})` : `${Math.round(s.settleMs)} ms`} (${s.callbacks} callbacks; load ${load.loadAvg1.toFixed(1)}, cpu pressure ${load.pressurePct?.toFixed(0)}%)`);
          }
        }
      }
    }
    if (only.has('churn')) {
      for (const t of targets) {
        const secs = await fill(t, 'churn', Number(args['fill-mb']));
        console.log(`${t.name}: filled ${args['fill-mb']} MB in ${secs.toFixed(1)} s`);
      }
      for (let round = 0; round < rounds; round++) {
        for (const [i, protocol] of protocols.entries()) {
          for (const t of order(targets, round, i)) {
            const tag = `churn-${t.broker.kind}-${protocol}-${round}-${run}`;
            const javaArgs = ['--mode', 'churn', '--topic', 'churn', '--group', tag, '--protocol', protocol, '--members', args['churn-members']!, '--partitions', String(PARTITIONS), '--every-ms', String(every), '--duration-ms', String(duration), '--max-ms', '60000', '--member-mbps', args['member-mbps']!];
            const { value: events, load } = await measureLoad(() => runMembers(t.broker.bootstrap, javaArgs, tag, duration + 180_000));
            const c = churn(events);
            churnRows.push({ tag, broker: t.name, protocol, round, mbPerSec: c.mbPerSec, changes: c.changes, maxMemberPauseMs: c.maxMemberPauseMs, medianMemberPauseMs: c.medianMemberPauseMs, groupPauseMs: c.groupPauseMs, idleTailMs: c.idleTailMs, handoverMedianMs: median(c.handoverMs), handoverMaxMs: c.handoverMs.length > 0 ? Math.max(...c.handoverMs) : NaN, load });
            console.log(
              `churn  ${t.name.padEnd(12)} ${protocol.padEnd(12)} round ${round}: ${c.mbPerSec.toFixed(1)} MB/s, ${c.changes} changes, member pause max ${Math.round(c.maxMemberPauseMs)} / median ${Math.round(c.medianMemberPauseMs)} ms, group pause ${Math.round(c.groupPauseMs)} ms, ${c.handoverMs.length} partition moves (median ${Math.round(median(c.handoverMs))} / max ${Math.round(Math.max(...c.handoverMs))} ms unowned)${c.idleTailMs > 2000 ? ` (RAN DRY ${Math.round(c.idleTailMs)} ms before the end)` : ''} (load ${load.loadAvg1.toFixed(1)}, cpu pressure ${load.pressurePct?.toFixed(0)}%)`,
            );
          }
        }
      }
    }
  } finally {
    for (const t of targets) await t.broker.stop().catch((e) => console.log(`${t.name} stop: ${e}`));
  }
  const load1 = loadavg();
  writeFileSync(join(WORK, `rebalance-${started.toISOString().replace(/[:.]/g, '-')}.json`), JSON.stringify({ started, run, settleRows, churnRows }, null, 2));
  const tables = report(targets.map((t) => t.name), protocols, settleRows, churnRows);
  console.log(tables);
  if (args.append) {
    const versions = targets.map((t) => (t.broker.kind === 'kafka' ? t.broker.version : `Runnel ${t.broker.version} (dist/, fsync per append)`)).join(', ');
    appendFileSync(
      join(REPO_ROOT, 'bench', 'RESULTS.md'),
      `\n### Consumer-group rebalances${every === 0 ? ' (control, no changes)' : ''}, classic vs consumer protocol, Runnel vs Apache Kafka (issue 18, ${started.toISOString().slice(0, 16).replace('T', ' ')} UTC)\n\n` +
        `\`npx tsx bench/groups/rebalance.ts --append\` (after \`npm run build\`): ${rounds} rounds, Node ${process.version}, ${cpus().length} cores, ${versions}; ` +
        `members: Java KafkaConsumer 4.4 threads in one JVM; churn: ${args['fill-mb']} MB of 1 KiB records, ${args['member-mbps']} MB/s per member at most, a change every ${every} ms${every === 0 ? ' (none: the control)' : ''} for ${duration} ms. Load average ${load0.map((x) => x.toFixed(1)).join('/')} at the start, ${load1.map((x) => x.toFixed(1)).join('/')} at the end.\n\n${tables}\n`,
    );
  }
}

const fmtMs = (x: number | null): string => (x === null || Number.isNaN(x) ? '—' : `${Math.round(x)}`);
const loadCol = (ls: Load[]): string => `${median(ls.map((l) => l.loadAvg1)).toFixed(1)} / ${median(ls.map((l) => l.pressurePct ?? NaN)).toFixed(0)}%`;

/** Markdown tables: medians per broker and protocol, every round's value in brackets. */
export function report(brokers: string[], protocols: string[], s: SettleRow[], c: ChurnRow[]): string {
  const out: string[] = [];
  if (s.length > 0) {
    out.push('Settle: 10 members join a 24-partition topic at once; ms until the assignment is complete and final (median [rounds]).', '');
    out.push('| protocol | broker | settle ms | first complete ms | callbacks | unsettled | load avg / CPU pressure |', '| --- | --- | --- | --- | --- | --- | --- |');
    for (const p of protocols)
      for (const b of brokers) {
        const rows = s.filter((r) => r.protocol === p && r.broker === b);
        if (rows.length === 0) continue;
        const ok = rows.filter((r) => r.settleMs !== null).map((r) => r.settleMs!);
        out.push(`| ${p} | ${b} | ${fmtMs(median(ok))} [${rows.map((r) => fmtMs(r.settleMs)).join(', ')}] | ${fmtMs(median(rows.filter((r) => r.firstCompleteMs !== null).map((r) => r.firstCompleteMs!)))} | ${median(rows.map((r) => r.callbacks))} | ${rows.length - ok.length} | ${loadCol(rows.map((r) => r.load))} |`);
      }
    out.push('');
  }
  if (c.length > 0) {
    out.push(c[0] && c[0].changes === 0 ? 'Control: 6 members read the pre-filled topic, no member changes (median [rounds]).' : 'Churn: 6 members read a pre-filled topic; one leaves and one joins every few seconds (median [rounds]).', '');
    out.push('| protocol | broker | MB/s | longest pause, median member (ms) | longest pause, any member (ms) | group-wide pause (ms) | partition unowned, median / max (ms) | load avg / CPU pressure |', '| --- | --- | --- | --- | --- | --- | --- | --- |');
    for (const p of protocols)
      for (const b of brokers) {
        const rows = c.filter((r) => r.protocol === p && r.broker === b);
        if (rows.length === 0) continue;
        const col = (f: (r: ChurnRow) => number, d = 0): string => `${median(rows.map(f)).toFixed(d)} [${rows.map((r) => f(r).toFixed(d)).join(', ')}]`;
        out.push(`| ${p} | ${b} | ${col((r) => r.mbPerSec, 1)} | ${col((r) => r.medianMemberPauseMs)} | ${col((r) => r.maxMemberPauseMs)} | ${col((r) => r.groupPauseMs)} | ${fmtMs(median(rows.map((r) => r.handoverMedianMs)))} / ${fmtMs(median(rows.map((r) => r.handoverMaxMs)))} | ${loadCol(rows.map((r) => r.load))} |`);
      }
  }
  return out.join('\n');
}

/** --recompute: the churn rows of a saved run, measured again from their logs; loads as they were. */
function recompute(file: string, run: string | undefined): void {
  const saved = JSON.parse(readFileSync(file, 'utf8')) as { settleRows: SettleRow[]; churnRows: ChurnRow[] };
  const rows = saved.churnRows.map((r) => {
    const tag = r.tag ?? `churn-${r.broker === 'Runnel' ? 'runnel' : 'kafka'}-${r.protocol}-${r.round}-${run}`;
    const c = churn(parseEvents(readFileSync(join(WORK, `${tag}.log`), 'utf8').split('\n')));
    return { ...r, tag, mbPerSec: c.mbPerSec, changes: c.changes, maxMemberPauseMs: c.maxMemberPauseMs, medianMemberPauseMs: c.medianMemberPauseMs, groupPauseMs: c.groupPauseMs, idleTailMs: c.idleTailMs, handoverMedianMs: median(c.handoverMs), handoverMaxMs: c.handoverMs.length > 0 ? Math.max(...c.handoverMs) : NaN };
  });
  const protocols = [...new Set(rows.map((r) => r.protocol))];
  console.log(report(['Runnel', 'Apache Kafka'], protocols, [], rows));
}

if (isMain(import.meta.url)) {
  if (args.recompute) recompute(args.recompute, args.run);
  else await main();
}
