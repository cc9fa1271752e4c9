/**
 * Metadata (key 3) against fakes: the brokers and controller from the node port, every topic or
 * the requested ones (v0's empty list means all), errors for unknown and invalid names, and
 * auto-creation only when the broker and the request allow it.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../../protocol/errors.js';
import { newMetadataRequest, newMetadataRequestTopic, type MetadataResponse } from '../../../protocol/generated/index.js';
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
