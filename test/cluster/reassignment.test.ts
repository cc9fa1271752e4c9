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
 * A reassignment that must stay in progress while the test looks at it moves a replica to a broker
 * that is paused (SIGSTOP, well within its session timeout): it cannot fetch, so it cannot join the
 * ISR. After SIGCONT it catches up as a follower, the leader's ISR expansion adds it (written to
 * etcd by CAS), and the controller completes the reassignment: the real replication path end to
 * end. Roles rather than ids: `ctl` is the controller (never paused: admin requests go to it), `a`
 * and `b` the other two.
 */
import { readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Kafka, logLevel } from 'kafkajs';
import { ErrorCode } from '../../protocol/errors.js';
import { buildBatchSync } from '../../protocol/records/builder.js';
import { newProduceRequestPartition, newProduceRequestTopic } from '../../protocol/generated/00-produce.js';
import { tempDir } from '../helpers/broker.js';
import { type PartitionState, connectBroker, createTopicReady, partitions, waitRegistered, waitUntil, withBroker } from '../helpers/cluster-target.js';
import { ensureJavaBuilt, javaAvailable, runKafkaScript } from '../helpers/java.js';
import { type RunnelCluster, startRunnelCluster } from './cluster-harness.js';
import { etcdMissing } from './etcd-harness.js';

const sorted = (ids: readonly number[]) => [...ids].sort((x, y) => x - y);
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

/** Brokers stopped with SIGSTOP: they answer nothing until SIGCONT, so nobody asks them. */
const paused = new Set<number>();

/** Runs `fn` while broker `id` is paused (SIGSTOP), then lets it go on (SIGCONT). */
async function whilePaused<T>(c: RunnelCluster, id: number, fn: () => Promise<T>): Promise<T> {
  const pid = c.pid(id)!;
  process.kill(pid, 'SIGSTOP');
  paused.add(id);
  try {
    return await fn();
  } finally {
    process.kill(pid, 'SIGCONT');
    paused.delete(id);
  }
}

/** Waits until every running, unpaused broker's Metadata shows the partition satisfying `ok` (all alike); returns that view. */
async function everywhere(c: RunnelCluster, topic: string, partition: number, ok: (p: PartitionState) => boolean, what: string): Promise<PartitionState> {
  return waitUntil(`${topic}-${partition}: ${what} on every broker`, async () => {
    const views = await Promise.all(c.brokerIds.filter((id) => c.isUp(id) && !paused.has(id)).map(async (id) => (await partitions(c, topic, id))[partition]!));
    return views.every(ok) && views.every((v) => JSON.stringify(v) === JSON.stringify(views[0])) ? views[0] : undefined;
  }, 20_000);
}

describe.skipIf(etcdMissing)('partition reassignment: etcd + 3 broker processes', () => {
  let c: RunnelCluster;
  let kafka: Kafka;
  /** The controller, and the two other brokers. */
  let ctl: number;
  let a: number;
  let b: number;

  beforeAll(async () => {
    // A long session: a broker stays paused for a few JVM tool runs, and nothing here waits for a
    // failover; a CPU-starved broker must not lose its lease and shrink the ISRs under the test.
    // etcd calls get the default timeout back (the harness's 2 s times out on a loaded machine).
    c = await startRunnelCluster({ brokers: 3, sessionTimeoutMs: 30_000, props: { 'auto.leader.rebalance.enable': false, 'runnel.etcd.request.timeout.ms': 5000 } });
    // Explicit assignments need every broker registered in the image of the broker creating them.
    const views = await waitRegistered(c);
    ctl = views[0].controllerId;
    [a, b] = c.brokerIds.filter((id) => id !== ctl) as [number, number];
    kafka = new Kafka({ brokers: [ctl, a].map((id) => `127.0.0.1:${c.endpoint(id).port}`), clientId: 'reassignment', logLevel: logLevel.NOTHING, retry: { retries: 5, initialRetryTime: 100 } });
  }, 90_000);
  afterAll(async () => {
    for (const id of paused) process.kill(c.pid(id)!, 'SIGCONT');
    await c?.stop();
  });

  it('RF 3 → 2 (kafkajs admin) completes at once: the dropped replica leaves, the leader epoch bumps, its broker deletes the log', async () => {
    const [before] = await createTopicReady(c, { name: 'rf', assignments: [[ctl, a, b]] });
    await waitUntil('the third replica\'s log', async () => (partitionDirs(c.dataDir(b), 'rf').length === 1 ? true : undefined), 10_000);
    const admin = kafka.admin();
    await admin.connect();
    try {
      await admin.alterPartitionReassignments({ topics: [{ topic: 'rf', partitionAssignment: [{ partition: 0, replicas: [ctl, a] }] }] });
      expect(await admin.listPartitionReassignments({})).toEqual({ topics: [] });
    } finally {
      await admin.disconnect();
    }
    const after = await everywhere(c, 'rf', 0, (p) => p.replicas.join() === `${ctl},${a}`, 'two replicas');
    expect({ ...after, isr: sorted(after.isr) }).toMatchObject({ leader: ctl, isr: sorted([ctl, a]), offline: [], leaderEpoch: before!.leaderEpoch + 1 });
    await waitUntil('the dropped replica\'s log deleted', async () => (partitionDirs(c.dataDir(b), 'rf').length === 0 ? true : undefined), 10_000);
    expect(partitionDirs(c.dataDir(ctl), 'rf')).toHaveLength(1);
    // Nothing in progress: a cancel is refused as Kafka refuses it.
    expect(await reassign(c, a, 'rf', [[0, null]])).toEqual([[ErrorCode.NO_REASSIGNMENT_IN_PROGRESS, null]]);
    // The same target again writes nothing.
    expect(await reassign(c, b, 'rf', [[0, [ctl, a]]])).toEqual([[ErrorCode.NONE, null]]);
    expect((await partitions(c, 'rf', b))[0]).toEqual(after);
  });

  it('moving a replica: in progress until the new one is in the ISR, then completed by the controller', async () => {
    const [before] = await createTopicReady(c, { name: 'move', assignments: [[ctl, a]] });
    const inProgress = [[ctl, b, a], [b], [a]];
    await whilePaused(c, b, async () => {
      expect(await reassign(c, a, 'move', [[0, [ctl, b]]])).toEqual([[ErrorCode.NONE, null]]);
      // The broker that answered shows it at once; the others soon after.
      expect(await listed(c, a, null)).toEqual({ 'move-0': inProgress });
      const moving = await everywhere(c, 'move', 0, (p) => p.replicas.join() === inProgress[0]!.join(), 'the merged replicas');
      // Nothing left the replica list: the leader epoch stays (Kafka: 0).
      expect({ ...moving, isr: sorted(moving.isr) }).toMatchObject({ leader: ctl, isr: sorted([ctl, a]), leaderEpoch: before!.leaderEpoch });
      for (const id of [ctl, a]) expect(await listed(c, id, [{ name: 'move', partitionIndexes: [0, 5] }, { name: 'nope', partitionIndexes: [0] }])).toEqual({ 'move-0': inProgress });
      const admin = kafka.admin();
      await admin.connect();
      try {
        expect(await admin.listPartitionReassignments({ topics: [{ topic: 'move', partitions: [0] }] })).toEqual({
          topics: [{ name: 'move', partitions: [{ partition: 0, replicas: inProgress[0], addingReplicas: [b], removingReplicas: [a] }] }],
        });
      } finally {
        await admin.disconnect();
      }
    });
    // The new replica's broker hosts a follower, catches up, the leader adds it to the ISR, and the
    // controller completes the reassignment.
    await waitUntil('the new replica\'s log', async () => (partitionDirs(c.dataDir(b), 'move').length === 1 ? true : undefined), 10_000);
    const done = await everywhere(c, 'move', 0, (p) => p.replicas.join() === `${ctl},${b}`, 'the target replicas');
    expect({ ...done, isr: sorted(done.isr) }).toMatchObject({ leader: ctl, isr: sorted([ctl, b]), leaderEpoch: before!.leaderEpoch + 1 });
    expect(await listed(c, b, null)).toEqual({});
    await waitUntil('the removed replica\'s log deleted', async () => (partitionDirs(c.dataDir(a), 'move').length === 0 ? true : undefined), 10_000);
  });

  it('moving the leader away: leadership goes to the first target replica in the ISR once it completes', async () => {
    const [before] = await createTopicReady(c, { name: 'lead', assignments: [[ctl, a]] });
    const producer = kafka.producer({ allowAutoTopicCreation: false });
    await producer.connect();
    await producer.send({ topic: 'lead', acks: -1, messages: ['r0', 'r1', 'r2'].map((value) => ({ partition: 0, value })) });
    await whilePaused(c, b, async () => {
      expect(await reassign(c, ctl, 'lead', [[0, [b, a]]])).toEqual([[ErrorCode.NONE, null]]);
      // The old leader keeps leading while the new replica catches up.
      expect(await everywhere(c, 'lead', 0, (p) => p.replicas.join() === `${b},${a},${ctl}`, 'the merged replicas')).toMatchObject({ leader: ctl, leaderEpoch: before!.leaderEpoch });
    });
    const done = await everywhere(c, 'lead', 0, (p) => p.replicas.join() === `${b},${a}`, 'the target replicas');
    expect({ ...done, isr: sorted(done.isr) }).toMatchObject({ leader: b, isr: sorted([a, b]), leaderEpoch: before!.leaderEpoch + 1 });
    await waitUntil('the old leader\'s log deleted', async () => (partitionDirs(c.dataDir(ctl), 'lead').length === 0 ? true : undefined), 10_000);
    try {
      // The new leader has the records written before the move: the next one gets offset 3.
      const [r] = await producer.send({ topic: 'lead', acks: -1, messages: [{ partition: 0, value: 'on the new leader' }] });
      expect(r).toMatchObject({ errorCode: 0, partition: 0, baseOffset: '3' });
    } finally {
      await producer.disconnect();
    }
  });

  it('a reassignment that drops the leader: acks=all produces waiting there fail with NOT_LEADER_OR_FOLLOWER at once, not after their timeout', async () => {
    // Leader a, follower b. With b paused the high watermark cannot pass a new append, so an
    // acks=all Produce waits at a. The reassignment to [b] alone completes at once (b is in the
    // ISR): a is no longer a replica and drops the partition. The waiting Produce must be answered
    // as Kafka answers it (NOT_LEADER_OR_FOLLOWER, the client retries on the new leader), not be
    // left to its 20 s timeout (REQUEST_TIMED_OUT): under load that was a 30 s stall per partition
    // moved (operations.test.ts).
    await createTopicReady(c, { name: 'dropleader', assignments: [[a, b]] });
    const raw = await connectBroker(c, a);
    raw.responseTimeoutMs = 30_000;
    try {
      await whilePaused(c, b, async () => {
        const t0 = Date.now();
        const answer: Promise<any> = raw.request(0, 9, {
          acks: -1,
          timeoutMs: 20_000,
          topicData: [newProduceRequestTopic({ name: 'dropleader', partitionData: [newProduceRequestPartition({ index: 0, records: buildBatchSync([{ value: 'parked' }]) })] })],
        });
        let answered = false;
        answer.then(() => (answered = true), () => undefined);
        await new Promise((r) => setTimeout(r, 300));
        expect(answered, 'the produce waits for the paused follower').toBe(false);
        expect(await reassign(c, ctl, 'dropleader', [[0, [b]]])).toEqual([[ErrorCode.NONE, null]]);
        await waitUntil('the old leader dropped the partition', async () => (partitionDirs(c.dataDir(a), 'dropleader').length === 0 ? true : undefined), 10_000);
        const r = await answer;
        expect(r.responses[0].partitionResponses[0].errorCode).toBe(ErrorCode.NOT_LEADER_OR_FOLLOWER);
        expect(Date.now() - t0).toBeLessThan(10_000);
      });
    } finally {
      raw.close();
    }
  });

  it('cancel: back to the original replicas with a new leader epoch; the added replica is gone', async () => {
    const [before] = await createTopicReady(c, { name: 'cancel', assignments: [[ctl, a]] });
    await whilePaused(c, b, async () => {
      expect(await reassign(c, a, 'cancel', [[0, [ctl, b]]])).toEqual([[ErrorCode.NONE, null]]);
      await everywhere(c, 'cancel', 0, (p) => p.replicas.length === 3, 'the merged replicas');
      expect(await reassign(c, ctl, 'cancel', [[0, null]])).toEqual([[ErrorCode.NONE, null]]);
      const reverted = await everywhere(c, 'cancel', 0, (p) => p.replicas.join() === `${ctl},${a}`, 'the original replicas');
      expect({ ...reverted, isr: sorted(reverted.isr) }).toMatchObject({ leader: ctl, isr: sorted([ctl, a]), leaderEpoch: before!.leaderEpoch + 1 });
      expect(await listed(c, a, [{ name: 'cancel', partitionIndexes: [0] }])).toEqual({});
      expect(await reassign(c, a, 'cancel', [[0, null]])).toEqual([[ErrorCode.NO_REASSIGNMENT_IN_PROGRESS, null]]);
    });
    await everywhere(c, 'cancel', 0, (p) => p.replicas.join() === `${ctl},${a}`, 'the original replicas, the resumed broker too');
    await waitUntil('no log on the broker that was being added', async () => (partitionDirs(c.dataDir(b), 'cancel').length === 0 ? true : undefined), 10_000);
  });

  it('invalid targets get Kafka\'s errors, each partition its own, in request order', async () => {
    await createTopicReady(c, { name: 'bad', assignments: [[ctl, a], [a, b]] });
    const invalid = ErrorCode.INVALID_REPLICA_ASSIGNMENT;
    expect(await reassign(c, a, 'bad', [[0, [ctl, 99]], [0, [a, a]], [1, []], [7, [ctl]], [1, [b, a]]])).toEqual([
      [invalid, 'The manual partition assignment includes broker 99, but no such broker is registered.'],
      [invalid, `The manual partition assignment includes the broker ${a} more than once.`],
      [invalid, 'The manual partition assignment includes an empty replica list.'],
      [ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, 'Unable to find partition bad:7.'],
      // A reordering: complete at once.
      [ErrorCode.NONE, null],
    ]);
    expect(await reassign(c, a, 'no-such-topic', [[0, [1]]])).toEqual([[ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, 'Unable to find a topic named no-such-topic.']]);
    // Nothing changed where the target was refused; the reordering is done, nothing in progress.
    expect((await everywhere(c, 'bad', 1, (p) => p.replicas.join() === `${b},${a}`, 'reordered')).leader).toBe(a);
    expect((await partitions(c, 'bad', a))[0]).toMatchObject({ replicas: [ctl, a] });
    expect(await listed(c, a, null)).toEqual({});
    // The throttle lists a reassignment writes are checked as Kafka checks them.
    const alter: any = await withBroker(c, b, (raw) =>
      raw.request(44, 0, { validateOnly: false, resources: [{ resourceType: 2, resourceName: 'bad', configs: [{ name: 'leader.replication.throttled.replicas', configOperation: 0, value: '0:1,2' }] }] }),
    );
    expect(alter.responses[0]).toMatchObject({ errorCode: ErrorCode.INVALID_CONFIG, errorMessage: expect.stringContaining("must be the literal '*' or a list of replicas in the following format: [partitionId]:[brokerId],[partitionId]:[brokerId],...") });
  });

  it.skipIf(!javaAvailable())('kafka-reassign-partitions: --execute, --list, --verify while in progress and once completed; --throttle set and cleared', async () => {
    await ensureJavaBuilt();
    await createTopicReady(c, { name: 'tool', assignments: [[ctl, a]] });
    const dir = tempDir('reassign-tool');
    // The tools bootstrap from the brokers that are not paused.
    const bootstrap = [ctl, a].map((id) => `127.0.0.1:${c.endpoint(id).port}`).join(',');
    // REQUEST_TIMED_OUT ("etcd did not answer ... retry") is retriable and the tool does not retry
    // it; an operator runs the command again, and so does the test (at most twice).
    const tool = async (args: string[]) => {
      for (let attempt = 0; ; attempt++) {
        const r = await runKafkaScript('kafka-reassign-partitions.sh', ['--bootstrap-server', bootstrap, ...args], { timeoutMs: 120_000 });
        if (attempt < 2 && (r.stdout + r.stderr).includes('etcd did not answer')) continue;
        return r;
      }
    };
    const topicConfigs = () => runKafkaScript('kafka-configs.sh', ['--bootstrap-server', bootstrap, '--describe', '--entity-type', 'topics', '--entity-name', 'tool']);
    try {
      const move = join(dir, 'move.json');
      writeFileSync(move, JSON.stringify({ version: 1, partitions: [{ topic: 'tool', partition: 0, replicas: [ctl, b] }] }));
      await whilePaused(c, b, async () => {
        const execute = await tool(['--execute', '--reassignment-json-file', move]);
        expect(execute.code, execute.stdout + execute.stderr).toBe(0);
        expect(execute.stdout, execute.stderr).toContain('Successfully started partition reassignment for tool-0');
        const list = await tool(['--list']);
        expect(list.stdout, list.stderr).toContain('Current partition reassignments:');
        expect(list.stdout, list.stderr).toContain(`tool-0: replicas: ${ctl},${b},${a}. adding: ${b}. removing: ${a}.`);
        const verifying = await tool(['--verify', '--reassignment-json-file', move, '--preserve-throttles']);
        expect(verifying.stdout, verifying.stderr).toContain('Reassignment of partition tool-0 is still in progress.');
      });
      await everywhere(c, 'tool', 0, (p) => p.replicas.join() === `${ctl},${b}`, 'the target replicas');
      const verified = await tool(['--verify', '--reassignment-json-file', move]);
      expect(verified.code, verified.stdout + verified.stderr).toBe(0);
      expect(verified.stdout, verified.stderr).toContain('Reassignment of partition tool-0 is completed.');

      // --throttle: the rates on the brokers involved and the replica lists on the topic (checked as
      // Kafka's lists); --verify clears them once the reassignment is done (RF 2 -> 1: at once).
      const shrink = join(dir, 'shrink.json');
      writeFileSync(shrink, JSON.stringify({ version: 1, partitions: [{ topic: 'tool', partition: 0, replicas: [ctl] }] }));
      const throttled = await tool(['--execute', '--reassignment-json-file', shrink, '--throttle', '10000000']);
      expect(throttled.code, throttled.stdout + throttled.stderr).toBe(0);
      expect(throttled.stdout, throttled.stderr).toContain('The inter-broker throttle limit was set to 10000000 B/s');
      // DescribeConfigs may reach a broker that applies the change a moment later: asked until it shows.
      const leaderList = `leader.replication.throttled.replicas=${sorted([ctl, b]).map((id) => `0:${id}`).join(',')} `;
      await waitUntil('the throttled replicas described', async () => ((await topicConfigs()).stdout.includes(leaderList) ? true : undefined), 60_000, 0);
      const cleared = await tool(['--verify', '--reassignment-json-file', shrink]);
      expect(cleared.stdout, cleared.stderr).toContain('Reassignment of partition tool-0 is completed.');
      expect(cleared.stdout, cleared.stderr).toContain('Clearing broker-level throttles on brokers 1,2,3');
      expect(cleared.stdout, cleared.stderr).toContain('Clearing topic-level throttles on topic tool');
      await waitUntil('the throttles cleared', async () => (!(await topicConfigs()).stdout.includes('throttled') ? true : undefined), 60_000, 0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 300_000);
});
