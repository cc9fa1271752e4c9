/**
 * src/cluster/etcd.ts against a real etcd: transactions and their error kinds, deadlines on a
 * frozen member, watches that resume across an etcd restart without missing or repeating a
 * revision, compaction reported to the watch and healed by `reflect` with a fresh snapshot.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EtcdStore, type KeyValue, type WatchBatch, absent, isEtcdError, prefixEnd, unchanged } from '../../src/cluster/etcd.js';
import { reflect } from '../../src/cluster/reflect.js';
import { type EtcdCluster, TcpProxy, etcdMissing, eventually, startEtcd, uniquePrefix } from './etcd-harness.js';

describe('prefixEnd', () => {
  it('is the prefix with its last byte below 0xff incremented', () => {
    expect(prefixEnd(Buffer.from('a/'))).toEqual(Buffer.from('a0'));
    expect(prefixEnd(Buffer.from([0x61, 0xff]))).toEqual(Buffer.from([0x62]));
    expect(prefixEnd(Buffer.from([0xff]))).toEqual(Buffer.from([0]));
  });
});

describe.skipIf(etcdMissing)('etcd client', () => {
  let etcd: EtcdCluster;
  const stores: EtcdStore[] = [];
  const connect = async (prefix: string, timeoutMs?: number, endpoints?: string[]) => {
    const s = await etcd.connect(prefix, timeoutMs, endpoints);
    stores.push(s);
    return s;
  };

  beforeAll(async () => {
    etcd = await startEtcd();
  });
  afterAll(async () => {
    await Promise.all(stores.map((s) => s.close()));
    await etcd?.stop();
  });

  it('transactions: create-if-absent, compare-and-swap on the mod revision, gets of the branch taken', async () => {
    const s = await connect(uniquePrefix('txn'));
    const first = await s.txn([absent('k')], [{ op: 'put', key: 'k', value: 'v1' }], [{ op: 'get', key: 'k' }]);
    expect(first.succeeded).toBe(true);
    const again = await s.txn([absent('k')], [{ op: 'put', key: 'k', value: 'v2' }], [{ op: 'get', key: 'k' }]);
    expect(again.succeeded).toBe(false);
    expect(again.gets[0]![0]!.value.toString()).toBe('v1');
    expect(again.gets[0]![0]!.modRevision).toBe(first.revision);

    // Two writers read the same revision; the second CAS fails and the value is the first's.
    const rev = first.revision;
    await s.cas([unchanged('k', rev)], [{ op: 'put', key: 'k', value: 'a' }]);
    const lost = await s.cas([unchanged('k', rev)], [{ op: 'put', key: 'k', value: 'b' }]).catch((e) => e);
    expect(isEtcdError(lost, 'CasFailed')).toBe(true);
    expect((await s.get('k')).kv!.value.toString()).toBe('a');

    // A prefix delete removes exactly the keys under it.
    await s.cas([], [{ op: 'put', key: 'p/1', value: 'x' }, { op: 'put', key: 'p/2', value: 'x' }, { op: 'put', key: 'p2', value: 'y' }]);
    await s.cas([], [{ op: 'delete', key: 'p/', prefix: true }]);
    expect((await s.range('p')).kvs.map((kv) => kv.key)).toEqual(['p2']);
  });

  it('maps etcd refusals and lost leases to their kinds', async () => {
    const s = await connect(uniquePrefix('errors'));
    const tooMany = Array.from({ length: 200 }, (_, i) => ({ op: 'put' as const, key: `k${i}`, value: 'x' }));
    const e1 = await s.txn([], tooMany).catch((e) => e);
    expect(isEtcdError(e1, 'Rejected')).toBe(true);
    expect(String(e1.message)).toMatch(/too many operations/);
    const e2 = await s.keepAliveOnce('1234567').catch((e) => e);
    expect(isEtcdError(e2, 'LeaseNotFound')).toBe(true);
    const e3 = await s.cas([], [{ op: 'put', key: 'x', value: 'y', lease: '1234567' }]).catch((e) => e);
    expect(isEtcdError(e3, 'LeaseNotFound')).toBe(true);
    expect(await s.leaseTimeToLive('1234567')).toBe(-1);
  });

  it('reads a large range in pages at one revision', async () => {
    const s = await connect(uniquePrefix('range'));
    for (let i = 0; i < 25; i++) await s.cas([], Array.from({ length: 100 }, (_, j) => ({ op: 'put' as const, key: `r/${String(i * 100 + j).padStart(5, '0')}`, value: 'v' })));
    const { kvs, revision } = await s.range('r/');
    expect(kvs.length).toBe(2500);
    expect(new Set(kvs.map((k) => k.key)).size).toBe(2500);
    expect(kvs.every((k) => k.modRevision <= revision)).toBe(true);
  });

  it('a watch resumes after its connection is cut, without missing or repeating a revision', async () => {
    const prefix = uniquePrefix('resume');
    const proxy = await new TcpProxy(Number(new URL(etcd.member.endpoint).port)).start();
    try {
      const writer = await connect(prefix);
      const watcher = await connect(prefix, 2000, [proxy.endpoint]);
      const start = (await writer.currentRevision()) + 1;
      const seen: WatchBatch[] = [];
      const w = watcher.watchPrefix('w/', start, { events: (b) => seen.push(b), compacted: () => expect.fail('no compaction here') });
      const written: number[] = [];
      for (let i = 0; i < 60; i++) {
        written.push(await writer.cas([], [{ op: 'put', key: `w/${i % 7}`, value: String(i) }, { op: 'put', key: `w/x${i % 3}`, value: String(i) }]));
        if (i % 15 === 7) proxy.cut();
      }
      await eventually(() => seen.length === written.length, 10_000, 'all revisions delivered');
      expect(seen.map((b) => b.revision)).toEqual(written);
      expect(seen.every((b) => b.events.length === 2)).toBe(true);
      await w.close();
    } finally {
      await proxy.close();
    }
  });

  it('a keep-alive and a closed watch end their streams without failing the connection: the other watches stay, no circuit breaker opens', async () => {
    // etcd3 treats an error on a stream that is still writable (a cancel is one) as its host
    // failing: it closes the host's channels, and the streams still open on them (the watches)
    // are dropped together when the transport goes (here within grpc.keepalive_time_ms, 10 s),
    // each counting toward the host's circuit breaker — three at once open it, and every call,
    // keep-alives included, then fails for a second.
    const prefix = uniquePrefix('streams');
    const s = await connect(prefix);
    const lease = await s.grantLease(30);
    const from = (await s.currentRevision()) + 1;
    const seen: number[] = [];
    const keys = ['a/', 'b/', 'c/', 'e/', 'f/', 'g/'];
    const watches = keys.map((p) => s.watchPrefix(p, from, { events: (b) => seen.push(b.revision), compacted: () => expect.fail('no compaction here') }));
    await new Promise((r) => setTimeout(r, 200));
    await s.keepAliveOnce(lease.id);
    const extra = s.watchPrefix('d/', from, { events: () => undefined, compacted: () => undefined });
    await new Promise((r) => setTimeout(r, 100));
    await extra.close();
    const failures: string[] = [];
    for (const until = Date.now() + 13_000; Date.now() < until; ) {
      // A write (reads are retried, which would hide an open breaker).
      await s.cas([], [{ op: 'put', key: 'probe', value: 'x' }]).catch((e: Error) => failures.push(e.message));
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(failures).toEqual([]);
    const rev = await s.cas([], keys.map((k) => ({ op: 'put' as const, key: `${k}x`, value: '1' })));
    await eventually(() => seen.filter((r) => r === rev).length === keys.length, 5000, 'every watch delivered the write');
    for (const w of watches) await w.close();
  }, 30_000);

  /**
   * Endpoints that failed a few calls in a row (here: every connection cut by the proxies, as a
   * loaded etcd's deadlines would) must not leave the client refusing calls once they answer
   * again: before, one endpoint's cockatiel breaker, or all endpoints' together, refused every
   * call for a second — a lease keep-alive included, which can fence a healthy broker.
   */
  for (const endpoints of [1, 3]) {
    it(`${endpoints} endpoint(s) that failed several calls in a row: the next keep-alive goes through at once`, async () => {
      const port = Number(new URL(etcd.member.endpoint).port);
      const proxies = await Promise.all(Array.from({ length: endpoints }, () => new TcpProxy(port).start()));
      try {
        const s = await connect(uniquePrefix('breaker'), 2000, proxies.map((p) => p.endpoint));
        const lease = await s.grantLease(30);
        for (const p of proxies) {
          p.blocked = true;
          p.cut();
        }
        // Enough failed writes for every endpoint to fail three times in a row.
        let failed = 0;
        for (let i = 0; i < 6 * endpoints; i++) await s.cas([], [{ op: 'put', key: 'x', value: String(i) }]).catch(() => failed++);
        expect(failed).toBe(6 * endpoints);
        for (const p of proxies) p.blocked = false;
        const t0 = Date.now();
        expect(await s.keepAliveOnce(lease.id)).toBeGreaterThan(0);
        expect(Date.now() - t0).toBeLessThan(2000);
        await s.cas([], [{ op: 'put', key: 'x', value: 'after' }]);
      } finally {
        for (const p of proxies) await p.close();
      }
    });
  }

  it('a watch reports a compacted revision; reflect reads a fresh snapshot and goes on', async () => {
    const prefix = uniquePrefix('compact');
    const proxy = await new TcpProxy(Number(new URL(etcd.member.endpoint).port)).start();
    try {
      const writer = await connect(prefix);
      const reader = await connect(prefix, 2000, [proxy.endpoint]);
      await writer.cas([], [{ op: 'put', key: 'c/a', value: '1' }]);
      const snapshots: Array<{ kvs: KeyValue[]; revision: number }> = [];
      const batches: WatchBatch[] = [];
      const r = reflect(reader, 'c/', { snapshot: (kvs, revision) => snapshots.push({ kvs, revision }), events: (b) => batches.push(b) });
      await r.ready;
      expect(snapshots[0]!.kvs.map((k) => k.key)).toEqual(['c/a']);

      // Cut the reader off, write and compact past what it saw, let it back in.
      proxy.blocked = true;
      proxy.cut();
      await writer.cas([], [{ op: 'put', key: 'c/b', value: '2' }]);
      await writer.cas([], [{ op: 'delete', key: 'c/a' }]);
      const last = await writer.cas([], [{ op: 'put', key: 'c/c', value: '3' }]);
      await etcd.compact(last);
      proxy.blocked = false;

      await eventually(() => snapshots.length === 2, 10_000, 'a second snapshot after the compaction');
      expect(snapshots[1]!.kvs.map((k) => k.key)).toEqual(['c/b', 'c/c']);
      expect(snapshots[1]!.revision).toBeGreaterThanOrEqual(last);
      const next = await writer.cas([], [{ op: 'put', key: 'c/d', value: '4' }]);
      await eventually(() => batches.some((b) => b.revision === next), 5000, 'the watch goes on after the re-list');
      expect(r.revision).toBe(next);
      await r.close();

      // A plain watch from a compacted revision says so, and stops.
      let compacted = 0;
      const w = writer.watchPrefix('c/', 2, { events: () => undefined, compacted: (rev) => (compacted = rev) });
      await eventually(() => compacted > 0, 5000, 'compacted reported');
      expect(compacted).toBe(last);
      await w.close();
    } finally {
      await proxy.close();
    }
  });
});

describe.skipIf(etcdMissing)('etcd client, etcd restarted or frozen', () => {
  let etcd: EtcdCluster;
  beforeAll(async () => {
    etcd = await startEtcd();
  });
  afterAll(async () => {
    await etcd?.stop();
  });

  it('every call fails as Unavailable within its deadline while the member is frozen, and works after', async () => {
    const s = await etcd.connect(uniquePrefix('frozen'), 1000);
    try {
      etcd.member.freeze();
      const calls = { get: () => s.get('x'), cas: () => s.cas([], [{ op: 'put', key: 'x', value: 'y' }]), grantLease: () => s.grantLease(5) };
      for (const [name, call] of Object.entries(calls)) {
        const t0 = Date.now();
        const err = await (call() as Promise<unknown>).then((v) => ({ answered: v }), (e) => e);
        expect(isEtcdError(err, 'Unavailable'), `${name}: ${String((err as Error)?.message ?? JSON.stringify(err))}`).toBe(true);
        expect(Date.now() - t0).toBeLessThan(2000);
      }
      etcd.member.thaw();
      await eventually(() => s.cas([], [{ op: 'put', key: 'x', value: 'z' }]).then(() => true, () => false), 5000, 'writes after thaw');
    } finally {
      etcd.member.thaw();
      await s.close();
    }
  });

  it('a watch across an etcd restart delivers every revision once, in order', async () => {
    const prefix = uniquePrefix('restart');
    const writer = await etcd.connect(prefix);
    const watcher = await etcd.connect(prefix);
    try {
      const seen: number[] = [];
      const w = watcher.watchPrefix('', (await writer.currentRevision()) + 1, { events: (b) => seen.push(b.revision), compacted: () => expect.fail('no compaction') });
      const written: number[] = [];
      const write = async (n: number) => {
        for (let i = 0; i < n; i++) written.push(await writer.cas([], [{ op: 'put', key: `k${i % 5}`, value: String(i) }]));
      };
      await write(20);
      await etcd.restart();
      await eventually(() => writer.currentRevision().then(() => true, () => false), 5000, 'etcd back');
      await write(20);
      await eventually(() => seen.length >= written.length, 10_000, 'all delivered');
      expect(seen).toEqual(written);
      await w.close();
    } finally {
      await writer.close();
      await watcher.close();
    }
  });
});
