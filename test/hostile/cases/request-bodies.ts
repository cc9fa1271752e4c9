/**
 * Hostile request bodies on the shared broker: array counts of 2^31, length overflows and
 * tagged-field floods that must fail before anything is allocated; requests that fan out to
 * 100,000 entries; SASL handshakes with odd mechanisms and authentication without a handshake.
 */
import { randomBytes } from 'node:crypto';
import { expect, it } from 'vitest';
import { ErrorCode } from '../../../protocol/errors.js';
import {
  newDescribeConfigsRequestResource,
  newListOffsetsRequestPartition,
  newListOffsetsRequestTopic,
  newMetadataRequestTopic,
  newOffsetFetchRequestTopic,
  newProduceRequestPartition,
  newProduceRequestTopic,
} from '../../../protocol/generated/index.js';
import { type Session } from '../harness.js';
import { frame, headerV1, headerV2, int16, int32, request, roundTrip, str, uvarint } from '../frames.js';
import { buildBatchSync } from '../batches.js';
import { answeredOrClosed, expectHealthy, MiB } from './common.js';

/** `n` tagged fields, each tag i with no data: 4 bytes apiece (varint tag up to 2^21, size 0). */
function tagFlood(n: number): Buffer {
  const b = Buffer.alloc(n * 4);
  let at = 0;
  for (let i = 0; i < n; i++) {
    at += uvarint(i).copy(b, at);
    b[at++] = 0;
  }
  return b.subarray(0, at);
}

/** Registers the request-body cases (in the describe block of the shared broker). */
export function requestBodyAttacks(session: () => Session): void {
  it('array counts of 2^31, length overflows and tagged-field floods in request bodies', async () => {
    const s = session();
    const cases: Array<[string, Buffer]> = [
      ['OffsetFetch v1 claiming 2^31-1 topics', frame(Buffer.concat([headerV1(9, 1), str('g'), int32(0x7fffffff), str('t'), int32(1)]))],
      ['OffsetFetch v1 claiming 2^31-1 partitions', frame(Buffer.concat([headerV1(9, 1), str('g'), int32(1), str('t'), int32(0x7fffffff), int32(0)]))],
      ['Produce v7 claiming 2^31-1 partitions', frame(Buffer.concat([headerV1(0, 7), int16(-1), int16(1), int32(1000), int32(1), str('t'), int32(0x7fffffff), int32(0)]))],
      ['DescribeConfigs v1 claiming 2^31-1 resources', frame(Buffer.concat([headerV1(32, 1), int32(0x7fffffff), Buffer.alloc(64)]))],
      ['CreateTopics v5 claiming 2^31-1 configs', frame(Buffer.concat([headerV1(19, 5), int32(1), str('hostile-claims'), int32(1), int16(1), int32(0), int32(0x7fffffff), int32(1000), Buffer.from([0])]))],
      // Metadata v9: topics (compact array) of one name whose compact length is 2^32-2.
      ['Metadata v9 compact string of 2^32-2 bytes', frame(Buffer.concat([headerV2(3, 9), uvarint(2), uvarint(0xffffffff), Buffer.from('abc')]))],
      // Tagged-field floods: 5,000,000 empty tags (20 MB, well under socket.request.max.bytes).
      // No topics, three booleans, then the body's tagged-field section.
      ['Metadata v9 body with 5,000,000 empty tagged fields', frame(Buffer.concat([headerV2(3, 9), uvarint(1), Buffer.from([1, 0, 0]), uvarint(5_000_000), tagFlood(5_000_000)]))],
      ['ApiVersions v3 header with 5,000,000 empty tagged fields', frame(Buffer.concat([headerV1(18, 3), uvarint(5_000_000), tagFlood(5_000_000)]))],
    ];
    const failures: string[] = [];
    for (const [name, f] of cases) {
      await s.ensureUp();
      const r = await s.attack(name, async ({ broker }) => answeredOrClosed(broker.host, broker.port, [f], 10_000));
      failures.push(...r.problems.map((p) => `${name}: ${p}`));
    }
    expect(failures).toEqual([]);
  }, 240_000);

  it('requests fanning out to 100,000 entries (DescribeConfigs, Metadata, OffsetFetch, ListOffsets, Produce)', async () => {
    const s = session();
    // One attack per API, each on a broker that is not bloated by the previous one.
    const n = 100_000;
    const cases: Array<[string, (topic: string) => Buffer]> = [
      ['DescribeConfigs naming one topic 100,000 times', (topic) => request(32, 1, { resources: Array.from({ length: n }, () => newDescribeConfigsRequestResource({ resourceType: 2, resourceName: topic, configurationKeys: null })), includeSynonyms: true })],
      ['DescribeConfigs of 100,000 missing topics', () => request(32, 1, { resources: Array.from({ length: n }, (_, i) => newDescribeConfigsRequestResource({ resourceType: 2, resourceName: `missing-${i}`, configurationKeys: null })) })],
      ['Metadata naming one topic 100,000 times', (topic) => request(3, 1, { topics: Array.from({ length: n }, () => newMetadataRequestTopic({ name: topic })) })],
      ['OffsetFetch of 100,000 partitions', (topic) => request(9, 1, { groupId: 'hostile-of', topics: [newOffsetFetchRequestTopic({ name: topic, partitionIndexes: Array.from({ length: n }, (_, i) => i) })] })],
      ['ListOffsets naming one partition 100,000 times', (topic) => request(2, 1, { replicaId: -1, topics: [newListOffsetsRequestTopic({ name: topic, partitions: Array.from({ length: n }, () => newListOffsetsRequestPartition({ partitionIndex: 0, timestamp: -1 })) })] })],
      [
        'Produce of 20,000 batches to one partition',
        (topic) => {
          const valid = buildBatchSync([{ value: 'dup' }]);
          return request(0, 7, { acks: 1, timeoutMs: 5000, topicData: [newProduceRequestTopic({ name: topic, partitionData: Array.from({ length: 20_000 }, () => newProduceRequestPartition({ index: 0, records: valid })) })] });
        },
      ],
    ];
    const failures: string[] = [];
    for (const [name, make] of cases) {
      await s.ensureUp();
      // Built before the attack: encoding 100,000 entries here would compete with the broker for CPU.
      const f = make(s.pair!.topic);
      const r = await s.attack(name, async ({ broker }) => answeredOrClosed(broker.host, broker.port, [f], 15_000));
      failures.push(...r.problems.map((p) => `${name}: ${p}`));
    }
    expect(failures).toEqual([]);
  }, 240_000);

  it('SASL handshakes with odd mechanisms and authenticate without a handshake', async () => {
    const s = session();
    const r = await s.attack('SASL handshake abuse', async ({ broker }) => {
      const problems: string[] = [];
      const h = await roundTrip(broker.host, broker.port, 17, 1, { mechanism: 'X'.repeat(30_000) });
      if (h && h.errorCode === ErrorCode.NONE) problems.push('an unknown 30 kB mechanism was accepted');
      problems.push(
        ...(await answeredOrClosed(broker.host, broker.port, [
          request(36, 0, { authBytes: randomBytes(MiB) }),
          request(36, 2, { authBytes: Buffer.alloc(0) }),
          Buffer.concat([request(17, 1, { mechanism: 'PLAIN' }), request(36, 2, { authBytes: Buffer.from('\0user\0pass') }, 2), request(3, 1, { topics: null }, 3)]),
        ])),
      );
      return problems;
    });
    expectHealthy(r);
  });
}
