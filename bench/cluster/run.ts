/**
 * The cluster bench (issue 16): three brokers, RF=3, on this machine.
 *
 *   npx tsx bench/cluster/run.ts [--target kafka,runnel,...] [--kills 50[,kafka=20...]] [--count 200000]
 *                                [--warmup 50000] [--rate 10000] [--seconds 10] [--consumers 1|2|3|6[,3...]]
 *                                [--consume-passes 1]
 *                                [--only failover|throughput|fencing[,...]] [--soak-seconds 60]
 *                                [--soak-rate N]
 *                                [--heap '-Xmx1G -Xms1G'] [--out FILE]
 *
 * Measures, per target (failover.ts and throughput.ts say exactly how):
 *  - failover: SIGKILL of partition 0's leader -> first acknowledged acks=all produce on its
 *    successor, p50/p99/max over --kills kills (the killed broker restarts and rejoins the ISR
 *    between kills), with every cluster setting at its default; `--kills 50,kafka=20` sets a
 *    target's own count (a Kafka kill cycle takes ~20 s here, a Runnel one ~5-13 s);
 *  - throughput: produce MB/s and consume MB/s of 1 KiB records, acks=all, 6 partitions RF=3;
 *    end-to-end p99 latency at 10,000 msg/s; --consumers N reads with N consumer processes at once
 *    (`1,3`: one count after the other over the same topic), each --consume-passes times; the
 *    brokers' CPU seconds per GB consumed is reported per pass.
 *  - fencing (Runnel targets only, not by default): fencings and ISR shrinks that no kill caused,
 *    over --soak-seconds of full load, or of --soak-rate records/s (fencing.ts): the price of a
 *    shorter session timeout.
 * Prints a summary and writes every sample to bench/.work/cluster/<target>.json (--out FILE: all
 * targets' results as one JSON array there instead). Each result carries the machine's load
 * average and CPU pressure over the target's run: the machine is shared.
 *
 * Targets are ClusterTarget implementations (test/helpers/cluster-target.ts):
 *
 *   interface ClusterTarget {
 *     kind: string; version: string;
 *     brokerIds: readonly number[];            // [1, 2, 3]
 *     bootstrap: string;                        // every broker, "host:port,host:port,..."
 *     endpoint(id): { host, port };             // stable across restarts
 *     isUp(id): boolean;
 *     killBroker(id): Promise<void>;            // SIGKILL, resolves once the process is gone
 *     startBroker(id): Promise<void>;           // restart on its data, resolves once it serves
 *     pid(id): number | null;                   // for CPU readings
 *     stop(): Promise<void>;                    // everything down, state deleted
 *   }
 *
 * `kafka` is scripts/apache-kafka-cluster.sh (brokers 1-3 + one KRaft controller; the suite's JVM
 * flags for Kafka: -Xmx1G -Xms1G, G1 with MaxGCPauseMillis=20; Kafka's defaults otherwise, so
 * broker.session.timeout.ms=9000 sets its failover time). The `runnel*` targets are etcd and three
 * `dist/runnel.mjs` brokers (runnel-cluster.ts; build first): `runnel` with every default
 * (broker.session.timeout.ms 9000 / heartbeat 2000 like Kafka, fsync per append),
 * `runnel-nofsync` without the fsync per append (Kafka's flush policy), `runnel-session3s`
 * (3000 / 1000), `runnel-session3s-hb500` (3000 / 500) and `runnel-session2s` (2000 / 500), and
 * `runnel-noprobe` (defaults without runnel.broker.liveness.probe.enable): without the liveness
 * probe the session timeout sets Runnel's failover time as it sets Kafka's; with it (the
 * default) a killed broker's lease is revoked as soon as its port refuses connections.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { startApacheKafkaCluster } from '../../test/helpers/apache-kafka-cluster.js';
import type { ClusterTarget } from '../../test/helpers/cluster-target.js';
import { REPO_ROOT, onExit } from '../suite/lib/common.js';
import { KAFKA_HEAP, KAFKA_JVM_OPTS } from '../suite/lib/brokers.js';
import { isMain } from '../is-main.js';
import { measureFailover, type FailoverResult } from './failover.js';
import { measureThroughput, type ThroughputResult } from './throughput.js';
import { measureFalseFencing, type FencingResult } from './fencing.js';
import { startRunnelBenchCluster, type RunnelBenchCluster } from './runnel-cluster.js';
import { NO_FSYNC } from '../suite/lib/brokers.js';
import { cpuPressure } from '../suite/lib/common.js';
import { loadavg } from 'node:os';

export const WORK = join(REPO_ROOT, 'bench', '.work', 'cluster');

export interface TargetOptions {
  /** JVM heap flags for a JVM broker. */
  heap?: string;
}

const runnel =
  (name: string, props: Record<string, string | number | boolean>) =>
  (): Promise<ClusterTarget> =>
    startRunnelBenchCluster({ home: join(WORK, `${name}-${process.pid}-${Date.now()}`), props });

/** How each target is started (see the header). */
export const TARGETS: Record<string, (o: TargetOptions) => Promise<ClusterTarget>> = {
  kafka: (o) => {
    mkdirSync(WORK, { recursive: true });
    return startApacheKafkaCluster({ heap: o.heap ?? KAFKA_HEAP, jvmOpts: KAFKA_JVM_OPTS, home: join(WORK, `kafka-${process.pid}-${Date.now()}`), timeoutMs: 300_000 });
  },
  runnel: runnel('runnel', {}),
  'runnel-nofsync': runnel('runnel-nofsync', NO_FSYNC),
  'runnel-session3s': runnel('runnel-session3s', { 'broker.session.timeout.ms': 3000, 'broker.heartbeat.interval.ms': 1000 }),
  'runnel-session3s-hb500': runnel('runnel-session3s-hb500', { 'broker.session.timeout.ms': 3000, 'broker.heartbeat.interval.ms': 500 }),
  'runnel-session2s': runnel('runnel-session2s', { 'broker.session.timeout.ms': 2000, 'broker.heartbeat.interval.ms': 500 }),
  'runnel-noprobe': runnel('runnel-noprobe', { 'runnel.broker.liveness.probe.enable': false }),
  // Kafka's flush policy with Fetch responses read + written instead of sendfile'd (the path
  // before zero copy, and the one used where the native binding is not built).
  'runnel-nofsync-readwrite': runnel('runnel-nofsync-readwrite', { ...NO_FSYNC, 'runnel.fetch.zero.copy.enable': false }),
};

const isRunnel = (c: ClusterTarget): c is RunnelBenchCluster => 'logCount' in c;

/** The machine's state over a target's run (others share it). */
export interface MachineLoad {
  loadAvgStart: number;
  loadAvgEnd: number;
  /** % of the time some task waited for a CPU (PSI "some"), over the run. */
  pressurePct: number | null;
}

export interface ClusterBenchResult {
  target: string;
  version: string;
  date: string;
  failover?: FailoverResult;
  throughput?: ThroughputResult;
  fencing?: FencingResult;
  machine?: MachineLoad;
}

/** `--kills 50,kafka=20`: the bare number for every target, `name=N` for one. */
export function killsFor(spec: string, target: string): number {
  let n = NaN;
  for (const part of spec.split(',')) {
    const [k, v] = part.includes('=') ? part.split('=') : [null, part];
    if (k === null && Number.isNaN(n)) n = Number(v);
    if (k === target) return Number(v);
  }
  if (Number.isNaN(n)) throw new Error(`--kills ${spec}: no count for ${target}`);
  return n;
}

export async function runClusterBench(argv: string[]): Promise<ClusterBenchResult[]> {
  const { values } = parseArgs({
    args: argv,
    options: {
      target: { type: 'string', default: 'kafka' },
      kills: { type: 'string', default: '50' },
      count: { type: 'string', default: '200000' },
      seconds: { type: 'string', default: '10' },
      rate: { type: 'string', default: '10000' },
      warmup: { type: 'string' },
      consumers: { type: 'string', default: '1' },
      'consume-passes': { type: 'string', default: '1' },
      only: { type: 'string', default: 'throughput,failover' },
      'soak-seconds': { type: 'string', default: '60' },
      'soak-rate': { type: 'string' },
      heap: { type: 'string' },
      out: { type: 'string' },
    },
  });
  const out: ClusterBenchResult[] = [];
  for (const name of values.target!.split(',')) {
    const start = TARGETS[name];
    if (!start) throw new Error(`unknown target '${name}' (known: ${Object.keys(TARGETS).join(', ')})`);
    const log = (line: string): void => console.log(`[${name}] ${line}`);
    const t0 = Date.now();
    const cluster = await start({ heap: values.heap });
    const cancelExit = onExit(() => void cluster.stop());
    log(`started ${cluster.kind} ${cluster.version} (brokers ${cluster.bootstrap}) in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    const result: ClusterBenchResult = { target: name, version: cluster.version, date: new Date().toISOString() };
    const phases = new Set(values.only!.split(','));
    const psi0 = cpuPressure();
    const load0 = loadavg()[0]!;
    const r0 = performance.now();
    try {
      if (phases.has('throughput')) result.throughput = await measureThroughput(cluster, { count: Number(values.count), seconds: Number(values.seconds), rate: Number(values.rate), warmup: values.warmup === undefined ? undefined : Number(values.warmup), consumers: Number(values.consumers.split(',')[0]), moreConsumers: values.consumers.split(',').slice(1).map(Number), consumePasses: Number(values['consume-passes']), log });
      if (phases.has('fencing') && isRunnel(cluster)) result.fencing = await measureFalseFencing(cluster, { seconds: Number(values['soak-seconds']), rate: values['soak-rate'] === undefined ? undefined : Number(values['soak-rate']), log });
      if (phases.has('failover')) {
        const f = await measureFailover(cluster, { kills: killsFor(values.kills!, name), log });
        result.failover = f;
        log(`failover over ${f.kills} kills: p50 ${f.p50.toFixed(0)} ms, p99 ${f.p99.toFixed(0)} ms, max ${f.max.toFixed(0)} ms (min ${f.min.toFixed(0)}, mean ${f.mean.toFixed(0)})`);
      }
    } finally {
      const psi1 = cpuPressure();
      result.machine = { loadAvgStart: load0, loadAvgEnd: loadavg()[0]!, pressurePct: psi0 && psi1 ? (100 * (psi1.totalUs - psi0.totalUs)) / 1e3 / (performance.now() - r0) : null };
      log(`machine: load average ${load0.toFixed(1)} -> ${result.machine.loadAvgEnd.toFixed(1)}, CPU pressure ${result.machine.pressurePct?.toFixed(0)}% over the run`);
      await cluster.stop();
      cancelExit();
    }
    out.push(result);
    if (!values.out) {
      writeFileSync(join(WORK, `${name}.json`), `${JSON.stringify(result, null, 1)}\n`);
      log(`results in ${join(WORK, `${name}.json`)}`);
    }
  }
  if (values.out) {
    mkdirSync(dirname(values.out), { recursive: true });
    writeFileSync(values.out, `${JSON.stringify(out, null, 1)}\n`);
  }
  return out;
}

if (isMain(import.meta.url)) {
  runClusterBench(process.argv.slice(2)).then(
    () => process.exit(0),
    (e: unknown) => {
      console.error(e);
      process.exit(1);
    },
  );
}
