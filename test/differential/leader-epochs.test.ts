/**
 * Differential test: leader epochs on a single-node topic (issue 15 item 2), Runnel's replica
 * layer against Apache Kafka. OffsetForLeaderEpoch (API 23) for the current epoch 0, undefined and
 * unknown larger epochs, an epoch older than any, the current-leader-epoch fencing checks
 * (FENCED_LEADER_EPOCH below ours, UNKNOWN_LEADER_EPOCH above), unknown partitions and topics, an
 * empty topic, and after DeleteRecords; then the same current-leader-epoch checks on Fetch and
 * ListOffsets, the leader epoch ListOffsets answers with, and Fetch v12's diverging epoch for a
 * fetcher whose last fetched epoch ended before its fetch offset. Raw frames, exact versions.
 */
import { describe, it } from 'vitest';
import * as G from '../../protocol/generated/index.js';
import type { RawClient } from '../helpers/raw-client.js';
import { err, expectSame, uniq, usePair, withRaw, type Target } from './harness.js';
import { batch, createTopicsReady, epochAnswers, offsetForLeaderEpoch, produceOne, req } from './requests.js';

/** The topic's partition 0 holds 5 records in 3 batches (offsets 0-4), all at leader epoch 0. */
async function fiveRecords(c: RawClient, topic: string): Promise<void> {
  await createTopicsReady(c, [{ name: topic, partitions: 1 }]);
  for (const n of [2, 2, 1]) {
    const r = await produceOne(c, topic, 0, await batch(n));
    if (r.errorCode !== 0) throw new Error(`produce to ${topic}: ${err(r.errorCode)}`);
  }
}

/** One Fetch v12 partition, as a consumer asks (replica id -1, no wait). */
async function fetchOne(c: RawClient, topic: string, p: { fetchOffset: number; currentLeaderEpoch?: number; lastFetchedEpoch?: number }): Promise<unknown> {
  const r = await req(c, 1, 12, {
    replicaId: -1,
    maxWaitMs: 0,
    minBytes: 0,
    maxBytes: 1 << 20,
    isolationLevel: 0,
    sessionId: 0,
    sessionEpoch: -1,
    topics: [
      G.newFetchRequestTopic({
        topic,
        partitions: [
          G.newFetchRequestPartition({ partition: 0, fetchOffset: p.fetchOffset, currentLeaderEpoch: p.currentLeaderEpoch ?? -1, lastFetchedEpoch: p.lastFetchedEpoch ?? -1, partitionMaxBytes: 1 << 20 }),
        ],
      }),
    ],
    forgottenTopicsData: [],
    rackId: '',
  });
  const a = r.responses[0].partitions[0];
  return {
    error: err(a.errorCode),
    highWatermark: Number(a.highWatermark),
    lastStableOffset: Number(a.lastStableOffset),
    logStartOffset: Number(a.logStartOffset),
    divergingEpoch: `${a.divergingEpoch.epoch} ${Number(a.divergingEpoch.endOffset)}`,
    hasRecords: a.records !== null && (Buffer.isBuffer(a.records) ? a.records.length : a.records.size) > 0,
  };
}

/** One ListOffsets v7 partition: `<error> <offset> <leader epoch>`. */
async function listOne(c: RawClient, topic: string, timestamp: number, currentLeaderEpoch = -1): Promise<string> {
  const r = await req(c, 2, 7, {
    replicaId: -1,
    isolationLevel: 0,
    topics: [G.newListOffsetsRequestTopic({ name: topic, partitions: [G.newListOffsetsRequestPartition({ partitionIndex: 0, currentLeaderEpoch, timestamp, maxNumOffsets: 1 })] })],
  });
  const a = r.topics[0].partitions[0];
  return `${err(a.errorCode)} ${Number(a.offset)} ${a.leaderEpoch}`;
}

describe('differential: leader epochs of a single-node topic', () => {
  const pair = usePair();

  it('OffsetForLeaderEpoch: current, unknown and older epochs, fencing, unknown partitions, empty topic, after DeleteRecords', async () => {
    const topic = uniq('ofle');
    const empty = uniq('ofle-empty');
    const obs = await pair.both((t: Target) =>
      withRaw(t, async (c) => {
        await fiveRecords(c, topic);
        await createTopicsReady(c, [{ name: empty, partitions: 1 }]);
        const ask = async (queries: Parameters<typeof offsetForLeaderEpoch>[2], version = 4, name = topic) => epochAnswers(await offsetForLeaderEpoch(c, name, queries, version));
        const out: Record<string, unknown> = {
          currentEpoch: await ask([{ partition: 0, leaderEpoch: 0 }]),
          currentEpochNamed: await ask([{ partition: 0, leaderEpoch: 0, currentLeaderEpoch: 0 }]),
          undefinedEpoch: await ask([{ partition: 0, leaderEpoch: -1 }]),
          largerEpoch: await ask([{ partition: 0, leaderEpoch: 1 }, { partition: 0, leaderEpoch: 2147483647 }]),
          olderEpoch: await ask([{ partition: 0, leaderEpoch: -2 }]),
          currentLeaderEpochAhead: await ask([{ partition: 0, leaderEpoch: 0, currentLeaderEpoch: 1 }]),
          currentLeaderEpochBehind: await ask([{ partition: 0, leaderEpoch: 0, currentLeaderEpoch: -2 }]),
          fencingBeforeLookup: await ask([{ partition: 0, leaderEpoch: 7, currentLeaderEpoch: 3 }]),
          unknownPartition: await ask([{ partition: 9, leaderEpoch: 0 }, { partition: 0, leaderEpoch: 0 }]),
          unknownTopic: await ask([{ partition: 0, leaderEpoch: 0 }], 4, uniq('ofle-nope')),
          emptyTopic: await ask([{ partition: 0, leaderEpoch: 0 }, { partition: 0, leaderEpoch: -2 }, { partition: 0, leaderEpoch: 1 }], 4, empty),
          v2: await ask([{ partition: 0, leaderEpoch: 0 }, { partition: 0, leaderEpoch: 0, currentLeaderEpoch: 1 }], 2),
          v3: await ask([{ partition: 0, leaderEpoch: 0, currentLeaderEpoch: -2 }, { partition: 0, leaderEpoch: 1 }], 3),
        };
        const del = await req(c, 21, 2, { topics: [G.newDeleteRecordsRequestTopic({ name: topic, partitions: [G.newDeleteRecordsRequestPartition({ partitionIndex: 0, offset: 2 })] })], timeoutMs: 10_000 });
        out.deleteRecords = err(del.topics[0].partitions[0].errorCode);
        out.afterDeleteRecords = await ask([{ partition: 0, leaderEpoch: -2 }, { partition: 0, leaderEpoch: 0 }, { partition: 0, leaderEpoch: 1 }]);
        return out;
      }),
    );
    expectSame('leader-epochs/offset-for-leader-epoch', obs);
  });

  it('Fetch and ListOffsets: the current leader epoch checked, epochs answered, a diverging epoch', async () => {
    const topic = uniq('epochs');
    const obs = await pair.both((t: Target) =>
      withRaw(t, async (c) => {
        await fiveRecords(c, topic);
        return {
          fetchCurrentEpoch: await fetchOne(c, topic, { fetchOffset: 0, currentLeaderEpoch: 0 }),
          fetchEpochAhead: await fetchOne(c, topic, { fetchOffset: 0, currentLeaderEpoch: 1 }),
          fetchEpochBehind: await fetchOne(c, topic, { fetchOffset: 0, currentLeaderEpoch: -2 }),
          // At the end, the epoch check still comes first.
          fetchAtEndEpochAhead: await fetchOne(c, topic, { fetchOffset: 5, currentLeaderEpoch: 1 }),
          // A fetcher whose epoch 0 went up to offset 7: epoch 0 ends at 5 here, truncate to it.
          fetchDiverging: await fetchOne(c, topic, { fetchOffset: 7, currentLeaderEpoch: 0, lastFetchedEpoch: 0 }),
          fetchNotDiverging: await fetchOne(c, topic, { fetchOffset: 3, lastFetchedEpoch: 0 }),
          // An epoch newer than any: its end cannot be placed.
          fetchUnknownLastEpoch: await fetchOne(c, topic, { fetchOffset: 3, lastFetchedEpoch: 4 }),
          listLatest: await listOne(c, topic, -1, 0),
          listEarliest: await listOne(c, topic, -2),
          listByTimestamp: await listOne(c, topic, 1_700_000_000_001),
          listMaxTimestamp: await listOne(c, topic, -3),
          listEpochAhead: await listOne(c, topic, -1, 1),
          listEpochBehind: await listOne(c, topic, -2, -2),
        };
      }),
    );
    expectSame('leader-epochs/fetch-list-offsets', obs);
  });
});
