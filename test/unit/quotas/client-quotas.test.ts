/**
 * Client quota resolution and arithmetic: Kafka's precedence of entity matches (incl. defaults)
 * and who shares a rate, the sampled rate and throttle time, the store's validation, entity cap
 * and persistence (file backend, through the StorageFs seam).
 */
import { describe, expect, it } from 'vitest';
import { BrokerConfig, optionsLayer } from '../../../src/config/broker-config.js';
import { ClientQuotas, QuotaType } from '../../../src/quotas/client-quotas.js';
import { ClientQuotaStore, memoryQuotaBackend, type QuotaAlteration } from '../../../src/quotas/quota-store.js';
import { QuotaFile } from '../../../src/quotas/quota-file.js';
import { SampledRate } from '../../../src/quotas/sampled-rate.js';
import { realFs } from '../../../storage/fs.js';
import { removeDir, tempDir } from '../../helpers/broker.js';

const config = new BrokerConfig([optionsLayer({})]);
const e = (user?: string | null, client?: string | null) => [
  ...(user === undefined ? [] : [{ entityType: 'user', entityName: user }]),
  ...(client === undefined ? [] : [{ entityType: 'client-id', entityName: client }]),
];
const put = (entity: QuotaAlteration['entity'], value: number, key = 'producer_byte_rate'): QuotaAlteration => ({ entity, ops: [{ key, value, remove: false }] });

async function quotas(...alterations: QuotaAlteration[]) {
  const store = new ClientQuotaStore(memoryQuotaBackend());
  await store.open();
  const results = await store.alter(alterations, false);
  expect(results.every((r) => r.errorCode === 0), JSON.stringify(results)).toBe(true);
  let now = 1_000_000;
  const q = new ClientQuotas(store, config, () => now);
  return { store, q, advance: (ms: number) => (now += ms) };
}

describe('precedence (Kafka: user+client, user+default client, user, default user+client, default user+default client, default user, client, default client)', () => {
  const levels: Array<[string, QuotaAlteration['entity']]> = [
    ['user+client', e('alice', 'app')],
    ['user+default client', e('alice', null)],
    ['user', e('alice')],
    ['default user+client', e(null, 'app')],
    ['default user+default client', e(null, null)],
    ['default user', e(null)],
    ['client', e(undefined, 'app')],
    ['default client', e(undefined, null)],
  ];
  it('each level wins over every level below it', async () => {
    for (let i = 0; i < levels.length; i++) {
      const { q } = await quotas(...levels.slice(i).map(([, entity], j) => put(entity, 1000 * (i + j + 1))));
      expect(q.client(null, 'alice', 'app').sensors[QuotaType.Produce]!.bound, levels[i]![0]).toBe(1000 * (i + 1));
    }
  });
  it('resolves each quota type on its own, and nothing when no level has it', async () => {
    const { q } = await quotas(put(e('alice'), 10), put(e(undefined, 'app'), 20, 'consumer_byte_rate'));
    const s = q.client(null, 'alice', 'app').sensors;
    expect([s[QuotaType.Produce]!.bound, s[QuotaType.Fetch]!.bound, s[QuotaType.Request]]).toEqual([10, 20, null]);
    expect(q.client(null, 'bob', 'other').sensors.every((x) => x === null)).toBe(true);
  });
  it('shares a rate as Kafka\'s metric tags do: per user for a user quota, per client id for a client quota, per user for a default', async () => {
    const { q } = await quotas(put(e('alice'), 10), put(e(undefined, 'app'), 20), put(e(null), 30));
    const a1 = q.client(null, 'alice', 'one').sensors[0]!;
    const a2 = q.client(null, 'alice', 'two').sensors[0]!;
    expect(a1).toBe(a2); // alice's clients share alice's quota
    const b = q.client(null, 'bob', 'x').sensors[0]!;
    const c = q.client(null, 'carol', 'x').sensors[0]!;
    expect(b.bound).toBe(30);
    expect(b).not.toBe(c); // the default user quota applies to each user separately
  });
  it('keeps a connection\'s resolution until the quotas or its client id change', async () => {
    const { store, q } = await quotas(put(e(undefined, 'app'), 10));
    const first = q.client(null, 'ANONYMOUS', 'app');
    expect(q.client(first, 'ANONYMOUS', 'app')).toBe(first);
    expect(q.client(first, 'ANONYMOUS', 'other')).not.toBe(first);
    await store.alter([put(e(undefined, 'app'), 20)], false);
    expect(q.client(first, 'ANONYMOUS', 'app').sensors[0]!.bound).toBe(20);
  });
});

describe('rates and throttle times', () => {
  it('throttles by (rate - bound) / bound x window once the rate is over the bound', async () => {
    const { q, advance } = await quotas(put(e(undefined, 'app'), 1000));
    const s = q.client(null, 'u', 'app').sensors[0]!;
    expect(q.record(s, 1000)).toBe(0); // 1000 over the 1 s minimum window: at the bound
    expect(q.record(s, 1000)).toBe(1000); // 2000 over 1 s: one more second
    advance(5000);
    expect(q.record(s, 0)).toBe(0);
    expect(q.record(s, 1e9)).toBe(11_000); // capped at quota.window.num x window
  });
  it('Kafka\'s Rate window: at least minWindows, then the time since the oldest live sample', () => {
    const r = new SampledRate(11, 1000);
    r.record(100, 0);
    expect(r.windowSizeMs(500)).toBe(10_500);
    expect(r.measure(500)).toBeCloseTo(100 / 10.5);
    expect(r.measure(20_000)).toBe(0); // every sample expired
  });
});

describe('the store', () => {
  it('caps the entities with runnel.quota.max.entities (POLICY_VIOLATION), removal always allowed', async () => {
    const store = new ClientQuotaStore(memoryQuotaBackend(), 2);
    await store.open();
    const r = await store.alter([put(e('a'), 1), put(e('b'), 1), put(e('c'), 1)], false);
    expect(r.map((x) => x.errorCode)).toEqual([0, 0, 44]);
    expect((await store.alter([{ entity: e('a'), ops: [{ key: 'producer_byte_rate', value: 0, remove: true }] }], false))[0]!.errorCode).toBe(0);
    expect(store.all().map((x) => x.entity[0]!.entityName)).toEqual(['b']);
  });
  it('refuses entity names over runnel.quota.max.entity.name.length with INVALID_REQUEST', async () => {
    const store = new ClientQuotaStore(memoryQuotaBackend(), 10, 8);
    await store.open();
    const r = await store.alter([put(e(undefined, 'x'.repeat(9)), 1), put(e(undefined, 'x'.repeat(8)), 1)], false);
    expect(r).toEqual([
      { errorCode: 42, errorMessage: 'client-id entity name longer than runnel.quota.max.entity.name.length (8)' },
      { errorCode: 0, errorMessage: null },
    ]);
  });
  it('persists to client-quotas.json and loads it back', async () => {
    const dir = tempDir();
    try {
      const a = new ClientQuotaStore(new QuotaFile(dir, realFs));
      await a.open();
      await a.alter([put(e('alice', 'app'), 5), put([{ entityType: 'ip', entityName: null }], 3, 'connection_creation_rate')], false);
      const b = new ClientQuotaStore(new QuotaFile(dir, realFs));
      await b.open();
      expect(b.all()).toEqual(a.all());
      expect(b.clientEntities).toBe(1);
    } finally {
      removeDir(dir);
    }
  });
});
