/**
 * Replication end to end (docs/cluster.md, "Replication", "Durability", "Producing", "The ISR"): a
 * real etcd and three `dist/runnel.mjs` processes (cluster-harness.ts; build first).
 *
 *  - Kill loop: an RF 3, min.insync.replicas 2 topic takes writes from a kafkajs idempotent
 *    producer (acks=all, one sequential lane per partition) while the leader of partition 0 is
 *    killed with SIGKILL and restarted five times. Afterwards every acknowledged record is in the
 *    log at the offset it was acknowledged with, none twice, none that was never sent, in send
 *    order per lane (history.ts checkHistory), and the three replicas' segment bytes are identical
 *    (compareReplicaLogs).
 *  - A follower down for a while (SIGKILL) leaves the ISR, the others go on with acks=all; on
 *    restart it catches up and rejoins; its log equals the leader's.
 *  - A follower that diverged (it led and took acks=1 writes nobody else got, then an unclean
 *    election gave the partition to a replica without them) truncates them and copies the new
 *    leader's log.
 *  - With two of three down acks=all is refused with NOT_ENOUGH_REPLICAS, nothing is appended, and
 *    the kafkajs producer acknowledges nothing.
 * Every wait polls state with a deadline.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Kafka, logLevel, type Producer } from 'kafkajs';
import { newProduceRequestPartition, newProduceRequestTopic } from '../../protocol/generated/00-produce.js';
import { buildBatchSync } from '../../protocol/records/builder.js';
import { type PartitionState, createTopicReady, partitions, waitIsrFull, waitPartition, waitUntil, withBroker } from '../helpers/cluster-target.js';
import { type RunnelCluster, startRunnelCluster } from './cluster-harness.js';
import { etcdMissing } from './etcd-harness.js';
import { type Ack, type LogRecord, checkHistory, compareReplicaLogs, historyOk, partitionLogBytes, recordsOnDisk } from './history.js';

const SESSION_MS = 3000;

/** The Produce's timeout_ms; the raw client waits longer, so a stalled acks=all answers REQUEST_TIMED_OUT (and the leader logs who held it) instead of the client giving up first. */
const PRODUCE_TIMEOUT_MS = 5000;

async function produceRaw(c: RunnelCluster, id: number, topic: string, partition: number, value: string, acks: number): Promise<{ errorCode: number; baseOffset: number }> {
  const r: any = await withBroker(c, id, (raw) => {
    raw.responseTimeoutMs = PRODUCE_TIMEOUT_MS + 5000;
    return raw.request(0, 9, { acks, timeoutMs: PRODUCE_TIMEOUT_MS, topicData: [newProduceRequestTopic({ name: topic, partitionData: [newProduceRequestPartition({ index: partition, records: buildBatchSync([{ value }]) })] })] });
  });
  return r.responses[0].partitionResponses[0];
}

/** The leader's log end offset (ListOffsets latest as a replica) — what it holds, committed or not. */
async function logEnd(c: RunnelCluster, id: number, topic: string, partition: number): Promise<number> {
  const r: any = await withBroker(c, id, (raw) => raw.request(2, 7, { replicaId: id === 1 ? 2 : 1, isolationLevel: 0, topics: [{ name: topic, partitions: [{ partitionIndex: partition, currentLeaderEpoch: -1, timestamp: -1 }] }] }));
  return r.topics[0].partitions[0].offset;
}

const dirsOf = (c: RunnelCluster, p: PartitionState, topic: string) => p.replicas.map((id) => join(c.dataDir(id), `${topic}-${p.partition}`));

describe.skipIf(etcdMissing)('replication: etcd + 3 broker processes', () => {
  let c: RunnelCluster;
  let kafka: Kafka;
  const producers: Producer[] = [];

  beforeAll(async () => {
    c = await startRunnelCluster({
      brokers: 3,
      sessionTimeoutMs: SESSION_MS,
      props: { 'replica.lag.time.max.ms': 4000, 'replica.fetch.backoff.ms': 200, 'replica.fetch.wait.max.ms': 200, 'auto.leader.rebalance.enable': false },
    });
    kafka = new Kafka({ brokers: c.bootstrap.split(','), clientId: 'replication', logLevel: logLevel.NOTHING, requestTimeout: 10_000, retry: { retries: 50, initialRetryTime: 100, maxRetryTime: 1000 } });
  }, 90_000);
  afterAll(async () => {
    for (const p of producers) await p.disconnect().catch(() => undefined);
    await c?.stop();
  });

  async function producer(): Promise<Producer> {
    const p = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    producers.push(p);
    await p.connect();
    return p;
  }

  it('kill -9 the leader five times while an idempotent acks=all producer writes: no acknowledged record lost, none twice, order kept, replicas identical', async () => {
    const topic = 'history';
    await createTopicReady(c, { name: topic, partitions: 3, replicationFactor: 3, configs: { 'min.insync.replicas': '2' } });
    const p = await producer();
    const attempts: string[] = [];
    const acks: Ack[] = [];
    let stop = false;
    const lane = async (partition: number) => {
      for (let seq = 0; !stop; seq++) {
        const value = `p${partition}-${seq}`;
        attempts.push(value);
        try {
          const [md] = await p.send({ topic, acks: -1, messages: [{ value, partition }] });
          acks.push({ value, partition, offset: Number(md!.baseOffset), lane: `lane-${partition}`, seq });
        } catch {
          // Not acknowledged: may or may not be in the log (at most once).
        }
      }
    };
    const lanes = [0, 1, 2].map((partition) => lane(partition));
    try {
      for (let kill = 0; kill < 5; kill++) {
        const before = acks.length;
        await waitUntil('writes acknowledged', async () => (acks.length >= before + 20 ? true : undefined), 60_000, 50);
        const leader = (await waitPartition(c, topic, 0, (s) => s.isr.length === 3, 60_000, 'full ISR')).leader;
        await c.kill(leader, 'SIGKILL');
        await waitPartition(c, topic, 0, (s) => s.leader !== leader, 30_000, 'a new leader');
        await c.restart(leader);
      }
      const before = acks.length;
      await waitUntil('writes acknowledged after the last kill', async () => (acks.length >= before + 20 ? true : undefined), 60_000, 50);
    } finally {
      stop = true;
      await Promise.all(lanes);
    }
    const states: PartitionState[] = [];
    for (let part = 0; part < 3; part++) states.push(await waitIsrFull(c, topic, part, 60_000));
    // Every replica caught up with its leader's end.
    for (const s of states) {
      const end = await logEnd(c, s.leader, topic, s.partition);
      await waitUntil(`replicas of ${topic}-${s.partition} at ${end}`, async () => (dirsOf(c, s, topic).every((d) => partitionLogBytes(d).length === partitionLogBytes(dirsOf(c, s, topic)[0]!).length) ? true : undefined), 30_000);
    }
    const logs = new Map<number, LogRecord[]>();
    for (const s of states) logs.set(s.partition, await recordsOnDisk(join(c.dataDir(s.leader), `${topic}-${s.partition}`)));
    const report = checkHistory(attempts, acks, logs);
    console.log(`kill loop: ${attempts.length} sent, ${acks.length} acknowledged, ${report.unackedPresent} unacknowledged present`);
    expect(report, JSON.stringify({ ...report, acks: acks.length })).toSatisfy(historyOk);
    expect(acks.length).toBeGreaterThan(100);
    for (const s of states) expect(compareReplicaLogs(dirsOf(c, s, topic))).toBeNull();
  }, 300_000);

  it('a follower down for a while leaves the ISR, catches up on restart and rejoins it', async () => {
    const topic = 'catchup';
    const [s0] = await createTopicReady(c, { name: topic, partitions: 1, replicationFactor: 3, configs: { 'min.insync.replicas': '2' } });
    const follower = s0!.replicas.find((id) => id !== s0!.leader)!;
    await c.kill(follower, 'SIGKILL');
    const shrunk = await waitPartition(c, topic, 0, (s) => !s.isr.includes(follower), 30_000, 'the follower out of the ISR');
    for (let i = 0; i < 50; i++) {
      const { errorCode } = await produceRaw(c, shrunk.leader, topic, 0, `v${i}`, -1);
      const why = () => c.process(shrunk.leader)?.logs.filter((l) => l.includes('acks=all produce timed out')).join('\n');
      expect(errorCode, `record ${i} to leader ${shrunk.leader} with ${follower} down; the leader's view:\n${why()}`).toBe(0);
    }
    await c.restart(follower);
    const full = await waitIsrFull(c, topic, 0, 60_000);
    expect(full.isr).toContain(follower);
    await waitUntil('the follower has the 50 records', async () => ((await recordsOnDisk(join(c.dataDir(follower), `${topic}-0`))).length === 50 ? true : undefined), 30_000);
    expect(compareReplicaLogs(dirsOf(c, full, topic))).toBeNull();
  }, 120_000);

  it('a diverged follower truncates what the new leader does not have and copies its log', async () => {
    const topic = 'diverge';
    const [s0] = await createTopicReady(c, { name: topic, partitions: 1, replicationFactor: 3, configs: { 'unclean.leader.election.enable': 'true', 'min.insync.replicas': '1' } });
    const leader = s0!.leader;
    const followers = s0!.replicas.filter((id) => id !== leader);
    for (let i = 0; i < 5; i++) expect((await produceRaw(c, leader, topic, 0, `common-${i}`, -1)).errorCode).toBe(0);
    for (const f of followers) await c.kill(f, 'SIGKILL');
    await waitPartition(c, topic, 0, (s) => s.isr.length === 1, 30_000, 'the ISR down to the leader');
    for (let i = 0; i < 3; i++) expect((await produceRaw(c, leader, topic, 0, `lost-${i}`, 1)).errorCode).toBe(0);
    await c.kill(leader, 'SIGKILL');
    for (const f of followers) await c.restart(f);
    // Unclean: a replica outside the ISR leads, at a new epoch, without the leader's last records.
    const unclean = await waitPartition(c, topic, 0, (s) => followers.includes(s.leader), 60_000, 'an unclean leader');
    for (let i = 0; i < 4; i++) expect((await produceRaw(c, unclean.leader, topic, 0, `new-${i}`, 1)).errorCode).toBe(0);
    await c.restart(leader);
    await waitUntil('the old leader truncated and caught up', async () => {
      const values = (await recordsOnDisk(join(c.dataDir(leader), `${topic}-0`))).map((r) => r.value);
      return values.join() === [0, 1, 2, 3, 4].map((i) => `common-${i}`).concat([0, 1, 2, 3].map((i) => `new-${i}`)).join() ? true : undefined;
    }, 60_000);
    const full = await waitIsrFull(c, topic, 0, 60_000);
    expect(compareReplicaLogs(dirsOf(c, full, topic))).toBeNull();
  }, 180_000);

  it('with two of three down acks=all is refused with NOT_ENOUGH_REPLICAS and nothing is acknowledged or appended', async () => {
    const topic = 'minisr';
    const [s0] = await createTopicReady(c, { name: topic, partitions: 1, replicationFactor: 3, configs: { 'min.insync.replicas': '2' } });
    const leader = s0!.leader;
    expect((await produceRaw(c, leader, topic, 0, 'before', -1)).errorCode).toBe(0);
    // Connected while every broker is up: kafkajs' connect asks Metadata for all topics (no target
    // topic yet), which fails as a whole once any partition of any topic is offline — with two
    // brokers down some of the earlier tests' partitions can be; its send asks for `topic` only.
    const p = kafka.producer({ idempotent: true, maxInFlightRequests: 1, retry: { retries: 2, initialRetryTime: 100 } });
    producers.push(p);
    await p.connect();
    const down = s0!.replicas.filter((id) => id !== leader);
    for (const id of down) await c.kill(id, 'SIGKILL');
    await waitPartition(c, topic, 0, (s) => s.isr.length === 1, 30_000, 'the ISR down to the leader');
    const end = await logEnd(c, leader, topic, 0);
    const refused = await produceRaw(c, leader, topic, 0, 'refused', -1);
    expect(refused.errorCode).toBe(19); // NOT_ENOUGH_REPLICAS
    await expect(p.send({ topic, acks: -1, messages: [{ value: 'never', partition: 0 }] })).rejects.toThrow();
    expect(await logEnd(c, leader, topic, 0)).toBe(end);
    for (const id of down) await c.restart(id);
    await waitIsrFull(c, topic, 0, 60_000);
    expect((await partitions(c, topic))[0]!.isr.length).toBe(3);
  }, 120_000);
});
