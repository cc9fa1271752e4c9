/**
 * Issue 16's acceptance with real clients: a Runnel 3-broker cluster (etcd + three
 * `dist/runnel.mjs` processes, cluster-harness.ts; build first) and a topic with RF 3,
 * min.insync.replicas=2 and three partitions, written acks=all by three idempotent producers at
 * once — kafkajs, librdkafka (Debian's confluent-kafka-python) and Apache Kafka's Java producer
 * (lane-clients.ts) — while the leader of each partition in turn is SIGKILLed, six times. Each kill
 * waits for a new leader, restarts the broker on its data and waits for the full ISR again before
 * the next one (every wait polls state with a deadline).
 *
 * Afterwards:
 *  - history.ts checkHistory over every client's attempts and acknowledgements against the log:
 *    every acknowledged record present exactly once at its acknowledged offset, none that was
 *    never sent, in send order per lane (client × partition);
 *  - the three replicas of every partition are byte for byte identical (compareReplicaLogs);
 *  - a kafkajs consumer group reads the topic from the beginning and gets exactly the log.
 */
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Kafka, logLevel } from 'kafkajs';
import { DEBIAN_PYTHON } from '../helpers/clients.js';
import { javaAvailable } from '../helpers/java.js';
import { type PartitionState, createTopicReady, waitIsrFull, waitPartition, waitUntil } from '../helpers/cluster-target.js';
import { type RunnelCluster, startRunnelCluster } from './cluster-harness.js';
import { etcdMissing } from './etcd-harness.js';
import { type LogRecord, checkHistory, compareReplicaLogs, historyOk, partitionLogBytes, recordsOnDisk } from './history.js';
import { type LaneClient, type LaneReport, javaLanes, kafkajsLanes, librdkafkaLanes } from './lane-clients.js';

const TOPIC = 'acceptance';
const PARTITIONS = 3;
const KILLS = 6;
/** Acknowledgements every client must have gained between two kills (and after the last). */
const PROGRESS = 15;

const librdkafkaMissing = spawnSync(DEBIAN_PYTHON, ['-c', 'import confluent_kafka'], { stdio: 'ignore' }).status !== 0;

const dirsOf = (c: RunnelCluster, s: PartitionState) => s.replicas.map((id) => join(c.dataDir(id), `${TOPIC}-${s.partition}`));

describe.skipIf(etcdMissing || librdkafkaMissing || !javaAvailable())('issue 16 acceptance: kafkajs, librdkafka and Java producers through leader kills', () => {
  let c: RunnelCluster;
  const clients: LaneClient[] = [];

  beforeAll(async () => {
    c = await startRunnelCluster({
      brokers: 3,
      sessionTimeoutMs: 3000,
      props: { 'replica.lag.time.max.ms': 4000, 'replica.fetch.backoff.ms': 200, 'replica.fetch.wait.max.ms': 200, 'auto.leader.rebalance.enable': false },
    });
  }, 90_000);
  afterAll(async () => {
    for (const client of clients) await client.stop().catch(() => undefined);
    await c?.stop();
  }, 300_000);

  /** Waits until every client has `PROGRESS` more acknowledgements than `before`. */
  const progressed = async (before: number[], what: string) => {
    try {
      await waitUntil(what, async () => (clients.every((cl, i) => cl.acked() >= before[i]! + PROGRESS) ? true : undefined), 120_000, 100);
    } catch (e) {
      // Which client stalled, and what it said: a timeout alone does not tell.
      throw new Error(`${(e as Error).message}\n${clients.map((cl, i) => `${cl.name} (from ${before[i]}): ${cl.recent()}`).join('\n')}`);
    }
  };

  it(`acks=all through ${KILLS} leader kills: no acknowledged record lost, duplicated or reordered; replicas identical; a consumer group reads it all`, async () => {
    await createTopicReady(c, { name: TOPIC, partitions: PARTITIONS, replicationFactor: 3, configs: { 'min.insync.replicas': '2' } });
    const lanes = { bootstrap: c.bootstrap, topic: TOPIC, partitions: PARTITIONS, intervalMs: 10 };
    clients.push(await kafkajsLanes(lanes), librdkafkaLanes(lanes), await javaLanes(lanes));
    await progressed([0, 0, 0], 'every client acknowledged records');

    const t0 = Date.now();
    for (let kill = 0; kill < KILLS; kill++) {
      const partition = kill % PARTITIONS;
      const before = clients.map((cl) => cl.acked());
      const leader = (await waitIsrFull(c, TOPIC, partition)).leader;
      const killedAt = Date.now();
      await c.kill(leader, 'SIGKILL');
      const next = await waitPartition(c, TOPIC, partition, (s) => s.leader !== leader, 30_000, 'a new leader');
      const electedMs = Date.now() - killedAt;
      await c.restart(leader);
      for (let p = 0; p < PARTITIONS; p++) await waitIsrFull(c, TOPIC, p, 60_000);
      console.log(`kill ${kill + 1}: partition ${partition}'s leader ${leader} -> ${next.leader} in ${electedMs} ms, full ISR again after ${Date.now() - killedAt} ms`);
      await progressed(before, `every client acknowledged records after kill ${kill + 1}`);
    }
    console.log(`${KILLS} kills in ${((Date.now() - t0) / 1000).toFixed(0)} s`);

    const reports: LaneReport[] = [];
    for (const client of clients.splice(0)) reports.push(await client.stop());

    // Settled: every partition has its full ISR and every replica holds the leader's bytes.
    const states: PartitionState[] = [];
    for (let p = 0; p < PARTITIONS; p++) states.push(await waitIsrFull(c, TOPIC, p, 60_000));
    for (const s of states) {
      const dirs = dirsOf(c, s);
      await waitUntil(`replicas of ${TOPIC}-${s.partition} equally long`, async () => (dirs.every((d) => partitionLogBytes(d).length === partitionLogBytes(dirs[0]!).length) ? true : undefined), 30_000);
    }
    const logs = new Map<number, LogRecord[]>();
    for (const s of states) logs.set(s.partition, await recordsOnDisk(join(c.dataDir(s.leader), `${TOPIC}-${s.partition}`)));

    const report = checkHistory(
      reports.flatMap((r) => r.attempts),
      reports.flatMap((r) => r.acks),
      logs,
    );
    for (const r of reports) console.log(`${r.client}: ${r.attempts.length} sent, ${r.acks.length} acknowledged${r.errors.length ? `, errors: ${JSON.stringify(r.errors.slice(0, 3))}` : ''}`);
    console.log(`log: ${[...logs.values()].reduce((a, l) => a + l.length, 0)} records, ${report.unackedPresent} present without an acknowledgement`);
    expect(report, JSON.stringify(report).slice(0, 4000)).toSatisfy(historyOk);
    for (const r of reports) expect(r.acks.length, r.client).toBeGreaterThan(KILLS * PROGRESS);
    for (const s of states) expect(compareReplicaLogs(dirsOf(c, s)), `${TOPIC}-${s.partition}`).toBeNull();

    // A consumer group reads exactly the log, partition by partition.
    const total = [...logs.values()].reduce((a, l) => a + l.length, 0);
    const consumed = new Map<number, LogRecord[]>(states.map((s) => [s.partition, []]));
    let count = 0;
    const kafka = new Kafka({ brokers: c.bootstrap.split(','), clientId: 'acceptance-check', logLevel: logLevel.NOTHING });
    const consumer = kafka.consumer({ groupId: 'acceptance-check', sessionTimeout: 30_000 });
    await consumer.connect();
    try {
      await consumer.subscribe({ topic: TOPIC, fromBeginning: true });
      await consumer.run({
        eachBatch: async ({ batch }) => {
          for (const m of batch.messages) consumed.get(batch.partition)!.push({ offset: Number(m.offset), value: m.value?.toString() ?? '' });
          count += batch.messages.length;
        },
      });
      await waitUntil(`the consumer group read ${total} records`, async () => (count >= total ? true : undefined), 60_000, 100);
    } finally {
      await consumer.disconnect();
    }
    for (const [p, log] of logs) expect(consumed.get(p), `partition ${p} as consumed`).toEqual(log);
  }, 420_000);
});
