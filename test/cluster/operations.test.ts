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
import { type OpsSummary, OpsLoad } from './ops-load.js';

/** The running brokers' addresses, for clients and tools. */
const bootstrapOf = (c: ClusterTarget) => upBrokers(c).map((id) => `${c.endpoint(id).host}:${c.endpoint(id).port}`).join(',');

/** Every partition of every topic, as every running broker sees it: none short of its replicas, all views alike. */
async function waitNothingUnderReplicated(c: ClusterTarget, timeoutMs = 60_000): Promise<void> {
  await waitUntil(
    'no under-replicated partition on any broker',
    async () => {
      const views = await Promise.all(upBrokers(c).map((id) => metadataFrom(c, id, null)));
      const shape = (m: any) =>
        JSON.stringify(
          m.topics
            .map((t: any) => [t.name, t.partitions.map((p: any) => [p.partitionIndex, p.leaderId, p.replicaNodes, [...p.isrNodes].sort()]).sort()])
            .sort(),
        );
      for (const m of views) for (const t of m.topics) for (const p of t.partitions) if (p.leaderId < 0 || p.isrNodes.length < p.replicaNodes.length || p.errorCode !== 0) return undefined;
      return views.every((m) => shape(m) === shape(views[0])) ? true : undefined;
    },
    timeoutMs,
    200,
  );
}

function expectClean(s: OpsSummary, what: string): void {
  console.log(`${what}: ${JSON.stringify({ producers: s.producers, consumer: s.consumer, logRecords: s.logRecords, unackedPresent: s.history.unackedPresent, clientErrors: s.clientErrors })}`);
  expect(s.history, JSON.stringify(s.history).slice(0, 2000)).toMatchObject({ lost: [], duplicated: [], phantom: [], reordered: [], gaps: [] });
  for (const p of s.producers) expect(p.failed, `${p.client} failed sends: ${JSON.stringify(p.errors)}`).toBe(0);
  expect(s.consumer.crashes, 'consumer crashes').toBe(0);
  expect(s.consumer.missing, 'acknowledged records the group never read').toEqual([]);
}

/** A Kafka CLI tool against the cluster; its output. */
async function tool(script: string, args: string[], timeoutMs = 120_000): Promise<string> {
  const r = await runKafkaScript(script, args, { timeoutMs });
  if (r.code !== 0) throw new Error(`${script} ${args.join(' ')} exited ${r.code}:\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

describe.skipIf(etcdMissing || !javaAvailable())('cluster operations under load: rolling restart, reassignment, leader election, adding and removing brokers', () => {
  let c: RunnelCluster;
  let load: OpsLoad | null = null;

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
  }, 60_000);

  it('rolling restart of all three brokers (SIGTERM, back, full ISR, next): no failed send, the group keeps consuming', async () => {
    const topic = 'roll';
    await createTopicReady(c, { name: topic, partitions: 3, replicationFactor: 3, configs: { 'min.insync.replicas': '2' } });
    load = await OpsLoad.start({ bootstrap: bootstrapOf(c), topic, partitions: 3, java: true });
    await load.progressed(30, 'before the restarts');
    await waitNothingUnderReplicated(c);
    // Steady state: the same clients, the seconds before the first restart.
    const steadyFrom = Date.now();
    await sleep(8000);
    const rollFrom = Date.now();
    const controller = (await metadataFrom(c, 1, [])).controllerId as number;
    const order = [...[1, 2, 3].filter((id) => id !== controller), controller];
    const perBroker: Array<{ id: number; stopMs: number; startMs: number; fullIsrMs: number }> = [];
    for (const id of order) {
      const t0 = Date.now();
      expect(await c.kill(id, 'SIGTERM'), `broker ${id}'s exit code`).toBe(0);
      const t1 = Date.now();
      await c.restart(id);
      const t2 = Date.now();
      await waitNothingUnderReplicated(c);
      perBroker.push({ id, stopMs: t1 - t0, startMs: t2 - t1, fullIsrMs: Date.now() - t2 });
      await load.progressed(20, `after restarting broker ${id}`);
    }
    const rollTo = Date.now();
    const steady = load.rate(steadyFrom, rollFrom);
    const rolling = load.rate(rollFrom, rollTo);
    console.log(`rolling restart: ${JSON.stringify(perBroker)}; kafkajs acks/s steady ${steady.toFixed(1)}, during the restart ${rolling.toFixed(1)} (${((rollTo - rollFrom) / 1000).toFixed(1)} s); longest stall ${load.longestStall(rollFrom, rollTo)} ms (steady ${load.longestStall(steadyFrom, rollFrom)} ms)`);
    const s = await load.finish(c, (id) => c.dataDir(id));
    load = null;
    expectClean(s, 'rolling restart');
  }, 240_000);
});
