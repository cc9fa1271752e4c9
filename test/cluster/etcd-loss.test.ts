/**
 * Losing etcd must not lose data (issue 16; docs/cluster.md, "Losing etcd"): a real etcd member and
 * three `dist/runnel.mjs` processes (cluster-harness.ts; build first), through the scenario of
 * etcd-outage.ts, with etcd
 *  - frozen (SIGSTOP: it holds its sockets and answers nothing), then thawed;
 *  - killed (SIGKILL), then started again on its data dir;
 * each for longer than broker.session.timeout.ms. Reads of acknowledged records go on, writes and
 * CreateTopics get retriable errors, nobody exits, the cluster recovers by itself, and nothing
 * acknowledged is lost.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { partitions, withBroker } from '../helpers/cluster-target.js';
import { type RunnelCluster, startRunnelCluster } from './cluster-harness.js';
import { etcdMissing } from './etcd-harness.js';
import { OUTAGE_PROPS, SESSION_MS, etcdOutage, waitAllRegistered } from './etcd-outage.js';

describe.skipIf(etcdMissing)('losing etcd: etcd + 3 broker processes', () => {
  let c: RunnelCluster;

  beforeAll(async () => {
    c = await startRunnelCluster({ brokers: 3, sessionTimeoutMs: SESSION_MS, props: OUTAGE_PROPS });
    await waitAllRegistered(c);
  }, 90_000);
  afterAll(async () => {
    await c?.stop();
  });

  it('etcd frozen (SIGSTOP) past the session timeout: reads go on, writes and CreateTopics get retriable errors, all recovers, nothing acknowledged is lost', async () => {
    await etcdOutage(
      c,
      'freeze',
      async () => c.etcd.member.freeze(),
      async () => c.etcd.member.thaw(),
    );
  }, 180_000);

  it('etcd killed (SIGKILL) past the session timeout and started again: the same', async () => {
    await etcdOutage(
      c,
      'kill',
      () => c.etcd.member.kill(),
      async () => {
        c.etcd.member.start();
        await c.etcd.member.waitHealthy();
      },
    );
  }, 180_000);

  it('after both outages the brokers agree on one controller and all three are registered', async () => {
    const views = await Promise.all(c.brokerIds.map((id) => withBroker(c, id, (raw) => raw.request(60, 0, {}))));
    const controllers = new Set(views.map((v: any) => v.controllerId));
    expect(controllers.size).toBe(1);
    expect([...controllers][0]).toBeGreaterThan(0);
    for (const v of views as any[]) expect(v.brokers.map((b: any) => b.brokerId).sort()).toEqual([1, 2, 3]);
    expect((await partitions(c, 'loss-kill')).every((p) => p.isr.length === 3)).toBe(true);
  });
});
