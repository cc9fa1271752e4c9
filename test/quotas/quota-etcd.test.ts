/**
 * Client quotas in cluster mode: every broker's quota store follows the same etcd prefix, so a
 * quota set through one broker (AlterClientQuotas) is enforced by all of them; removals and a
 * broker started later see the same set.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EtcdCluster, etcdMissing, eventually, startEtcd, uniquePrefix } from '../cluster/etcd-harness.js';
import type { EtcdStore } from '../../src/cluster/etcd.js';
import { ClientQuotaStore } from '../../src/quotas/quota-store.js';
import { QuotaEtcd } from '../../src/quotas/quota-etcd.js';

describe.skipIf(etcdMissing)('client quotas in etcd', () => {
  let etcd: EtcdCluster;
  const clients: EtcdStore[] = [];
  const stores: ClientQuotaStore[] = [];
  beforeAll(async () => {
    etcd = await startEtcd();
  }, 30_000);
  afterAll(async () => {
    for (const s of stores) await s.close();
    for (const c of clients) await c.close();
    await etcd?.stop();
  });

  async function broker(prefix: string): Promise<ClientQuotaStore> {
    const c = await etcd.connect(prefix);
    clients.push(c);
    const s = new ClientQuotaStore(new QuotaEtcd(c));
    stores.push(s);
    await s.open();
    return s;
  }

  it('a quota set through one broker reaches the others, and so does its removal', async () => {
    const prefix = uniquePrefix('quotas');
    const [a, b] = [await broker(prefix), await broker(prefix)];
    const client = [{ entityType: 'client-id', entityName: 'app' }];
    const user = [{ entityType: 'user', entityName: 'alice' }, { entityType: 'client-id', entityName: null }];
    const results = await a.alter(
      [
        { entity: client, ops: [{ key: 'producer_byte_rate', value: 1024, remove: false }] },
        { entity: user, ops: [{ key: 'request_percentage', value: 25.5, remove: false }] },
      ],
      false,
    );
    expect(results.map((r) => r.errorCode)).toEqual([0, 0]);
    await eventually(() => b.clientEntities === 2, 5000, 'broker b sees both quotas');
    expect(b.value('client-id="app"', 'producer_byte_rate')).toBe(1024);
    expect(b.value('user="alice"|client-id', 'request_percentage')).toBe(25.5);
    const late = await broker(prefix);
    expect(late.all()).toEqual(expect.arrayContaining(a.all()));
    await b.alter([{ entity: client, ops: [{ key: 'producer_byte_rate', value: 0, remove: true }] }], false);
    await eventually(() => a.clientEntities === 1 && late.clientEntities === 1, 5000, 'the removal reaches a and the late broker');
    expect(a.value('client-id="app"', 'producer_byte_rate')).toBeUndefined();
  }, 30_000);
});
