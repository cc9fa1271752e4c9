/**
 * False fencing under load (issue 16): with a short broker.session.timeout.ms a broker whose
 * keep-alives are late — a busy event loop, a slow disk, a shared CPU — counts its lease as lost
 * and stops leading although nothing failed. This runs a Runnel cluster flat out for `seconds`
 * with no kill at all and counts what a kill would otherwise explain:
 *
 *  - fencings: brokers that counted their lease lost ('lease counted lost: fenced' log lines);
 *  - re-registrations: brokers that registered again ('registered in the cluster' after start);
 *  - controller moves ('became the controller' after start);
 *  - controller leader/ISR writes ('partition leaders and ISRs updated': broker loss or return);
 *  - ISR shrinks written by leaders (kafka_server_replicamanager_isrshrinks_total): a follower
 *    that fell replica.lag.time.max.ms behind.
 *
 * Load: the suite's librdkafka driver writing 1 KiB records, acks=all, to a 6-partition RF=3
 * topic: flat out (rdbench produce, the W2 settings, round after round until `seconds` pass, so
 * the brokers use every CPU they can get), or with `rate` paced at that many records a second to
 * partition 0 with a consumer reading them (rdbench latency, the throughput bench's latency
 * phase). CPU pressure (PSI), the load average and each broker's largest event-loop delay are
 * reported with it: on a shared machine, what other work did to the timing is part of the answer.
 */
import { loadavg } from 'node:os';
import { cpuPressure } from '../suite/lib/common.js';
import { rdbench, type RdLatency, type RdProduce } from '../suite/lib/rdbench.js';
import { createTopicReady } from '../../test/helpers/cluster-target.js';
import type { RunnelBenchCluster } from './runnel-cluster.js';
import { PARTITIONS, spreadAssignments } from './throughput.js';

export interface FencingResult {
  /** Paced records/s, or null: flat out. */
  rate: number | null;
  seconds: number;
  records: number;
  produceMBps: number;
  fencings: number;
  reRegistrations: number;
  controllerMoves: number;
  controllerWrites: number;
  isrShrinks: number;
  isrExpands: number;
  pressurePct: number | null;
  loadAvg1: number;
  /** Each broker's largest event-loop delay since it started, ms (-1: no answer). */
  loopDelayMaxMs: number[];
}

const FENCED = 'lease counted lost: fenced (no longer acting as a leader)';
const REGISTERED = 'registered in the cluster';
const BECAME_CONTROLLER = 'became the controller';
const CONTROLLER_WRITES = 'partition leaders and ISRs updated';

/** Per broker, the sum of a metric's samples on its /metrics (NaN for a broker that does not answer). */
async function metricOf(cluster: RunnelBenchCluster, name: string): Promise<number[]> {
  const out: number[] = [];
  for (const id of cluster.brokerIds) {
    try {
      const text = await (await fetch(`${cluster.adminUrl(id)}/metrics`)).text();
      let sum = 0;
      for (const line of text.split('\n')) if (line.startsWith(`${name} `) || line.startsWith(`${name}{`)) sum += Number(line.slice(line.lastIndexOf(' ') + 1));
      out.push(sum);
    } catch {
      out.push(NaN);
    }
  }
  return out;
}

async function metricSum(cluster: RunnelBenchCluster, name: string): Promise<number> {
  return (await metricOf(cluster, name)).reduce((a, v) => a + (Number.isNaN(v) ? 0 : v), 0);
}

function logSum(cluster: RunnelBenchCluster, msg: string): number {
  return cluster.brokerIds.reduce((a, id) => a + cluster.logCount(id, msg), 0);
}

export async function measureFalseFencing(cluster: RunnelBenchCluster, opts: { seconds: number; rate?: number; roundRecords?: number; log?: (line: string) => void }): Promise<FencingResult> {
  const log = opts.log ?? (() => undefined);
  const topic = `soak-${Date.now().toString(36)}`;
  await createTopicReady(cluster, { name: topic, assignments: spreadAssignments(cluster.brokerIds, PARTITIONS) });
  const before = {
    fencings: logSum(cluster, FENCED),
    registrations: logSum(cluster, REGISTERED),
    controllers: logSum(cluster, BECAME_CONTROLLER),
    writes: logSum(cluster, CONTROLLER_WRITES),
    shrinks: await metricSum(cluster, 'kafka_server_replicamanager_isrshrinks_total'),
    expands: await metricSum(cluster, 'kafka_server_replicamanager_isrexpands_total'),
  };
  const psi0 = cpuPressure();
  const t0 = performance.now();
  let records = 0;
  const round = opts.roundRecords ?? 50_000;
  if (opts.rate) {
    const r = await rdbench<RdLatency>('latency', [cluster.bootstrap, topic, opts.rate, opts.seconds, 1024, 'all'], (opts.seconds + 120) * 1000);
    records = r.count;
  } else {
    while (performance.now() - t0 < opts.seconds * 1000) {
      const r = await rdbench<RdProduce>('produce', [cluster.bootstrap, topic, round, 1024, -1, PARTITIONS], 600_000);
      records += r.acked;
    }
  }
  const secs = (performance.now() - t0) / 1000;
  const psi1 = cpuPressure();
  const out: FencingResult = {
    rate: opts.rate ?? null,
    seconds: secs,
    records,
    produceMBps: (records * 1024) / 1e6 / secs,
    fencings: logSum(cluster, FENCED) - before.fencings,
    reRegistrations: logSum(cluster, REGISTERED) - before.registrations,
    controllerMoves: logSum(cluster, BECAME_CONTROLLER) - before.controllers,
    controllerWrites: logSum(cluster, CONTROLLER_WRITES) - before.writes,
    isrShrinks: (await metricSum(cluster, 'kafka_server_replicamanager_isrshrinks_total')) - before.shrinks,
    isrExpands: (await metricSum(cluster, 'kafka_server_replicamanager_isrexpands_total')) - before.expands,
    pressurePct: psi0 && psi1 ? (100 * (psi1.totalUs - psi0.totalUs)) / 1e6 / secs : null,
    loadAvg1: loadavg()[0]!,
    loopDelayMaxMs: (await metricOf(cluster, 'nodejs_eventloop_lag_max_seconds')).map((v) => (Number.isNaN(v) ? -1 : Math.round(v * 1000))),
  };
  log(
    `false fencing over ${secs.toFixed(0)} s of ${opts.rate ? `${opts.rate} msg/s` : 'full'} load (${out.produceMBps.toFixed(1)} MB/s, CPU pressure ${out.pressurePct?.toFixed(0)}%, load ${out.loadAvg1.toFixed(1)}, event-loop delay max ${out.loopDelayMaxMs.join('/')} ms): ` +
      `${out.fencings} fencings, ${out.reRegistrations} re-registrations, ${out.controllerMoves} controller moves, ${out.controllerWrites} controller leader/ISR writes, ${out.isrShrinks} ISR shrinks, ${out.isrExpands} expands`,
  );
  return out;
}
