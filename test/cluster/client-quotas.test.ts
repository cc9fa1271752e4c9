/**
 * Client quotas in a Runnel cluster: a quota set through one broker (AlterClientQuotas, stored in
 * etcd) is described and enforced by the other, and a broker restarted later still has it.
 * Build first (the brokers run from dist/).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { etcdMissing } from './etcd-harness.js';
import { startRunnelCluster, type RunnelCluster } from './cluster-harness.js';
import { connectBroker, createTopicReady, waitUntil } from '../helpers/cluster-target.js';
import { API_CODECS } from '../../protocol/generated/index.js';
import { buildBatchSync } from '../../protocol/records/builder.js';
import { Reader } from '../../protocol/primitives.js';
import { readResponseHeader } from '../../protocol/headers.js';
import { RawClient } from '../helpers/raw-client.js';

describe.skipIf(etcdMissing)('client quotas across a cluster (etcd)', () => {
  let cluster: RunnelCluster;
  beforeAll(async () => {
    cluster = await startRunnelCluster({ brokers: 2 });
  }, 120_000);
  afterAll(async () => {
    await cluster?.stop();
  });

  it('a quota set through broker 1 is described and enforced by broker 2', async () => {
    const states = await createTopicReady(cluster, { name: 'cq', partitions: 1, replicationFactor: 1 });
    const leader = states[0]!.leader;
    const other = leader === 1 ? 2 : 1;
    const setter = await connectBroker(cluster, other);
    try {
      const res = await setter.request(49, 1, { entries: [{ entity: [{ entityType: 'client-id', entityName: 'cq-client' }], ops: [{ key: 'producer_byte_rate', value: 1024, remove: false }] }], validateOnly: false });
      expect(res.entries[0].errorCode).toBe(0);
    } finally {
      setter.close();
    }
    const c = await connectBroker(cluster, leader);
    try {
      await waitUntil('the leader describes the quota', async () => {
        const d = await c.request(48, 1, { components: [{ entityType: 'client-id', matchType: 0, match: 'cq-client' }], strict: false });
        return d.entries.length === 1 ? true : undefined;
      }, 10_000);
      // 64 KiB at 1 KiB/s through the partition's leader: throttled there.
      const p = await RawClient.connect(cluster.endpoint(leader).host, cluster.endpoint(leader).port);
      try {
        const body = API_CODECS.get(0)!.newRequest({ acks: 1, timeoutMs: 5000, topicData: [{ name: 'cq', partitionData: [{ index: 0, records: buildBatchSync([{ key: null, value: Buffer.alloc(64 * 1024) }]) }] }] });
        p.write(RawClient.encodeRequest(0, 9, body, 1, 'cq-client'));
        const r = new Reader((await p.readFrame(10_000))!);
        readResponseHeader(r, true);
        const produced = API_CODECS.get(0)!.decodeResponse(r, 9) as any;
        expect(produced.responses[0].partitionResponses[0].errorCode).toBe(0);
        expect(produced.throttleTimeMs).toBeGreaterThan(1000);
      } finally {
        p.close();
      }
    } finally {
      c.close();
    }
    // Restarted, the broker reads the quotas back from etcd.
    await cluster.killBroker(leader);
    await cluster.startBroker(leader);
    const again = await connectBroker(cluster, leader);
    try {
      const d = await again.request(48, 1, { components: [], strict: false });
      expect(d.entries).toEqual([{ entity: [{ entityType: 'client-id', entityName: 'cq-client' }], values: [{ key: 'producer_byte_rate', value: 1024 }] }]);
    } finally {
      again.close();
    }
  }, 120_000);
});
