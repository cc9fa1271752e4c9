/**
 * OffsetCommit (key 8) and OffsetFetch (key 9) against fakes and the real group coordinator on an
 * in-memory __consumer_offsets: simple commits (no group membership) are stored and fetched back
 * in every response layout (v1 per partition, v2+ with a group error, v8+ per group), commits to
 * unknown partitions are refused per partition, and generation checks apply to members.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../../protocol/errors.js';
import {
  newOffsetCommitRequest,
  newOffsetCommitRequestPartition,
  newOffsetCommitRequestTopic,
  newOffsetFetchRequest,
  newOffsetFetchRequestGroup,
  newOffsetFetchRequestGroupTopic,
  newOffsetFetchRequestTopic,
  type OffsetCommitResponse,
  type OffsetFetchResponse,
} from '../../../protocol/generated/index.js';
import { fakeBroker, type FakeBroker } from './fakes.js';

const OFFSET_COMMIT = 8;
const OFFSET_FETCH = 9;

function commitReq(groupId: string, offsets: Array<[string, number, number]>, member: { generation?: number; memberId?: string } = {}) {
  return newOffsetCommitRequest({
    groupId,
    generationIdOrMemberEpoch: member.generation ?? -1,
    memberId: member.memberId ?? '',
    retentionTimeMs: -1,
    topics: [...new Set(offsets.map(([t]) => t))].map((name) =>
      newOffsetCommitRequestTopic({ name, partitions: offsets.filter(([t]) => t === name).map(([, partitionIndex, committedOffset]) => newOffsetCommitRequestPartition({ partitionIndex, committedOffset, committedMetadata: `m${committedOffset}` })) }),
    ),
  });
}

const codes = (res: OffsetCommitResponse) => res.topics.flatMap((t) => t.partitions.map((p) => [`${t.name}-${p.partitionIndex}`, p.errorCode]));

let b: FakeBroker;
afterEach(() => b?.close());

describe('OffsetCommit and OffsetFetch', () => {
  it('stores a simple commit and fetches it back (v7 layout)', async () => {
    b = fakeBroker();
    b.topics.add('t', 2);
    const res = await b.handle<OffsetCommitResponse>(OFFSET_COMMIT, 8, commitReq('g', [['t', 0, 42], ['t', 1, 7]]));
    expect(codes(res)).toEqual([['t-0', 0], ['t-1', 0]]);
    // Durably: one record per offset in the group's __consumer_offsets partition.
    expect(b.offsetsLog.partitions[b.coordinator.partitionFor('g')]!.length).toBe(2);
    const fetched = await b.handle<OffsetFetchResponse>(OFFSET_FETCH, 7, newOffsetFetchRequest({ groupId: 'g', topics: [newOffsetFetchRequestTopic({ name: 't', partitionIndexes: [0, 1] })] }));
    expect(fetched.errorCode).toBe(0);
    expect(fetched.topics[0]!.partitions.map((p) => [p.partitionIndex, p.committedOffset, p.metadata, p.errorCode])).toEqual([
      [0, 42, 'm42', 0],
      [1, 7, 'm7', 0],
    ]);
  });

  it('refuses commits to partitions that do not exist, per partition', async () => {
    b = fakeBroker();
    b.topics.add('t', 1);
    const res = await b.handle<OffsetCommitResponse>(OFFSET_COMMIT, 8, commitReq('g', [['t', 0, 1], ['t', 4, 1], ['nope', 0, 1]]));
    expect(codes(res)).toEqual([
      ['t-0', ErrorCode.NONE],
      ['t-4', ErrorCode.UNKNOWN_TOPIC_OR_PARTITION],
      ['nope-0', ErrorCode.UNKNOWN_TOPIC_OR_PARTITION],
    ]);
  });

  it('refuses a commit from an unknown member of a group', async () => {
    b = fakeBroker();
    b.topics.add('t', 1);
    await b.handle(OFFSET_COMMIT, 8, commitReq('g', [['t', 0, 1]]));
    const res = await b.handle<OffsetCommitResponse>(OFFSET_COMMIT, 8, commitReq('g', [['t', 0, 2]], { generation: 3, memberId: 'ghost' }));
    expect(codes(res)).toEqual([['t-0', ErrorCode.UNKNOWN_MEMBER_ID]]);
  });

  it('fetches every committed offset for a null topic list, and -1 for partitions without one', async () => {
    b = fakeBroker();
    b.topics.add('t', 3);
    await b.handle(OFFSET_COMMIT, 8, commitReq('g', [['t', 2, 9]]));
    const all = await b.handle<OffsetFetchResponse>(OFFSET_FETCH, 7, newOffsetFetchRequest({ groupId: 'g', topics: null }));
    expect(all.topics.map((t) => [t.name, t.partitions.map((p) => [p.partitionIndex, p.committedOffset])])).toEqual([['t', [[2, 9]]]]);
    const v1 = await b.handle<OffsetFetchResponse>(OFFSET_FETCH, 1, newOffsetFetchRequest({ groupId: 'g', topics: [newOffsetFetchRequestTopic({ name: 't', partitionIndexes: [0, 2] })] }));
    expect(v1.topics[0]!.partitions.map((p) => [p.partitionIndex, p.committedOffset])).toEqual([
      [0, -1],
      [2, 9],
    ]);
  });

  it('answers v8+ per group', async () => {
    b = fakeBroker();
    b.topics.add('t', 1);
    await b.handle(OFFSET_COMMIT, 8, commitReq('g1', [['t', 0, 5]]));
    const res = await b.handle<OffsetFetchResponse>(
      OFFSET_FETCH,
      8,
      newOffsetFetchRequest({
        groups: [
          newOffsetFetchRequestGroup({ groupId: 'g1', topics: [newOffsetFetchRequestGroupTopic({ name: 't', partitionIndexes: [0] })] }),
          newOffsetFetchRequestGroup({ groupId: 'g2', topics: [newOffsetFetchRequestGroupTopic({ name: 't', partitionIndexes: [0] })] }),
        ],
      }),
    );
    expect(res.groups.map((g) => [g.groupId, g.errorCode, g.topics[0]!.partitions[0]!.committedOffset])).toEqual([
      ['g1', 0, 5],
      ['g2', 0, -1],
    ]);
  });

  it('answers NOT_COORDINATOR while the coordinator stops', async () => {
    b = fakeBroker();
    b.topics.add('t', 1);
    b.coordinator.shutdown();
    const res = await b.handle<OffsetFetchResponse>(OFFSET_FETCH, 7, newOffsetFetchRequest({ groupId: 'g', topics: [newOffsetFetchRequestTopic({ name: 't', partitionIndexes: [0] })] }));
    expect(res.errorCode).toBe(ErrorCode.NOT_COORDINATOR);
  });
});
