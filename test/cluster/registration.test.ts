/**
 * Broker registration against a real etcd (src/cluster/registration.ts): P/brokers/<id> under a
 * lease, the cluster id created once and checked against meta.properties' (Kafka's
 * InconsistentClusterIdException), a second broker with the same node.id refused, and the
 * self-fencing clock: when keep-alives stop getting through, the broker counts its lease lost
 * before etcd expires it, then registers again with a new incarnation once etcd is reachable.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DuplicateNodeIdError, InconsistentClusterIdError, joinClusterId } from '../../src/cluster/registration.js';
import { HEARTBEAT_MS, SESSION_MS, TestCluster, brokerInEtcd } from './cluster-helpers.js';
import { type EtcdCluster, etcdMissing, eventually, startEtcd } from './etcd-harness.js';

describe.skipIf(etcdMissing)('broker registration', () => {
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

  it('registers P/brokers/<id> under its lease (incarnation = lease id); stop revokes it at once', async () => {
    cluster = new TestCluster(etcd, 'reg');
    const observer = await cluster.store();
    const b = await cluster.broker(1, { rack: 'r1' });
    const { kv } = await observer.get('brokers/1');
    expect(kv).not.toBeNull();
    const value = JSON.parse(kv!.value.toString());
    expect(value).toMatchObject({ id: 1, rack: 'r1', listeners: [{ name: 'PLAINTEXT', host: '127.0.0.1', port: 9001, securityProtocol: 'PLAINTEXT' }] });
    expect(value.incarnation).toBe(kv!.lease);
    const ttl = await observer.leaseTimeToLive(kv!.lease);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(Math.ceil(SESSION_MS / 1000));
    // Keep-alives hold it past the TTL.
    await new Promise((r) => setTimeout(r, SESSION_MS + 500));
    expect((await brokerInEtcd(observer, 1))?.incarnation).toBe(value.incarnation);
    expect(b.registration.isFenced()).toBe(false);
    await b.registration.stop();
    expect(await brokerInEtcd(observer, 1)).toBeNull();
    expect(await observer.leaseTimeToLive(value.incarnation)).toBe(-1);
  });

  it('the cluster id is created once (concurrent brokers agree); a different stored or configured id refuses the start', async () => {
    cluster = new TestCluster(etcd, 'clusterid');
    const stores = await Promise.all([1, 2, 3, 4, 5].map(() => cluster.store()));
    const ids = await Promise.all(stores.map((s, i) => joinClusterId(s, { stored: null, configured: null, fresh: `fresh-${i}` })));
    expect(new Set(ids).size).toBe(1);
    expect(ids[0]).toMatch(/^fresh-[0-4]$/);
    const { kv } = await stores[0]!.get('cluster');
    expect(JSON.parse(kv!.value.toString())).toEqual({ clusterId: ids[0] });

    // A data directory of this cluster joins; a fresh one takes etcd's id.
    expect(await joinClusterId(stores[0]!, { stored: ids[0]!, configured: null, fresh: 'x' })).toBe(ids[0]);
    expect(await joinClusterId(stores[0]!, { stored: null, configured: null, fresh: 'x' })).toBe(ids[0]);
    // Another cluster's data directory, or a configured cluster.id that is not etcd's: refused.
    const stored = await joinClusterId(stores[0]!, { stored: 'other-cluster', configured: null, fresh: 'x' }).catch((e) => e);
    expect(stored).toBeInstanceOf(InconsistentClusterIdError);
    expect(stored.message).toBe(
      `The Cluster ID ${ids[0]} doesn't match stored clusterId other-cluster in meta.properties. The broker is trying to join the wrong cluster. Configured runnel.etcd.endpoints or runnel.etcd.prefix may be wrong.`,
    );
    await expect(joinClusterId(stores[0]!, { stored: null, configured: 'configured-other', fresh: 'x' })).rejects.toThrow(InconsistentClusterIdError);
    // Nothing was overwritten.
    expect(JSON.parse((await stores[0]!.get('cluster')).kv!.value.toString())).toEqual({ clusterId: ids[0] });
  });

  it('a second broker with the same node.id is refused with a clear error; the first stays registered', async () => {
    cluster = new TestCluster(etcd, 'dup');
    const observer = await cluster.store();
    const first = await cluster.broker(7);
    const incarnation = first.registration.current()!.incarnation;
    const second = await cluster.broker(7, { start: false });
    const t0 = Date.now();
    const err = await second.registration.start().catch((e) => e);
    const waited = Date.now() - t0;
    expect(err).toBeInstanceOf(DuplicateNodeIdError);
    expect(err.message).toMatch(/^node\.id 7 is registered in etcd \(.*\/brokers\/7\) by a live broker \(incarnation \d+, listeners PLAINTEXT:\/\/127\.0\.0\.1:9007\).*Every broker needs its own node\.id\.$/);
    // It waited out a lease TTL first (a crashed broker's own registration would have expired).
    expect(waited).toBeGreaterThanOrEqual(SESSION_MS);
    expect(waited).toBeLessThan(SESSION_MS + HEARTBEAT_MS + 3000);
    expect((await brokerInEtcd(observer, 7))?.incarnation).toBe(incarnation);
    expect(first.registration.isFenced()).toBe(false);
    // No lease of the refused broker is left behind holding anything.
    expect((await observer.range('brokers/')).kvs.map((k) => k.key)).toEqual(['brokers/7']);
  });

  it('keep-alives cut off: fenced before etcd expires the lease, the lease expires, then a new incarnation registers', async () => {
    cluster = new TestCluster(etcd, 'fence');
    const observer = await cluster.store();
    const b = await cluster.broker(3, { viaProxy: true });
    const old = b.registration.current()!.incarnation;
    const events: string[] = [];
    let fencedAt = 0;
    let keyAtFence: Promise<unknown> | null = null;
    let ttlAtFence: Promise<number> | null = null;
    b.registration.on('fenced', () => {
      fencedAt = Date.now();
      events.push('fenced');
      keyAtFence = brokerInEtcd(observer, 3);
      ttlAtFence = observer.leaseTimeToLive(old);
    });
    b.registration.on('unfenced', () => events.push('unfenced'));

    await new Promise((r) => setTimeout(r, HEARTBEAT_MS * 2));
    const lastKeepAlive = Date.now() - (performance.now() - b.registration.lastKeepAlive());
    b.proxy!.blocked = true;
    b.proxy!.cut();
    const cutAt = Date.now();

    await eventually(() => fencedAt > 0, SESSION_MS + 2000, 'fenced');
    // The clock: last acknowledged keep-alive + session timeout - 1 s (timers may run a little late).
    expect(fencedAt).toBeGreaterThanOrEqual(lastKeepAlive + SESSION_MS - 1000 - 5);
    expect(fencedAt).toBeLessThan(Math.max(lastKeepAlive, cutAt) + SESSION_MS - 1000 + 300);
    expect(b.registration.isFenced()).toBe(true);
    expect(b.registration.current()).toBeNull();
    // At that moment etcd still had the registration: the broker stopped first.
    expect(((await keyAtFence!) as { incarnation: string } | null)?.incarnation).toBe(old);
    // etcd reports whole seconds left: 0 is "under a second", -1 would be "gone".
    expect(await ttlAtFence!).toBeGreaterThanOrEqual(0);

    // etcd expires the lease (the broker can no longer keep it alive).
    await eventually(async () => (await brokerInEtcd(observer, 3)) === null, SESSION_MS + 3000, 'lease expired in etcd');
    const expiredAt = Date.now();
    expect(expiredAt).toBeGreaterThan(fencedAt);
    expect(await observer.leaseTimeToLive(old)).toBe(-1);

    // etcd reachable again: a new registration with a new incarnation.
    b.proxy!.blocked = false;
    await eventually(() => events.includes('unfenced'), 15_000, 're-registered');
    const now = b.registration.current()!;
    expect(now.incarnation).not.toBe(old);
    expect((await brokerInEtcd(observer, 3))?.incarnation).toBe(now.incarnation);
    expect(b.registration.isFenced()).toBe(false);
    expect(events).toEqual(['fenced', 'unfenced']);
  });

  it('markShuttingDown flags the registration under the same lease', async () => {
    cluster = new TestCluster(etcd, 'shutdown');
    const observer = await cluster.store();
    const b = await cluster.broker(4);
    const incarnation = b.registration.current()!.incarnation;
    await b.registration.markShuttingDown();
    const { kv } = await observer.get('brokers/4');
    expect(JSON.parse(kv!.value.toString())).toMatchObject({ id: 4, incarnation, shuttingDown: true });
    expect(kv!.lease).toBe(incarnation);
  });
});
