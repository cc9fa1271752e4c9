/**
 * Replicated throughput and latency (issue 16) against any ClusterTarget
 * (test/helpers/cluster-target.ts), with the benchmark suite's librdkafka driver (rdbench,
 * bench/drivers/rdbench.c; the suite's W2 and W3 settings) so every cluster meets the same client:
 *
 *  - produce: `count` records of 1 KiB, acks=all, to a topic of 6 partitions with RF=3 whose
 *    leaders are spread evenly over the three brokers (explicit assignments [1,2,3], [2,3,1],
 *    [3,1,2], ...: the same layout on every target); record i to partition i % 6; produce MB/s
 *    counts payload bytes;
 *  - consume: the same topic from the beginning (assign, no group), MB/s from the first record
 *    received to the last; with `consumers` > 1, that many consumer processes each read a slice of
 *    the partitions at once (MB/s from the first record any of them got to the last), so that one
 *    client process's speed no longer bounds what the brokers serve;
 *  - latency: 1 KiB at 10,000 msg/s for `seconds` to partition 0 of a 1-partition RF=3 topic,
 *    acks=all; end-to-end from the producer's send call to the consumer having the record (it
 *    sees it only once the whole ISR has it: the high watermark), p50/p99/p99.9/max.
 *
 * A warm-up (count / 4 records produced and consumed on another topic) runs first, unmeasured.
 * Brokers' CPU (% of one core, summed over the brokers, from /proc) is reported per phase.
 */
import { cpuPressure, cpuSeconds } from '../suite/lib/common.js';
import { rdbench, type RdConsume, type RdLatency, type RdProduce } from '../suite/lib/rdbench.js';
import { createTopicReady, type ClusterTarget } from '../../test/helpers/cluster-target.js';

export interface ThroughputOptions {
  /** Records produced and consumed (default 200,000 = 205 MB). */
  count?: number;
  /** Record size (default 1024). */
  size?: number;
  /** Latency phase rate and duration (default 10,000 msg/s for 10 s). */
  rate?: number;
  seconds?: number;
  /** Records produced and consumed on another topic first, unmeasured (default count / 4). */
  warmup?: number;
  /** Consumer processes reading the topic at once, each a slice of the partitions (default 1). */
  consumers?: number;
  /** More consumer counts to measure after `consumers`, each over the same topic (e.g. [3]). */
  moreConsumers?: number[];
  /** Consume passes per consumer count (each reads the whole topic again; default 1). */
  consumePasses?: number;
  log?: (line: string) => void;
}

export interface ThroughputResult {
  count: number;
  size: number;
  partitions: number;
  produceMBps: number;
  produceMsgps: number;
  produceBrokerCpuPct: number;
  producePressurePct: number | null;
  consumers: number;
  consumeMBps: number;
  consumeMsgps: number;
  consumeBrokerCpuPct: number;
  consumePressurePct: number | null;
  /** Every consume pass: consumer count, MB/s, the brokers' CPU (% of one core, and CPU seconds per GB read). */
  consumePasses: Array<{ consumers: number; MBps: number; brokerCpuPct: number; brokerCpuSecPerGB: number; pressurePct: number | null }>;
  latency: { rate: number; seconds: number; sent: number; received: number; p50: number; p99: number; p999: number; max: number; brokerCpuPct: number; pressurePct: number | null };
}

export const PARTITIONS = 6;

/** Replica lists rotating the leader over the brokers: [1,2,3], [2,3,1], [3,1,2], [1,2,3] ... */
export function spreadAssignments(brokers: readonly number[], partitions: number): number[][] {
  return Array.from({ length: partitions }, (_, p) => brokers.map((_b, i) => brokers[(p + i) % brokers.length]!));
}

/**
 * Runs fn and returns its result with the brokers' CPU use over it (100 = one core) and the
 * machine's CPU pressure (% of the time some task waited for a CPU: other work sharing the cores).
 */
async function withCpu<T>(cluster: ClusterTarget, fn: () => Promise<T>): Promise<{ r: T; cpuPct: number; cpuSec: number; pressurePct: number | null }> {
  const pids = cluster.brokerIds.map((id) => cluster.pid(id)).filter((p): p is number => p !== null);
  const cpu = (): number => pids.reduce((a, p) => a + cpuSeconds(p), 0);
  const c0 = cpu();
  const psi0 = cpuPressure();
  const t0 = performance.now();
  const r = await fn();
  const secs = (performance.now() - t0) / 1000;
  const psi1 = cpuPressure();
  const cpuSec = cpu() - c0;
  return { r, cpuPct: (100 * cpuSec) / secs, cpuSec, pressurePct: psi0 && psi1 ? (100 * (psi1.totalUs - psi0.totalUs)) / 1e6 / secs : null };
}

/**
 * `consumers` rdbench consume processes at once, consumer i reading a contiguous slice of the
 * PARTITIONS partitions (record j of `count` is in partition j % PARTITIONS); their counts and bytes
 * summed, the first and last record over all of them.
 */
async function consumeInSlices(bootstrap: string, topic: string, count: number, consumers: number): Promise<{ count: number; bytes: number; firstAt: number; lastAt: number }> {
  if (consumers < 1 || consumers > PARTITIONS || PARTITIONS % consumers !== 0) throw new Error(`consumers must divide ${PARTITIONS}`);
  const per = PARTITIONS / consumers;
  const inPartition = (p: number) => Math.floor(count / PARTITIONS) + (p < count % PARTITIONS ? 1 : 0);
  const runs = await Promise.all(
    Array.from({ length: consumers }, (_, i) => {
      let want = 0;
      for (let p = i * per; p < (i + 1) * per; p++) want += inPartition(p);
      return rdbench<RdConsume>('consume', [bootstrap, topic, `${i * per}+${per}`, want], 600_000);
    }),
  );
  return {
    count: runs.reduce((a, r) => a + r.count, 0),
    bytes: runs.reduce((a, r) => a + r.bytes, 0),
    firstAt: Math.min(...runs.map((r) => r.firstAt)),
    lastAt: Math.max(...runs.map((r) => r.lastAt)),
  };
}

export async function measureThroughput(cluster: ClusterTarget, options: ThroughputOptions = {}): Promise<ThroughputResult> {
  const count = options.count ?? 200_000;
  const size = options.size ?? 1024;
  const rate = options.rate ?? 10_000;
  const seconds = options.seconds ?? 10;
  const log = options.log ?? (() => undefined);
  const brokers = cluster.brokerIds;

  // Warm-up, not measured: JIT-compiled hot paths on a JVM, and the first consumer's
  // FindCoordinator creating __consumer_offsets (Kafka: 50 partitions, RF=3) out of the way.
  const warmup = options.warmup ?? Math.round(count / 4);
  if (warmup > 0) {
    const w = `warmup-${Date.now().toString(36)}`;
    await createTopicReady(cluster, { name: w, assignments: spreadAssignments(brokers, PARTITIONS) });
    await rdbench<RdProduce>('produce', [cluster.bootstrap, w, warmup, size, -1, PARTITIONS], 600_000);
    await rdbench<RdConsume>('consume', [cluster.bootstrap, w, PARTITIONS, warmup], 600_000);
    log(`warm-up: ${warmup} records produced and consumed`);
  }

  const topic = `replicated-${Date.now().toString(36)}`;
  await createTopicReady(cluster, { name: topic, assignments: spreadAssignments(brokers, PARTITIONS) });
  const p = await withCpu(cluster, () => rdbench<RdProduce>('produce', [cluster.bootstrap, topic, count, size, -1, PARTITIONS], 600_000));
  if (p.r.acked !== count) throw new Error(`produce: ${p.r.acked} of ${count} acknowledged (${p.r.error})`);
  const produceMBps = (count * size) / 1e6 / p.r.elapsed;
  log(`produce: ${produceMBps.toFixed(1)} MB/s (${(count / p.r.elapsed).toFixed(0)} msg/s), brokers' CPU ${p.cpuPct.toFixed(0)}%, CPU pressure ${p.pressurePct?.toFixed(0)}%`);

  const consumers = options.consumers ?? 1;
  const passes: ThroughputResult['consumePasses'] = [];
  let first: { k: Awaited<ReturnType<typeof withCpu<Awaited<ReturnType<typeof consumeInSlices>>>>>; secs: number; MBps: number } | null = null;
  for (const n of [consumers, ...(options.moreConsumers ?? [])]) {
    for (let pass = 0; pass < (options.consumePasses ?? 1); pass++) {
      const k = await withCpu(cluster, () => consumeInSlices(cluster.bootstrap, topic, count, n));
      if (k.r.count < count) throw new Error(`consume: ${k.r.count} of ${count}`);
      const secs = (k.r.lastAt - k.r.firstAt) / 1000;
      const MBps = k.r.bytes / 1e6 / secs;
      const brokerCpuSecPerGB = k.cpuSec / (k.r.bytes / 1e9);
      passes.push({ consumers: n, MBps, brokerCpuPct: k.cpuPct, brokerCpuSecPerGB, pressurePct: k.pressurePct });
      first ??= { k, secs, MBps };
      log(`consume (${n} consumer${n > 1 ? 's' : ''}): ${MBps.toFixed(1)} MB/s, brokers' CPU ${k.cpuPct.toFixed(0)}% (${brokerCpuSecPerGB.toFixed(2)} CPU-s per GB), CPU pressure ${k.pressurePct?.toFixed(0)}%`);
    }
  }
  const { k, secs, MBps: consumeMBps } = first!;

  const latTopic = `latency-${Date.now().toString(36)}`;
  await createTopicReady(cluster, { name: latTopic, assignments: [brokers.slice()] });
  const l = await withCpu(cluster, () => rdbench<RdLatency>('latency', [cluster.bootstrap, latTopic, rate, seconds, size, 'all'], (seconds + 120) * 1000));
  if (l.r.count < l.r.sent * 0.99) throw new Error(`latency: only ${l.r.count} of ${l.r.sent} records arrived`);
  log(`latency at ${rate} msg/s: p50 ${l.r.p50.toFixed(2)} p99 ${l.r.p99.toFixed(2)} p99.9 ${l.r.p999.toFixed(2)} max ${l.r.max.toFixed(1)} ms, brokers' CPU ${l.cpuPct.toFixed(0)}%, CPU pressure ${l.pressurePct?.toFixed(0)}%`);

  return {
    count,
    size,
    partitions: PARTITIONS,
    produceMBps,
    produceMsgps: count / p.r.elapsed,
    produceBrokerCpuPct: p.cpuPct,
    producePressurePct: p.pressurePct,
    consumers,
    consumeMBps,
    consumeMsgps: k.r.count / secs,
    consumeBrokerCpuPct: k.cpuPct,
    consumePressurePct: k.pressurePct,
    consumePasses: passes,
    latency: { rate, seconds, sent: l.r.sent, received: l.r.count, p50: l.r.p50, p99: l.r.p99, p999: l.r.p999, max: l.r.max, brokerCpuPct: l.cpuPct, pressurePct: l.pressurePct },
  };
}
