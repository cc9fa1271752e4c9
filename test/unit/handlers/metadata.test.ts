/**
 * Metadata (key 3) against fakes: the brokers and controller from the node port, every topic or
 * the requested ones (v0's empty list means all), errors for unknown and invalid names, and
 * auto-creation only when the broker and the request allow it. In a cluster, brokers, controller
 * and partition states come from the metadata image.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../../protocol/errors.js';
import { newMetadataRequest, newMetadataRequestTopic, type MetadataResponse } from '../../../protocol/generated/index.js';
import { ClusterNode } from '../../../src/cluster/cluster-node.js';
import { type BrokerImage, type ClusterImage, EMPTY_IMAGE, type PartitionImage } from '../../../src/cluster/metadata-image.js';
import { fakeBroker, type FakeBroker } from './fakes.js';

const METADATA = 3;

function metaReq(names: string[] | null, allowAutoTopicCreation = false) {
  return newMetadataRequest({ topics: names === null ? null : names.map((name) => newMetadataRequestTopic({ name })), allowAutoTopicCreation });
}

const topicsOf = (res: MetadataResponse) => res.topics.map((t) => ({ name: t.name, errorCode: t.errorCode, partitions: t.partitions.length }));

let b: FakeBroker;
afterEach(() => b?.close());

describe('Metadata', () => {
  it('lists the broker, the controller, the cluster id and every topic with its partitions', async () => {
    b = fakeBroker();
    b.topics.add('a', 2);
    b.topics.add('b', 1);
    const res = await b.handle<MetadataResponse>(METADATA, 12, metaReq(null));
    expect(res.brokers).toEqual([{ nodeId: 1, host: 'broker.test', port: 9092, rack: null }]);
    expect(res).toMatchObject({ clusterId: 'fake-cluster', controllerId: 1 });
    expect(topicsOf(res)).toEqual([
      { name: 'a', errorCode: 0, partitions: 2 },
      { name: 'b', errorCode: 0, partitions: 1 },
    ]);
    expect(res.topics[0]!.partitions[1]).toMatchObject({ partitionIndex: 1, leaderId: 1, replicaNodes: [1], isrNodes: [1] });
  });

  it('treats an empty list as all topics in v0 only', async () => {
    b = fakeBroker();
    b.topics.add('a', 1);
    expect(topicsOf(await b.handle(METADATA, 0, metaReq([])))).toEqual([{ name: 'a', errorCode: 0, partitions: 1 }]);
    expect(topicsOf(await b.handle(METADATA, 1, metaReq([])))).toEqual([]);
  });

  it('answers unknown and invalid names per topic, each name once', async () => {
    b = fakeBroker({ config: { 'auto.create.topics.enable': false } });
    b.topics.add('a', 1);
    const res = await b.handle<MetadataResponse>(METADATA, 12, metaReq(['a', 'missing', 'bad name!', 'a'], true));
    expect(topicsOf(res)).toEqual([
      { name: 'a', errorCode: 0, partitions: 1 },
      { name: 'missing', errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, partitions: 0 },
      { name: 'bad name!', errorCode: ErrorCode.INVALID_TOPIC_EXCEPTION, partitions: 0 },
    ]);
    expect(b.topics.get('missing')).toBeUndefined();
  });

  it('creates unknown topics when the broker and the request (v4+) allow it, never the broker-state topics', async () => {
    b = fakeBroker({ config: { 'auto.create.topics.enable': true, 'num.partitions': 3 } });
    const refused = await b.handle<MetadataResponse>(METADATA, 12, metaReq(['new'], false));
    expect(topicsOf(refused)[0]!.errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    const res = await b.handle<MetadataResponse>(METADATA, 12, metaReq(['new', '__consumer_offsets'], true));
    expect(topicsOf(res)).toEqual([
      { name: 'new', errorCode: 0, partitions: 3 },
      { name: '__consumer_offsets', errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, partitions: 0 },
    ]);
    expect(b.partitions.get('new', 2)).toBeDefined();
  });
});

describe('Metadata in a cluster (ClusterNode over a metadata image)', () => {
  it('every registered broker, the elected controller, and each partition as the controller decided it', async () => {
    b = fakeBroker();
    b.topics.add('t', 2);
    const broker = (id: number, rack: string): BrokerImage => ({ id, rack, incarnation: String(id), shuttingDown: false, modRevision: 1, listeners: [{ name: 'PLAINTEXT', host: `h${id}`, port: 9000 + id, securityProtocol: 'PLAINTEXT' }] });
    const part = (partition: number, leader: number, leaderEpoch: number, replicas: number[], isr: number[]): PartitionImage => ({ topic: 't', partition, leader, leaderEpoch, partitionEpoch: 3, replicas, isr, adding: [], removing: [], modRevision: 1 });
    // Broker 3 is down: an offline replica of both partitions; partition 1 has no leader.
    const image: ClusterImage = {
      ...EMPTY_IMAGE,
      clusterId: 'from-etcd',
      controllerId: 2,
      brokers: new Map([[1, broker(1, 'a')], [2, broker(2, 'b')]]),
      partitions: new Map([['t', new Map([[0, part(0, 2, 7, [3, 2, 1], [2, 1])], [1, part(1, -1, 4, [3, 1], [3])]])]]),
    };
    const node = new ClusterNode(1, () => image, () => [{ name: 'PLAINTEXT', host: 'broker.test', port: 9092 }]);
    const res = await b.handle<MetadataResponse>(METADATA, 12, metaReq(['t']), { node });
    expect(res.brokers).toEqual([
      { nodeId: 1, host: 'h1', port: 9001, rack: 'a' },
      { nodeId: 2, host: 'h2', port: 9002, rack: 'b' },
    ]);
    expect(res).toMatchObject({ clusterId: 'from-etcd', controllerId: 2 });
    expect(res.topics[0]!.partitions.map((p) => [p.errorCode, p.leaderId, p.leaderEpoch, p.replicaNodes, p.isrNodes, p.offlineReplicas])).toEqual([
      [ErrorCode.NONE, 2, 7, [3, 2, 1], [2, 1], [3]],
      [ErrorCode.LEADER_NOT_AVAILABLE, -1, 4, [3, 1], [3], [3]],
    ]);
  });

  it('lists a departed broker while a listed partition still names it leader, and only then', async () => {
    b = fakeBroker();
    b.topics.add('t', 2);
    b.topics.add('u', 1);
    const broker = (id: number): BrokerImage => ({ id, rack: null, incarnation: String(id), shuttingDown: false, modRevision: 1, listeners: [{ name: 'PLAINTEXT', host: `h${id}`, port: 9000 + id, securityProtocol: 'PLAINTEXT' }] });
    const part = (topic: string, partition: number, leader: number): PartitionImage => ({ topic, partition, leader, leaderEpoch: 1, partitionEpoch: 1, replicas: [1, 2, 3], isr: [1, 2, 3], adding: [], removing: [], modRevision: 1 });
    // Broker 3's lease expired a moment ago: the controller has not yet moved t-1 off it.
    const image: ClusterImage = {
      ...EMPTY_IMAGE,
      controllerId: 1,
      brokers: new Map([[1, broker(1)], [2, broker(2)]]),
      departedBrokers: new Map([[3, broker(3)]]),
      partitions: new Map([
        ['t', new Map([[0, part('t', 0, 1)], [1, part('t', 1, 3)]])],
        ['u', new Map([[0, part('u', 0, 2)]])],
      ]),
    };
    const node = new ClusterNode(1, () => image, () => [{ name: 'PLAINTEXT', host: 'broker.test', port: 9092 }]);
    const all = await b.handle<MetadataResponse>(METADATA, 12, metaReq(['t', 'u']), { node });
    expect(all.brokers.map((x) => [x.nodeId, x.host, x.port])).toEqual([[1, 'h1', 9001], [2, 'h2', 9002], [3, 'h3', 9003]]);
    for (const t of all.topics) for (const p of t.partitions) expect(all.brokers.map((x) => x.nodeId)).toContain(p.leaderId);
    const onlyU = await b.handle<MetadataResponse>(METADATA, 12, metaReq(['u']), { node });
    expect(onlyU.brokers.map((x) => x.nodeId)).toEqual([1, 2]);
  });
});
