/**
 * KIP-890 transactions (transaction.version 2, a new cluster's level) across a Runnel cluster: a
 * real etcd and two `dist/runnel.mjs` processes (build first). The Java 4.4 transactional producer
 * sends no AddPartitionsToTxn: every partition's leader adds its partition to the transaction
 * itself, and for the partitions led by the broker that is not the transactional id's coordinator
 * that means asking the coordinator over the inter-broker listener (AddPartitionsToTxn v5,
 * src/txn/cluster-markers.ts). The commit's markers then reach every partition (read_committed
 * sees every committed record, the last stable offsets advance everywhere) and the aborted
 * transaction's records are never seen. A client before transaction version 2 writing, without
 * AddPartitionsToTxn, to a partition led by the broker that does not coordinate its id is refused
 * there (INVALID_TXN_STATE, TRANSACTION_ABORTABLE from Produce v11): the leader verified it with the
 * coordinator (KIP-890 part 1).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildBatchSync } from '../../protocol/records/builder.js';
import { createTopicReady, withBroker } from '../helpers/cluster-target.js';
import { ensureJavaBuilt, runJavaOk } from '../helpers/java.js';
import { type RunnelCluster, startRunnelCluster } from './cluster-harness.js';
import { TXN_KEY, latestOffset, waitCoordinator } from './coordinator-helpers.js';
import { etcdMissing } from './etcd-harness.js';

const TOPIC = 'tv2-cluster';
const PARTITIONS = 4;

describe.skipIf(etcdMissing)('transaction.version 2 across a cluster: implicit adds at the coordinator broker', () => {
  let c: RunnelCluster;

  beforeAll(async () => {
    await ensureJavaBuilt();
    c = await startRunnelCluster({ brokers: 2, props: { 'transaction.state.log.num.partitions': 2, 'group.initial.rebalance.delay.ms': 0 } });
  }, 300_000);
  afterAll(async () => {
    await c?.stop();
  });

  it('the Java producer commits and aborts with partitions led by both brokers; read_committed sees exactly the commits', async () => {
    const parts = await createTopicReady(c, { name: TOPIC, partitions: PARTITIONS, replicationFactor: 1 });
    const leaders = new Set(parts.map((p) => p.leader));
    expect(leaders.size).toBe(2);
    const id = 'tv2-cluster-txn';
    const coordinator = await waitCoordinator(c, id, TXN_KEY);
    // Some partitions are led by the other broker: their implicit adds are forwarded.
    expect(parts.some((p) => p.leader !== coordinator)).toBe(true);

    const committed = await runJavaOk('Produce', ['--bootstrap', c.bootstrap, '--topic', TOPIC, '--count', '400', '--key-pattern', 'k%d', '--value-pattern', 'c-%d', '--transactional-id', id]);
    expect(committed.acked).toBe(400);
    const aborted = await runJavaOk('Produce', ['--bootstrap', c.bootstrap, '--topic', TOPIC, '--count', '200', '--key-pattern', 'k%d', '--value-pattern', 'a-%d', '--transactional-id', id, '--abort', 'true']);
    expect(aborted.acked).toBe(200);

    // The epoch was bumped by each end (TV2): 0 → commit 1 → InitProducerId 2 → abort 3.
    const described = await runJavaOk('Admin', ['describe-transactions', '--bootstrap', c.bootstrap, '--id', id]);
    expect(described.transactions[id]).toMatchObject({ state: 'CompleteAbort', producerEpoch: 3 });

    // Markers reached every partition: the last stable offset is the high watermark everywhere.
    for (const p of parts) {
      const hw = await latestOffset(c, p.leader, TOPIC, p.partition, 0);
      const lso = await latestOffset(c, p.leader, TOPIC, p.partition, 1);
      expect({ partition: p.partition, lso }).toEqual({ partition: p.partition, lso: hw });
    }
    const assign = Array.from({ length: PARTITIONS }, (_, p) => `${TOPIC}:${p}`).join(',');
    const rc = await runJavaOk('Consume', ['--bootstrap', c.bootstrap, '--topic', TOPIC, '--assign', assign, '--from-beginning', '--isolation', 'read_committed', '--idle-ms', '2000', '--timeout-ms', '30000']);
    expect(rc.count).toBe(400);
    expect(rc.valueChecksum).toBe(committed.valueChecksum);
    // Described by the coordinator with no partitions left: the forwarded adds were its own.
    const state = await withBroker(c, coordinator, (raw) => raw.request<any>(65, 0, { transactionalIds: [id] }));
    expect(state.transactionStates[0]).toMatchObject({ errorCode: 0, transactionState: 'CompleteAbort', topics: [] });
  }, 240_000);

  it('a write of an older client to a partition not in its transaction is verified at the coordinator broker and refused', async () => {
    const topic = 'tv1-verify';
    const parts = await createTopicReady(c, { name: topic, partitions: PARTITIONS, replicationFactor: 1 });
    const id = 'tv1-cluster-txn';
    const coordinator = await waitCoordinator(c, id, TXN_KEY);
    const remote = parts.find((p) => p.leader !== coordinator)!;
    const init: any = await withBroker(c, coordinator, (raw) => raw.request(22, 4, { transactionalId: id, transactionTimeoutMs: 60_000, producerId: -1, producerEpoch: -1 }));
    expect(init.errorCode).toBe(0);
    const pid = Number(init.producerId);
    const epoch = init.producerEpoch as number;
    const produce = (v: number, seq: number) =>
      withBroker(c, remote.leader, (raw) =>
        raw.request<any>(0, v, {
          transactionalId: id,
          acks: -1,
          timeoutMs: 10_000,
          topicData: [{ name: topic, partitionData: [{ index: remote.partition, records: buildBatchSync([{ value: `v${seq}` }], { producerId: pid, producerEpoch: epoch, baseSequence: seq, transactional: true }) }] }],
        }),
      ).then((r) => r.responses[0].partitionResponses[0].errorCode);
    expect(await produce(9, 0)).toBe(48); // INVALID_TXN_STATE
    expect(await produce(11, 0)).toBe(120); // TRANSACTION_ABORTABLE
    const add: any = await withBroker(c, coordinator, (raw) => raw.request(24, 3, { transactionalId: id, producerId: pid, producerEpoch: epoch, topics: [{ name: topic, partitions: [remote.partition] }] }));
    expect(add.resultsByTopicV3AndBelow[0].resultsByPartition[0].partitionErrorCode).toBe(0);
    expect(await produce(9, 0)).toBe(0);
    const end: any = await withBroker(c, coordinator, (raw) => raw.request(26, 3, { transactionalId: id, producerId: pid, producerEpoch: epoch, committed: true }));
    expect(end.errorCode).toBe(0);
    expect(await latestOffset(c, remote.leader, topic, remote.partition, 1)).toBe(2);
  }, 120_000);
});
