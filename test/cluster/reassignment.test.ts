/**
 * Partition reassignment in cluster mode (docs/cluster.md, "Reassignment"; Kafka's KIP-455): a real
 * etcd and three `dist/runnel.mjs` processes (cluster-harness.ts), driven by kafkajs' admin, raw
 * AlterPartitionReassignments / ListPartitionReassignments requests and Kafka's own
 * kafka-reassign-partitions tool.
 *
 * What is checked: RF 3 → 2 completes at once (Kafka's answer: replica 3 leaves, the leader epoch
 * bumps) and the removed broker drops its log; moving a replica stays in progress (replicas =
 * target then removing, adding, removing — on every broker's Metadata and in
 * ListPartitionReassignments) until the new replica is in the ISR, then the controller completes
 * it (epoch bump, the old replica's log deleted); moving the leader away hands leadership to the
 * first target replica in the ISR; cancel reverts (NO_REASSIGNMENT_IN_PROGRESS once nothing is in
 * progress); invalid targets get Kafka's errors, and so does a malformed throttled-replicas list;
 * kafka-reassign-partitions --execute (with --throttle) / --verify / --list against the cluster.
 *
 * The ISR expansion that completes a reassignment is the replication data path's job (the leader
 * writes it by CAS); here the test writes it into etcd the same way (addToIsr), so the controller's
 * side is what is tested.
 */
import { readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Kafka, logLevel } from 'kafkajs';
import { ErrorCode } from '../../protocol/errors.js';
import { tempDir } from '../helpers/broker.js';
import { type PartitionState, createTopicReady, metadataFrom, partitions, waitUntil, withBroker } from '../helpers/cluster-target.js';
import { ensureJavaBuilt, javaAvailable, runKafkaScript } from '../helpers/java.js';
import { type RunnelCluster, startRunnelCluster } from './cluster-harness.js';
import { etcdMissing } from './etcd-harness.js';

const partitionDirs = (dir: string, topic: string) => readdirSync(dir).filter((n) => new RegExp(`^${topic}-\\d+$`).test(n));

/** AlterPartitionReassignments v0 for one topic, raw; per-partition [code, message]. */
async function reassign(c: RunnelCluster, via: number, topic: string, moves: Array<[number, number[] | null]>): Promise<Array<[number, string | null]>> {
  const r: any = await withBroker(c, via, (raw) => raw.request(45, 0, { timeoutMs: 30_000, topics: [{ name: topic, partitions: moves.map(([partitionIndex, replicas]) => ({ partitionIndex, replicas })) }] }));
  expect(r.errorCode).toBe(ErrorCode.NONE);
  return r.responses[0].partitions.map((p: any) => [p.errorCode, p.errorMessage]);
}

/** ListPartitionReassignments v0 (null: all), as { 'topic-p': [replicas, adding, removing] }. */
async function listed(c: RunnelCluster, via: number, topics: Array<{ name: string; partitionIndexes: number[] }> | null): Promise<Record<string, number[][]>> {
  const r: any = await withBroker(c, via, (raw) => raw.request(46, 0, { timeoutMs: 30_000, topics }));
  expect(r.errorCode).toBe(ErrorCode.NONE);
  const out: Record<string, number[][]> = {};
  for (const t of r.topics) for (const p of t.partitions) out[`${t.name}-${p.partitionIndex}`] = [p.replicas, p.addingReplicas, p.removingReplicas];
  return out;
}

/** Waits until every running broker's Metadata shows the partition satisfying `ok`; returns broker 1's view. */
async function everywhere(c: RunnelCluster, topic: string, partition: number, ok: (p: PartitionState) => boolean, what: string): Promise<PartitionState> {
  return waitUntil(`${topic}-${partition}: ${what} on every broker`, async () => {
    const views = await Promise.all(c.brokerIds.filter((id) => c.isUp(id)).map(async (id) => (await partitions(c, topic, id))[partition]!));
    return views.every(ok) && views.every((v) => JSON.stringify(v) === JSON.stringify(views[0])) ? views[0] : undefined;
  }, 20_000);
}

/** Adds `broker` to the partition's ISR in etcd by CAS, as the leader's ISR expansion does (read again on a lost race). */
async function addToIsr(c: RunnelCluster, topic: string, partition: number, broker: number): Promise<void> {
  const store = await c.etcd.connect(c.prefix);
  try {
    const key = `partitions/${topic}/${partition}`;
    await waitUntil(`${broker} added to the ISR of ${topic}-${partition}`, async () => {
      const { kv } = await store.get(key);
      const s = JSON.parse(kv!.value.toString()) as { isr: number[]; partitionEpoch: number };
      if (s.isr.includes(broker)) return true; // the leader's own ISR expansion got there first
      const next = { ...s, isr: [...s.isr, broker], partitionEpoch: s.partitionEpoch + 1 };
      const r = await store.txn([{ key, target: 'mod', result: '=', value: kv!.modRevision }], [{ op: 'put', key, value: JSON.stringify(next) }]);
      return r.succeeded ? true : undefined;
    }, 10_000);
  } finally {
    await store.close();
  }
}

describe.skipIf(etcdMissing)('partition reassignment: etcd + 3 broker processes', () => {
  let c: RunnelCluster;
  let kafka: Kafka;

  beforeAll(async () => {
    // A long session: nothing here waits for a failover, and a broker starved of CPU (JVM tools
    // start alongside) must not lose its lease and shrink the ISRs under the test.
    c = await startRunnelCluster({ brokers: 3, sessionTimeoutMs: 10_000, props: { 'auto.leader.rebalance.enable': false } });
    kafka = new Kafka({ brokers: c.bootstrap.split(','), clientId: 'reassignment', logLevel: logLevel.NOTHING, retry: { retries: 5, initialRetryTime: 100 } });
    // Explicit assignments need every broker registered in the image of the broker creating them.
    await waitUntil('every broker to list all three', async () => ((await Promise.all(c.brokerIds.map((id) => metadataFrom(c, id, [])))).every((m) => m.brokers.length === 3) ? true : undefined));
  }, 90_000);
  afterAll(async () => {
    await c?.stop();
  });

  it('RF 3 → 2 (kafkajs admin) completes at once: replica 3 leaves, the leader epoch bumps, broker 3 drops its log', async () => {
    const [before] = await createTopicReady(c, { name: 'rf', assignments: [[1, 2, 3]] });
    await waitUntil('broker 3 to create its log', async () => (partitionDirs(c.dataDir(3), 'rf').length === 1 ? true : undefined), 10_000);
    const admin = kafka.admin();
    await admin.connect();
    try {
      await admin.alterPartitionReassignments({ topics: [{ topic: 'rf', partitionAssignment: [{ partition: 0, replicas: [1, 2] }] }] });
      expect(await admin.listPartitionReassignments({})).toEqual({ topics: [] });
    } finally {
      await admin.disconnect();
    }
    const after = await everywhere(c, 'rf', 0, (p) => p.replicas.join() === '1,2', 'replicas [1, 2]');
    expect(after).toMatchObject({ leader: 1, replicas: [1, 2], isr: [1, 2], offline: [], leaderEpoch: before!.leaderEpoch + 1 });
    await waitUntil('broker 3 to delete its log', async () => (partitionDirs(c.dataDir(3), 'rf').length === 0 ? true : undefined), 10_000);
    expect(partitionDirs(c.dataDir(1), 'rf')).toHaveLength(1);
    // Nothing in progress: a cancel is refused as Kafka refuses it.
    expect(await reassign(c, 2, 'rf', [[0, null]])).toEqual([[ErrorCode.NO_REASSIGNMENT_IN_PROGRESS, null]]);
    // The same target again writes nothing.
    expect(await reassign(c, 3, 'rf', [[0, [1, 2]]])).toEqual([[ErrorCode.NONE, null]]);
    expect((await partitions(c, 'rf', 3))[0]).toEqual(after);
  });

  it('moving a replica: in progress until the new one is in the ISR, then completed by the controller', async () => {
    const [before] = await createTopicReady(c, { name: 'move', assignments: [[1, 2]] });
    expect(await reassign(c, 3, 'move', [[0, [1, 3]]])).toEqual([[ErrorCode.NONE, null]]);
    // The broker that answered shows it at once; every broker soon after.
    expect(await listed(c, 3, null)).toEqual({ 'move-0': [[1, 3, 2], [3], [2]] });
    const moving = await everywhere(c, 'move', 0, (p) => p.replicas.join() === '1,3,2', 'replicas [1, 3, 2]');
    // Nothing left the replica list: the leader epoch stays (Kafka: 0).
    expect(moving).toMatchObject({ leader: 1, isr: [1, 2], leaderEpoch: before!.leaderEpoch });
    for (const id of c.brokerIds) expect(await listed(c, id, [{ name: 'move', partitionIndexes: [0, 5] }, { name: 'nope', partitionIndexes: [0] }])).toEqual({ 'move-0': [[1, 3, 2], [3], [2]] });
    const admin = kafka.admin();
    await admin.connect();
    try {
      expect(await admin.listPartitionReassignments({ topics: [{ topic: 'move', partitions: [0] }] })).toEqual({
        topics: [{ name: 'move', partitions: [{ partition: 0, replicas: [1, 3, 2], addingReplicas: [3], removingReplicas: [2] }] }],
      });
    } finally {
      await admin.disconnect();
    }
    // Broker 3 hosts the new replica (a follower) while the reassignment runs.
    await waitUntil('broker 3 to create its log', async () => (partitionDirs(c.dataDir(3), 'move').length === 1 ? true : undefined), 10_000);

    await addToIsr(c, 'move', 0, 3);
    const done = await everywhere(c, 'move', 0, (p) => p.replicas.join() === '1,3', 'replicas [1, 3]');
    expect(done).toMatchObject({ leader: 1, isr: [1, 3], leaderEpoch: before!.leaderEpoch + 1 });
    expect(await listed(c, 2, null)).toEqual({});
    await waitUntil('broker 2 to delete its log', async () => (partitionDirs(c.dataDir(2), 'move').length === 0 ? true : undefined), 10_000);
  });

  it('moving the leader away: leadership goes to the first target replica in the ISR once it completes', async () => {
    const [before] = await createTopicReady(c, { name: 'lead', assignments: [[1, 2]] });
    expect(await reassign(c, 1, 'lead', [[0, [3, 2]]])).toEqual([[ErrorCode.NONE, null]]);
    // Broker 1 keeps leading while broker 3 catches up.
    expect(await everywhere(c, 'lead', 0, (p) => p.replicas.join() === '3,2,1', 'replicas [3, 2, 1]')).toMatchObject({ leader: 1, leaderEpoch: before!.leaderEpoch });
    await addToIsr(c, 'lead', 0, 3);
    const done = await everywhere(c, 'lead', 0, (p) => p.replicas.join() === '3,2', 'replicas [3, 2]');
    expect(done).toMatchObject({ leader: 3, isr: [2, 3], leaderEpoch: before!.leaderEpoch + 1 });
    await waitUntil('broker 1 to delete its log', async () => (partitionDirs(c.dataDir(1), 'lead').length === 0 ? true : undefined), 10_000);
    const producer = kafka.producer({ allowAutoTopicCreation: false });
    await producer.connect();
    try {
      const [r] = await producer.send({ topic: 'lead', acks: 1, messages: [{ partition: 0, value: 'on the new leader' }] });
      expect(r).toMatchObject({ errorCode: 0, partition: 0 });
    } finally {
      await producer.disconnect();
    }
  });

  it('cancel: back to the original replicas with a new leader epoch; the added replica drops its log', async () => {
    const [before] = await createTopicReady(c, { name: 'cancel', assignments: [[1, 2]] });
    expect(await reassign(c, 2, 'cancel', [[0, [1, 3]]])).toEqual([[ErrorCode.NONE, null]]);
    await waitUntil('broker 3 to create its log', async () => (partitionDirs(c.dataDir(3), 'cancel').length === 1 ? true : undefined), 10_000);
    expect(await reassign(c, 1, 'cancel', [[0, null]])).toEqual([[ErrorCode.NONE, null]]);
    const reverted = await everywhere(c, 'cancel', 0, (p) => p.replicas.join() === '1,2', 'replicas [1, 2]');
    expect(reverted).toMatchObject({ leader: 1, isr: [1, 2], leaderEpoch: before!.leaderEpoch + 1 });
    expect(await listed(c, 1, [{ name: 'cancel', partitionIndexes: [0] }])).toEqual({});
    await waitUntil('broker 3 to delete its log', async () => (partitionDirs(c.dataDir(3), 'cancel').length === 0 ? true : undefined), 10_000);
    expect(await reassign(c, 3, 'cancel', [[0, null]])).toEqual([[ErrorCode.NO_REASSIGNMENT_IN_PROGRESS, null]]);
  });

  it('invalid targets get Kafka\'s errors, each partition its own, in request order', async () => {
    await createTopicReady(c, { name: 'bad', assignments: [[1, 2], [2, 3]] });
    const invalid = ErrorCode.INVALID_REPLICA_ASSIGNMENT;
    expect(await reassign(c, 2, 'bad', [[0, [1, 99]], [0, [2, 2]], [1, []], [7, [1, 2]], [1, [3, 1]]])).toEqual([
      [invalid, 'The manual partition assignment includes broker 99, but no such broker is registered.'],
      [invalid, 'The manual partition assignment includes the broker 2 more than once.'],
      [invalid, 'The manual partition assignment includes an empty replica list.'],
      [ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, 'Unable to find partition bad:7.'],
      [ErrorCode.NONE, null],
    ]);
    expect(await reassign(c, 2, 'no-such-topic', [[0, [1]]])).toEqual([[ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, 'Unable to find a topic named no-such-topic.']]);
    // Nothing changed where the target was refused.
    expect((await partitions(c, 'bad', 2))[0]).toMatchObject({ replicas: [1, 2] });
    expect(await listed(c, 2, [{ name: 'bad', partitionIndexes: [0, 1] }])).toEqual({ 'bad-1': [[3, 1, 2], [1], [2]] });
    // The throttle lists a reassignment writes are checked as Kafka checks them.
    const alter: any = await withBroker(c, 3, (raw) =>
      raw.request(44, 0, { validateOnly: false, resources: [{ resourceType: 2, resourceName: 'bad', configs: [{ name: 'leader.replication.throttled.replicas', configOperation: 0, value: '0:1,2' }] }] }),
    );
    expect(alter.responses[0]).toMatchObject({ errorCode: ErrorCode.INVALID_CONFIG, errorMessage: expect.stringContaining("must be the literal '*' or a list of replicas in the following format: [partitionId]:[brokerId],[partitionId]:[brokerId],...") });
    // kafka-reassign-partitions --execute refuses to start while any reassignment runs: end it.
    expect(await reassign(c, 1, 'bad', [[1, null]])).toEqual([[ErrorCode.NONE, null]]);
    await everywhere(c, 'bad', 1, (p) => p.replicas.join() === '3,2', 'replicas [3, 2] back');
  });

  it.skipIf(!javaAvailable())('kafka-reassign-partitions --execute --throttle, --list, --verify (in progress, then completed and throttles cleared)', async () => {
    await ensureJavaBuilt();
    await createTopicReady(c, { name: 'tool', assignments: [[1, 2]] });
    const dir = tempDir('reassign-tool');
    try {
      const plan = join(dir, 'plan.json');
      writeFileSync(plan, JSON.stringify({ version: 1, partitions: [{ topic: 'tool', partition: 0, replicas: [1, 3] }] }));
      const tool = (args: string[]) => runKafkaScript('kafka-reassign-partitions.sh', ['--bootstrap-server', c.bootstrap, ...args], { timeoutMs: 120_000 });
      const execute = await tool(['--execute', '--reassignment-json-file', plan, '--throttle', '10000000']);
      expect(execute.code, execute.stdout + execute.stderr).toBe(0);
      expect(execute.stdout, execute.stderr).toContain('Successfully started partition reassignment for tool-0');
      expect(execute.stdout, execute.stderr).toContain('The inter-broker throttle limit was set to 10000000 B/s');
      const list = await tool(['--list']);
      expect(list.stdout, list.stderr).toContain('Current partition reassignments:');
      expect(list.stdout, list.stderr).toContain('tool-0: replicas: 1,3,2. adding: 3. removing: 2.');
      const verifying = await tool(['--verify', '--reassignment-json-file', plan]);
      expect(verifying.stdout, verifying.stderr).toContain('Reassignment of partition tool-0 is still in progress.');
      // The throttles the tool set: topic configs (validated as Kafka's lists) and broker rates.
      const configs = await runKafkaScript('kafka-configs.sh', ['--bootstrap-server', c.bootstrap, '--describe', '--entity-type', 'topics', '--entity-name', 'tool']);
      expect(configs.stdout, configs.stderr).toMatch(/leader\.replication\.throttled\.replicas=0:1,0:2/);
      expect(configs.stdout, configs.stderr).toMatch(/follower\.replication\.throttled\.replicas=0:3/);

      await addToIsr(c, 'tool', 0, 3);
      await everywhere(c, 'tool', 0, (p) => p.replicas.join() === '1,3', 'replicas [1, 3]');
      const verified = await tool(['--verify', '--reassignment-json-file', plan]);
      expect(verified.code, verified.stderr).toBe(0);
      expect(verified.stdout, verified.stderr).toContain('Reassignment of partition tool-0 is completed.');
      expect(verified.stdout, verified.stderr).toContain('Clearing broker-level throttles on brokers 1,2,3');
      expect(verified.stdout, verified.stderr).toContain('Clearing topic-level throttles on topic tool');
      const cleared = await runKafkaScript('kafka-configs.sh', ['--bootstrap-server', c.bootstrap, '--describe', '--entity-type', 'topics', '--entity-name', 'tool']);
      expect(cleared.stdout, cleared.stderr).not.toContain('throttled');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 300_000);
});
