/**
 * Differential tests, raw protocol (exact versions and error codes): ApiVersions, unsupported
 * versions, Metadata shape, offsets assigned by Produce, Produce/Fetch/ListOffsets/DeleteRecords
 * answers and errors, topic admin errors. Each scenario runs against Runnel and Apache Kafka;
 * the observations must be equal or differ only as test/differential/known-differences.ts says.
 */
import { describe, it } from 'vitest';
import { newDeleteRecordsRequestPartition, newDeleteRecordsRequestTopic } from '../../protocol/generated/21-delete-records.js';
import { newCreatePartitionsRequestTopic } from '../../protocol/generated/37-create-partitions.js';
import { newDescribeConfigsRequestResource } from '../../protocol/generated/32-describe-configs.js';
import { apiName } from '../helpers/proxy.js';
import { apacheKafkaAvailable } from '../helpers/apache-kafka.js';
import { err, expectSame, keyed, msg, normalise, placeholder, usePair, uniq, withRaw, type Target } from './harness.js';
import { batch, buildBatchSync, createTopics, createTopicsReady, fetch, listOffsets, metadata, probe, produceOne, rawFrame, req, waitTopics } from './requests.js';
import { newListOffsetsRequestPartition, newListOffsetsRequestTopic } from '../../protocol/generated/02-list-offsets.js';
import { CompressionType } from '../../protocol/records/batch.js';
import { RawClient } from '../helpers/raw-client.js';
import { decodeProduceResponse, newProduceRequest, newProduceRequestPartition, newProduceRequestTopic } from '../../protocol/generated/00-produce.js';
import { Reader } from '../../protocol/primitives.js';
import { readResponseHeader } from '../../protocol/headers.js';

/** Kafka 4.4 API keys the proxy's table does not name yet. */
const API_NAMES: Record<number, string> = { 93: 'StreamsGroupTopologyDescriptionUpdate', 94: 'UnregisterController' };

describe.skipIf(!apacheKafkaAvailable())('differential: protocol', () => {
  const pair = usePair();

  it('ApiVersions: APIs, version ranges and features', async () => {
    const obs = await pair.both((t) =>
      withRaw(t, async (c) => {
        const r = await req(c, 18, 3, { clientSoftwareName: 'runnel-differential', clientSoftwareVersion: '1.0' });
        return normalise({
          errorCode: err(r.errorCode),
          apis: keyed(r.apiKeys, (a: any) => `${a.apiKey} ${API_NAMES[a.apiKey] ?? apiName(a.apiKey)}`, (a: any) => `${a.minVersion}-${a.maxVersion}`),
          supportedFeatures: keyed(r.supportedFeatures, (f: any) => f.name, (f: any) => `${f.minVersion}-${f.maxVersion}`),
          finalizedFeatures: keyed(r.finalizedFeatures, (f: any) => f.name, (f: any) => `${f.minVersionLevel}-${f.maxVersionLevel}`),
          finalizedFeaturesEpoch: placeholder(r.finalizedFeaturesEpoch),
        });
      }),
    );
    expectSame('api-versions', obs);
  });

  it('unsupported versions and unknown APIs', async () => {
    const probe = async (t: Target, frame: Buffer, decode?: (c: RawClient, f: Buffer) => unknown): Promise<unknown> => {
      const c = await RawClient.connect(t.host, t.port);
      try {
        c.write(frame);
        const f = await c.readFrame(10_000).catch(() => 'no answer in 10 s');
        if (f === null) return 'connection closed';
        if (typeof f === 'string') return f;
        return decode ? decode(c, f) : `answered (${f.length} bytes)`;
      } finally {
        c.close();
      }
    };
    const obs = await pair.both(async (t) => ({
      // ApiVersions at a version the broker does not know: UNSUPPORTED_VERSION and its ranges as v0.
      apiVersionsV127: await probe(t, rawFrame(18, 127, 7), (_c, f) => {
        const errorCode = f.readInt16BE(4);
        const n = f.readInt32BE(6);
        const keys = Array.from({ length: n }, (_, i) => f.readInt16BE(10 + 6 * i));
        return { correlationId: f.readInt32BE(0), errorCode: err(errorCode), listsApiVersions: keys.includes(18) };
      }),
      metadataV99: await probe(t, rawFrame(3, 99, 7)),
      produceV99: await probe(t, rawFrame(0, 99, 7)),
      unknownApiKey: await probe(t, rawFrame(9999, 0, 7)),
      // Produce v0-v2 (magic 0/1 record sets) are advertised for librdkafka's feature detection only.
      produceV2: await withRaw(t, async (c) => {
        const records = await batch(1);
        const r = await c.request(0, 2, { acks: -1, timeoutMs: 1000, topicData: [newProduceRequestTopic({ name: uniq('v2'), partitionData: [newProduceRequestPartition({ index: 0, records })] })] });
        return r === null ? 'connection closed' : r.responses.map((x: any) => x.partitionResponses.map((p: any) => err(p.errorCode)));
      }),
      // Versions Kafka 4.0 removed (KIP-896) that sarama 1.22 sends: a simple commit of an unknown
      // topic, an offset fetch, a fetch, its ClusterAdmin's topic creation and deletion.
      ...Object.fromEntries(
        await Promise.all(
          ([
            ['offsetCommitV1', 8, 1, { groupId: 'g', topics: [{ name: uniq('nope'), partitions: [{ partitionIndex: 0, committedOffset: 1, commitTimestamp: -1, committedMetadata: '' }] }] }],
            ['offsetFetchV0', 9, 0, { groupId: 'g', topics: [{ name: uniq('nope'), partitionIndexes: [0] }] }],
            ['fetchV3', 1, 3, { replicaId: -1, maxWaitMs: 0, minBytes: 0, maxBytes: 1000, topics: [{ topic: uniq('nope'), partitions: [{ partition: 0, fetchOffset: 0, partitionMaxBytes: 1000 }] }] }],
            // 0 partitions: answered (INVALID_PARTITIONS) without creating a topic the Metadata scenario would list.
            ['createTopicsV0', 19, 0, { topics: [{ name: uniq('ct0'), numPartitions: 0, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 5000 }],
            ['deleteTopicsV0', 20, 0, { topicNames: [uniq('nope')], timeoutMs: 5000 }],
          ] as const).map(async ([name, key, version, body]) => [name, await withRaw(t, async (c) => ((await c.request(key, version, body)) === null ? 'connection closed' : 'answered'))] as const),
        ),
      ),
    }));
    expectSame('unsupported-versions', obs);
  });

  it('Metadata: brokers, topics, partitions, errors, auto-creation', async () => {
    const topic = uniq('meta');
    const obs = await pair.both((t) =>
      withRaw(t, async (c) => {
        await createTopicsReady(c, [{ name: topic, partitions: 3 }]);
        const shape = (r: any, version: number) =>
          normalise({
            brokers: r.brokers.map((b: any) => ({ nodeId: b.nodeId, host: b.host === t.host ? '<host>' : b.host, port: b.port === t.port ? '<port>' : b.port, rack: b.rack })),
            clusterId: version >= 2 ? placeholder(r.clusterId) : undefined,
            controllerId: r.controllerId,
            clusterAuthorizedOperations: r.clusterAuthorizedOperations,
            topics: keyed(r.topics, (x: any) => x.name, (x: any) => ({
              errorCode: err(x.errorCode),
              topicId: placeholder(x.topicId),
              isInternal: x.isInternal,
              topicAuthorizedOperations: x.topicAuthorizedOperations,
              partitions: keyed(x.partitions, (p: any) => p.partitionIndex, (p: any) => ({
                errorCode: err(p.errorCode), leaderId: p.leaderId, leaderEpoch: p.leaderEpoch, replicas: p.replicaNodes, isr: p.isrNodes, offline: p.offlineReplicas,
              })),
            })),
          });
        const out: Record<string, unknown> = {};
        out.v12 = shape(await metadata(c, [topic, uniq('nope'), 'bad name!', '__transaction_state'], { version: 12 }), 12);
        out.v1 = shape(await metadata(c, [topic], { version: 1 }), 1);
        // All topics: v0 with an empty list, v1+ with null.
        const names = (r: any) => r.topics.map((x: any) => x.name).filter((n: string) => n.endsWith(topic.slice(4))).sort();
        out.allV0 = normalise(names(await metadata(c, [], { version: 0 })));
        out.allV9 = normalise(names(await metadata(c, null, { version: 9 })));
        out.noneV9 = (await metadata(c, [], { version: 9 })).topics.length;
        // Auto-creation: the first answer, then the topic once it has a leader.
        const auto = uniq('auto');
        out.autoFirst = shape(await metadata(c, [auto], { version: 12, allowAutoTopicCreation: true }), 12);
        await waitTopics(c, [auto]);
        out.autoLater = shape(await metadata(c, [auto], { version: 12, allowAutoTopicCreation: true }), 12);
        // v0-v3 always auto-create (no flag).
        const autoOld = uniq('auto-v3');
        out.autoV3 = shape(await metadata(c, [autoOld], { version: 3 }), 3);
        await waitTopics(c, [autoOld]);
        return out;
      }),
    );
    expectSame('metadata', obs);
  });

  it('Produce: offsets assigned, append time, log start offset', async () => {
    const topic = uniq('offsets');
    const lat = uniq('offsets-lat');
    const obs = await pair.both((t) =>
      withRaw(t, async (c) => {
        await createTopicsReady(c, [{ name: topic, partitions: 2 }, { name: lat, configs: { 'message.timestamp.type': 'LogAppendTime' } }]);
        const shape = (p: any) => ({
          errorCode: err(p.errorCode), baseOffset: p.baseOffset, logAppendTimeMs: placeholder(p.logAppendTimeMs), logStartOffset: p.logStartOffset,
          recordErrors: p.recordErrors, errorMessage: msg(p.errorMessage),
        });
        const out: unknown[] = [];
        for (const [partition, n, compression] of [[0, 1, 0], [0, 5, CompressionType.Gzip], [1, 3, 0], [0, 2, CompressionType.Zstd], [0, 1, 0]] as const) {
          out.push(shape(await produceOne(c, topic, partition, await batch(n, { compression }))));
        }
        out.push(shape(await produceOne(c, lat, 0, await batch(4))));
        out.push(shape(await produceOne(c, lat, 0, await batch(1), { version: 3 })));
        const f = await fetch(c, [{ topic, partition: 0, offset: 0 }, { topic, partition: 1, offset: 0 }, { topic: lat, partition: 0, offset: 0 }]);
        return normalise({ produce: out, fetch: fetchShape(f) });
      }),
    );
    expectSame('produce-offsets', obs);
  });

  it('Produce: error codes for bad requests', async () => {
    const topic = uniq('perr');
    const small = uniq('perr-small');
    const recent = uniq('perr-recent');
    const compact = uniq('perr-compact');
    const obs = await pair.both((t) =>
      withRaw(t, async (c) => {
        await createTopicsReady(c, [
          { name: topic },
          { name: small, configs: { 'max.message.bytes': '1000' } },
          { name: compact, configs: { 'cleanup.policy': 'compact' } },
          { name: recent, configs: { 'message.timestamp.before.max.ms': '60000' } },
        ]);
        const shape = (p: any) => ({ errorCode: err(p.errorCode), baseOffset: p.baseOffset, logStartOffset: p.logStartOffset, recordErrors: p.recordErrors.length, errorMessage: msg(p.errorMessage) });
        const corrupt = await batch(2);
        corrupt[corrupt.length - 1] ^= 0xff;
        const out: Record<string, unknown> = {};
        out.unknownTopic = shape(await produceOne(c, uniq('no-such-topic'), 0, await batch(1)));
        out.unknownPartition = shape(await produceOne(c, topic, 7, await batch(1)));
        out.tooLarge = shape(await produceOne(c, small, 0, await batch(1, { valueSize: 2000 })));
        out.tooLargeCompressed = shape(await produceOne(c, small, 0, await batch(1, { valueSize: 50_000, compression: CompressionType.Gzip })));
        out.corruptCrc = shape(await produceOne(c, topic, 0, corrupt));
        out.nullKeyOnCompacted = shape(await produceOne(c, compact, 0, await batch(3, { key: (i) => (i === 1 ? null : `k${i}`) })));
        // Kafka 4: CreateTime more than message.timestamp.after.max.ms (default 1 h) ahead of the
        // broker clock, or more than before.max.ms behind it, is refused.
        out.timestampTooNew = shape(await produceOne(c, topic, 0, await batch(2, { timestamp: Date.now() + 2 * 3600_000 })));
        out.timestampTooOld = shape(await produceOne(c, recent, 0, await batch(2, { timestamp: Date.now() - 3600_000 })));
        out.timestampOldOk = shape(await produceOne(c, topic, 0, await batch(1, { timestamp: 1000 })));
        out.acks2 = shape(await produceOne(c, topic, 0, await batch(1), { acks: 2 }));
        // Kafka 4.4 never answers this one (a NullPointerException in the broker): a connection of its own, a short wait.
        out.nullRecords = await withRaw(t, async (c2) => {
          c2.write(RawClient.encodeRequest(0, 9, newProduceRequest({ acks: -1, timeoutMs: 1000, topicData: [newProduceRequestTopic({ name: topic, partitionData: [newProduceRequestPartition({ index: 0, records: null })] })] }), 1));
          const f = await c2.readFrame(1500).catch(() => 'no answer');
          if (f === null) return 'connection closed';
          if (typeof f === 'string') return f;
          const r = new Reader(f);
          readResponseHeader(r, true);
          return shape(decodeProduceResponse(r, 9).responses[0]!.partitionResponses[0]);
        });
        out.emptyRecords = shape(await produceOne(c, topic, 0, Buffer.alloc(0)));
        out.after = shape(await produceOne(c, topic, 0, await batch(1)));
        // Produce to a topic that only exists after this request (Produce never auto-creates).
        out.topicStillUnknown = (await metadata(c, [uniq('no-such-topic')])).topics.map((x: any) => err(x.errorCode));
        return normalise(out);
      }),
    );
    expectSame('produce-errors', obs);
  });

  it('Fetch: watermarks, out-of-range offsets, unknown partitions', async () => {
    const topic = uniq('fetch');
    const obs = await pair.both((t) =>
      withRaw(t, async (c) => {
        await createTopicsReady(c, [{ name: topic, partitions: 2 }]);
        await produceOne(c, topic, 0, await batch(3));
        await produceOne(c, topic, 0, await batch(2));
        const out: Record<string, unknown> = {};
        for (const [name, offset] of [['from0', 0], ['from4', 4], ['atEnd', 5], ['pastEnd', 6], ['farPastEnd', 1000], ['negative', -5]] as const) {
          out[name] = fetchShape(await fetch(c, [{ topic, partition: 0, offset }]));
        }
        out.emptyPartition = fetchShape(await fetch(c, [{ topic, partition: 1, offset: 0 }]));
        out.emptyPartitionPastEnd = fetchShape(await fetch(c, [{ topic, partition: 1, offset: 1 }]));
        out.unknownPartition = fetchShape(await fetch(c, [{ topic, partition: 9, offset: 0 }]));
        out.unknownTopic = fetchShape(await fetch(c, [{ topic: uniq('nope'), partition: 0, offset: 0 }]));
        out.v4 = fetchShape(await fetch(c, [{ topic, partition: 0, offset: 0 }], { version: 4 }));
        return normalise(out);
      }),
    );
    expectSame('fetch', obs);
  });

  it('ListOffsets: earliest, latest, max timestamp, by timestamp, after DeleteRecords', async () => {
    const topic = uniq('lo');
    const obs = await pair.both((t) =>
      withRaw(t, async (c) => {
        await createTopicsReady(c, [{ name: topic, partitions: 2 }]);
        // Offsets 0-1 at t=1000,2000; 2-4 at 2000,3000,2500 (max timestamp at offset 3); 5 at 1500.
        await produceOne(c, topic, 0, tsBatch([1000, 2000]));
        await produceOne(c, topic, 0, tsBatch([2000, 3000, 2500]));
        await produceOne(c, topic, 0, tsBatch([1500]));
        const times = [-2, -1, -3, 0, 999, 1000, 1001, 1500, 2000, 2600, 3000, 3001];
        const q = async (partition: number, version = 7) => {
          const out: Record<string, unknown> = {};
          for (const timestamp of times) {
            const p = (await listOffsets(c, topic, [{ partition, timestamp }], version)).topics[0].partitions[0];
            out[timestamp] = { errorCode: err(p.errorCode), offset: p.offset, timestamp: p.timestamp, leaderEpoch: p.leaderEpoch };
          }
          return out;
        };
        const out: Record<string, unknown> = {};
        out.p0 = await q(0);
        out.p1Empty = await q(1);
        out.v1 = await q(0, 1);
        const v0 = await probe(t.host, t.port, 2, 0, { replicaId: -1, topics: [newListOffsetsRequestTopic({ name: topic, partitions: [newListOffsetsRequestPartition({ partitionIndex: 0, timestamp: -1, maxNumOffsets: 1 })] })] });
        out.v0 = v0 === 'connection closed' ? v0 : v0.topics[0].partitions.map((p: any) => ({ errorCode: err(p.errorCode), oldStyleOffsets: p.oldStyleOffsets }));
        const bad = await listOffsets(c, topic, [{ partition: 5, timestamp: -1 }]);
        out.unknownPartition = bad.topics[0].partitions.map((p: any) => ({ errorCode: err(p.errorCode), offset: p.offset, timestamp: p.timestamp }));
        const unknownTopic = await listOffsets(c, uniq('nope'), [{ partition: 0, timestamp: -1 }]);
        out.unknownTopic = unknownTopic.topics[0].partitions.map((p: any) => ({ errorCode: err(p.errorCode), offset: p.offset }));
        const dup = await listOffsets(c, topic, [{ partition: 0, timestamp: -1 }, { partition: 1, timestamp: -1 }, { partition: 0, timestamp: -2 }]);
        // One answer per partition, in no particular order on Kafka.
        out.duplicatePartitions = dup.topics.map((x: any) => keyed(x.partitions, (p: any) => p.partitionIndex, (p: any) => ({ errorCode: err(p.errorCode), offset: p.offset })));
        out.readCommitted = (await listOffsets(c, topic, [{ partition: 0, timestamp: -1 }], 7, 1)).topics[0].partitions[0].offset;
        // DeleteRecords: below, at and above the high watermark, -1 (= the high watermark).
        const del = async (partition: number, offset: number) => {
          const r = await req(c, 21, 2, { timeoutMs: 10_000, topics: [newDeleteRecordsRequestTopic({ name: topic, partitions: [newDeleteRecordsRequestPartition({ partitionIndex: partition, offset })] })] });
          const p = r.topics[0].partitions[0];
          return { errorCode: err(p.errorCode), lowWatermark: p.lowWatermark };
        };
        out.deleteTo2 = await del(0, 2);
        out.deleteBackTo1 = await del(0, 1);
        out.deletePastEnd = await del(0, 7);
        out.deleteUnknownPartition = await del(4, 0);
        out.afterDelete = await q(0);
        out.fetchBelowStart = fetchShape(await fetch(c, [{ topic, partition: 0, offset: 0 }]));
        out.deleteAll = await del(0, -1);
        out.afterDeleteAll = await q(0);
        out.fetchAtEmptyEnd = fetchShape(await fetch(c, [{ topic, partition: 0, offset: 6 }]));
        return normalise(out);
      }),
    );
    expectSame('list-offsets', obs);
  });

  it('CreateTopics, CreatePartitions, DeleteTopics, DescribeConfigs: errors', async () => {
    const topic = uniq('adm');
    const obs = await pair.both((t) =>
      withRaw(t, async (c) => {
        const out: Record<string, unknown> = {};
        const created = await createTopics(c, [{ name: topic, partitions: 2 }]);
        out.created = created.topics.map((x: any) => ({ errorCode: err(x.errorCode), errorMessage: msg(x.errorMessage), numPartitions: x.numPartitions, replicationFactor: x.replicationFactor, topicId: placeholder(x.topicId), }));
        await waitTopics(c, [topic]);
        const cases: Array<[string, Parameters<typeof createTopics>[1][number], boolean?]> = [
          ['exists', { name: topic }],
          ['invalidName', { name: 'bad/name' }],
          ['dotName', { name: '..' }],
          ['tooLongName', { name: 'x'.repeat(250) }],
          ['zeroPartitions', { name: uniq('zero'), partitions: 0 }],
          ['negativePartitions', { name: uniq('neg'), partitions: -5 }],
          ['defaultPartitions', { name: uniq('dflt'), partitions: -1, replicationFactor: -1 }, true],
          ['replicationFactor3', { name: uniq('rf3'), replicationFactor: 3 }],
          ['unknownConfig', { name: uniq('cfg1'), configs: { 'no.such.config': '1' } }],
          ['badConfigValue', { name: uniq('cfg2'), configs: { 'retention.ms': 'soon' } }],
          ['badCleanupPolicy', { name: uniq('cfg3'), configs: { 'cleanup.policy': 'shred' } }],
          ['nullConfigValue', { name: uniq('cfg4'), configs: { 'retention.ms': null } }],
          ['validateOnly', { name: uniq('vo'), partitions: 3 }, true],
        ];
        for (const [name, spec, validateOnly] of cases) {
          const r = await createTopics(c, [spec], { validateOnly: validateOnly ?? false });
          const x = r.topics[0];
          out[name] = { errorCode: err(x.errorCode), errorMessage: msg(x.errorMessage), numPartitions: x.numPartitions, replicationFactor: x.replicationFactor };
        }
        out.validateOnlyCreatedNothing = (await metadata(c, [uniq('vo')])).topics.map((x: any) => err(x.errorCode));
        const duplicate = await createTopics(c, [{ name: uniq('dup') }, { name: uniq('dup') }]);
        out.duplicateInRequest = duplicate.topics.map((x: any) => err(x.errorCode));
        const cp = async (name: string, count: number) => {
          const r = await req(c, 37, 3, { timeoutMs: 10_000, validateOnly: false, topics: [newCreatePartitionsRequestTopic({ name, count, assignments: null })] });
          return { errorCode: err(r.results[0].errorCode), errorMessage: msg(r.results[0].errorMessage) };
        };
        out.partitionsDecrease = await cp(topic, 1);
        out.partitionsSame = await cp(topic, 2);
        out.partitionsIncrease = await cp(topic, 4);
        out.partitionsUnknownTopic = await cp(uniq('nope'), 4);
        const dt = async (names: string[]) => {
          const r = await req(c, 20, 6, { timeoutMs: 10_000, topics: names.map((name) => ({ name, topicId: '00000000-0000-0000-0000-000000000000' })) });
          return r.responses.map((x: any) => ({ errorCode: err(x.errorCode), errorMessage: msg(x.errorMessage), topicId: placeholder(x.topicId) }));
        };
        out.deleteUnknown = await dt([uniq('nope')]);
        out.deleteOk = await dt([topic]);
        const dc = async (resourceType: number, resourceName: string) => {
          const r = await req(c, 32, 4, { includeSynonyms: false, includeDocumentation: false, resources: [newDescribeConfigsRequestResource({ resourceType, resourceName, configurationKeys: ['retention.ms', 'num.partitions'] })] });
          const x = r.results[0];
          return { errorCode: err(x.errorCode), errorMessage: msg(x.errorMessage), configs: x.configs.map((y: any) => y.name) };
        };
        out.describeUnknownTopic = await dc(2, uniq('nope'));
        out.describeOtherBroker = await dc(4, '2');
        out.describeBadBrokerId = await dc(4, 'one');
        out.describeUnknownResourceType = await dc(7, 'x');
        return normalise(out);
      }),
    );
    expectSame('admin-errors', obs);
  });
});

/** Records with these CreateTime timestamps, in one batch. */
function tsBatch(timestamps: number[]): Buffer {
  return buildBatchSync(timestamps.map((timestamp, i) => ({ key: `k${i}`, value: `v${i}`, timestamp })));
}

/** What a consumer sees of a Fetch response: per partition watermarks, errors and record offsets. */
function fetchShape(f: any): unknown {
  return {
    errorCode: err(f.errorCode ?? 0),
    partitions: Object.assign({}, ...f.responses.map((t: any) => keyed(t.partitions, (p: any) => `${t.topic}/${p.partitionIndex}`, (p: any) => ({
      errorCode: err(p.errorCode),
      highWatermark: p.highWatermark,
      lastStableOffset: p.lastStableOffset,
      logStartOffset: p.logStartOffset,
      abortedTransactions: p.abortedTransactions,
      preferredReadReplica: p.preferredReadReplica,
      divergingEpoch: p.divergingEpoch,
      currentLeader: p.currentLeader,
      batches: batchesOf(p.records),
    })))),
  };
}

/** [baseOffset, lastOffset, partitionLeaderEpoch, timestampType] of each batch in a record set. */
function batchesOf(records: unknown): unknown {
  if (records === null) return null;
  const b = records as Buffer;
  const out: string[] = [];
  for (let at = 0; at + 61 <= b.length; ) {
    const size = b.readInt32BE(at + 8) + 12;
    if (at + size > b.length) break;
    const base = Number(b.readBigInt64BE(at));
    out.push(`${base}-${base + b.readInt32BE(at + 23)} epoch ${b.readInt32BE(at + 12)} ${b.readInt16BE(at + 21) & 8 ? 'LogAppendTime' : 'CreateTime'}`);
    at += size;
  }
  return out;
}
