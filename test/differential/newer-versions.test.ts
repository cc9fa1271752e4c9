/**
 * Differential tests, the Kafka 4.x versions of older APIs: Produce 12-13 and Fetch 13-18 (topics
 * by id, KIP-516: UNKNOWN_TOPIC_ID for an id no topic has), ListOffsets 8-11 (the tiered-storage
 * timestamps on a log without remote storage), Metadata 13 (top-level error code), FindCoordinator
 * 5-6, DescribeCluster 2, ListTransactions 2 (transactional id pattern) and OffsetCommit /
 * OffsetFetch 10 (topic ids). Same raw requests to Runnel and Apache Kafka 4.4; error messages
 * are left out (Runnel explains errors Kafka leaves bare), results keyed where order means nothing.
 */
import { describe, it } from 'vitest';
import { apacheKafkaAvailable } from '../helpers/apache-kafka.js';
import type { RawClient } from '../helpers/raw-client.js';
import { err, expectSame, keyed, uniq, usePair, withRaw } from './harness.js';
import { batch, createTopicsReady, metadata, req } from './requests.js';

const BOGUS_ID = Buffer.alloc(16, 7);
const ZERO_ID = Buffer.alloc(16);

/** A topic id as the observation shows it: which id of the scenario it is. */
function idName(id: Buffer, known: Buffer): string {
  return id.equals(known) ? 'known' : id.equals(BOGUS_ID) ? 'bogus' : id.equals(ZERO_ID) ? 'zero' : 'other';
}

async function topicWithRecords(c: RawClient, name: string): Promise<Buffer> {
  await createTopicsReady(c, [{ name, partitions: 1, replicationFactor: 1 }]);
  const id: Buffer = (await metadata(c, [name])).topics[0].topicId;
  const r = await req(c, 0, 9, { transactionalId: null, acks: -1, timeoutMs: 10_000, topicData: [{ name, partitionData: [{ index: 0, records: await batch(3) }] }] });
  if (r.responses[0].partitionResponses[0].errorCode !== 0) throw new Error(`produce to ${name} failed`);
  return id;
}

/** Waits until the group's coordinator answers (a fresh Kafka creates __consumer_offsets first). */
async function coordinatorReady(c: RawClient, group: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const r = await req(c, 10, 4, { keyType: 0, coordinatorKeys: [group] });
    if (r.coordinators[0].errorCode === 0) {
      const probe = await req(c, 9, 8, { groups: [{ groupId: group, topics: null }], requireStable: false });
      if (probe.groups[0].errorCode === 0) return;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`no coordinator for ${group}`);
}

const fetchPartition = (fetchOffset: number) => ({
  partition: 0,
  currentLeaderEpoch: -1,
  fetchOffset,
  lastFetchedEpoch: -1,
  logStartOffset: -1,
  partitionMaxBytes: 1 << 20,
  replicaDirectoryId: ZERO_ID,
  highWatermark: 9223372036854775807,
});

describe.skipIf(!apacheKafkaAvailable())('differential: Kafka 4.x versions', () => {
  const pair = usePair();

  it('Produce 12-13 and Fetch 13-18: topics by id, UNKNOWN_TOPIC_ID', async () => {
    const obs = await pair.both((t) =>
      withRaw(t, async (c) => {
        const topic = uniq('ids');
        const id = await topicWithRecords(c, topic);
        const out: Record<string, unknown> = {};
        const produce = async (version: number, topicData: object[]) => {
          const r = await req(c, 0, version, { transactionalId: null, acks: -1, timeoutMs: 10_000, topicData });
          return r.responses.map((x: any) => ({
            name: x.name === topic ? '<topic>' : x.name,
            topicId: idName(x.topicId, id),
            partitions: x.partitionResponses.map((p: any) => ({ index: p.index, errorCode: err(p.errorCode), baseOffset: p.baseOffset, logStartOffset: p.logStartOffset })),
          }));
        };
        const records = await batch(2);
        out.produceV12 = await produce(12, [{ name: topic, partitionData: [{ index: 0, records }] }]);
        out.produceV13 = await produce(13, [{ topicId: id, partitionData: [{ index: 0, records }] }]);
        out.produceV13UnknownId = await produce(13, [{ topicId: BOGUS_ID, partitionData: [{ index: 0, records }] }]);
        out.produceV13UnknownPartition = await produce(13, [{ topicId: id, partitionData: [{ index: 9, records }] }]);
        for (const version of [13, 14, 15, 16, 17, 18]) {
          const r = await req(c, 1, version, {
            replicaId: -1,
            replicaState: { replicaId: -1, replicaEpoch: -1 },
            maxWaitMs: 0,
            minBytes: 0,
            maxBytes: 1 << 20,
            isolationLevel: 0,
            sessionId: 0,
            sessionEpoch: -1,
            topics: [
              { topicId: id, partitions: [fetchPartition(0)] },
              { topicId: BOGUS_ID, partitions: [fetchPartition(0)] },
            ],
            forgottenTopicsData: [],
            rackId: '',
          });
          out[`fetchV${version}`] = {
            errorCode: err(r.errorCode),
            nodeEndpoints: r.nodeEndpoints.length,
            topics: r.responses.map((x: any) => ({
              topic: x.topic,
              topicId: idName(x.topicId, id),
              partitions: x.partitions.map((p: any) => ({
                partition: p.partitionIndex,
                errorCode: err(p.errorCode),
                highWatermark: p.highWatermark,
                lastStableOffset: p.lastStableOffset,
                logStartOffset: p.logStartOffset,
                abortedTransactions: p.abortedTransactions,
                currentLeader: p.currentLeader,
                hasRecords: (p.records?.length ?? p.records?.size ?? 0) > 0,
              })),
            })),
          };
        }
        return out;
      }),
    );
    expectSame('newer-versions/ids', obs);
  });

  it('ListOffsets 8-11: earliest local, latest tiered, earliest pending upload without remote storage', async () => {
    const obs = await pair.both((t) =>
      withRaw(t, async (c) => {
        const topic = uniq('tiered');
        await topicWithRecords(c, topic);
        const out: Record<string, unknown> = {};
        for (const version of [7, 8, 9, 10, 11]) {
          for (const timestamp of [-2, -4, -5, -6, -7]) {
            const r = await req(c, 2, version, { replicaId: -1, isolationLevel: 0, timeoutMs: 1000, topics: [{ name: topic, partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp, maxNumOffsets: 1 }] }] });
            const p = r.topics[0].partitions[0];
            out[`v${version}/${timestamp}`] = { errorCode: err(p.errorCode), offset: p.offset, timestamp: p.timestamp, leaderEpoch: p.leaderEpoch };
          }
        }
        return out;
      }),
    );
    expectSame('newer-versions/list-offsets', obs);
  });

  it('Metadata 13, FindCoordinator 5-6, DescribeCluster 2, ListTransactions 2', async () => {
    const obs = await pair.both((t) =>
      withRaw(t, async (c) => {
        const topic = uniq('meta13');
        await createTopicsReady(c, [{ name: topic, partitions: 1, replicationFactor: 1 }]);
        const m = await req(c, 3, 13, { topics: [{ name: topic, topicId: ZERO_ID }, { name: uniq('absent'), topicId: ZERO_ID }], allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false });
        const d = await req(c, 60, 2, { includeClusterAuthorizedOperations: false, endpointType: 1, includeFencedBrokers: true });
        const coordinators: Record<string, unknown> = {};
        for (const version of [5, 6]) {
          // Key type 2 (share partitions) is new in v6; malformed share keys are refused either way,
          // a well-formed one names the share coordinator (the leader of its __share_group_state partition).
          const r = await req(c, 10, version, { keyType: 2, coordinatorKeys: ['not-a-share-key', 'g:x:0', 'g:AAAAAAAAAAAAAAAAAAAAAA:0'] });
          coordinators[`v${version}`] = keyed(r.coordinators, (x: any) => x.key, (x: any) => err(x.errorCode));
        }
        const txns: Record<string, unknown> = {};
        for (const pattern of [null, '', 'tx-.*', '(', 'a{2']) {
          const r = await req(c, 66, 2, { stateFilters: [], producerIdFilters: [], durationFilter: -1, transactionalIdPattern: pattern });
          txns[String(pattern)] = { errorCode: err(r.errorCode), states: r.transactionStates.length };
        }
        return {
          metadata: { errorCode: err(m.errorCode), topics: keyed(m.topics, (x: any) => (x.name === topic ? 'created' : 'absent'), (x: any) => err(x.errorCode)) },
          describeCluster: { errorCode: err(d.errorCode), brokers: d.brokers.map((b: any) => ({ isFenced: b.isFenced })) },
          findCoordinator: coordinators,
          listTransactions: txns,
        };
      }),
    );
    expectSame('newer-versions/admin', obs);
  });

  it('OffsetCommit 10 and OffsetFetch 10: topics by id', async () => {
    const obs = await pair.both((t) =>
      withRaw(t, async (c) => {
        const topic = uniq('commit10');
        const group = uniq('g10');
        const id = await topicWithRecords(c, topic);
        await coordinatorReady(c, group);
        const part = (partitionIndex: number) => ({ partitionIndex, committedOffset: 2, committedLeaderEpoch: -1, committedMetadata: 'm' });
        const commit = await req(c, 8, 10, {
          groupId: group,
          generationIdOrMemberEpoch: -1,
          memberId: '',
          groupInstanceId: null,
          topics: [
            { topicId: id, partitions: [part(0), part(7)] },
            { topicId: BOGUS_ID, partitions: [part(0)] },
          ],
        });
        const results: Record<string, string> = {};
        for (const x of commit.topics) for (const p of x.partitions) results[`${idName(x.topicId, id)}/${p.partitionIndex}`] = err(p.errorCode);
        const fetched = async (topics: object[] | null) => {
          const r = await req(c, 9, 10, { groups: [{ groupId: group, memberId: null, memberEpoch: -1, topics }], requireStable: false });
          const g = r.groups[0];
          const out: Record<string, unknown> = { errorCode: err(g.errorCode) };
          for (const x of g.topics) for (const p of x.partitions) out[`${idName(x.topicId, id)}/${p.partitionIndex}`] = { offset: p.committedOffset, metadata: p.metadata, errorCode: err(p.errorCode) };
          return out;
        };
        return {
          commit: results,
          fetch: await fetched([
            { topicId: id, partitionIndexes: [0, 3] },
            { topicId: BOGUS_ID, partitionIndexes: [0] },
          ]),
          fetchAll: await fetched(null),
        };
      }),
    );
    expectSame('newer-versions/offsets', obs);
  });
});
