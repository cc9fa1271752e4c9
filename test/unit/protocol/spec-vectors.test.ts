/**
 * Hand-checked byte vectors, written from the Kafka protocol guide's encoding rules (not from our
 * encoder): int16/int32/int64 big-endian; STRING = int16 length + UTF-8; NULLABLE_STRING length -1
 * for null; ARRAY = int32 count (-1 null); flexible versions use COMPACT_* forms (unsigned varint
 * of length + 1, 0 for null) and end every struct with a tagged-field section (uvarint count, then
 * uvarint tag, uvarint size, bytes).
 */
import { describe, expect, it } from 'vitest';
import * as G from '../../../protocol/generated/index.js';
import { Reader, Writer } from '../../../protocol/primitives.js';

/** Bytes from a hex string; spaces and `|` are for reading only. */
function hex(s: string): Buffer {
  return Buffer.from(s.replace(/[\s|]/g, ''), 'hex');
}

const ascii = (s: string) => Buffer.from(s, 'latin1').toString('hex');

function enc<M>(size: (v: number, m: M) => number, encode: (w: Writer, v: number, m: M) => void, v: number, m: M): Buffer {
  const n = size(v, m);
  const w = new Writer(n);
  encode(w, v, m);
  expect(w.offset).toBe(n);
  return w.finish();
}

function dec<M>(decode: (r: Reader, v: number) => M, v: number, bytes: Buffer): M {
  const r = new Reader(bytes);
  const m = decode(r, v);
  expect(r.error).toBeNull();
  expect(r.offset).toBe(bytes.length);
  return m;
}

describe('ApiVersions', () => {
  it('v0 request body is empty', () => {
    const bytes = enc(G.sizeApiVersionsRequest, G.encodeApiVersionsRequest, 0, G.newApiVersionsRequest({ clientSoftwareName: 'ignored in v0' }));
    expect(bytes.length).toBe(0);
    expect(dec(G.decodeApiVersionsRequest, 0, Buffer.alloc(0))).toEqual(G.newApiVersionsRequest());
  });

  it('v3 request: compact strings and an empty tag section', () => {
    // 0x08 = uvarint(7 + 1), "kafkajs"; 0x06 = uvarint(5 + 1), "2.2.4"; 0x00 = no tagged fields.
    const bytes = hex(`08 ${ascii('kafkajs')} 06 ${ascii('2.2.4')} 00`);
    const m = G.newApiVersionsRequest({ clientSoftwareName: 'kafkajs', clientSoftwareVersion: '2.2.4' });
    expect(enc(G.sizeApiVersionsRequest, G.encodeApiVersionsRequest, 3, m)).toEqual(bytes);
    expect(dec(G.decodeApiVersionsRequest, 3, bytes)).toEqual(m);
  });

  it('v0 response: error, int32-counted array of (key, min, max), no throttle time', () => {
    const bytes = hex('0000 | 00000001 | 0012 0000 0004');
    const m = G.newApiVersionsResponse({ apiKeys: [G.newApiVersionsResponseApiVersion({ apiKey: 18, minVersion: 0, maxVersion: 4 })] });
    expect(enc(G.sizeApiVersionsResponse, G.encodeApiVersionsResponse, 0, m)).toEqual(bytes);
    expect(dec(G.decodeApiVersionsResponse, 0, bytes)).toEqual(m);
  });

  it('v3 response: a tagged field set (FinalizedFeaturesEpoch, tag 1), the others left out', () => {
    // error | compact array of 1 | key 18 min 0 max 4 + element tags | throttle | 1 tagged field:
    // tag 1, size 8, int64 5.
    const bytes = hex('0000 | 02 | 0012 0000 0004 00 | 00000000 | 01 | 01 08 0000000000000005');
    const m = G.newApiVersionsResponse({
      apiKeys: [G.newApiVersionsResponseApiVersion({ apiKey: 18, minVersion: 0, maxVersion: 4 })],
      finalizedFeaturesEpoch: 5,
    });
    expect(enc(G.sizeApiVersionsResponse, G.encodeApiVersionsResponse, 3, m)).toEqual(bytes);
    expect(dec(G.decodeApiVersionsResponse, 3, bytes)).toEqual(m);
  });
});

describe('Metadata', () => {
  it('v0 request with one topic', () => {
    const bytes = hex(`00000001 | 0003 ${ascii('foo')}`);
    const m = G.newMetadataRequest({ topics: [G.newMetadataRequestTopic({ name: 'foo' })] });
    expect(enc(G.sizeMetadataRequest, G.encodeMetadataRequest, 0, m)).toEqual(bytes);
    expect(dec(G.decodeMetadataRequest, 0, bytes)).toEqual(m);
  });

  it('v4 request for all topics: a null array, then AllowAutoTopicCreation', () => {
    const bytes = hex('ffffffff | 00');
    const m = G.newMetadataRequest({ topics: null, allowAutoTopicCreation: false });
    expect(enc(G.sizeMetadataRequest, G.encodeMetadataRequest, 4, m)).toEqual(bytes);
    expect(dec(G.decodeMetadataRequest, 4, bytes)).toEqual(m);
  });

  it('v0 has no null array: -1 is an error, not "all topics"', () => {
    const r = new Reader(hex('ffffffff'));
    G.decodeMetadataRequest(r, 0);
    expect(r.error).toMatch(/null array/);
  });

  it('v9 request: unknown tagged fields (top level and in a topic) are skipped', () => {
    // topics: compact array of 1 | name "foo" | topic tags: 1 field, tag 7, size 2, dead |
    // allowAuto 1 | includeCluster 0 | includeTopic 1 | top-level tags: 2 fields, tag 5 size 3,
    // tag 10 with a 2-byte size varint (0x80 0x01 = 128) and 128 bytes.
    const bytes = hex(`02 | 04 ${ascii('foo')} | 01 07 02 dead | 01 | 00 | 01 | 02 | 05 03 aabbcc | 0a 8001 ${'ee'.repeat(128)}`);
    const m = dec(G.decodeMetadataRequest, 9, bytes);
    expect(m).toEqual(
      G.newMetadataRequest({
        topics: [G.newMetadataRequestTopic({ name: 'foo' })],
        allowAutoTopicCreation: true,
        includeClusterAuthorizedOperations: false,
        includeTopicAuthorizedOperations: true,
      }),
    );
    // Re-encoded, the unknown fields are gone.
    expect(enc(G.sizeMetadataRequest, G.encodeMetadataRequest, 9, m)).toEqual(hex(`02 | 04 ${ascii('foo')} 00 | 01 | 00 | 01 | 00`));
  });

  it('v9 request: a tagged field longer than the message is an error', () => {
    const r = new Reader(hex('01 | 01 | 00 | 00 | 01 | 05 10 aa'));
    G.decodeMetadataRequest(r, 9);
    expect(r.error).not.toBeNull();
  });
});

describe('Produce', () => {
  it('v3 request: null transactional id, records as int32-sized bytes', () => {
    const bytes = hex(`ffff | ffff | 00007530 | 00000001 | 0003 ${ascii('foo')} | 00000001 | 00000000 | 00000003 010203`);
    const m = G.newProduceRequest({
      transactionalId: null,
      acks: -1,
      timeoutMs: 30000,
      topicData: [G.newProduceRequestTopic({ name: 'foo', partitionData: [G.newProduceRequestPartition({ index: 0, records: hex('010203') })] })],
    });
    expect(enc(G.sizeProduceRequest, G.encodeProduceRequest, 3, m)).toEqual(bytes);
    expect(dec(G.decodeProduceRequest, 3, bytes)).toEqual(m);
  });

  it('v9 request: null records as compact null (0x00)', () => {
    const bytes = hex(`00 | 0001 | 000003e8 | 02 | 04 ${ascii('foo')} | 02 | 00000002 00 00 | 00 | 00`);
    const m = G.newProduceRequest({
      acks: 1,
      timeoutMs: 1000,
      topicData: [G.newProduceRequestTopic({ name: 'foo', partitionData: [G.newProduceRequestPartition({ index: 2, records: null })] })],
    });
    expect(enc(G.sizeProduceRequest, G.encodeProduceRequest, 9, m)).toEqual(bytes);
    expect(dec(G.decodeProduceRequest, 9, bytes)).toEqual(m);
  });

  it('a null topics array is an error (not nullable)', () => {
    const r = new Reader(hex('ffff | 0001 | 00000000 | ffffffff'));
    G.decodeProduceRequest(r, 3);
    expect(r.error).toMatch(/null array/);
  });
});

describe('Fetch', () => {
  it('v12 response: CurrentLeader set as tag 1, default DivergingEpoch and SnapshotId left out', () => {
    // throttle | error | session | topics: 1 | "foo" | partitions: 1 | index 0, error 0, hw 100,
    // lso 100, log start 0, aborted null (0x00), preferred replica -1, records empty (0x01) |
    // partition tags: 1 field, tag 1, size 9 = leaderId 3, leaderEpoch 7, struct tags 0 |
    // topic tags 0 | top-level tags 0.
    const bytes = hex(
      `00000000 | 0000 | 00000000 | 02 | 04 ${ascii('foo')} | 02 | 00000000 0000 0000000000000064 0000000000000064 0000000000000000 00 ffffffff 01 | 01 01 09 00000003 00000007 00 | 00 | 00`,
    );
    const m = G.newFetchResponse({
      responses: [
        G.newFetchResponseTopic({
          topic: 'foo',
          partitions: [
            G.newFetchResponsePartition({
              highWatermark: 100,
              lastStableOffset: 100,
              logStartOffset: 0,
              abortedTransactions: null,
              records: Buffer.alloc(0),
              currentLeader: G.newFetchResponseLeaderIdAndEpoch({ leaderId: 3, leaderEpoch: 7 }),
            }),
          ],
        }),
      ],
    });
    expect(enc(G.sizeFetchResponse, G.encodeFetchResponse, 12, m)).toEqual(bytes);
    expect(dec(G.decodeFetchResponse, 12, bytes)).toEqual(m);
  });

  it('v4 request: isolation level after max bytes; the v12 tagged cluster id is not written', () => {
    const bytes = hex(`ffffffff | 000001f4 | 00000001 | 00100000 | 01 | 00000001 | 0003 ${ascii('foo')} | 00000001 | 00000000 0000000000000007 00010000`);
    const m = G.newFetchRequest({
      clusterId: 'not in v4',
      maxWaitMs: 500,
      minBytes: 1,
      maxBytes: 1 << 20,
      isolationLevel: 1,
      topics: [G.newFetchRequestTopic({ topic: 'foo', partitions: [G.newFetchRequestPartition({ fetchOffset: 7, partitionMaxBytes: 65536 })] })],
    });
    expect(enc(G.sizeFetchRequest, G.encodeFetchRequest, 4, m)).toEqual(bytes);
    expect(dec(G.decodeFetchRequest, 4, bytes)).toEqual({ ...m, clusterId: null });
  });
});

describe('FindCoordinator', () => {
  it('v4 request: batched coordinator keys as a compact array of compact strings', () => {
    const bytes = hex(`00 | 03 | 03 ${ascii('g1')} | 03 ${ascii('g2')} | 00`);
    const m = G.newFindCoordinatorRequest({ keyType: 0, coordinatorKeys: ['g1', 'g2'] });
    expect(enc(G.sizeFindCoordinatorRequest, G.encodeFindCoordinatorRequest, 4, m)).toEqual(bytes);
    expect(dec(G.decodeFindCoordinatorRequest, 4, bytes)).toEqual(m);
  });

  it('v0 request: just the key', () => {
    const bytes = hex(`0002 ${ascii('g1')}`);
    expect(dec(G.decodeFindCoordinatorRequest, 0, bytes)).toEqual(G.newFindCoordinatorRequest({ key: 'g1' }));
  });
});

describe('DescribeCluster', () => {
  it('v0 is flexible from its first version', () => {
    const bytes = hex('01 | 00');
    const m = G.newDescribeClusterRequest({ includeClusterAuthorizedOperations: true });
    expect(enc(G.sizeDescribeClusterRequest, G.encodeDescribeClusterRequest, 0, m)).toEqual(bytes);
    expect(dec(G.decodeDescribeClusterRequest, 0, bytes)).toEqual(m);
  });
});

describe('JoinGroup', () => {
  it('v5 request: nullable group instance id and bytes metadata', () => {
    const bytes = hex(`0002 ${ascii('g1')} | 00002710 | 0000ea60 | 0000 | ffff | 0008 ${ascii('consumer')} | 00000001 | 0005 ${ascii('range')} | 00000002 abcd`);
    const m = G.newJoinGroupRequest({
      groupId: 'g1',
      sessionTimeoutMs: 10000,
      rebalanceTimeoutMs: 60000,
      memberId: '',
      groupInstanceId: null,
      protocolType: 'consumer',
      protocols: [G.newJoinGroupRequestProtocol({ name: 'range', metadata: hex('abcd') })],
    });
    expect(enc(G.sizeJoinGroupRequest, G.encodeJoinGroupRequest, 5, m)).toEqual(bytes);
    expect(dec(G.decodeJoinGroupRequest, 5, bytes)).toEqual(m);
  });
});
