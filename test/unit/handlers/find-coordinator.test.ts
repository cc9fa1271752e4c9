/**
 * FindCoordinator (key 10) against fakes: this broker coordinates every group and transactional
 * id, at the address of the listener the client used; the coordinator's internal topic is created
 * first; unknown key types and stopping coordinators are answered with Kafka's errors. In a cluster
 * the coordinator is the leader of the key's partition in the metadata image.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../../protocol/errors.js';
import { newFindCoordinatorRequest, type FindCoordinatorResponse } from '../../../protocol/generated/index.js';
import { ClusterNode } from '../../../src/cluster/cluster-node.js';
import { type BrokerImage, type ClusterImage, EMPTY_IMAGE, type PartitionImage } from '../../../src/cluster/metadata-image.js';
import { offsetsPartitionFor } from '../../../src/groups/offsets-partition.js';
import { fakeBroker, noTransactions, type FakeBroker } from './fakes.js';

const FIND_COORDINATOR = 10;
const GROUP = 0;
const TRANSACTION = 1;

let b: FakeBroker;
afterEach(() => b?.close());

describe('FindCoordinator', () => {
  it('answers this broker, at the advertised address, after creating the offsets topic', async () => {
    b = fakeBroker();
    expect(b.offsetsLog.created).toBe(false);
    const res = await b.handle<FindCoordinatorResponse>(FIND_COORDINATOR, 3, newFindCoordinatorRequest({ key: 'g', keyType: GROUP }));
    expect(res).toMatchObject({ errorCode: 0, errorMessage: null, nodeId: 1, host: 'broker.test', port: 9092 });
    expect(b.offsetsLog.created).toBe(true);
  });

  it('answers each key of v4, for transactional ids too', async () => {
    b = fakeBroker();
    const res = await b.handle<FindCoordinatorResponse>(FIND_COORDINATOR, 4, newFindCoordinatorRequest({ keyType: TRANSACTION, coordinatorKeys: ['a', 'b'] }));
    expect(res.coordinators.map((c) => [c.key, c.nodeId, c.host, c.port, c.errorCode])).toEqual([
      ['a', 1, 'broker.test', 9092, 0],
      ['b', 1, 'broker.test', 9092, 0],
    ]);
  });

  it('refuses unknown key types and answers COORDINATOR_NOT_AVAILABLE while a coordinator stops', async () => {
    b = fakeBroker();
    const bad = await b.handle<FindCoordinatorResponse>(FIND_COORDINATOR, 3, newFindCoordinatorRequest({ key: 'x', keyType: 7 }));
    expect(bad).toMatchObject({ errorCode: ErrorCode.INVALID_REQUEST, nodeId: -1, host: '', port: -1 });
    const stoppingTxn = { ...noTransactions(), stopping: true };
    const txn = await b.handle<FindCoordinatorResponse>(FIND_COORDINATOR, 3, newFindCoordinatorRequest({ key: 't', keyType: TRANSACTION }), { txn: stoppingTxn });
    expect(txn.errorCode).toBe(ErrorCode.COORDINATOR_NOT_AVAILABLE);
    b.coordinator.shutdown();
    const group = await b.handle<FindCoordinatorResponse>(FIND_COORDINATOR, 3, newFindCoordinatorRequest({ key: 'g', keyType: GROUP }));
    expect(group).toMatchObject({ errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, errorMessage: 'COORDINATOR_NOT_AVAILABLE' });
  });

  it('answers COORDINATOR_NOT_AVAILABLE when the offsets topic cannot be created', async () => {
    b = fakeBroker();
    b.offsetsLog.ensure = () => Promise.reject(new Error('disk full'));
    const res = await b.handle<FindCoordinatorResponse>(FIND_COORDINATOR, 3, newFindCoordinatorRequest({ key: 'g', keyType: GROUP }));
    expect(res.errorCode).toBe(ErrorCode.COORDINATOR_NOT_AVAILABLE);
  });
});

describe('FindCoordinator in a cluster (ClusterNode over a metadata image)', () => {
  const broker = (id: number): BrokerImage => ({ id, rack: null, incarnation: String(id), shuttingDown: false, modRevision: 1, listeners: [{ name: 'PLAINTEXT', host: `h${id}`, port: 9000 + id, securityProtocol: 'PLAINTEXT' }] });
  function imageWith(topic: string, count: number, leaderOf: (p: number) => number): ClusterImage {
    const parts = new Map<number, PartitionImage>();
    for (let p = 0; p < count; p++) parts.set(p, { topic, partition: p, leader: leaderOf(p), leaderEpoch: 0, partitionEpoch: 0, replicas: [1, 2], isr: [1, 2], adding: [], removing: [], modRevision: 1 });
    return { ...EMPTY_IMAGE, brokers: new Map([1, 2].map((id) => [id, broker(id)])), partitions: new Map([[topic, parts]]) };
  }

  it('names the leader of the key\'s state-topic partition (Java String.hashCode), COORDINATOR_NOT_AVAILABLE without one', async () => {
    b = fakeBroker();
    const count = b.offsetsLog.partitionCount();
    const offline = offsetsPartitionFor('g', count);
    const image = imageWith('__consumer_offsets', count, (p) => (p === offline ? -1 : 2));
    const node = new ClusterNode(1, () => image, () => [{ name: 'PLAINTEXT', host: 'broker.test', port: 9092 }]);
    const other = ['h', 'i', 'j'].find((k) => offsetsPartitionFor(k, count) !== offline)!;
    const res = await b.handle<FindCoordinatorResponse>(FIND_COORDINATOR, 4, newFindCoordinatorRequest({ keyType: GROUP, coordinatorKeys: [other, 'g'] }), { node });
    expect(res.coordinators.map((c) => [c.key, c.nodeId, c.host, c.port, c.errorCode])).toEqual([
      [other, 2, 'h2', 9002, ErrorCode.NONE],
      ['g', -1, '', -1, ErrorCode.COORDINATOR_NOT_AVAILABLE],
    ]);
  });
});
