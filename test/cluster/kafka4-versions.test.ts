/**
 * The Kafka 4.x versions in a Runnel cluster: Fetch v16+ and Produce v13 addressed by topic id to
 * a broker that does not lead the partition answer NOT_LEADER_OR_FOLLOWER with KIP-951's leader
 * hint (the leader and its epoch) and the leader's endpoint, so the client goes straight there;
 * the leader serves the same request. Build first (the brokers run from dist/).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { etcdMissing } from './etcd-harness.js';
import { startRunnelCluster, type RunnelCluster } from './cluster-harness.js';
import { connectBroker, createTopicReady } from '../helpers/cluster-target.js';
import { ErrorCode } from '../../protocol/errors.js';
import { buildBatchSync } from '../../protocol/records/builder.js';

const ZERO = Buffer.alloc(16);

async function ask(cluster: RunnelCluster, id: number, key: number, version: number, body: object): Promise<any> {
  const c = await connectBroker(cluster, id);
  try {
    return await c.request(key, version, body as Record<string, unknown>);
  } finally {
    c.close();
  }
}

describe.skipIf(etcdMissing)('Kafka 4.x versions across a cluster (etcd)', () => {
  let cluster: RunnelCluster;
  beforeAll(async () => {
    cluster = await startRunnelCluster({ brokers: 2 });
  }, 120_000);
  afterAll(async () => {
    await cluster?.stop();
  });

  it('Fetch v16+ and Produce v13 by topic id: the non-leader hints at the leader; the leader serves', async () => {
    const [state] = await createTopicReady(cluster, { name: 'hints', partitions: 1, replicationFactor: 1 });
    const leader = state!.leader;
    const other = leader === 1 ? 2 : 1;
    const topicId: Buffer = (await ask(cluster, leader, 3, 12, { topics: [{ name: 'hints', topicId: ZERO }], allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false })).topics[0].topicId;
    const produce = (id: number) =>
      ask(cluster, id, 0, 13, { transactionalId: null, acks: -1, timeoutMs: 5000, topicData: [{ topicId, partitionData: [{ index: 0, records: buildBatchSync([{ key: null, value: Buffer.from('v') }]) }] }] });
    const refused = await produce(other);
    expect(refused.responses[0].partitionResponses[0]).toMatchObject({ errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER, currentLeader: { leaderId: leader, leaderEpoch: state!.leaderEpoch } });
    expect(refused.nodeEndpoints.map((e: any) => [e.nodeId, e.port])).toEqual([[leader, cluster.endpoint(leader).port]]);
    expect((await produce(leader)).responses[0].partitionResponses[0].errorCode).toBe(0);

    const fetch = (id: number, version: number) =>
      ask(cluster, id, 1, version, {
        replicaId: -1,
        replicaState: { replicaId: -1, replicaEpoch: -1 },
        maxWaitMs: 0,
        minBytes: 0,
        maxBytes: 1 << 20,
        isolationLevel: 1, // read_committed: only the leader serves it (no follower reads)
        sessionId: 0,
        sessionEpoch: -1,
        topics: [{ topicId, partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: 0, lastFetchedEpoch: -1, logStartOffset: -1, partitionMaxBytes: 1 << 20, replicaDirectoryId: ZERO, highWatermark: 9223372036854775807 }] }],
        forgottenTopicsData: [],
        rackId: '',
      });
    for (const version of [16, 18]) {
      const r = await fetch(other, version);
      expect(r.responses[0].topicId.equals(topicId)).toBe(true);
      expect(r.responses[0].partitions[0]).toMatchObject({ errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER, currentLeader: { leaderId: leader, leaderEpoch: state!.leaderEpoch } });
      expect(r.nodeEndpoints.map((e: any) => e.nodeId)).toEqual([leader]);
      const served = await fetch(leader, version);
      expect(served.responses[0].partitions[0]).toMatchObject({ errorCode: 0, highWatermark: 1 });
    }
    // Before v16: the error alone, as Kafka answers.
    const v15 = await fetch(other, 15);
    expect(v15.responses[0].partitions[0]).toMatchObject({ errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER, currentLeader: { leaderId: -1, leaderEpoch: -1 } });
  }, 120_000);
});
