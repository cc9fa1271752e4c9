/**
 * The fault scenarios of issue 17 (test/faults/scenarios.ts) against Apache Kafka and Runnel, each
 * cluster's nodes in their own network namespaces. OPT-IN, not part of `npm test`: three Kafka JVMs
 * per scenario are too slow for CI. Needs root (ip netns, nft, mount), Java and the Kafka jars
 * (scripts/apache-kafka.sh prefetch), and `npm run build` for the Runnel targets.
 *
 *   npx tsx bench/cluster/faults.ts [--target kafka,runnel,runnel-session9s] [--only leader-isolated,...]
 *                                   [--repeat 1] [--heap '-Xmx512m -Xms512m'] [--out FILE]
 *
 * Targets:
 *  - kafka: test/faults/kafka-fault-cluster.ts, 3 combined KRaft broker+controller nodes, Kafka's
 *    defaults (broker.session.timeout.ms 9000) except what the Runnel scenarios also set:
 *    min.insync.replicas 2, replica.lag.time.max.ms 3000; the bench suite's G1 flags, a small heap;
 *  - runnel: the fault tests' cluster (etcd + 3 brokers; broker.session.timeout.ms 3000, heartbeat 500);
 *  - runnel-session9s: the same with Kafka's session (9000) and Runnel's default heartbeat (2000).
 * Scenario keys (--only): see SCENARIOS in test/faults/scenarios.ts. Mapping for Kafka: the
 * "controller" is the active KRaft controller (DescribeCluster on a controller listener); the
 * "disk full" disk is node 3's whole log dir (its metadata log too, Kafka's default layout); the
 * Runnel-only "etcd member killed" has no Kafka counterpart and is not a scenario here.
 *
 * Prints one line per scenario run and, at the end, a table (failover median / worst, longest ack
 * gap, acked/attempted, history checker verdict); every outcome goes to
 * bench/.work/cluster/faults-<time>.json (or --out).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { startRunnelFaultTarget } from '../../test/faults/fault-cluster.js';
import type { StartFaultTarget } from '../../test/faults/fault-target.js';
import { KafkaFaultCluster } from '../../test/faults/kafka-fault-cluster.js';
import { faultsUnavailable, slowDiskUnavailable } from '../../test/faults/netns.js';
import { SCENARIOS, type ScenarioOutcome, runScenario } from '../../test/faults/scenarios.js';
import { median } from '../../test/faults/workload.js';
import { isMain } from '../is-main.js';
import { KAFKA_JVM_OPTS } from '../suite/lib/brokers.js';
import { REPO_ROOT } from '../suite/lib/common.js';

/** The settings every target's scenarios share (the Runnel fault tests set them too). */
const SCENARIO_PROPS = { 'min.insync.replicas': 2, 'replica.lag.time.max.ms': 3000 };

const TARGETS: Record<string, (heap: string) => StartFaultTarget> = {
  kafka: (heap) => (o) => KafkaFaultCluster.start({ ...o, props: SCENARIO_PROPS, heap, jvmOpts: KAFKA_JVM_OPTS }),
  runnel: () => startRunnelFaultTarget(),
  'runnel-session9s': () => startRunnelFaultTarget({ 'broker.session.timeout.ms': 9000, 'broker.heartbeat.interval.ms': 2000 }),
};

export interface FaultBenchRow extends ScenarioOutcome {
  target: string;
  date: string;
  durationMs: number;
  loadAvg: [number, number];
  error?: string;
}

const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/** The history checker's verdict in one cell: `clean` or the counts of each kind of problem. */
function verdict(r: FaultBenchRow): string {
  if (r.skipped) return `skipped: ${r.skipped}`;
  if (r.error || !r.result) return `ERROR: ${r.error?.split('\n')[0]}`;
  const bad = Object.entries(r.result.report).filter(([, v]) => Array.isArray(v) && v.length > 0);
  return bad.length === 0 ? 'clean' : bad.map(([k, v]) => `${k} ${(v as unknown[]).length}`).join(', ');
}

export function row(r: FaultBenchRow): string {
  const f = r.failoverMs.length ? `${s(median(r.failoverMs))} / ${s(Math.max(...r.failoverMs))} (${r.failoverMs.length})` : '-';
  const res = r.result;
  return `| ${r.title} | ${r.target} | ${f} | ${res ? s(res.longestGapMs) : '-'} | ${res ? `${res.acked}/${res.attempts}` : '-'} | ${verdict(r)} |`;
}

export async function runFaultBench(argv: string[]): Promise<FaultBenchRow[]> {
  const { values } = parseArgs({
    args: argv,
    options: {
      target: { type: 'string', default: 'kafka,runnel,runnel-session9s' },
      only: { type: 'string', default: Object.keys(SCENARIOS).join(',') },
      repeat: { type: 'string', default: '1' },
      heap: { type: 'string', default: '-Xmx512m -Xms512m' },
      out: { type: 'string' },
    },
  });
  if (faultsUnavailable) throw new Error(faultsUnavailable);
  const targets = values.target!.split(',');
  for (const t of targets) if (!TARGETS[t]) throw new Error(`no target ${t} (${Object.keys(TARGETS).join(', ')})`);
  const keys = values.only!.split(',');
  for (const k of keys) if (!SCENARIOS[k]) throw new Error(`no scenario ${k} (${Object.keys(SCENARIOS).join(', ')})`);
  const out = values.out ?? join(REPO_ROOT, 'bench', '.work', 'cluster', `faults-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  mkdirSync(dirname(out), { recursive: true });
  const rows: FaultBenchRow[] = [];
  for (let i = 0; i < Number(values.repeat); i++) {
    for (const key of keys) {
      for (const target of targets) {
        const t0 = Date.now();
        const l0 = loadavg()[0]!;
        let r: FaultBenchRow;
        try {
          const o = await runScenario(key, TARGETS[target]!(values.heap!), slowDiskUnavailable);
          r = { ...o, target, date: new Date(t0).toISOString(), durationMs: Date.now() - t0, loadAvg: [l0, loadavg()[0]!] };
        } catch (e) {
          r = { key, title: SCENARIOS[key]!.title, result: null, failoverMs: [], facts: {}, target, date: new Date(t0).toISOString(), durationMs: Date.now() - t0, loadAvg: [l0, loadavg()[0]!], error: e instanceof Error ? (e.stack ?? e.message) : String(e) };
        }
        rows.push(r);
        console.log(`[faults-bench] ${row(r)} facts ${JSON.stringify(r.facts)} errors ${JSON.stringify(r.result?.errors.slice(0, 3) ?? [])} (${s(r.durationMs)}, load ${r.loadAvg.map((x) => x.toFixed(1)).join(' -> ')})`);
        if (r.error) console.log(r.error);
        if (r.result && verdict(r) !== 'clean') console.log(`[faults-bench] history problems: ${JSON.stringify(r.result.report)}`);
        writeFileSync(out, `${JSON.stringify(rows, null, 1)}\n`);
      }
    }
  }
  console.log('\n| scenario | target | failover median / worst (n) | longest ack gap | acked/attempted | checker |\n|---|---|---|---|---|---|');
  for (const r of rows) console.log(row(r));
  console.log(`\nevery outcome in ${out}`);
  return rows;
}

if (isMain(import.meta.url)) {
  // Ctrl-C: exit through process.exit so the FaultNet exit handlers kill the nodes and delete the namespaces.
  process.on('SIGINT', () => process.exit(130));
  process.on('SIGTERM', () => process.exit(143));
  runFaultBench(process.argv.slice(2)).then(
    () => process.exit(0),
    (e: unknown) => {
      console.error(e);
      process.exit(1);
    },
  );
}
