/**
 * Cluster mode end to end (docs/cluster.md): a real etcd and three `dist/runnel.mjs` processes
 * (cluster-harness.ts), driven by kafkajs and raw requests. Brokers 1 and 2 are in rack a, broker 3
 * in rack b; broker 3 reaches etcd through a proxy the fencing test cuts.
 *
 * What is checked: the cluster forms (every broker lists all three with racks and names the same
 * controller); kafkajs admin creates topics through etcd (leaders spread, rack-aware replicas, RF
 * above the live brokers refused), grows them and changes their configs; produce and consume go
 * to the leaders Metadata names (a broker without a replica answers NOT_LEADER_OR_FOLLOWER);
 * consumer groups find their coordinator on the leader of their __consumer_offsets partition
 * (created with offsets.topic.replication.factor); producer ids come from etcd blocks; DeleteTopics
 * removes the partition directories on every broker; a SIGKILLed leader's partitions move to
 * another ISR member with a new epoch within the session timeout, the broker rejoins on restart,
 * and ElectLeaders (preferred) moves leadership back; SIGTERM moves leaderships away before the
 * broker exits (controlled shutdown); a broker cut off from etcd stops leading (fenced); a second
 * broker with a live node.id refuses to start. Every wait polls state with a deadline.
 *
 * Data replication between brokers is not part of this (the data path is separate work): topics
 * here are written with acks=1 and read from their leader.
 */
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Kafka, logLevel } from 'kafkajs';
import { ErrorCode } from '../../protocol/errors.js';
import { buildBatchSync } from '../../protocol/records/builder.js';
import { newProduceRequestPartition, newProduceRequestTopic } from '../../protocol/generated/00-produce.js';
import { offsetsPartitionFor } from '../../src/groups/offsets-partition.js';
import { tempDir } from '../helpers/broker.js';
import { type PartitionState, metadataFrom, partitions, waitUntil, withBroker } from '../helpers/cluster-target.js';
import { type RunnelCluster, startRunnelCluster } from './cluster-harness.js';
import { etcdMissing } from './etcd-harness.js';

const SESSION_MS = 3000;

/** Partition dirs (`<topic>-<n>`) of `topic` in a data dir, deletions in progress left out. */
const partitionDirs = (dir: string, topic: string) => readdirSync(dir).filter((n) => new RegExp(`^${topic}-\\d+$`).test(n));

async function produceRaw(c: RunnelCluster, id: number, topic: string, partition: number, value: string): Promise<{ errorCode: number; baseOffset: number }> {
  const records = buildBatchSync([{ value }]);
  const r: any = await withBroker(c, id, (raw) =>
    raw.request(0, 9, { acks: 1, timeoutMs: 5000, topicData: [newProduceRequestTopic({ name: topic, partitionData: [newProduceRequestPartition({ index: partition, records })] })] }),
  );
  return r.responses[0].partitionResponses[0];
}

describe.skipIf(etcdMissing)('cluster mode: etcd + 3 broker processes', () => {
  let c: RunnelCluster;
  let kafka: Kafka;
  const admin = () => kafka.admin();

  beforeAll(async () => {
    c = await startRunnelCluster({ brokers: 3, racks: ['a', 'a', 'b'], sessionTimeoutMs: SESSION_MS, viaProxy: [3], props: { 'offsets.topic.replication.factor': 3, 'group.initial.rebalance.delay.ms': 0 } });
    kafka = new Kafka({ brokers: c.bootstrap.split(','), clientId: 'cluster-mode', logLevel: logLevel.NOTHING, retry: { retries: 10, initialRetryTime: 100 } });
  }, 90_000);
  afterAll(async () => {
    await c?.stop();
  });

  it('forms: every broker lists all three (host, port, rack) and the same controller; DescribeCluster agrees', async () => {
    // Brokers registered at slightly different times: wait until every one sees all three.
    const views = await waitUntil('every broker to list three brokers', async () => {
      const all = await Promise.all(c.brokerIds.map((id) => metadataFrom(c, id, [])));
      return all.every((m) => m.brokers.length === 3 && m.controllerId > 0) ? all : undefined;
    });
    for (const m of views) {
      expect(m.brokers.map((b: any) => [b.nodeId, b.port, b.rack])).toEqual(c.brokerIds.map((id) => [id, c.endpoint(id).port, id === 3 ? 'b' : 'a']));
      expect(m.controllerId).toBe(views[0].controllerId);
      expect(m.clusterId).toBe(views[0].clusterId);
    }
    expect(c.brokerIds).toContain(views[0].controllerId);
    const described = await admin().describeCluster();
    expect(described.brokers.map((b) => b.nodeId).sort()).toEqual([1, 2, 3]);
    expect(described.controller).toBe(views[0].controllerId);
  });

  it('CreateTopics through etcd: RF 3 leaders spread over the brokers, RF 2 replicas on both racks, RF 4 refused', async () => {
    const a = admin();
    await a.connect();
    try {
      expect(await a.createTopics({ topics: [{ topic: 'spread', numPartitions: 6, replicationFactor: 3 }, { topic: 'racks', numPartitions: 6, replicationFactor: 2 }], waitForLeaders: false })).toBe(true);
      await expect(a.createTopics({ topics: [{ topic: 'too-many', numPartitions: 1, replicationFactor: 4 }] })).rejects.toMatchObject({ errors: [{ type: 'INVALID_REPLICATION_FACTOR' }] });
    } finally {
      await a.disconnect();
    }
    // Every broker knows the topics once it applied the image the creation is in (the creating
    // broker before it answered, the others a moment later, as Kafka's metadata propagates).
    for (const id of c.brokerIds) {
      const spread = await waitUntil(`broker ${id} to know the topics`, async () => ((await metadataFrom(c, id, ['spread', 'racks'])).topics.every((t: any) => t.errorCode === 0) ? partitions(c, 'spread', id) : undefined), 10_000);
      expect(spread).toHaveLength(6);
      for (const p of spread) {
        expect(p.replicas).toHaveLength(3);
        expect(p.isr).toEqual(p.replicas);
        expect(p.leader).toBe(p.replicas[0]);
        expect(p.leaderEpoch).toBe(0);
      }
      const leaders = spread.map((p) => p.leader);
      for (const b of c.brokerIds) expect(leaders.filter((l) => l === b)).toHaveLength(2);
      for (const p of await partitions(c, 'racks', id)) expect(new Set(p.replicas.map((r) => (r === 3 ? 'b' : 'a'))).size).toBe(2);
    }
    // Each broker creates logs for exactly its replicas (the others apply the image on their own time).
    const spread = await partitions(c, 'spread');
    const hosted = (id: number) => spread.filter((p) => p.replicas.includes(id)).length;
    await waitUntil('every broker to create its replicas\' logs', async () => (c.brokerIds.every((id) => partitionDirs(c.dataDir(id), 'spread').length === hosted(id)) ? true : undefined), 10_000);
  });

  it('produce and consume go to the leaders; a broker without a replica answers NOT_LEADER_OR_FOLLOWER', async () => {
    const a = admin();
    await a.connect();
    await a.createTopics({ topics: [{ topic: 'data', numPartitions: 3, replicationFactor: 1 }] });
    await a.disconnect();
    const producer = kafka.producer({ allowAutoTopicCreation: false });
    await producer.connect();
    for (let p = 0; p < 3; p++) await producer.send({ topic: 'data', acks: 1, messages: [{ partition: p, value: `v${p}` }] });
    await producer.disconnect();
    const consumer = kafka.consumer({ groupId: 'data-reader' });
    await consumer.connect();
    await consumer.subscribe({ topic: 'data', fromBeginning: true });
    const seen: string[] = [];
    await consumer.run({ eachMessage: async ({ message }) => void seen.push(message.value!.toString()) });
    await waitUntil('three messages consumed', async () => (seen.length >= 3 ? true : undefined), 30_000);
    await consumer.disconnect();
    expect(seen.sort()).toEqual(['v0', 'v1', 'v2']);

    const [p0] = await partitions(c, 'data');
    const other = c.brokerIds.find((id) => !p0!.replicas.includes(id))!;
    expect((await produceRaw(c, other, 'data', 0, 'x')).errorCode).toBe(ErrorCode.NOT_LEADER_OR_FOLLOWER);
    expect((await produceRaw(c, p0!.leader, 'data', 0, 'y')).errorCode).toBe(ErrorCode.NONE);
    // A follower refuses writes the same way.
    const [s0] = await partitions(c, 'spread');
    expect((await produceRaw(c, s0!.replicas.find((r) => r !== s0!.leader)!, 'spread', 0, 'z')).errorCode).toBe(ErrorCode.NOT_LEADER_OR_FOLLOWER);
  });

  it('FindCoordinator names the leader of the group\'s __consumer_offsets partition, created with RF 3', async () => {
    const offsets = await partitions(c, '__consumer_offsets');
    expect(offsets).toHaveLength(50);
    for (const p of offsets) expect(p.replicas).toHaveLength(3);
    for (const group of ['data-reader', 'g-1', 'another group']) {
      const expected = offsets[offsetsPartitionFor(group, 50)]!.leader;
      for (const id of c.brokerIds) {
        const r: any = await withBroker(c, id, (raw) => raw.request(10, 3, { key: group, keyType: 0 }));
        expect(r.errorCode).toBe(ErrorCode.NONE);
        expect([r.nodeId, r.port]).toEqual([expected, c.endpoint(expected).port]);
      }
    }
  });

  it('FindCoordinator for transactional ids: __transaction_state created with RF 3, the partition leader named', async () => {
    const r0: any = await withBroker(c, 2, (raw) => raw.request(10, 4, { keyType: 1, coordinatorKeys: ['tx-a', 'tx-b'] }));
    expect(r0.coordinators.map((x: any) => x.errorCode)).toEqual([ErrorCode.NONE, ErrorCode.NONE]);
    const txn = await partitions(c, '__transaction_state', 2);
    expect(txn).toHaveLength(50);
    for (const p of txn) expect(p.replicas).toHaveLength(3);
    for (const [i, key] of ['tx-a', 'tx-b'].entries()) expect(r0.coordinators[i].nodeId).toBe(txn[offsetsPartitionFor(key, 50)]!.leader);
  });

  it('Metadata auto-creates a topic through etcd (default.replication.factor); DescribeLogDirs lists each broker\'s own replicas', async () => {
    const m: any = await withBroker(c, 2, (raw) => raw.request(3, 12, { topics: [{ name: 'auto-made', topicId: Buffer.alloc(16) }], allowAutoTopicCreation: true }));
    expect(m.topics[0].errorCode).toBe(ErrorCode.NONE);
    for (const id of c.brokerIds) {
      const ps = await waitUntil(`broker ${id} to know auto-made`, async () => (await metadataFrom(c, id, ['auto-made'])).topics[0].errorCode === 0 || undefined);
      expect(ps).toBe(true);
    }
    const spread = await partitions(c, 'spread');
    for (const id of c.brokerIds) {
      const r: any = await withBroker(c, id, (raw) => raw.request(35, 4, { topics: [{ topic: 'spread', partitions: [0, 1, 2, 3, 4, 5] }] }));
      const listed = r.results[0].topics[0].partitions.map((p: any) => p.partitionIndex).sort();
      expect(listed).toEqual(spread.filter((p) => p.replicas.includes(id)).map((p) => p.partition));
    }
  });

  it('InitProducerId: ids from per-broker blocks taken from etcd, never the same on two brokers', async () => {
    const ids = [];
    for (const id of c.brokerIds) {
      const r: any = await withBroker(c, id, (raw) => raw.request(22, 4, { transactionalId: null, transactionTimeoutMs: 60000, producerId: -1, producerEpoch: -1 }));
      expect(r.errorCode).toBe(ErrorCode.NONE);
      ids.push(r.producerId);
    }
    // Each broker took its own block of 1000.
    expect(new Set(ids.map((id) => Math.floor(id / 1000))).size).toBe(3);
  });

  it('CreatePartitions and topic configs go through etcd; every broker sees them', async () => {
    const a = admin();
    await a.connect();
    try {
      await a.createPartitions({ topicPartitions: [{ topic: 'data', count: 5 }] });
      await a.alterConfigs({ validateOnly: false, resources: [{ type: 2, name: 'data', configEntries: [{ name: 'retention.ms', value: '123456' }] }] });
    } finally {
      await a.disconnect();
    }
    for (const id of c.brokerIds) {
      await waitUntil(`broker ${id} to see 5 partitions`, async () => ((await partitions(c, 'data', id)).length === 5 ? true : undefined), 10_000);
      const one = new Kafka({ brokers: [`127.0.0.1:${c.endpoint(id).port}`], logLevel: logLevel.NOTHING }).admin();
      await one.connect();
      const d = await one.describeConfigs({ includeSynonyms: false, resources: [{ type: 2, name: 'data', configNames: ['retention.ms'] }] });
      await one.disconnect();
      expect(d.resources[0]!.configEntries[0]!.configValue).toBe('123456');
    }
  });

  it('a cluster-wide dynamic broker config goes through etcd and applies on every broker', async () => {
    // The cluster-wide resource (name ""), which kafkajs cannot name: AlterConfigs v1 raw.
    const r: any = await withBroker(c, 1, (raw) => raw.request(33, 1, { validateOnly: false, resources: [{ resourceType: 4, resourceName: '', configs: [{ name: 'message.max.bytes', value: '2000000' }] }] }));
    expect(r.responses[0].errorCode).toBe(ErrorCode.NONE);
    for (const id of c.brokerIds) {
      const one = new Kafka({ brokers: [`127.0.0.1:${c.endpoint(id).port}`], logLevel: logLevel.NOTHING }).admin();
      await one.connect();
      try {
        await waitUntil(`broker ${id} to apply message.max.bytes`, async () => {
          const d = await one.describeConfigs({ includeSynonyms: false, resources: [{ type: 4, name: String(id), configNames: ['message.max.bytes'] }] });
          return d.resources[0]!.configEntries[0]!.configValue === '2000000' || undefined;
        }, 10_000);
      } finally {
        await one.disconnect();
      }
    }
  });

  it('DeleteTopics removes the partition directories on every broker', async () => {
    const a = admin();
    await a.connect();
    await a.createTopics({ topics: [{ topic: 'doomed', numPartitions: 3, replicationFactor: 3 }] });
    // CreateTopics answers once the broker that took it applied the topic; the others follow from
    // their etcd watch (as Kafka's brokers follow the metadata log).
    await waitUntil('every broker to host doomed', async () => (c.brokerIds.every((id) => partitionDirs(c.dataDir(id), 'doomed').length === 3) ? true : undefined), 10_000);
    await a.deleteTopics({ topics: ['doomed'] });
    await a.disconnect();
    await waitUntil('every broker to drop doomed', async () => (c.brokerIds.every((id) => partitionDirs(c.dataDir(id), 'doomed').length === 0) ? true : undefined), 10_000);
    for (const id of c.brokerIds) {
      const m = await metadataFrom(c, id, ['doomed']);
      expect(m.topics[0].errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    }
  });

  it('SIGKILL: the dead leader\'s partitions move to live ISR members with the epoch bumped; it rejoins on restart; ElectLeaders moves leadership back', async () => {
    const victim = 2;
    const before = await partitions(c, 'spread', 1);
    const led = before.filter((p) => p.leader === victim);
    expect(led.length).toBeGreaterThan(0);
    const t0 = Date.now();
    await c.killBroker(victim);
    const after = await waitUntil(
      'leaders to move off the killed broker',
      async () => {
        const ps = await partitions(c, 'spread', 1);
        return ps.every((p) => p.leader !== victim && p.leader >= 0) ? ps : undefined;
      },
      SESSION_MS + 10_000,
    );
    // The lease expires after the session timeout; the controller moves leaders right after.
    expect(Date.now() - t0).toBeLessThan(SESSION_MS + 6000);
    for (const p of led) {
      const now = after[p.partition]!;
      expect(now.leaderEpoch).toBe(p.leaderEpoch + 1);
      expect(p.isr).toContain(now.leader);
      expect(now.isr).not.toContain(victim);
      expect(now.replicas).toEqual(p.replicas);
      expect(now.offline).toEqual([victim]);
    }
    // The new leader takes writes as soon as its own etcd watch has delivered the election (the
    // Metadata above came from broker 1, whose watch may run ahead of the new leader's).
    const successor = after[led[0]!.partition]!.leader;
    await waitUntil('the new leader to take writes', async () => ((await produceRaw(c, successor, 'spread', led[0]!.partition, 'after-failover')).errorCode === ErrorCode.NONE ? true : undefined), 5000);

    await c.restart(victim);
    const rejoined = await waitUntil('the others to list the restarted broker', async () => {
      const m = await metadataFrom(c, 1, ['spread']);
      return m.brokers.length === 3 ? m : undefined;
    });
    expect(rejoined.brokers.map((b: any) => b.nodeId)).toEqual([1, 2, 3]);
    // Still a replica of every partition it was one of.
    for (const p of rejoined.topics[0].partitions) expect(p.replicaNodes).toEqual(before[p.partitionIndex]!.replicas);

    // Back in the ISR (what the replication data path's ISR expansion writes, done here directly
    // as the leader would), the preferred replica is elected leader again.
    const target = led[0]!.partition;
    await addToIsr(c, 'spread', target, victim);
    const r: any = await withBroker(c, 1, (raw) => raw.request(43, 2, { electionType: 0, timeoutMs: 10000, topicPartitions: [{ topic: 'spread', partitions: [target] }] }));
    expect(r.replicaElectionResults[0].partitionResult[0].errorCode).toBe(ErrorCode.NONE);
    const back = await waitUntil('the preferred leader to lead again', async () => {
      const p = (await partitions(c, 'spread', 3))[target]!;
      return p.leader === victim ? p : undefined;
    });
    expect(back.leaderEpoch).toBe(after[target]!.leaderEpoch + 1);
    expect((await produceRaw(c, victim, 'spread', target, 'led-again')).errorCode).toBe(ErrorCode.NONE);
  });

  it('SIGTERM: controlled shutdown moves leaderships away before the broker exits', async () => {
    const victim = 1;
    const led = (await partitions(c, 'spread', 3)).filter((p) => p.leader === victim);
    expect(led.length).toBeGreaterThan(0);
    // What cannot move: partitions it leads with no other ISR member (the RF 1 topic `data`).
    const all = await metadataFrom(c, 3, null);
    const stuck = all.topics.flatMap((t: any) => t.partitions).filter((p: any) => p.leaderId === victim && p.isrNodes.length === 1).length;
    expect(stuck).toBeGreaterThan(0);
    const proc = c.process(victim)!;
    try {
      expect(await c.kill(victim, 'SIGTERM')).toBe(0);
      const entries = proc.logs.map((l) => JSON.parse(l));
      const done = entries.findIndex((e) => e.msg === 'controlled shutdown done');
      // Every leadership that could move had moved when it reported, before it left the cluster.
      expect(entries[done]).toMatchObject({ completed: true, remainingLeaderships: stuck });
      expect(done).toBeLessThan(entries.findIndex((e) => e.msg === 'left the cluster (lease revoked)'));
      const ps = await partitions(c, 'spread', 3);
      for (const p of led) {
        expect(ps[p.partition]!.leader).not.toBe(victim);
        // Bumped: by exactly one when this broker's image was current when `led` was read; under
        // load it can still lag the previous test's ElectLeaders by an epoch.
        expect(ps[p.partition]!.leaderEpoch).toBeGreaterThan(p.leaderEpoch);
      }
    } finally {
      await c.restart(victim);
    }
  });

  it('a broker cut off from etcd stops leading (fenced): Produce gets NOT_LEADER_OR_FOLLOWER', async () => {
    const isolated = 3;
    await ensureLeads(c, 'spread', isolated);
    const mine = (await partitions(c, 'spread', isolated)).find((p) => p.leader === isolated)!;
    expect((await produceRaw(c, isolated, 'spread', mine.partition, 'before')).errorCode).toBe(ErrorCode.NONE);
    const proxy = c.proxy(isolated)!;
    proxy.blocked = true;
    proxy.cut();
    // Fenced 1 s before etcd can expire its lease: well within the session timeout.
    await waitUntil('the isolated broker to refuse writes', async () => ((await produceRaw(c, isolated, 'spread', mine.partition, 'x')).errorCode === ErrorCode.NOT_LEADER_OR_FOLLOWER ? true : undefined), SESSION_MS + 5000);
    // Its lease expires: the controller moves the partitions it led; one whose only replica it is
    // goes offline (leader -1) until it is back.
    const sole = (await partitions(c, 'data', 1)).find((p) => p.replicas.length === 1 && p.replicas[0] === isolated)!;
    const offline = await waitUntil('the isolated broker out of the cluster', async () => {
      const p = (await partitions(c, 'data', 1))[sole.partition]!;
      return p.leader === -1 ? p : undefined;
    }, SESSION_MS + 5000);
    expect(offline).toMatchObject({ errorCode: ErrorCode.LEADER_NOT_AVAILABLE, offline: [isolated] });
    expect((await partitions(c, 'spread', 1))[mine.partition]!.leader).not.toBe(isolated);
    proxy.blocked = false;
    // It registers again (a new incarnation) and leads its sole-replica partition at a new epoch.
    const back = await waitUntil('the isolated broker to lead again', async () => {
      const p = (await partitions(c, 'data', 1))[sole.partition]!;
      return p.leader === isolated ? p : undefined;
    }, SESSION_MS + 10_000);
    expect(back.leaderEpoch).toBeGreaterThan(sole.leaderEpoch);
    await waitUntil('writes accepted again', async () => ((await produceRaw(c, isolated, 'data', sole.partition, 'after')).errorCode === ErrorCode.NONE ? true : undefined), 5000);
  });

  it('a broker whose cluster id differs from the one in etcd refuses to start', async () => {
    const err = await c.spawnExtra(7, { 'cluster.id': 'another-cluster-id-000' }).then(
      () => null,
      (e: Error) => e,
    );
    expect(err?.message).toMatch(/runnel: The Cluster ID \S+ in etcd .* doesn't match the configured cluster.id another-cluster-id-000/);
  });

  it('a data directory with a single-node broker\'s topics refuses to join (its logs would be deleted)', async () => {
    const dir = tempDir('cluster-single');
    writeFileSync(join(dir, 'runnel-metadata.json'), JSON.stringify({ version: 1, topics: [{ name: 'mine', id: Buffer.alloc(16, 7).toString('base64url'), partitions: 1, internal: false, configs: {} }] }));
    const err = await c.spawnExtra(8, {}, dir).then(
      () => null,
      (e: Error) => e,
    );
    expect(err?.message).toMatch(/holds 1 topic\(s\) of a single-node broker/);
  });

  it('a second broker with the node.id of a live one refuses to start', async () => {
    const err = await c.spawnExtra(2).then(
      () => null,
      (e: Error) => e,
    );
    expect(err?.message).toMatch(/node\.id 2 is registered in etcd .* by a live broker/);
    // The live broker 2 is unaffected.
    expect((await metadataFrom(c, 2, [])).brokers.map((b: any) => b.nodeId)).toContain(2);
  });
});

/** Adds `broker` to the partition's ISR in etcd by CAS, as the leader's ISR expansion does. */
async function addToIsr(c: RunnelCluster, topic: string, partition: number, broker: number): Promise<void> {
  const store = await c.etcd.connect(c.prefix);
  try {
    const key = `partitions/${topic}/${partition}`;
    const { kv } = await store.get(key);
    const s = JSON.parse(kv!.value.toString()) as { isr: number[]; partitionEpoch: number };
    const next = { ...s, isr: [...s.isr, broker], partitionEpoch: s.partitionEpoch + 1 };
    const r = await store.txn([{ key, target: 'mod', result: '=', value: kv!.modRevision }], [{ op: 'put', key, value: JSON.stringify(next) }]);
    expect(r.succeeded).toBe(true);
  } finally {
    await store.close();
  }
  await waitUntil('every broker to see the ISR', async () => {
    const views = await Promise.all(c.brokerIds.filter((id) => c.isUp(id)).map(async (id) => (await partitions(c, topic, id))[partition]!));
    return views.every((p: PartitionState) => p.isr.includes(broker)) ? true : undefined;
  });
}

/** Makes `broker` the leader of some partition of `topic` (preferred election where it is first), if it leads none. */
async function ensureLeads(c: RunnelCluster, topic: string, broker: number): Promise<void> {
  const ps = await partitions(c, topic, broker);
  if (ps.some((p) => p.leader === broker)) return;
  const p = ps.find((x) => x.replicas[0] === broker)!;
  if (!p.isr.includes(broker)) await addToIsr(c, topic, p.partition, broker);
  await withBroker(c, 1, (raw) => raw.request(43, 2, { electionType: 0, timeoutMs: 10000, topicPartitions: [{ topic, partitions: [p.partition] }] }));
  await waitUntil(`broker ${broker} to lead ${topic}-${p.partition}`, async () => ((await partitions(c, topic, broker))[p.partition]!.leader === broker ? true : undefined));
}
