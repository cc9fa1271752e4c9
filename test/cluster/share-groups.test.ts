/**
 * Share groups (KIP-932) in a cluster: a real etcd and three `dist/runnel.mjs` processes
 * (cluster-harness.ts; build first), Kafka's split of the work:
 *
 *  - membership (ShareGroupHeartbeat) on the group coordinator, the leader of the group's
 *    `__consumer_offsets` partition: NOT_COORDINATOR elsewhere;
 *  - ShareFetch on each partition's leader: NOT_LEADER_OR_FOLLOWER elsewhere, with the leader;
 *  - the share-partition state in `__share_group_state` through the share coordinator
 *    (FindCoordinator key type 2, `group:topicId:partition`).
 *
 * Then the real Java KafkaShareConsumer (test/java ShareWorker, explicit acknowledgement): three
 * workers share a 3-partition topic, the leader of a data partition is SIGKILLed midway, and a
 * history check decides (see the last test).
 */
import { writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../protocol/errors.js';
import { buildBatchSync } from '../../protocol/records/builder.js';
import { createTopicReady, metadataFrom, partitions, upBrokers, waitIsrFull, waitUntil, withBroker } from '../helpers/cluster-target.js';
import { javaAvailable, runJavaOk, spawnJava, type JavaProcess } from '../helpers/java.js';
import { type RunnelCluster, startRunnelCluster } from './cluster-harness.js';
import { etcdMissing } from './etcd-harness.js';
import { GROUP_KEY, waitCoordinator } from './coordinator-helpers.js';

const SHARE_KEY = 2;
const JOBS = 1500;

type Item = [value: string, where: string, deliveryCount: number, action: string];
interface Poll { worker: number; ts: number; items: Item[] }

function pollsOf(w: JavaProcess, worker: number): Poll[] {
  const out: Poll[] = [];
  for (const l of w.lines) {
    try {
      const j = JSON.parse(l);
      if (j.event === 'records') out.push({ worker, ts: j.ts as number, items: j.items as Item[] });
    } catch {
      // not JSON
    }
  }
  return out;
}

describe.skipIf(etcdMissing || !javaAvailable())('share groups in a cluster: etcd + 3 broker processes', () => {
  let c: RunnelCluster;
  const workers: JavaProcess[] = [];

  beforeAll(async () => {
    c = await startRunnelCluster({
      brokers: 3,
      sessionTimeoutMs: 3000,
      props: {
        'offsets.topic.replication.factor': 3,
        'offsets.topic.num.partitions': 3,
        'share.coordinator.state.topic.num.partitions': 3,
        'replica.lag.time.max.ms': 4000,
        'replica.fetch.backoff.ms': 200,
        'replica.fetch.wait.max.ms': 200,
        'auto.leader.rebalance.enable': false,
        'group.share.min.heartbeat.interval.ms': 500,
        'group.share.heartbeat.interval.ms': 1000,
        'group.share.min.session.timeout.ms': 6000,
        'group.share.session.timeout.ms': 6000,
        'group.share.min.record.lock.duration.ms': 1000,
        'group.share.record.lock.duration.ms': 10000,
        'runnel.group.share.auto.offset.reset': 'earliest',
      },
    });
  }, 90_000);
  afterAll(async () => {
    if (process.env.SHARE_TEST_LOGS) workers.forEach((w, i) => writeFileSync(`${process.env.SHARE_TEST_LOGS}-${i}.log`, [...w.errLines, '--- stdout', ...w.lines].join('\n')));
    for (const w of workers) w.kill();
    await c?.stop();
  });

  /** FindCoordinator v6 key type 2 at every running broker, once they all name the same one. */
  const shareCoordinatorOf = (key: string) =>
    waitUntil(`the share coordinator of ${key}`, async () => {
      const answers = await Promise.all(upBrokers(c).map((id) => withBroker(c, id, (raw) => raw.request(10, 6, { keyType: SHARE_KEY, coordinatorKeys: [key] })) as Promise<any>));
      const ids = answers.map((a) => (a.coordinators[0].errorCode === 0 ? (a.coordinators[0].nodeId as number) : -1));
      return ids.every((id) => id === ids[0] && id > 0) ? ids[0] : undefined;
    }, 30_000);

  it('membership on the group coordinator, fetches on the partition leader, share state on the share coordinator', async () => {
    await createTopicReady(c, { name: 'routed', partitions: 3, replicationFactor: 3 });
    const topicId: Buffer = (await metadataFrom(c, 1, ['routed'])).topics[0].topicId;
    const group = 'routed-group';
    const coordinator = await waitCoordinator(c, group, GROUP_KEY);
    const other = upBrokers(c).find((id) => id !== coordinator)!;
    const hb = (id: number, body: Record<string, unknown> = {}) =>
      withBroker(c, id, (raw) => raw.request(76, 1, { groupId: group, memberId: 'm1', memberEpoch: 0, rackId: null, subscribedTopicNames: ['routed'], ...body })) as Promise<any>;
    expect((await hb(other)).errorCode).toBe(ErrorCode.NOT_COORDINATOR);
    // The coordinator serves it once it has loaded the group's __consumer_offsets partition.
    const joined = await waitUntil('the coordinator serves the heartbeat', async () => {
      const r = await hb(coordinator);
      return r.errorCode === ErrorCode.COORDINATOR_LOAD_IN_PROGRESS || r.errorCode === ErrorCode.NOT_COORDINATOR ? undefined : r;
    }, 30_000);
    expect(joined).toMatchObject({ errorCode: 0, memberId: 'm1', memberEpoch: 1 });
    const describe = (await withBroker(c, other, (raw) => raw.request(77, 1, { groupIds: [group], includeAuthorizedOperations: false }))) as any;
    expect(describe.groups[0].errorCode).toBe(ErrorCode.NOT_COORDINATOR);

    const leaders = await partitions(c, 'routed');
    const p0 = leaders[0]!;
    const notLeader = upBrokers(c).find((id) => id !== p0.leader)!;
    const fetch = (id: number) =>
      withBroker(c, id, (raw) =>
        raw.request(78, 1, { groupId: group, memberId: 'm1', shareSessionEpoch: 0, maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 20, maxRecords: 10, batchSize: 10, topics: [{ topicId, partitions: [{ partitionIndex: 0, acknowledgementBatches: [] }] }], forgottenTopicsData: [] }),
      ) as Promise<any>;
    const refused = (await fetch(notLeader)).responses[0].partitions[0];
    expect(refused.errorCode).toBe(ErrorCode.NOT_LEADER_OR_FOLLOWER);
    expect(refused.currentLeader).toMatchObject({ leaderId: p0.leader, leaderEpoch: p0.leaderEpoch });
    expect((await fetch(p0.leader)).responses[0].partitions[0].errorCode).toBe(ErrorCode.NONE);

    // The share coordinator of the share partition: the same broker from everyone, the leader of a __share_group_state partition.
    const shareCoordinator = await shareCoordinatorOf(`${group}:${topicId.toString('base64url')}:0`);
    const badKey = (await withBroker(c, 1, (raw) => raw.request(10, 6, { keyType: SHARE_KEY, coordinatorKeys: ['no-topic-id'] }))) as any;
    expect(badKey.coordinators[0].errorCode).toBe(ErrorCode.INVALID_REQUEST);
    const stateLeaders = (await partitions(c, '__share_group_state')).map((p) => p.leader);
    expect(stateLeaders).toContain(shareCoordinator);
  }, 120_000);

  it('3 Java KafkaShareConsumer workers, 1,500 jobs, the leader of a data partition SIGKILLed midway: every job accepted, no acknowledged job delivered again', async () => {
    await createTopicReady(c, { name: 'sjobs', partitions: 3, replicationFactor: 3 });
    const bootstrap = upBrokers(c).map((id) => `127.0.0.1:${c.endpoint(id).port}`).join(',');
    await runJavaOk('Produce', ['--bootstrap', bootstrap, '--topic', 'sjobs', '--count', String(JOBS), '--value-pattern', 'job-%d', '--key-pattern', 'k%d', '--sync', 'true']);
    for (let i = 0; i < 3; i++) {
      const w = await spawnJava('ShareWorker', ['--bootstrap', bootstrap, '--group', 'cluster-pool', '--topic', 'sjobs', '--prop', 'reconnect.backoff.max.ms=500', '--prop', 'max.poll.records=20', '--delay-ms', '200']);
      workers.push(w);
      await w.waitFor((j) => j.event === 'ready', 60_000);
    }
    const polls = () => workers.flatMap((w, i) => pollsOf(w, i));
    const accepted = () => new Set(polls().flatMap((p) => p.items.filter((x) => x[3] === 'accept').map((x) => x[0])));
    const diagnose = () =>
      `accepted ${accepted().size}/${JOBS}; worker errors: ${workers.map((w) => w.errLines.filter((l) => /Exception|ERROR|WARN/.test(l)).slice(-4).join(' | ')).join('\n')}`;
    await waitUntil('a third of the jobs accepted', async () => (accepted().size >= JOBS / 3 ? true : undefined), 90_000).catch((e) => {
      throw new Error(`${(e as Error).message}: ${diagnose()}`);
    });
    // The victim leads a data partition and, when one does, is the share coordinator of some
    // share partition of the group too: both its share partitions and its share-state partition move.
    const topicId: Buffer = (await metadataFrom(c, upBrokers(c)[0]!, ['sjobs'])).topics[0].topicId;
    const leaders = (await partitions(c, 'sjobs')).map((p) => p.leader);
    const coordinators = await Promise.all([0, 1, 2].map((p) => shareCoordinatorOf(`cluster-pool:${topicId.toString('base64url')}:${p}`)));
    const victim = leaders.find((id) => coordinators.includes(id)) ?? leaders[0]!;
    const killAt = Date.now();
    await c.kill(victim, 'SIGKILL');
    await waitUntil('every job accepted after the kill', async () => (accepted().size >= JOBS ? true : undefined), 180_000, 500).catch((e) => {
      throw new Error(`${(e as Error).message}: ${diagnose()}`);
    });
    // The history check. Each delivery a worker saw is (job, delivery count, its poll's time).
    //  1. No loss: every produced job was accepted.
    //  2. A job delivered more than once was delivered with a different delivery count each time:
    //     an acquisition is made durable before it is answered, so no delivery is repeated as is.
    //  3. A job accepted twice (at-least-once allows it when the acknowledgement was not confirmed)
    //     had its first acceptance no earlier than 5 s before the kill (an acknowledgement still
    //     in flight to, or unanswered by, the killed leader): an acknowledgement answered earlier
    //     is durable and its job never comes back.
    const all = polls();
    expect(accepted().size).toBe(JOBS);
    const deliveries = new Map<string, Array<{ count: number; ts: number; action: string }>>();
    for (const p of all) for (const [value, , count, action] of p.items) deliveries.set(value, [...(deliveries.get(value) ?? []), { count, ts: p.ts, action }]);
    const repeated: string[] = [];
    for (const [value, ds] of deliveries) {
      const counts = ds.map((d) => d.count);
      expect(new Set(counts).size, `${value} delivered with counts ${counts.join(',')}`).toBe(counts.length);
      const accepts = ds.filter((d) => d.action === 'accept');
      if (accepts.length > 1) {
        repeated.push(value);
        expect(accepts[0]!.ts, `${value} accepted at ${accepts[0]!.ts}, ${killAt - accepts[0]!.ts} ms before the kill, and again`).toBeGreaterThanOrEqual(killAt - 5000);
      }
    }
    // The moved partitions went on: jobs of each partition the victim led were accepted after the kill.
    const afterKill = all.filter((p) => p.ts > killAt).flatMap((p) => p.items.filter((x) => x[3] === 'accept').map((x) => Number(x[1].split('@')[0]!.split('-')[1])));
    for (const [p, leader] of leaders.entries()) if (leader === victim) expect(afterKill, `sjobs-${p} (led by the killed broker ${victim}) served after the kill`).toContain(p);
    // Nothing accepted twice before the kill: every duplicate belongs to the failover window.
    expect(repeated.length).toBeLessThanOrEqual(3 * 20 * 3);
    for (const w of workers) w.send('stop');
    await Promise.all(workers.map((w) => w.exited));
  }, 400_000);
  it('the share coordinator and the partition leader SIGKILLed: acknowledged records never come back, acquired ones come back with delivery count 2', async () => {
    for (const id of c.brokerIds) if (!c.isUp(id)) await c.restart(id);
    await waitIsrFull(c, '__share_group_state', 0, 60_000);
    await createTopicReady(c, { name: 'moved', partitions: 1, replicationFactor: 3 });
    const topicId: Buffer = (await metadataFrom(c, upBrokers(c)[0]!, ['moved'])).topics[0].topicId;
    const leaderNow = async () => (await partitions(c, 'moved', upBrokers(c)[0]!))[0]!;
    const first = await leaderNow();
    // Ten records, one batch each (a share fetch acquires whole stored batches).
    await withBroker(c, first.leader, async (raw) => {
      for (let i = 0; i < 10; i++) {
        const r: any = await raw.request(0, 9, { acks: -1, timeoutMs: 5000, transactionalId: null, topicData: [{ name: 'moved', partitionData: [{ index: 0, records: buildBatchSync([{ value: `m${i}` }]) }] }] });
        expect(r.responses[0].partitionResponses[0].errorCode).toBe(0);
      }
    });
    const fetch = (id: number, memberId: string, epoch: number, maxRecords: number) =>
      withBroker(c, id, (raw) =>
        raw.request(78, 2, { groupId: 'moved-group', memberId, shareSessionEpoch: epoch, maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 20, maxRecords, batchSize: maxRecords, topics: [{ topicId, partitions: [{ partitionIndex: 0, acknowledgementBatches: [] }] }], forgottenTopicsData: [] }),
      ) as Promise<any>;
    const acquired = (r: any): Array<[number, number]> =>
      (r.responses[0]?.partitions[0]?.acquiredRecords ?? []).flatMap((a: any) => Array.from({ length: Number(a.lastOffset) - Number(a.firstOffset) + 1 }, (_, i) => [Number(a.firstOffset) + i, a.deliveryCount] as [number, number]));
    const ack = (raw: any, memberId: string, epoch: number, first: number, last: number) =>
      raw.request(79, 2, { groupId: 'moved-group', memberId, shareSessionEpoch: epoch, isRenewAck: false, topics: [{ topicId, partitions: [{ partitionIndex: 0, acknowledgementBatches: [{ firstOffset: first, lastOffset: last, acknowledgeTypes: [1] }] }] }] });
    // Member A acquires 0-3 at the leader and accepts 0-1 (both answered: durable at the share coordinator).
    const shareCoordinator = await shareCoordinatorOf(`moved-group:${topicId.toString('base64url')}:0`);
    await withBroker(c, first.leader, async (raw) => {
      const r: any = await raw.request(78, 2, { groupId: 'moved-group', memberId: 'A', shareSessionEpoch: 0, maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 20, maxRecords: 4, batchSize: 4, topics: [{ topicId, partitions: [{ partitionIndex: 0, acknowledgementBatches: [] }] }], forgottenTopicsData: [] });
      expect(acquired(r)).toEqual([[0, 1], [1, 1], [2, 1], [3, 1]]);
      expect((await ack(raw, 'A', 1, 0, 1)).responses[0].partitions[0].errorCode).toBe(0);
      // The share coordinator dies; if it is not the leader too, the leader writes the next
      // acknowledgement (of 2) to the new one, which replayed its __share_group_state partition.
      await c.kill(shareCoordinator, 'SIGKILL');
      if (shareCoordinator !== first.leader) {
        const r2: any = await waitUntil('the acknowledgement of 2 at the new share coordinator', async () => {
          const a: any = await ack(raw, 'A', 2, 2, 2).catch(() => null);
          return a ?? undefined;
        }, 60_000);
        expect(r2.responses[0].partitions[0].errorCode).toBe(0);
      }
    });
    // Then the partition leader dies too (when it still runs): the new leader reads the state.
    if (c.isUp(first.leader)) await c.kill(first.leader, 'SIGKILL');
    const next = await waitUntil('a new leader of moved-0', async () => {
      const p = await leaderNow().catch(() => undefined);
      return p && p.leader > 0 && p.leader !== first.leader && c.isUp(p.leader) ? p : undefined;
    }, 60_000);
    const got = await waitUntil('member B fetches at the new leader', async () => {
      const r = await fetch(next.leader, 'B', 0, 10).catch(() => null);
      const code = r?.responses?.[0]?.partitions?.[0]?.errorCode;
      return code === 0 && acquired(r).length > 0 ? acquired(r) : undefined;
    }, 60_000);
    // 0-1 (and 2 when acknowledged above) never again; 3 (acquired, never acknowledged) with delivery count 2; the rest first deliveries.
    const acked = shareCoordinator !== first.leader ? [0, 1, 2] : [0, 1];
    const expected: Array<[number, number]> = [];
    for (let o = 0; o < 10; o++) if (!acked.includes(o)) expected.push([o, o <= 3 ? 2 : 1]);
    expect(got).toEqual(expected);
  }, 240_000);
});
