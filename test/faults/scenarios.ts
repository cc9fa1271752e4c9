/**
 * The fault scenarios of issue 17, written once against FaultTarget (fault-target.ts) so that the
 * vitest tests (process / network / disk-net .test.ts, Runnel) and the opt-in bench
 * bench/cluster/faults.ts (Runnel and Apache Kafka) run the same steps. Each scenario starts its
 * own 3-broker cluster through `start`, runs the idempotent acks=all load of workload.ts, injects
 * its fault, measures, heals, stops the cluster (always, also on a failure) and returns what it
 * saw: the workload's verdict, the failover times and the facts the tests assert on. Nothing here
 * asserts: a bench run reports what Kafka does, the tests decide what Runnel must do.
 */
import { open, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { createTopicReady, partitions, sleep, waitIsrFull } from '../helpers/cluster-target.js';
import { type FaultStartOptions, type FaultTarget, type StartFaultTarget, waitController, waitPartitionSeenBy } from './fault-target.js';
import { type Workload, type WorkloadResult, startWorkload } from './workload.js';

export interface ScenarioOutcome {
  /** The scenario's key (SCENARIOS) and title. */
  key: string;
  title: string;
  result: WorkloadResult | null;
  /** Fault -> new leader (or the scenario's own measure), ms, one per fault injected. */
  failoverMs: number[];
  /** What the tests assert on (split-brain probe, ISR after a shrink, exit code, paces ...). */
  facts: Record<string, unknown>;
  /** Why the scenario did not run here. */
  skipped?: string;
}

/** The verdict a clean history has (history.ts ReadsReport with nothing in it). */
export const CLEAN = { lost: [], divergent: [], outOfOrder: [], duplicated: [], phantom: [], reordered: [] };

const MIN_ISR = { 'min.insync.replicas': '2' };

/** Starts a cluster, runs `body` on it, and always stops it. */
async function onCluster(start: StartFaultTarget, opts: FaultStartOptions, body: (c: FaultTarget) => Promise<Omit<ScenarioOutcome, 'key' | 'title'>>): Promise<Omit<ScenarioOutcome, 'key' | 'title'>> {
  const c = await start(opts);
  try {
    return await body(c);
  } finally {
    await c.stop();
  }
}

const othersOf = (c: FaultTarget, id: number) => c.brokerIds.filter((x) => x !== id).map((x) => `b${x}`);

/** One acks=all send through a client that knows only broker `id` (no retries). */
async function produceOnlyTo(c: FaultTarget, id: number, topic: string, partition: number, value: string): Promise<void> {
  const e = c.endpoint(id);
  const kafka = new Kafka({ brokers: [`${e.host}:${e.port}`], clientId: 'probe', logLevel: logLevel.NOTHING, requestTimeout: 8000, retry: { retries: 0 } });
  const p = kafka.producer({ allowAutoTopicCreation: false, retry: { retries: 0 } });
  await p.connect();
  try {
    await p.send({ topic, acks: -1, timeout: 5000, messages: [{ value, partition }] });
  } finally {
    await p.disconnect();
  }
}

/** Writes a file into `dir` until the file system is full (ENOSPC), down to 4 KiB chunks. */
async function fillDisk(dir: string): Promise<string> {
  const path = join(dir, 'filler');
  const fh = await open(path, 'w');
  try {
    for (let chunk = 1 << 20; chunk >= 4096; chunk >>= 1) {
      const buf = Buffer.alloc(chunk, 1);
      for (;;) {
        try {
          await fh.write(buf);
        } catch (e: any) {
          if (e.code === 'ENOSPC') break;
          throw e;
        }
      }
    }
  } finally {
    await fh.close().catch(() => undefined);
  }
  return path;
}

/** Acknowledgements per partition during `ms`. */
async function acksDuring(w: Workload, parts: number[], ms: number): Promise<number[]> {
  const before = parts.map((p) => w.ackedOn(p));
  await sleep(ms);
  return parts.map((p, i) => w.ackedOn(p) - before[i]!);
}

/** 1. The leader cut off from the other brokers and the metadata quorum (both ways). */
export const leaderIsolated = (start: StartFaultTarget) =>
  onCluster(start, {}, async (c) => {
    const [p0] = await createTopicReady(c, { name: 'iso', partitions: 2, replicationFactor: 3, configs: MIN_ISR });
    const w = await startWorkload(c, 'iso', 2);
    await w.progress(50);
    const old = p0!.leader;
    const t0 = Date.now();
    await c.net.cut(`b${old}`, [...othersOf(c, old), ...c.metadataNodes]);
    const moved = await waitPartitionSeenBy(c, 'iso', 0, (p) => p.leader !== old, c.brokerIds.filter((x) => x !== old));
    const failover = Date.now() - t0;
    // No split brain: the cut-off leader must refuse an acks=all write sent straight to it.
    const splitBrainProbe = await produceOnlyTo(c, old, 'iso', 0, 'split-brain-probe').then(
      () => 'accepted',
      (e) => `rejected: ${String(e)}`,
    );
    await w.progress(50);
    await sleep(2000);
    await c.net.heal();
    return { result: await w.finish(), failoverMs: [failover], facts: { oldLeader: old, newLeader: moved.leader, splitBrainProbe } };
  });

/** 2. The active controller cut off the same way: another node takes over and moves its leaderships. */
export const controllerIsolated = (start: StartFaultTarget) =>
  onCluster(start, {}, async (c) => {
    await createTopicReady(c, { name: 'ctl', partitions: 3, replicationFactor: 3, configs: MIN_ISR });
    const w = await startWorkload(c, 'ctl', 3);
    await w.progress(50);
    const ctl = await waitController(c);
    const rest = c.brokerIds.filter((x) => x !== ctl);
    const t0 = Date.now();
    await c.net.cut(`b${ctl}`, [...othersOf(c, ctl), ...c.metadataNodes]);
    const next = await waitController(c, ctl, rest);
    const controllerMs = Date.now() - t0;
    for (let p = 0; p < 3; p++) await waitPartitionSeenBy(c, 'ctl', p, (s) => s.leader !== ctl, rest);
    const failover = Date.now() - t0;
    await w.progress(50);
    await c.net.heal();
    return { result: await w.finish(), failoverMs: [failover], facts: { oldController: ctl, newController: next, newControllerMs: controllerMs } };
  });

/** 3. One-way cuts between the leader and its followers: first it cannot receive, then it cannot send. */
export const oneWayCuts = (start: StartFaultTarget) =>
  onCluster(start, {}, async (c) => {
    await createTopicReady(c, { name: 'oneway', partitions: 1, replicationFactor: 3, configs: MIN_ISR });
    const w = await startWorkload(c, 'oneway', 1);
    await w.progress(30);
    const failovers: number[] = [];
    const leaders: number[] = [];
    for (const dir of ['in', 'out'] as const) {
      const { leader } = await waitPartitionSeenBy(c, 'oneway', 0, () => true);
      leaders.push(leader);
      const t0 = Date.now();
      // Only the traffic between the leader and the other brokers is cut one way (with Runnel it
      // still talks to etcd; a Kafka node's quorum peers are those brokers). Either the ISR shrinks
      // below min ISR (writes stop, nothing acknowledged that the followers lack) or leadership
      // moves; writes must resume once healed, and nothing acked is lost.
      await c.net.cut(`b${leader}`, othersOf(c, leader), dir);
      await sleep(8000);
      await c.net.heal();
      await w.progress(30, 60_000);
      failovers.push(Date.now() - t0);
    }
    return { result: await w.finish(), failoverMs: failovers, facts: { leaders } };
  });

/** 4. A follower frozen (SIGSTOP) past replica.lag.time.max.ms: the ISR shrinks; SIGCONT: it rejoins. */
export const followerFrozen = (start: StartFaultTarget) =>
  onCluster(start, {}, async (c) => {
    const [p0] = await createTopicReady(c, { name: 'frz', partitions: 1, replicationFactor: 3, configs: MIN_ISR });
    const w = await startWorkload(c, 'frz', 1);
    await w.progress(30);
    const follower = p0!.replicas.find((r) => r !== p0!.leader)!;
    const t0 = Date.now();
    c.freeze(follower);
    const shrunk = await waitPartitionSeenBy(c, 'frz', 0, (p) => !p.isr.includes(follower));
    const shrinkMs = Date.now() - t0;
    await w.progress(50); // acks=all with the two in-sync replicas
    c.thaw(follower);
    const rejoinT0 = Date.now();
    await waitIsrFull(c, 'frz', 0, 60_000);
    const rejoinMs = Date.now() - rejoinT0;
    return { result: await w.finish(), failoverMs: [shrinkMs], facts: { follower, shrunkIsr: shrunk.isr, rejoinMs } };
  });

/** 5. 15 % packet loss between every pair of brokers (plus netem latency on b1 where the kernel has it). */
export const packetLoss = (start: StartFaultTarget) =>
  onCluster(start, {}, async (c) => {
    await createTopicReady(c, { name: 'lossy', partitions: 3, replicationFactor: 3, configs: MIN_ISR });
    const w = await startWorkload(c, 'lossy', 3);
    await w.progress(30);
    const netem = await c.net.delay('b1', 30, 10);
    for (const id of c.brokerIds) await c.net.loss(`b${id}`, othersOf(c, id), 15);
    await w.progress(100, 60_000);
    await sleep(5000);
    await c.net.heal();
    return { result: await w.finish(), failoverMs: [], facts: { netem } };
  });

/**
 * 6. Broker 3's log dir (a 48 MiB tmpfs) fills: it must acknowledge nothing it could not write and
 * its leaderships must move; with space again (restarted if it stopped) it rejoins the ISR.
 */
export const diskFull = (start: StartFaultTarget) =>
  // Runnel refuses produce below 4 MiB free (runnel.log.dir.min.free.bytes).
  onCluster(start, { tmpfsMiB: { 3: 48 }, runnelProps: { 'runnel.log.dir.min.free.bytes': 4 << 20 } }, async (c) => {
    await createTopicReady(c, { name: 'full', assignments: [[3, 1, 2], [1, 3, 2]], configs: MIN_ISR });
    const w = await startWorkload(c, 'full', 2);
    await w.progress(30);
    const t0 = Date.now();
    const filler = await fillDisk(c.dataDir(3));
    // Broker 3 led partition 0: a new leader with broker 3 out of the ISR, and writes go on.
    const moved = await waitPartitionSeenBy(c, 'full', 0, (p) => p.leader !== 3 && !p.isr.includes(3), [1, 2]).catch((e) => {
      throw new Error(`${String(e)}\nbroker 3's log:\n${c.logTail(3).join('\n')}`);
    });
    const failover = Date.now() - t0;
    // Whether broker 3 stopped itself (Runnel: exit 1, as Kafka halts once its only log dir failed).
    const exited = c.exited(3);
    const exitCode = exited === null ? 1 : await Promise.race([exited, sleep(30_000).then(() => 'still running after 30 s')]);
    await w.progress(50, 60_000);
    await rm(filler);
    if (!c.isUp(3)) await c.startBroker(3);
    await waitIsrFull(c, 'full', 0, 60_000);
    await waitIsrFull(c, 'full', 1, 60_000);
    return { result: await w.finish(), failoverMs: [failover], facts: { newLeader: moved.leader, exitCode } };
  });

/** 7. A leader kill loop: SIGKILL partition 0's leader, wait for the next one, restart it; three times. */
export const leaderKillLoop = (start: StartFaultTarget) =>
  onCluster(start, {}, async (c) => {
    await createTopicReady(c, { name: 'kill', partitions: 2, replicationFactor: 3, configs: MIN_ISR });
    const w = await startWorkload(c, 'kill', 2);
    await w.progress(30);
    const failovers: number[] = [];
    const killed: number[] = [];
    for (let i = 0; i < 3; i++) {
      const { leader } = await waitPartitionSeenBy(c, 'kill', 0, () => true);
      killed.push(leader);
      const t0 = Date.now();
      await c.killBroker(leader);
      await waitPartitionSeenBy(c, 'kill', 0, (p) => p.leader !== leader);
      failovers.push(Date.now() - t0);
      await w.progress(20);
      await c.startBroker(leader);
      await waitIsrFull(c, 'kill', 0, 60_000);
      await waitIsrFull(c, 'kill', 1, 60_000);
    }
    return { result: await w.finish(), failoverMs: failovers, facts: { killed } };
  });

/** 8. The whole cluster SIGKILLed and started again; measured until 20 acknowledgements again. */
export const wholeClusterRestart = (start: StartFaultTarget) =>
  onCluster(start, {}, async (c) => {
    await createTopicReady(c, { name: 'all', partitions: 2, replicationFactor: 3, configs: MIN_ISR });
    const w = await startWorkload(c, 'all', 2);
    await w.progress(50);
    const t0 = Date.now();
    await Promise.all(c.brokerIds.map((id) => c.killBroker(id)));
    await Promise.all(c.brokerIds.map((id) => c.startBroker(id)));
    const startedMs = Date.now() - t0;
    await w.progress(20, 60_000);
    const back = Date.now() - t0;
    return { result: await w.finish(), failoverMs: [back], facts: { startedMs } };
  });

/**
 * 9. Broker 3's disk slowed (an ext4 loop disk held to 10 writes/s, 1 MiB/s): the partitions it
 * hosts acknowledge slowly, never stop, nothing is lost, and the pace comes back with the disk.
 * `unavailable` (netns.ts slowDiskUnavailable) skips it where the host cannot throttle a disk.
 */
export const slowDisk = (start: StartFaultTarget, unavailable: string | null) =>
  unavailable
    ? Promise.resolve({ result: null, failoverMs: [], facts: {}, skipped: unavailable })
    : onCluster(start, { loopDiskMiB: { 3: 256 } }, async (c) => {
        await createTopicReady(c, { name: 'slow', assignments: [[3, 1, 2], [1, 2, 3]], configs: MIN_ISR });
        const w = await startWorkload(c, 'slow', 2);
        await w.progress(30);
        const healthy = await acksDuring(w, [0, 1], 5000);
        if (!(await c.net.slowDisk(c.dataDir(3), c.pid(3)!, 10, 1 << 20))) {
          await w.finish();
          return { result: null, failoverMs: [], facts: {}, skipped: 'no cgroup v1 blkio throttling on this host' };
        }
        const slow = await acksDuring(w, [0, 1], 10_000);
        const isrWhileSlow = (await partitions(c, 'slow', 1))[1]!.isr;
        await c.net.fastDisk(c.dataDir(3), c.pid(3)!);
        await waitIsrFull(c, 'slow', 0, 60_000);
        await waitIsrFull(c, 'slow', 1, 60_000);
        const after = await acksDuring(w, [0, 1], 5000);
        return { result: await w.finish(), failoverMs: [], facts: { healthy, slow, after, isrWhileSlow } };
      });

/** Every scenario by key, in issue 17's numbering (the bench's --only takes these keys). */
export const SCENARIOS: Record<string, { title: string; run: (start: StartFaultTarget, slowDiskUnavailable: string | null) => Promise<Omit<ScenarioOutcome, 'key' | 'title'>> }> = {
  'leader-isolated': { title: '1. leader isolated from brokers and metadata quorum', run: leaderIsolated },
  'controller-isolated': { title: '2. active controller isolated', run: controllerIsolated },
  'one-way': { title: '3. one-way cuts (leader in, then out; 8 s each)', run: oneWayCuts },
  'follower-frozen': { title: '4. follower SIGSTOPped: ISR shrink', run: followerFrozen },
  'packet-loss': { title: '5. 15% packet loss between brokers', run: packetLoss },
  'disk-full': { title: '6. broker disk full (tmpfs)', run: diskFull },
  'kill-loop': { title: '7. leader SIGKILL loop', run: leaderKillLoop },
  'cluster-restart': { title: '8. whole-cluster SIGKILL + restart (until 20 acks again)', run: wholeClusterRestart },
  'slow-disk': { title: '9. slow disk (10 writes/s)', run: slowDisk },
};

/** Runs scenario `key` and labels its outcome. */
export async function runScenario(key: string, start: StartFaultTarget, slowDiskUnavailable: string | null): Promise<ScenarioOutcome> {
  const s = SCENARIOS[key];
  if (!s) throw new Error(`no scenario ${key} (${Object.keys(SCENARIOS).join(', ')})`);
  return { key, title: s.title, ...(await s.run(start, slowDiskUnavailable)) };
}
