/**
 * Offsets: commit validation (members, generations, simple commits), durability before the
 * acknowledgement, fetch (all / unknown / requireStable), OffsetDelete, DeleteGroups, retention
 * expiry, topic deletion, describe/list/lag, and the reload of everything from the log.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ErrorCode, KafkaError } from '../../../protocol/errors.js';
import { deleteGroups, describeGroup, describeGroupLag, listGroups } from '../../../src/groups/admin.js';
import { commitOffsets, deleteOffsets, expireOffsets, fetchOffsets, removeTopicOffsets, type OffsetCommitRequest } from '../../../src/groups/offsets.js';
import { decodeKey, decodeOffsetCommitValue } from '../../../src/groups/records.js';
import { assignment, isSettled, joinAndSync, joinReq, settle, setup, tick } from './helpers.js';

beforeEach(() => {
  vi.useFakeTimers();
  vi.setSystemTime(1_700_000_000_000);
});
afterEach(() => {
  vi.useRealTimers();
});

const commit = (p: Partial<OffsetCommitRequest> & { offsets: OffsetCommitRequest['offsets'] }): OffsetCommitRequest => ({
  groupId: 'g',
  generationId: -1,
  memberId: '',
  groupInstanceId: null,
  retentionTimeMs: -1,
  ...p,
});
const off = (topic: string, partition: number, offset: number, metadata: string | null = null) => ({ topic, partition, offset, leaderEpoch: -1, metadata });

describe('OffsetCommit', () => {
  it('simple commits create the group; fetch returns them, -1 for the rest', async () => {
    const { coord } = setup();
    expect(await commitOffsets(coord, commit({ offsets: [off('t', 0, 10, 'm0'), off('t', 1, 20), off('u', 0, 5)] }))).toEqual([0, 0, 0]);
    const g = coord.getGroup('g')!;
    expect(g.state).toBe('Empty');
    expect(g.protocolType).toBeNull();
    const all = fetchOffsets(coord, 'g', null, false);
    expect(all.offsets).toEqual([
      { topic: 't', partition: 0, offset: 10, leaderEpoch: -1, metadata: 'm0', errorCode: 0 },
      { topic: 't', partition: 1, offset: 20, leaderEpoch: -1, metadata: '', errorCode: 0 },
      { topic: 'u', partition: 0, offset: 5, leaderEpoch: -1, metadata: '', errorCode: 0 },
    ]);
    const some = fetchOffsets(coord, 'g', [{ topic: 't', partition: 1 }, { topic: 't', partition: 9 }, { topic: 'nope', partition: 0 }], false);
    expect(some.offsets.map((o) => o.offset)).toEqual([20, -1, -1]);
    expect(fetchOffsets(coord, 'other', [{ topic: 't', partition: 0 }], false).offsets[0]).toMatchObject({ offset: -1, metadata: '', errorCode: 0 });
    expect(fetchOffsets(coord, 'other', null, false).offsets).toEqual([]);
  });

  it('writes Kafka records with commit timestamps, and expire timestamps for a retention time', async () => {
    const { coord, log } = setup();
    await commitOffsets(coord, commit({ offsets: [{ topic: 't', partition: 3, offset: 42, leaderEpoch: 7, metadata: 'meta' }] }));
    await commitOffsets(coord, commit({ retentionTimeMs: 60_000, offsets: [off('t', 4, 1)] }));
    const recs = log.partitions[coord.partitionFor('g')]!;
    expect(decodeKey(recs[0]!.key)).toEqual({ type: 'offset', group: 'g', topic: 't', partition: 3 });
    expect(decodeOffsetCommitValue(recs[0]!.value!)).toEqual({ offset: 42, leaderEpoch: 7, metadata: 'meta', commitTimestamp: 1_700_000_000_000, expireTimestamp: -1 });
    expect(decodeOffsetCommitValue(recs[1]!.value!)!.expireTimestamp).toBe(1_700_000_060_000);
  });

  it('members commit with their generation; others are refused as Kafka does', async () => {
    const { coord } = setup();
    const j = await joinAndSync(coord);
    const base = { memberId: j.memberId, generationId: 1 };
    expect(await commitOffsets(coord, commit({ ...base, offsets: [off('t', 0, 1)] }))).toEqual([0]);
    expect(await commitOffsets(coord, commit({ ...base, generationId: 0, offsets: [off('t', 0, 1)] }))).toEqual([ErrorCode.ILLEGAL_GENERATION]);
    expect(await commitOffsets(coord, commit({ ...base, memberId: 'x', offsets: [off('t', 0, 1)] }))).toEqual([ErrorCode.UNKNOWN_MEMBER_ID]);
    // A simple commit into a group with members would fight with them.
    expect(await commitOffsets(coord, commit({ offsets: [off('t', 0, 1)] }))).toEqual([ErrorCode.UNKNOWN_MEMBER_ID]);
    // An unknown group with a generation: a member of a group long gone.
    expect(await commitOffsets(coord, commit({ groupId: 'gone', generationId: 3, memberId: 'm', offsets: [off('t', 0, 1)] }))).toEqual([ErrorCode.ILLEGAL_GENERATION]);
    expect(coord.getGroup('gone')).toBeUndefined();
    // During PreparingRebalance commits still work; during CompletingRebalance they do not.
    const newcomer = coord.join(joinReq({ clientId: 'b' }));
    await tick();
    expect(coord.getGroup('g')!.state).toBe('PreparingRebalance');
    expect(await commitOffsets(coord, commit({ ...base, offsets: [off('t', 0, 2)] }))).toEqual([0]);
    const rejoin = coord.join(joinReq({ memberId: j.memberId }));
    await settle(Promise.all([newcomer, rejoin]));
    expect(coord.getGroup('g')!.state).toBe('CompletingRebalance');
    expect(await commitOffsets(coord, commit({ memberId: j.memberId, generationId: 2, offsets: [off('t', 0, 3)] }))).toEqual([ErrorCode.REBALANCE_IN_PROGRESS]);
    expect(fetchOffsets(coord, 'g', [{ topic: 't', partition: 0 }], false).offsets[0]!.offset).toBe(2);
  });

  it('refuses unknown partitions and oversized metadata per partition', async () => {
    const { coord } = setup({ offsetMetadataMaxBytes: 5 });
    const codes = await commitOffsets(coord, commit({ offsets: [off('t', 0, 1, '12345'), off('t', 1, 1, '123456'), off('missing', 0, 1)] }));
    expect(codes).toEqual([0, ErrorCode.OFFSET_METADATA_TOO_LARGE, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]);
    expect(fetchOffsets(coord, 'g', null, false).offsets.map((o) => o.partition)).toEqual([0]);
  });

  it('acknowledges only once durable; until then requireStable fetches see UNSTABLE_OFFSET_COMMIT', async () => {
    const { coord, log } = setup();
    await commitOffsets(coord, commit({ offsets: [off('t', 0, 1)] }));
    log.hold();
    const pending = commitOffsets(coord, commit({ offsets: [off('t', 0, 2)] }));
    await tick(10);
    expect(await isSettled(pending)).toBe(false);
    expect(fetchOffsets(coord, 'g', [{ topic: 't', partition: 0 }], false).offsets[0]!.offset).toBe(1);
    expect(fetchOffsets(coord, 'g', [{ topic: 't', partition: 0 }], true).offsets[0]!.errorCode).toBe(ErrorCode.UNSTABLE_OFFSET_COMMIT);
    log.release();
    expect(await pending).toEqual([0]);
    expect(fetchOffsets(coord, 'g', [{ topic: 't', partition: 0 }], true).offsets[0]).toMatchObject({ offset: 2, errorCode: 0 });
  });

  it('maps write failures and timeouts to Kafka’s commit errors', async () => {
    const { coord, log } = setup({ commitTimeoutMs: 1000 });
    log.failWith = new KafkaError(ErrorCode.KAFKA_STORAGE_ERROR, 'disk');
    expect(await commitOffsets(coord, commit({ offsets: [off('t', 0, 1)] }))).toEqual([ErrorCode.NOT_COORDINATOR]);
    log.failWith = null;
    log.hold();
    const slow = commitOffsets(coord, commit({ offsets: [off('t', 0, 1)] }));
    await tick(1001);
    expect(await slow).toEqual([ErrorCode.COORDINATOR_NOT_AVAILABLE]);
    log.release();
  });
});

describe('OffsetDelete and DeleteGroups', () => {
  it('deletes offsets of an empty group, with tombstones', async () => {
    const { coord, log } = setup();
    await commitOffsets(coord, commit({ offsets: [off('t', 0, 1), off('t', 1, 1)] }));
    expect(await deleteOffsets(coord, 'g', [{ topic: 't', partition: 0 }])).toEqual({ errorCode: 0, partitions: [0] });
    expect(fetchOffsets(coord, 'g', null, false).offsets.map((o) => o.partition)).toEqual([1]);
    const recs = log.partitions[coord.partitionFor('g')]!;
    expect(recs[recs.length - 1]).toMatchObject({ value: null });
    expect(decodeKey(recs[recs.length - 1]!.key)).toEqual({ type: 'offset', group: 'g', topic: 't', partition: 0 });
    expect((await deleteOffsets(coord, 'nope', [{ topic: 't', partition: 0 }])).errorCode).toBe(ErrorCode.GROUP_ID_NOT_FOUND);
  });

  it('refuses to delete offsets of topics an active consumer group subscribes to', async () => {
    const { coord } = setup();
    const j = await joinAndSync(coord);
    await commitOffsets(coord, commit({ memberId: j.memberId, generationId: 1, offsets: [off('t', 0, 1), off('old', 0, 1)] }));
    const r = await deleteOffsets(coord, 'g', [
      { topic: 't', partition: 0 },
      { topic: 'old', partition: 0 },
    ]);
    expect(r).toEqual({ errorCode: 0, partitions: [ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC, 0] });
  });

  it('deletes only empty groups, with their offsets', async () => {
    const { coord, log } = setup();
    const j = await joinAndSync(coord, { groupId: 'busy' });
    await commitOffsets(coord, commit({ groupId: 'busy', memberId: j.memberId, generationId: 1, offsets: [off('t', 0, 1)] }));
    await commitOffsets(coord, commit({ offsets: [off('t', 0, 1)] }));
    expect(await deleteGroups(coord, ['busy', 'g', 'nope'])).toEqual([ErrorCode.NON_EMPTY_GROUP, 0, ErrorCode.GROUP_ID_NOT_FOUND]);
    expect(coord.getGroup('g')).toBeUndefined();
    expect(fetchOffsets(coord, 'g', null, false).offsets).toEqual([]);
    const recs = log.partitions[coord.partitionFor('g')]!.filter((r) => decodeKey(r.key)?.group === 'g');
    expect(recs.slice(-2).map((r) => [decodeKey(r.key)!.type, r.value])).toEqual([
      ['offset', null],
      ['group', null],
    ]);
  });
});

describe('retention', () => {
  it('expires offsets of simple groups per commit, and removes the group when none are left', async () => {
    const { coord, log } = setup({ offsetsRetentionMs: 60_000 });
    await commitOffsets(coord, commit({ offsets: [off('t', 0, 1)] }));
    await tick(30_000);
    await commitOffsets(coord, commit({ offsets: [off('t', 1, 1)] }));
    await tick(30_000);
    expect(await expireOffsets(coord)).toBe(1);
    expect(fetchOffsets(coord, 'g', null, false).offsets.map((o) => o.partition)).toEqual([1]);
    await tick(30_000);
    expect(await expireOffsets(coord)).toBe(1);
    expect(coord.getGroup('g')).toBeUndefined();
    const recs = log.partitions[coord.partitionFor('g')]!;
    expect(decodeKey(recs[recs.length - 1]!.key)).toEqual({ type: 'group', group: 'g' });
    expect(recs[recs.length - 1]!.value).toBeNull();
  });

  it('keeps offsets of a group while it has members; counts from the time it became empty', async () => {
    const { coord } = setup({ offsetsRetentionMs: 60_000 });
    const j = await joinAndSync(coord, { sessionTimeoutMs: 45_000 });
    await commitOffsets(coord, commit({ memberId: j.memberId, generationId: 1, offsets: [off('t', 0, 1)] }));
    for (let i = 0; i < 5; i++) {
      await tick(30_000);
      coord.heartbeat({ groupId: 'g', generationId: 1, memberId: j.memberId, groupInstanceId: null });
    }
    expect(await expireOffsets(coord)).toBe(0);
    coord.leave('g', [{ memberId: j.memberId, groupInstanceId: null, reason: null }]);
    await tick(59_000);
    expect(await expireOffsets(coord)).toBe(0);
    await tick(2000);
    expect(await expireOffsets(coord)).toBe(1);
  });

  it('an explicit retention time (OffsetCommit v2-v4) wins', async () => {
    const { coord } = setup({ offsetsRetentionMs: 10 * 60_000 });
    await commitOffsets(coord, commit({ retentionTimeMs: 1000, offsets: [off('t', 0, 1)] }));
    await tick(1500);
    expect(await expireOffsets(coord)).toBe(1);
  });

  it('runs on its own every offsets.retention.check.interval.ms', async () => {
    const { coord } = setup({ offsetsRetentionMs: 1000, retentionCheckIntervalMs: 5000 });
    coord.expireHook = async () => {
      await expireOffsets(coord);
    };
    coord.startExpiry();
    await commitOffsets(coord, commit({ offsets: [off('t', 0, 1)] }));
    await tick(5100);
    expect(coord.getGroup('g')).toBeUndefined();
    coord.shutdown();
  });

  it('drops the offsets of a deleted topic', async () => {
    const { coord } = setup();
    await commitOffsets(coord, commit({ offsets: [off('t', 0, 1), off('u', 0, 1)] }));
    await removeTopicOffsets(coord, 't');
    expect(fetchOffsets(coord, 'g', null, false).offsets.map((o) => o.topic)).toEqual(['u']);
  });
});

describe('describe, list, lag', () => {
  it('describes members with metadata and assignment only when Stable', async () => {
    const { coord } = setup();
    const j = await joinAndSync(coord, {}, { t: [0, 1] });
    const d = describeGroup(coord, 'g');
    expect(d).toMatchObject({ errorCode: 0, state: 'Stable', protocolType: 'consumer', protocol: 'range' });
    expect(d.members).toEqual([expect.objectContaining({ memberId: j.memberId, clientId: 'client', clientHost: '/127.0.0.1', assignment: assignment({ t: [0, 1] }) })]);
    expect(describeGroup(coord, 'nope')).toMatchObject({ errorCode: 0, state: 'Dead', members: [] });
    await commitOffsets(coord, commit({ groupId: 'simple', offsets: [off('t', 0, 1)] }));
    expect(listGroups(coord).groups).toEqual([
      { groupId: 'g', protocolType: 'consumer', state: 'Stable', type: 'classic' },
      { groupId: 'simple', protocolType: '', state: 'Empty', type: 'classic' },
    ]);
    expect(listGroups(coord, ['empty']).groups.map((g) => g.groupId)).toEqual(['simple']);
  });

  it('computes lag per partition, including assigned partitions without commits', async () => {
    const { coord } = setup();
    const j = await joinAndSync(coord, {}, { t: [0, 1] });
    await commitOffsets(coord, commit({ memberId: j.memberId, generationId: 1, offsets: [off('t', 0, 90), off('deleted', 0, 5)] }));
    const lag = describeGroupLag(coord, 'g')!;
    expect(lag.partitions).toEqual([
      { topic: 'deleted', partition: 0, committed: 5, logEndOffset: null, lag: null, memberId: null, clientId: null },
      { topic: 't', partition: 0, committed: 90, logEndOffset: 100, lag: 10, memberId: j.memberId, clientId: 'client' },
      { topic: 't', partition: 1, committed: null, logEndOffset: 101, lag: null, memberId: j.memberId, clientId: 'client' },
    ]);
    expect(lag.totalLag).toBe(10);
    expect(describeGroupLag(coord, 'nope')).toBeNull();
  });
});

describe('reload from the log', () => {
  it('rebuilds groups, members, assignments and offsets; tombstones stay deleted', async () => {
    const first = setup();
    const j = await joinAndSync(first.coord, { groupInstanceId: 'inst', sessionTimeoutMs: 20_000 }, { t: [0, 1] });
    await commitOffsets(first.coord, commit({ memberId: j.memberId, generationId: 1, offsets: [{ topic: 't', partition: 0, offset: 7, leaderEpoch: 2, metadata: 'x' }] }));
    await commitOffsets(first.coord, commit({ groupId: 'simple', offsets: [off('t', 0, 3), off('t', 1, 4)] }));
    await deleteOffsets(first.coord, 'simple', [{ topic: 't', partition: 1 }]);
    await commitOffsets(first.coord, commit({ groupId: 'doomed', offsets: [off('t', 0, 3)] }));
    await deleteGroups(first.coord, ['doomed']);
    first.coord.shutdown();

    const second = setup({}, first.log);
    await second.started;
    expect([...second.coord.groups.keys()].sort()).toEqual(['g', 'simple']);
    const g = second.coord.getGroup('g')!;
    expect(g).toMatchObject({ state: 'Stable', generationId: 1, protocolType: 'consumer', protocolName: 'range', leaderId: j.memberId });
    expect(g.staticMembers.get('inst')).toBe(j.memberId);
    expect(g.members.get(j.memberId)!.assignment).toEqual(assignment({ t: [0, 1] }));
    expect(fetchOffsets(second.coord, 'g', null, false).offsets).toEqual([{ topic: 't', partition: 0, offset: 7, leaderEpoch: 2, metadata: 'x', errorCode: 0 }]);
    expect(fetchOffsets(second.coord, 'simple', null, false).offsets.map((o) => [o.partition, o.offset])).toEqual([[0, 3]]);
    expect(second.coord.getGroup('doomed')).toBeUndefined();
    // The member carries on with its generation, without a rebalance...
    expect(second.coord.heartbeat({ groupId: 'g', generationId: 1, memberId: j.memberId, groupInstanceId: 'inst' })).toBe(0);
    // ...and if it is gone, its session expires as usual.
    await tick(21_000);
    expect(second.coord.getGroup('g')!.state).toBe('Empty');
    second.coord.shutdown();
  });
});
