/**
 * The leader's ISR writes against a real etcd (src/replica/isr-etcd.ts, Kafka's AlterPartition
 * written directly): a change computed from the stored state is written with partitionEpoch + 1;
 * one computed from a state that moved (another partition epoch, leader epoch or leader) is
 * refused and answers what is stored; adding a broker that is not registered is refused; a leader
 * whose own registration is gone cannot write; the ISR never gains a non-replica or loses the
 * leader. Every answer is checked against etcd itself.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { EtcdIsrWriter } from '../../src/replica/isr-etcd.js';
import { TestCluster, partitionInEtcd } from './cluster-helpers.js';
import { type EtcdCluster, etcdMissing, startEtcd } from './etcd-harness.js';

describe.skipIf(etcdMissing)('ISR writes to etcd (AlterPartition)', () => {
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

  async function setup(name: string) {
    cluster = new TestCluster(etcd, name);
    const brokers = await Promise.all([1, 2, 3].map((id) => cluster.broker(id)));
    const store = await cluster.store();
    await (await cluster.topics(store)).createTopic({ name: 't', partitions: 1, replicationFactor: 3, configs: {} });
    const p = (await partitionInEtcd(store, 't', 0))!;
    return { brokers, store, p, writer: new EtcdIsrWriter(store) };
  }

  it('writes a change computed from the stored state, bumping the partition epoch; refuses a stale one with what is stored', async () => {
    const { store, p, writer } = await setup('isr-write');
    const others = p.replicas.filter((r) => r !== p.leader);
    const shrunk = p.isr.filter((r) => r !== others[0]);
    const r = await writer.alterIsr({ topic: 't', partition: 0, leader: p.leader, leaderEpoch: p.leaderEpoch, partitionEpoch: p.partitionEpoch, isr: shrunk, added: [] });
    expect(r).toEqual({ kind: 'ok', state: { leader: p.leader, leaderEpoch: p.leaderEpoch, partitionEpoch: p.partitionEpoch + 1, replicas: p.replicas, isr: shrunk } });
    const stored = (await partitionInEtcd(store, 't', 0))!;
    expect([stored.isr, stored.partitionEpoch, stored.leaderEpoch]).toEqual([shrunk, p.partitionEpoch + 1, p.leaderEpoch]);
    // The same request again: computed from partition epoch p.partitionEpoch, which moved.
    const stale = await writer.alterIsr({ topic: 't', partition: 0, leader: p.leader, leaderEpoch: p.leaderEpoch, partitionEpoch: p.partitionEpoch, isr: p.isr, added: [others[0]!] });
    expect(stale).toEqual({ kind: 'stale', state: { leader: p.leader, leaderEpoch: p.leaderEpoch, partitionEpoch: p.partitionEpoch + 1, replicas: p.replicas, isr: shrunk } });
    // Another leader epoch (a new leader elected meanwhile): refused.
    const fenced = await writer.alterIsr({ topic: 't', partition: 0, leader: p.leader, leaderEpoch: p.leaderEpoch - 1, partitionEpoch: p.partitionEpoch + 1, isr: [p.leader], added: [] });
    expect(fenced.kind).toBe('stale');
    expect((await partitionInEtcd(store, 't', 0))!.partitionEpoch).toBe(p.partitionEpoch + 1);
  });

  it('refuses to add a broker that is not registered, and a leader whose registration is gone cannot write', async () => {
    const { brokers, store, p, writer } = await setup('isr-dead');
    const others = p.replicas.filter((r) => r !== p.leader);
    const shrunk = (await writer.alterIsr({ topic: 't', partition: 0, leader: p.leader, leaderEpoch: p.leaderEpoch, partitionEpoch: p.partitionEpoch, isr: [p.leader, others[1]!], added: [] })) as { kind: 'ok'; state: { partitionEpoch: number } };
    expect(shrunk.kind).toBe('ok');
    // others[0] dies (its lease revoked): it may not come back into the ISR.
    const dead = brokers.find((b) => b.id === others[0])!;
    await store.revokeLease((await store.get(`brokers/${dead.id}`)).kv!.lease);
    await dead.registration.stop().catch(() => undefined);
    const refused = await writer.alterIsr({ topic: 't', partition: 0, leader: p.leader, leaderEpoch: p.leaderEpoch, partitionEpoch: shrunk.state.partitionEpoch, isr: [p.leader, others[1]!, others[0]!], added: [others[0]!] });
    expect(refused.kind).toBe('stale');
    expect((await partitionInEtcd(store, 't', 0))!.isr).toEqual([p.leader, others[1]!]);
    // The leader's own registration gone: nothing it proposes is written.
    const leader = brokers.find((b) => b.id === p.leader)!;
    await store.revokeLease((await store.get(`brokers/${leader.id}`)).kv!.lease);
    await leader.registration.stop().catch(() => undefined);
    const orphan = await writer.alterIsr({ topic: 't', partition: 0, leader: p.leader, leaderEpoch: p.leaderEpoch, partitionEpoch: shrunk.state.partitionEpoch, isr: [p.leader], added: [] });
    expect(orphan.kind).toBe('stale');
    expect((await partitionInEtcd(store, 't', 0))!.partitionEpoch).toBe(shrunk.state.partitionEpoch);
  });

  it('keeps the ISR to assigned replicas with the leader in it', async () => {
    const { store, p, writer } = await setup('isr-sane');
    const r = await writer.alterIsr({ topic: 't', partition: 0, leader: p.leader, leaderEpoch: p.leaderEpoch, partitionEpoch: p.partitionEpoch, isr: [p.leader, 42, p.leader], added: [] });
    expect(r.kind).toBe('ok');
    expect((await partitionInEtcd(store, 't', 0))!.isr).toEqual([p.leader]);
    const noLeader = await writer.alterIsr({ topic: 't', partition: 0, leader: p.leader, leaderEpoch: p.leaderEpoch, partitionEpoch: p.partitionEpoch + 1, isr: p.replicas.filter((x) => x !== p.leader), added: [] });
    expect(noLeader.kind).toBe('stale');
  });
});
