/**
 * Operating a Runnel cluster under load from real clients (issue 17, "operations"): etcd and
 * `dist/runnel.mjs` processes (cluster-harness.ts; build first), Kafka's own CLI tools, and
 * ops-load.ts's clients — an idempotent acks=all kafkajs producer with kafkajs' default retries, a
 * kafkajs consumer group, and in the rolling restart Apache Kafka's Java producer too.
 *
 *  1. rolling restart: SIGTERM (controlled shutdown) each broker in turn, start it again, wait until
 *     nothing is under-replicated, next — with zero failed sends and the group consuming throughout;
 *  2. kafka-reassign-partitions --execute --throttle under load, --verify until completed;
 *  3. kafka-leader-election --election-type PREFERRED --all-topic-partitions after a restart left
 *     leaders unbalanced; and (own cluster) auto.leader.rebalance.enable doing it by itself;
 *  4. a fourth broker joins and takes partitions (--generate --broker-list 1,2,3,4, --execute), then
 *     broker 2 is decommissioned (everything moved off, stopped; not listed any more).
 *
 * Every scenario ends with the history checker (history.ts) finding nothing lost, duplicated or
 * reordered, and the consumer group having read every acknowledged record.
 */
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/broker.js';
import { type ClusterTarget, createTopicReady, metadataFrom, partitions, sleep, upBrokers, waitUntil } from '../helpers/cluster-target.js';
import { javaAvailable, runKafkaScript } from '../helpers/java.js';
import { type RunnelCluster, startRunnelCluster } from './cluster-harness.js';
import { etcdMissing } from './etcd-harness.js';
import { type OpsSummary, OpsLoad, rollingRestart, waitNothingUnderReplicated } from './ops-load.js';

/** The running brokers' addresses, for clients and tools. */
const bootstrapOf = (c: ClusterTarget) => upBrokers(c).map((id) => `${c.endpoint(id).host}:${c.endpoint(id).port}`).join(',');

function expectClean(s: OpsSummary, what: string): void {
  console.log(`${what}: ${JSON.stringify({ producers: s.producers, consumer: s.consumer, logRecords: s.logRecords, unackedPresent: s.history.unackedPresent, clientErrors: s.clientErrors })}`);
  const short = (l: string[]) => [l.length, ...l.slice(0, 3).map((x) => x.slice(0, 80))];
  const h = s.history;
  expect({ lost: short(h.lost), duplicated: short(h.duplicated), phantom: short(h.phantom), reordered: short(h.reordered), gaps: short(h.gaps) }, what).toEqual({ lost: [0], duplicated: [0], phantom: [0], reordered: [0], gaps: [0] });
  for (const p of s.producers) expect(p.failed, `${p.client} failed sends: ${JSON.stringify(p.errors)}`).toBe(0);
  // kafkajs' offset manager keeps the group coordinator it found; when that broker restarts, its
  // next commit looks the old node up in a pool that dropped it on the disconnect, and kafkajs
  // recovers by crashing and restarting the consumer (its designed path; it does so against Kafka
  // too, tulios/kafkajs#404). That crash is allowed — nothing may be missing after it — any other is not.
  const coordinatorRestart = (st: string) => /KafkaJSBrokerNotFound/.test(st) && /OffsetManager\.getCoordinator/.test(st);
  const other = s.consumer.crashStacks.filter((st) => !coordinatorRestart(st));
  expect(s.consumer.crashes - (s.consumer.crashStacks.length - other.length), `consumer crashes: ${other.join('\n---\n')}`).toBe(0);
  expect(s.consumer.missing, 'acknowledged records the group never read').toEqual([]);
}

/** A Kafka CLI tool against the cluster; its output. */
async function tool(script: string, args: string[], timeoutMs = 120_000): Promise<string> {
  const r = await runKafkaScript(script, args, { timeoutMs });
  if (r.code !== 0) throw new Error(`${script} ${args.join(' ')} exited ${r.code}:\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

/** kafka-reassign-partitions; REQUEST_TIMED_OUT from a busy etcd is retried as an operator would (twice). */
async function reassignTool(bootstrap: string, args: string[]): Promise<string> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await tool('kafka-reassign-partitions.sh', ['--bootstrap-server', bootstrap, ...args]);
    } catch (e) {
      if (attempt < 2 && String(e).includes('etcd did not answer')) continue;
      throw e;
    }
  }
}

/** --verify until no partition is still in progress (the last run clears the throttles); its output and the time taken. */
async function verifyUntilDone(bootstrap: string, plan: string, timeoutMs = 90_000): Promise<{ out: string; ms: number }> {
  const t0 = Date.now();
  for (;;) {
    const out = await reassignTool(bootstrap, ['--verify', '--reassignment-json-file', plan]);
    if (!out.includes('still in progress')) return { out, ms: Date.now() - t0 };
    if (Date.now() - t0 > timeoutMs) throw new Error(`reassignment still in progress after ${timeoutMs} ms:\n${out}`);
    await sleep(1000);
  }
}

/** Writes a reassignment plan (Kafka's JSON) and returns its path. */
function writePlan(dir: string, name: string, moves: Array<{ topic: string; partition: number; replicas: number[] }>): string {
  const file = join(dir, `${name}.json`);
  writeFileSync(file, JSON.stringify({ version: 1, partitions: moves }));
  return file;
}

describe.skipIf(etcdMissing || !javaAvailable())('cluster operations under load: rolling restart, reassignment, leader election, adding and removing brokers', () => {
  let c: RunnelCluster;
  let load: OpsLoad | null = null;
  const dir = tempDir('ops-plans');

  beforeAll(async () => {
    // Broker 4 exists only as an address and an empty data dir until scenario 4 adds it.
    c = await startRunnelCluster({
      brokers: 4,
      initiallyDown: [4],
      props: { 'auto.leader.rebalance.enable': false, 'offsets.topic.num.partitions': 4, 'runnel.etcd.request.timeout.ms': 5000 },
    });
  }, 90_000);
  afterAll(async () => {
    await load?.abort();
    await c?.stop();
    rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it('rolling restart of all three brokers (SIGTERM, back, full ISR, next): no failed send, the group keeps consuming', async () => {
    const topic = 'roll';
    await createTopicReady(c, { name: topic, partitions: 3, replicationFactor: 3, configs: { 'min.insync.replicas': '2' } });
    load = await OpsLoad.start({ bootstrap: bootstrapOf(c), topic, partitions: 3, java: true });
    await load.progressed(30, 'before the restarts');
    await waitNothingUnderReplicated(c);
    const controller = (await metadataFrom(c, 1, [])).controllerId as number;
    const roll = await rollingRestart(c, load, [...[1, 2, 3].filter((id) => id !== controller), controller], {
      stop: async (id) => expect(await c.kill(id, 'SIGTERM'), `broker ${id}'s exit code`).toBe(0),
      start: (id) => c.restart(id),
    });
    console.log(`rolling restart: ${JSON.stringify(roll)}`);
    expect(roll.longestStallMs, 'the longest time without an acknowledgement').toBeLessThan(10_000);
    const s = await load.finish(c, (id) => c.dataDir(id));
    load = null;
    expectClean(s, 'rolling restart');
  }, 240_000);

  it('kafka-reassign-partitions --execute --throttle under load: every partition moves, --verify completes, no failed send', async () => {
    const topic = 'move';
    const from = [[1, 2], [2, 3], [3, 1]];
    const to = [[2, 3], [3, 1], [1, 2]];
    await createTopicReady(c, { name: topic, assignments: from, configs: { 'min.insync.replicas': '1' } });
    load = await OpsLoad.start({ bootstrap: bootstrapOf(c), topic, partitions: 3 });
    // Data to move: ~1 MB per partition before the move, on top of what the load writes meanwhile.
    for (let p = 0; p < 3; p++) for (let i = 0; i < 4; i++) await load.prefill(p, 500, 500);
    await load.progressed(30, 'before the reassignment');
    const plan = writePlan(dir, topic, to.map((replicas, partition) => ({ topic, partition, replicas })));
    const t0 = Date.now();
    const started = await reassignTool(bootstrapOf(c), ['--execute', '--reassignment-json-file', plan, '--throttle', '1000000']);
    expect(started).toContain('The inter-broker throttle limit was set to 1000000 B/s');
    expect(started).toContain(`Successfully started partition reassignments for ${topic}-0,${topic}-1,${topic}-2`);
    const verified = await verifyUntilDone(bootstrapOf(c), plan);
    for (let p = 0; p < 3; p++) expect(verified.out).toContain(`Reassignment of partition ${topic}-${p} is completed.`);
    expect(verified.out).toContain(`Clearing topic-level throttles on topic ${topic}`);
    await load.progressed(20, 'after the reassignment');
    const moveMs = Date.now() - t0;
    // No produce parked for its timeout anywhere (a leader dropped by the move answered them at once).
    expect(load.longestStall(t0, Date.now()), 'the longest time without an acknowledgement').toBeLessThan(10_000);
    // The replicas are the target ones everywhere; the removed replicas' logs are deleted.
    for (const id of upBrokers(c)) expect((await partitions(c, topic, id)).map((p) => p.replicas)).toEqual(to);
    for (let p = 0; p < 3; p++) {
      const gone = from[p]!.find((id) => !to[p]!.includes(id))!;
      await waitUntil(`${topic}-${p}'s log deleted on broker ${gone}`, async () => (existsSync(join(c.dataDir(gone), `${topic}-${p}`)) ? undefined : true), 20_000);
    }
    console.log(`reassignment of 3 partitions (~1 MB each, throttle 1 MB/s): --execute to --verify completed in ${verified.ms} ms (${moveMs} ms with progress after)`);
    const s = await load.finish(c, (id) => c.dataDir(id));
    load = null;
    expectClean(s, 'reassignment');
  }, 180_000);

  it('kafka-leader-election --election-type PREFERRED --all-topic-partitions after a restart left leaders unbalanced', async () => {
    const topic = 'pref';
    const assignments = [[1, 2, 3], [2, 3, 1], [3, 1, 2]];
    await createTopicReady(c, { name: topic, assignments, configs: { 'min.insync.replicas': '2' } });
    load = await OpsLoad.start({ bootstrap: bootstrapOf(c), topic, partitions: 3 });
    await load.progressed(30, 'before the restart');
    const t0 = Date.now();
    expect(await c.kill(1, 'SIGTERM')).toBe(0);
    await c.restart(1);
    await waitNothingUnderReplicated(c);
    // Auto rebalance is off here: partition 0 stays led by another replica.
    const unbalanced = await partitions(c, topic);
    expect(unbalanced[0]!.leader).not.toBe(1);
    await load.progressed(20, 'after the restart');
    const out = await tool('kafka-leader-election.sh', ['--bootstrap-server', bootstrapOf(c), '--election-type', 'PREFERRED', '--all-topic-partitions']);
    expect(out).toMatch(new RegExp(`Successfully completed leader election \\(PREFERRED\\) for partitions .*${topic}-0`));
    // Every partition of every topic is led by its preferred replica again, on every broker.
    await waitUntil('every partition led by its preferred replica on every broker', async () => {
      for (const id of upBrokers(c)) {
        const m = await metadataFrom(c, id, null);
        for (const t of m.topics) for (const p of t.partitions) if (p.leaderId !== p.replicaNodes[0]) return undefined;
      }
      return true;
    }, 30_000);
    await load.progressed(20, 'after the election');
    expect(load.longestStall(t0, Date.now()), 'the longest time without an acknowledgement').toBeLessThan(10_000);
    // Run again: nothing to elect, and (as KRaft answers --all-topic-partitions) nothing reported.
    const again = await tool('kafka-leader-election.sh', ['--bootstrap-server', bootstrapOf(c), '--election-type', 'PREFERRED', '--all-topic-partitions']);
    expect(again).not.toContain('Successfully completed');
    expect(again).not.toContain('Error');
    const s = await load.finish(c, (id) => c.dataDir(id));
    load = null;
    expectClean(s, 'preferred leader election');
  }, 180_000);

  it('a fourth broker joins and takes partitions (--generate --broker-list 1,2,3,4), then broker 2 is decommissioned', async () => {
    const topic = 'grow';
    await createTopicReady(c, { name: topic, partitions: 3, replicationFactor: 3, configs: { 'min.insync.replicas': '2' } });
    load = await OpsLoad.start({ bootstrap: bootstrapOf(c), topic, partitions: 3 });
    await load.progressed(30, 'before adding a broker');

    const t0 = Date.now();
    await c.startBroker(4);
    await waitUntil('every broker listing four brokers', async () => ((await Promise.all(upBrokers(c).map((id) => metadataFrom(c, id, [])))).every((m) => m.brokers.length === 4) ? true : undefined), 30_000);
    const topicsFile = join(dir, 'grow-topics.json');
    writeFileSync(topicsFile, JSON.stringify({ version: 1, topics: [{ topic }] }));
    const generated = await reassignTool(bootstrapOf(c), ['--generate', '--topics-to-move-json-file', topicsFile, '--broker-list', '1,2,3,4']);
    const proposed = JSON.parse(generated.split('Proposed partition reassignment configuration')[1]!.trim().split('\n')[0]!) as { partitions: Array<{ topic: string; partition: number; replicas: number[] }> };
    expect(proposed.partitions.flatMap((p) => p.replicas)).toContain(4);
    const growPlan = writePlan(dir, 'grow', proposed.partitions.map(({ topic: t, partition, replicas }) => ({ topic: t, partition, replicas })));
    await reassignTool(bootstrapOf(c), ['--execute', '--reassignment-json-file', growPlan, '--throttle', '5000000']);
    const grown = await verifyUntilDone(bootstrapOf(c), growPlan);
    await waitNothingUnderReplicated(c);
    const onFour = (await partitions(c, topic)).filter((p) => p.replicas.includes(4));
    expect(onFour.length).toBeGreaterThan(0);
    for (const p of onFour) expect(existsSync(join(c.dataDir(4), `${topic}-${p.partition}`))).toBe(true);
    await load.progressed(20, 'after moving partitions to broker 4');

    // Decommission broker 2: every replica it holds (every topic, the internal ones too) moves to a
    // broker of 1, 3, 4 not yet in that partition's list; then it stops.
    const all = await metadataFrom(c, 1, null);
    const moves: Array<{ topic: string; partition: number; replicas: number[] }> = [];
    for (const t of all.topics)
      for (const p of t.partitions) {
        const replicas = p.replicaNodes as number[];
        if (!replicas.includes(2)) continue;
        const spare = [1, 3, 4].find((id) => !replicas.includes(id))!;
        moves.push({ topic: t.name, partition: p.partitionIndex, replicas: replicas.map((id) => (id === 2 ? spare : id)) });
      }
    expect(moves.length).toBeGreaterThan(0);
    const drainPlan = writePlan(dir, 'drain', moves);
    await reassignTool(bootstrapOf(c), ['--execute', '--reassignment-json-file', drainPlan]);
    const drained = await verifyUntilDone(bootstrapOf(c), drainPlan);
    for (const id of upBrokers(c)) {
      const m = await metadataFrom(c, id, null);
      for (const t of m.topics) for (const p of t.partitions) expect(p.replicaNodes, `${t.name}-${p.partitionIndex} on broker ${id}`).not.toContain(2);
    }
    expect(await c.kill(2, 'SIGTERM')).toBe(0);
    await waitNothingUnderReplicated(c);
    await waitUntil('no broker listing broker 2', async () => ((await Promise.all(upBrokers(c).map((id) => metadataFrom(c, id, [])))).every((m) => m.brokers.map((b: any) => b.nodeId).sort().join() === '1,3,4') ? true : undefined), 30_000);
    await load.progressed(20, 'after decommissioning broker 2');
    expect(load.longestStall(t0, Date.now()), 'the longest time without an acknowledgement').toBeLessThan(10_000);
    console.log(`add broker 4: ${proposed.partitions.length} partitions reassigned in ${grown.ms} ms; decommission broker 2: ${moves.length} partitions moved off in ${drained.ms} ms`);
    const s = await load.finish(c, (id) => c.dataDir(id));
    load = null;
    expectClean(s, 'add and decommission');
  }, 240_000);
});

describe.skipIf(etcdMissing)('auto.leader.rebalance.enable under load', () => {
  let c: RunnelCluster;
  let load: OpsLoad | null = null;

  beforeAll(async () => {
    c = await startRunnelCluster({ brokers: 3, props: { 'auto.leader.rebalance.enable': true, 'leader.imbalance.check.interval.seconds': 1, 'offsets.topic.num.partitions': 2, 'runnel.etcd.request.timeout.ms': 5000 } });
  }, 90_000);
  afterAll(async () => {
    await load?.abort();
    await c?.stop();
  }, 60_000);

  it('leadership goes back to the preferred replica by itself after a restart', async () => {
    const topic = 'auto';
    await createTopicReady(c, { name: topic, assignments: [[1, 2, 3], [2, 3, 1], [3, 1, 2]], configs: { 'min.insync.replicas': '2' } });
    load = await OpsLoad.start({ bootstrap: bootstrapOf(c), topic, partitions: 3 });
    await load.progressed(30, 'before the restart');
    expect(await c.kill(2, 'SIGTERM')).toBe(0);
    // While broker 2 is down partition 1 is led by another replica.
    expect((await partitions(c, topic))[1]!.leader).not.toBe(2);
    const t0 = Date.now();
    await c.restart(2);
    await waitUntil('partition 1 led by broker 2 again on every broker', async () => ((await Promise.all(upBrokers(c).map(async (id) => (await partitions(c, topic, id))[1]!.leader))).every((l) => l === 2) ? true : undefined), 30_000);
    console.log(`auto leader rebalance: broker 2 leads its preferred partition again ${Date.now() - t0} ms after its restart began`);
    await load.progressed(20, 'after the rebalance');
    const s = await load.finish(c, (id) => c.dataDir(id));
    load = null;
    expectClean(s, 'auto leader rebalance');
  }, 120_000);
});
