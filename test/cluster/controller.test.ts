/**
 * The controller against a real etcd (src/cluster/controller.ts): one controller at a time and a
 * new one when its lease goes (revoked, or expired after its keep-alives were cut, with the old
 * one stepping down first); on broker loss the first live ISR member leads and the ISR shrinks
 * with both epochs bumped; with unclean leader election off a partition whose ISR is all gone is
 * offline until its last ISR member returns, with it on the first live replica leads; controlled
 * shutdown moves leaderships away; preferred-leader election and auto rebalance move them back; a
 * broker that returns leading nothing causes no leader-epoch bump later.
 * Every assertion reads etcd itself.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../protocol/errors.js';
import { type Controller, electLeaders, writePartitions } from '../../src/cluster/controller.js';
import { controlledShutdown } from '../../src/cluster/controlled-shutdown.js';
import type { Leadership } from '../../src/cluster/election.js';
import type { MetadataImage } from '../../src/cluster/metadata-image.js';
import { SESSION_MS, TestCluster, partitionInEtcd } from './cluster-helpers.js';
import { type EtcdCluster, etcdMissing, eventually, startEtcd } from './etcd-harness.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.skipIf(etcdMissing)('controller', () => {
  let etcd: EtcdCluster;
  let cluster: TestCluster;
  beforeAll(async () => {
    etcd = await startEtcd();
  });
  afterEach(async () => {
    await cluster?.close();
  });
  afterAll(async () => {
    await etcd?.stop();
  });

  it('one controller at a time; when its lease is revoked the other takes over, and the old fence no longer writes', async () => {
    cluster = new TestCluster(etcd, 'failover');
    const observer = await cluster.store();
    const brokers = await Promise.all([1, 2].map((id) => cluster.broker(id)));
    const controllers = await Promise.all(brokers.map((b) => cluster.controller(b)));
    const active = () => controllers.map((c, i) => (c.controller.isActive() ? brokers[i]!.id : null)).filter((x) => x !== null);
    await eventually(() => active().length === 1, 5000, 'a controller');
    await sleep(300);
    expect(active()).toHaveLength(1);
    const first = active()[0]!;
    const firstIndex = first - 1;
    expect(controllers[1 - firstIndex]!.image.current().controllerId).toBe(first);
    const oldFence = (controllers[firstIndex]!.controller as unknown as { leadership: Leadership }).leadership.fence;

    // Its lease revoked (as etcd does when it expires): the other leads.
    const t0 = Date.now();
    await observer.revokeLease((await observer.get(`brokers/${first}`)).kv!.lease);
    await eventually(() => active().length === 1 && active()[0] !== first, 5000, 'the other controller');
    expect(Date.now() - t0).toBeLessThan(2000);
    await eventually(() => controllers[0]!.image.current().controllerId === 3 - first, 5000, 'image names the new controller');
    // The old controller's fence is dead: its writes fail.
    await cluster.topics(observer).then((t) => t.createTopic({ name: 'f', partitions: 1, replicationFactor: 1, configs: {} }));
    const p = (await partitionInEtcd(observer, 'f', 0))!;
    expect(await writePartitions(observer, [{ topic: 'f', partition: 0, modRevision: p.modRevision, next: { ...p, leaderEpoch: 99 } }], [oldFence], 128)).toBeNull();
    expect((await partitionInEtcd(observer, 'f', 0))!.leaderEpoch).toBe(0);
    // The old one registers again and is a candidate, not a second controller.
    await eventually(() => brokers[firstIndex]!.registration.current() !== null, 10_000, 're-registered');
    await sleep(500);
    expect(active()).toEqual([3 - first]);
  });

  it('a controller cut off from etcd steps down before its lease expires; the other takes over within the session timeout', async () => {
    cluster = new TestCluster(etcd, 'expiry');
    const b1 = await cluster.broker(1, { viaProxy: true });
    const { controller: c1 } = await cluster.controller(b1);
    await eventually(() => c1.isActive(), 5000, 'broker 1 controls');
    const b2 = await cluster.broker(2);
    const { controller: c2 } = await cluster.controller(b2);
    await sleep(300);
    expect(c2.isActive()).toBe(false);
    let inactiveAt = 0;
    let activeAt = 0;
    c1.on('inactive', () => (inactiveAt = Date.now()));
    (c2 as Controller).on('active', () => (activeAt = Date.now()));

    const cutAt = Date.now();
    b1.proxy!.blocked = true;
    b1.proxy!.cut();
    await eventually(() => activeAt > 0, SESSION_MS + 3000, 'broker 2 controls');
    expect(inactiveAt).toBeGreaterThan(0);
    expect(inactiveAt).toBeLessThanOrEqual(activeAt);
    // Within the lease TTL (2 s) plus etcd's expiry tick and the watch.
    expect(activeAt - cutAt).toBeLessThan(SESSION_MS + 1500);
    expect(c1.isActive()).toBe(false);
  });

  it('broker loss: the first live ISR member (replica order) leads, the ISR shrinks, epochs bump by CAS', async () => {
    cluster = new TestCluster(etcd, 'loss');
    const store = await cluster.store();
    const [, b2] = await Promise.all([1, 2, 3].map((id) => cluster.broker(id)));
    const { controller } = await cluster.controller(await cluster.broker(9));
    await eventually(() => controller.isActive(), 5000, 'controller');
    const topics = await cluster.topics(store);
    await topics.createTopic({ name: 'l', partitions: 0, replicationFactor: 0, assignments: [[2, 3, 1], [3, 1, 2], [1, 2, 3]], configs: {} });

    await b2!.registration.stop();
    await eventually(async () => (await partitionInEtcd(store, 'l', 0))!.leader === 3, 5000, 'p0 moved');
    await eventually(async () => (await partitionInEtcd(store, 'l', 2))!.isr.length === 2, 5000, 'p2 ISR shrunk');
    expect(await partitionInEtcd(store, 'l', 0)).toMatchObject({ leader: 3, isr: [3, 1], replicas: [2, 3, 1], leaderEpoch: 1, partitionEpoch: 1 });
    expect(await partitionInEtcd(store, 'l', 1)).toMatchObject({ leader: 3, isr: [3, 1], leaderEpoch: 0, partitionEpoch: 1 });
    expect(await partitionInEtcd(store, 'l', 2)).toMatchObject({ leader: 1, isr: [1, 3], leaderEpoch: 0, partitionEpoch: 1 });
    // Nothing more happens: the state is settled.
    const before = (await store.range('partitions/l/')).kvs.map((kv) => kv.modRevision);
    await sleep(500);
    expect((await store.range('partitions/l/')).kvs.map((kv) => kv.modRevision)).toEqual(before);
  });

  it('unclean off: offline (-1) until the last ISR member returns; unclean on (topic config): the first live replica leads', async () => {
    cluster = new TestCluster(etcd, 'offline');
    const store = await cluster.store();
    const [b1, b2] = await Promise.all([1, 2].map((id) => cluster.broker(id)));
    const { controller } = await cluster.controller(await cluster.broker(9));
    await eventually(() => controller.isActive(), 5000, 'controller');
    const topics = await cluster.topics(store);
    await topics.createTopic({ name: 'clean', partitions: 0, replicationFactor: 0, assignments: [[1, 2]], configs: {} });
    await topics.createTopic({ name: 'dirty', partitions: 0, replicationFactor: 0, assignments: [[1, 2]], configs: { 'unclean.leader.election.enable': 'true' } });
    const both = async (pred: (s: NonNullable<Awaited<ReturnType<typeof partitionInEtcd>>>) => boolean) =>
      pred((await partitionInEtcd(store, 'clean', 0))!) && pred((await partitionInEtcd(store, 'dirty', 0))!);

    await b1!.registration.stop();
    await eventually(() => both((s) => s.leader === 2 && s.isr.join() === '2'), 5000, 'broker 2 leads');
    await b2!.registration.stop();
    await eventually(() => both((s) => s.leader === -1), 5000, 'offline');
    for (const t of ['clean', 'dirty']) expect(await partitionInEtcd(store, t, 0)).toMatchObject({ leader: -1, isr: [2], leaderEpoch: 2, partitionEpoch: 2 });

    // Broker 1 returns: not in the ISR. The clean topic stays offline; the unclean one takes it.
    await cluster.broker(1);
    await eventually(async () => (await partitionInEtcd(store, 'dirty', 0))!.leader === 1, 5000, 'unclean leader');
    expect(await partitionInEtcd(store, 'dirty', 0)).toMatchObject({ leader: 1, isr: [1], leaderEpoch: 3 });
    await sleep(500);
    expect(await partitionInEtcd(store, 'clean', 0)).toMatchObject({ leader: -1, isr: [2], leaderEpoch: 2 });

    // Broker 2, the last ISR member, returns: it leads the clean topic again.
    await cluster.broker(2);
    await eventually(async () => (await partitionInEtcd(store, 'clean', 0))!.leader === 2, 5000, 'last ISR member leads');
    expect(await partitionInEtcd(store, 'clean', 0)).toMatchObject({ leader: 2, isr: [2], leaderEpoch: 3, partitionEpoch: 3 });
    expect(await partitionInEtcd(store, 'dirty', 0)).toMatchObject({ leader: 1, isr: [1], leaderEpoch: 3 });
  });

  it('controlled shutdown moves leaderships away; preferred-leader election brings one back', async () => {
    cluster = new TestCluster(etcd, 'shutdown');
    const store = await cluster.store();
    const [b1] = await Promise.all([1, 2, 3].map((id) => cluster.broker(id)));
    const { controller, image } = await cluster.controller(await cluster.broker(9));
    await eventually(() => controller.isActive(), 5000, 'controller');
    const topics = await cluster.topics(store);
    await topics.createTopic({ name: 'c', partitions: 0, replicationFactor: 0, assignments: [[1, 2, 3], [2, 3, 1], [1, 3, 2]], configs: {} });
    await eventually(() => image.current().partitions.get('c')?.size === 3, 5000);

    const result = await controlledShutdown(b1!.registration, image as MetadataImage, 1, 5000);
    expect(result).toEqual({ completed: true, remaining: 0 });
    expect(await partitionInEtcd(store, 'c', 0)).toMatchObject({ leader: 2, isr: [2, 3], leaderEpoch: 1 });
    expect(await partitionInEtcd(store, 'c', 1)).toMatchObject({ leader: 2, isr: [2, 3], leaderEpoch: 0 });
    expect(await partitionInEtcd(store, 'c', 2)).toMatchObject({ leader: 3, isr: [3, 2], leaderEpoch: 1 });
    await b1!.registration.stop();

    // Broker 1 returns; its leader adds it back to the ISR of partition 0 (as a leader would, by CAS).
    await cluster.broker(1);
    const p0 = (await partitionInEtcd(store, 'c', 0))!;
    // ElectLeaders before it is in the ISR: not available.
    const notYet = await electLeaders(store, image.current(), [{ topic: 'c', partition: 0 }], 0);
    expect(notYet[0]!.errorCode).toBe(ErrorCode.PREFERRED_LEADER_NOT_AVAILABLE);
    await writePartitions(store, [{ topic: 'c', partition: 0, modRevision: p0.modRevision, next: { ...p0, isr: [2, 3, 1], partitionEpoch: p0.partitionEpoch + 1 } }], [], 128);
    await eventually(() => image.current().partitions.get('c')!.get(0)!.isr.length === 3, 5000);
    const elected = await electLeaders(store, image.current(), [{ topic: 'c', partition: 0 }, { topic: 'c', partition: 1 }, { topic: 'c', partition: 7 }], 0);
    expect(elected.map((r) => r.errorCode)).toEqual([ErrorCode.NONE, ErrorCode.ELECTION_NOT_NEEDED, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]);
    expect(await partitionInEtcd(store, 'c', 0)).toMatchObject({ leader: 1, isr: [2, 3, 1], leaderEpoch: 2 });

    expect(await partitionInEtcd(store, 'c', 2)).toMatchObject({ leader: 3, leaderEpoch: 1 });

    // Broker 1 came back leading nothing, so its new incarnation needs no new epoch anywhere: a
    // topic created later (the controller plans again) keeps epoch 0, as Kafka's does.
    await topics.createTopic({ name: 'd', partitions: 0, replicationFactor: 0, assignments: [[1, 2, 3]], configs: {} });
    await eventually(() => image.current().partitions.get('d')?.size === 1, 5000);
    await sleep(500);
    expect(await partitionInEtcd(store, 'd', 0)).toMatchObject({ leader: 1, leaderEpoch: 0, partitionEpoch: 0 });
    expect(await partitionInEtcd(store, 'c', 0)).toMatchObject({ leader: 1, leaderEpoch: 2 });
  });

  it('auto leader rebalance moves leadership back to the preferred replica once it is in the ISR', async () => {
    cluster = new TestCluster(etcd, 'rebalance');
    const store = await cluster.store();
    const [b1] = await Promise.all([1, 2].map((id) => cluster.broker(id)));
    const { controller } = await cluster.controller(await cluster.broker(9), { autoLeaderRebalance: true, imbalanceCheckIntervalMs: 300 });
    await eventually(() => controller.isActive(), 5000, 'controller');
    await (await cluster.topics(store)).createTopic({ name: 'r', partitions: 0, replicationFactor: 0, assignments: [[1, 2]], configs: {} });
    await b1!.registration.stop();
    await eventually(async () => (await partitionInEtcd(store, 'r', 0))!.leader === 2, 5000, 'broker 2 leads');
    await cluster.broker(1);
    await sleep(700);
    // Not in the ISR yet: nothing moves.
    expect(await partitionInEtcd(store, 'r', 0)).toMatchObject({ leader: 2, isr: [2], leaderEpoch: 1 });
    const p = (await partitionInEtcd(store, 'r', 0))!;
    await writePartitions(store, [{ topic: 'r', partition: 0, modRevision: p.modRevision, next: { ...p, isr: [2, 1], partitionEpoch: p.partitionEpoch + 1 } }], [], 128);
    await eventually(async () => (await partitionInEtcd(store, 'r', 0))!.leader === 1, 5000, 'auto rebalance');
    expect(await partitionInEtcd(store, 'r', 0)).toMatchObject({ leader: 1, isr: [2, 1], leaderEpoch: 2 });
  });
});
