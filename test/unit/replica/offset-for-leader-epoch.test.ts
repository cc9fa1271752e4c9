/**
 * What OffsetForLeaderEpoch (API 23) answers for a single-node topic, from the replica layer
 * (src/replica/offset-for-leader-epoch.ts), in the form a differential test reads both brokers'
 * answers (test/differential/requests.ts: offsetForLeaderEpoch + epochAnswers). The expectations
 * are Apache Kafka's answers for a topic led at epoch 0 since its first offset (its
 * LeaderEpochFileCache / Partition / ReplicaManager rules); every row was checked against Apache
 * Kafka 4.4.0 (scripts/apache-kafka.sh) with those request helpers, and
 * test/differential/offset-for-leader-epoch.test.ts keeps checking the handler against it.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { newOffsetForLeaderEpochRequest, newOffsetForLeaderEpochRequestPartition, newOffsetForLeaderEpochRequestTopic } from '../../../protocol/generated/index.js';
import { offsetForLeaderEpochResponse } from '../../../src/replica/offset-for-leader-epoch.js';
import { type EpochQuery, epochAnswers } from '../../differential/requests.js';
import { makeBatch } from '../storage/helpers.js';
import { type ReplicaFixture, replicaFixture } from './helpers.js';

const fixtures: ReplicaFixture[] = [];
afterEach(async () => {
  while (fixtures.length) await fixtures.pop()!.close();
});

/** A topic `t` with 5 records (one batch each) in partition 0, and an empty topic `e`. */
async function singleNodeTopics(): Promise<ReplicaFixture> {
  const f = await replicaFixture();
  fixtures.push(f);
  await f.createTopic('t', 1);
  await f.createTopic('e', 1);
  for (let i = 0; i < 5; i++) await f.rm.get('t', 0)!.append(makeBatch([{ value: `v${i}` }]), -1, 1).written;
  return f;
}

function ask(f: ReplicaFixture, topic: string, queries: EpochQuery[], version = 4): string[] {
  const req = newOffsetForLeaderEpochRequest({
    replicaId: -1,
    topics: [newOffsetForLeaderEpochRequestTopic({ topic, partitions: queries.map((q) => newOffsetForLeaderEpochRequestPartition({ partition: q.partition, leaderEpoch: q.leaderEpoch, currentLeaderEpoch: q.currentLeaderEpoch ?? -1 })) })],
  });
  return epochAnswers(offsetForLeaderEpochResponse(f.rm, req, version));
}

describe('OffsetForLeaderEpoch for a single-node topic (what Kafka answers)', () => {
  it.each([
    { what: 'the current epoch: the log end offset', q: { partition: 0, leaderEpoch: 0 }, want: 'NONE 0 5' },
    { what: 'the current epoch, current leader epoch given', q: { partition: 0, leaderEpoch: 0, currentLeaderEpoch: 0 }, want: 'NONE 0 5' },
    { what: 'undefined epoch -1: no error, -1/-1', q: { partition: 0, leaderEpoch: -1 }, want: 'NONE -1 -1' },
    { what: 'an epoch newer than any: no error, -1/-1', q: { partition: 0, leaderEpoch: 1 }, want: 'NONE -1 -1' },
    { what: 'a much newer epoch', q: { partition: 0, leaderEpoch: 2147483647 }, want: 'NONE -1 -1' },
    { what: 'an epoch older than any: that epoch, the log start', q: { partition: 0, leaderEpoch: -2 }, want: 'NONE -2 0' },
    { what: 'current leader epoch ahead of ours', q: { partition: 0, leaderEpoch: 0, currentLeaderEpoch: 1 }, want: 'UNKNOWN_LEADER_EPOCH -1 -1' },
    { what: 'current leader epoch behind ours', q: { partition: 0, leaderEpoch: 0, currentLeaderEpoch: -2 }, want: 'FENCED_LEADER_EPOCH -1 -1' },
    { what: 'the epoch check comes before the epoch lookup', q: { partition: 0, leaderEpoch: 7, currentLeaderEpoch: 3 }, want: 'UNKNOWN_LEADER_EPOCH -1 -1' },
    { what: 'an unknown partition', q: { partition: 9, leaderEpoch: 0 }, want: 'UNKNOWN_TOPIC_OR_PARTITION -1 -1' },
  ])('$what', async ({ q, want }) => {
    const f = await singleNodeTopics();
    expect(ask(f, 't', [q])).toEqual([want]);
  });

  it('an unknown topic; an empty topic', async () => {
    const f = await singleNodeTopics();
    expect(ask(f, 'nope', [{ partition: 0, leaderEpoch: 0 }])).toEqual(['UNKNOWN_TOPIC_OR_PARTITION -1 -1']);
    expect(ask(f, 'e', [{ partition: 0, leaderEpoch: 0 }, { partition: 0, leaderEpoch: -2 }, { partition: 0, leaderEpoch: 1 }])).toEqual(['NONE 0 0', 'NONE -2 0', 'NONE -1 -1']);
  });

  it('after DeleteRecords: older epochs end where the log now starts', async () => {
    const f = await singleNodeTopics();
    await f.rm.get('t', 0)!.deleteRecordsBefore(2);
    expect(ask(f, 't', [{ partition: 0, leaderEpoch: -2 }, { partition: 0, leaderEpoch: 0 }])).toEqual(['NONE -2 2', 'NONE 0 5']);
  });

  it('v0-1 carry no current leader epoch: it is not checked', async () => {
    const f = await singleNodeTopics();
    expect(ask(f, 't', [{ partition: 0, leaderEpoch: 0, currentLeaderEpoch: 3 }], 1)).toEqual(['NONE 0 5']);
    expect(ask(f, 't', [{ partition: 0, leaderEpoch: 0, currentLeaderEpoch: 3 }], 2)).toEqual(['UNKNOWN_LEADER_EPOCH -1 -1']);
  });

  it('the same answers after a restart (the epoch cache came back from leader-epoch-checkpoint)', async () => {
    const f = await singleNodeTopics();
    await f.restart();
    expect(ask(f, 't', [{ partition: 0, leaderEpoch: 0 }, { partition: 0, leaderEpoch: -2 }, { partition: 0, leaderEpoch: 1 }])).toEqual(['NONE 0 5', 'NONE -2 0', 'NONE -1 -1']);
  });
});
