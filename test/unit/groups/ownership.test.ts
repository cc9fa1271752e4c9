/**
 * The group coordinator follows `__consumer_offsets` leadership (a fake leadership moved by hand):
 * groups of a partition are unloaded when it resigns (members get NOT_COORDINATOR, parked joins
 * are answered), loaded again when it is led (COORDINATOR_LOAD_IN_PROGRESS meanwhile; members
 * carry on with their generation, offsets intact), stale events and loads of an older epoch are
 * ignored, and transaction markers arriving while a partition loads are applied after the load.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ErrorCode, KafkaError } from '../../../protocol/errors.js';
import { CONSUMER_OFFSETS_TOPIC as OFFSETS } from '../../../src/data/internal-topic.js';
import { describeGroup, listGroups } from '../../../src/groups/admin.js';
import type { GroupCoordinator } from '../../../src/groups/coordinator.js';
import { commitOffsets, fetchOffsets, type OffsetCommitRequest } from '../../../src/groups/offsets.js';
import { commitTxnOffsets } from '../../../src/groups/txn-offsets.js';
import { FakeLeadership } from '../../helpers/fake-leadership.js';
import { isSettled, joinAndSync, joinReq, setup, tick } from './helpers.js';

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

const commit = (groupId: string, offset: number, member: { memberId: string; generationId: number } = { memberId: '', generationId: -1 }): OffsetCommitRequest => ({
  groupId,
  ...member,
  groupInstanceId: null,
  retentionTimeMs: -1,
  offsets: [{ topic: 't', partition: 0, offset, leaderEpoch: -1, metadata: null }],
});

/** A group id whose partition differs from `p`. */
function groupOnAnotherPartition(coord: GroupCoordinator, p: number): string {
  return ['h', 'i', 'j', 'k', 'l'].find((id) => coord.partitionFor(id) !== p)!;
}

const committed = (coord: GroupCoordinator, groupId: string) => fetchOffsets(coord, groupId, [{ topic: 't', partition: 0 }], false);

describe('following __consumer_offsets leadership', () => {
  it('unloads a resigned partition (NOT_COORDINATOR) and loads it back (LOAD_IN_PROGRESS, then the group carries on)', async () => {
    const { coord, log, leadership } = setup();
    const j = await joinAndSync(coord);
    const member = { memberId: j.memberId, generationId: 1 };
    expect(await commitOffsets(coord, commit('g', 42, member))).toEqual([ErrorCode.NONE]);
    const p = coord.partitionFor('g');
    const other = groupOnAnotherPartition(coord, p);
    expect(await commitOffsets(coord, commit(other, 7))).toEqual([ErrorCode.NONE]);

    leadership.resign(OFFSETS, p);
    expect(coord.getGroup('g')).toBeUndefined();
    const heartbeat = { groupId: 'g', generationId: 1, memberId: j.memberId, groupInstanceId: null };
    expect(coord.heartbeat(heartbeat)).toBe(ErrorCode.NOT_COORDINATOR);
    expect((await coord.join(joinReq({ memberId: j.memberId }))).errorCode).toBe(ErrorCode.NOT_COORDINATOR);
    expect((await coord.sync({ ...heartbeat, protocolType: null, protocolName: null, assignments: [] })).errorCode).toBe(ErrorCode.NOT_COORDINATOR);
    expect(coord.leave('g', [{ memberId: j.memberId, groupInstanceId: null, reason: null }]).errorCode).toBe(ErrorCode.NOT_COORDINATOR);
    expect(await commitOffsets(coord, commit('g', 43, member))).toEqual([ErrorCode.NOT_COORDINATOR]);
    expect(committed(coord, 'g').errorCode).toBe(ErrorCode.NOT_COORDINATOR);
    expect(describeGroup(coord, 'g').errorCode).toBe(ErrorCode.NOT_COORDINATOR);
    expect(listGroups(coord).groups.map((g) => g.groupId)).toEqual([other]);
    // The other partition's group is untouched.
    expect(committed(coord, other).offsets[0]!.offset).toBe(7);

    log.holdReplays();
    leadership.lead(OFFSETS, p);
    expect(coord.heartbeat(heartbeat)).toBe(ErrorCode.COORDINATOR_LOAD_IN_PROGRESS);
    expect(committed(coord, 'g').errorCode).toBe(ErrorCode.COORDINATOR_LOAD_IN_PROGRESS);
    expect(await commitOffsets(coord, commit('g', 44, member))).toEqual([ErrorCode.COORDINATOR_LOAD_IN_PROGRESS]);
    expect(listGroups(coord).errorCode).toBe(ErrorCode.COORDINATOR_LOAD_IN_PROGRESS);
    log.releaseReplays();
    await tick();

    // Back as it was: the member keeps its generation (no rebalance), the offset survived.
    expect(coord.getGroup('g')).toMatchObject({ state: 'Stable', generationId: 1 });
    expect(coord.heartbeat(heartbeat)).toBe(ErrorCode.NONE);
    expect(committed(coord, 'g').offsets[0]!.offset).toBe(42);
    expect(listGroups(coord).errorCode).toBe(ErrorCode.NONE);
    expect(await commitOffsets(coord, commit('g', 45, member))).toEqual([ErrorCode.NONE]);
    coord.shutdown();
  });

  it('answers a parked JoinGroup NOT_COORDINATOR when the partition resigns', async () => {
    const { coord, leadership } = setup({ initialRebalanceDelayMs: 5000 });
    const parked = coord.join(joinReq());
    await tick();
    expect(await isSettled(parked)).toBe(false);
    leadership.resign(OFFSETS, coord.partitionFor('g'));
    expect((await parked).errorCode).toBe(ErrorCode.NOT_COORDINATOR);
    // No timer of the unloaded group fires into the coordinator later.
    await tick(60_000);
    expect(coord.getGroup('g')).toBeUndefined();
    coord.shutdown();
  });

  it('a write refused because the partition is no longer led is NOT_COORDINATOR', async () => {
    const { coord, log } = setup();
    log.failWith = new KafkaError(ErrorCode.NOT_LEADER_OR_FOLLOWER, 'not the leader');
    expect(await commitOffsets(coord, commit('g', 1))).toEqual([ErrorCode.NOT_COORDINATOR]);
    coord.shutdown();
  });

  it('a commit in flight when the partition resigns does not bring the group back', async () => {
    const { coord, log, leadership } = setup();
    expect(await commitOffsets(coord, commit('g', 1))).toEqual([ErrorCode.NONE]);
    log.hold();
    const inFlight = commitOffsets(coord, commit('g', 2));
    await tick();
    leadership.resign(OFFSETS, coord.partitionFor('g'));
    log.release();
    await inFlight;
    expect(coord.getGroup('g')).toBeUndefined();
    expect(committed(coord, 'g').errorCode).toBe(ErrorCode.NOT_COORDINATOR);
    coord.shutdown();
  });

  it('ignores stale events, and discards a load whose leadership ended before it finished', async () => {
    const first = setup();
    expect(await commitOffsets(first.coord, commit('g', 10))).toEqual([ErrorCode.NONE]);
    first.coord.shutdown();

    // A second broker: it does not lead the group's partition yet.
    const p = first.coord.partitionFor('g');
    const leadership = new FakeLeadership().ledFromStart(OFFSETS, 4);
    leadership.resign(OFFSETS, p, 0);
    const { coord, log, started } = setup({}, first.log, leadership);
    await started;
    expect(committed(coord, 'g').errorCode).toBe(ErrorCode.NOT_COORDINATOR);

    log.holdReplays();
    leadership.lead(OFFSETS, p, 1); // load #0 (epoch 1) starts, and is held
    leadership.resign(OFFSETS, p, 2);
    expect(committed(coord, 'g').errorCode).toBe(ErrorCode.NOT_COORDINATOR);
    leadership.lead(OFFSETS, p, 3); // load #1 (epoch 3)
    expect(committed(coord, 'g').errorCode).toBe(ErrorCode.COORDINATOR_LOAD_IN_PROGRESS);
    // Stale: an election and a resignation older than epoch 3 change nothing.
    leadership.lead(OFFSETS, p, 2);
    leadership.resign(OFFSETS, p, 1);
    expect(committed(coord, 'g').errorCode).toBe(ErrorCode.COORDINATOR_LOAD_IN_PROGRESS);

    log.releaseReplays(1);
    await tick();
    const group = coord.getGroup('g')!;
    expect(committed(coord, 'g').offsets[0]!.offset).toBe(10);
    expect(await commitOffsets(coord, commit('g', 11))).toEqual([ErrorCode.NONE]);
    // The epoch-1 load finishes last: discarded, it does not replace the live group (nor its offset 11).
    log.releaseReplays(0);
    await tick();
    expect(coord.getGroup('g')).toBe(group);
    expect(committed(coord, 'g').offsets[0]!.offset).toBe(11);
    coord.shutdown();
  });

  it('applies a transaction marker that arrives while the partition loads once it is loaded', async () => {
    const first = setup();
    expect(await commitTxnOffsets(first.coord, { groupId: 'g', producerId: 9, producerEpoch: 0, generationId: -1, memberId: '', groupInstanceId: null, offsets: commit('g', 5).offsets })).toEqual([ErrorCode.NONE]);
    first.coord.shutdown();
    const p = first.coord.partitionFor('g');

    // Another broker loads the partition; the COMMIT marker lands after its replay read the log.
    const leadership = new FakeLeadership().ledFromStart(OFFSETS, 4);
    leadership.resign(OFFSETS, p, 0);
    const { coord, log } = setup({}, first.log, leadership);
    log.holdReplays();
    leadership.lead(OFFSETS, p, 1);
    coord.txnMarkerWritten(p, 9, true);
    log.releaseReplays();
    await tick();
    expect(committed(coord, 'g').offsets[0]!.offset).toBe(5);
    expect(coord.getGroup('g')!.pendingTxnOffsets.size).toBe(0);

    // A replay that reads the marker applies it itself.
    first.log.appendMarker(p, 9, true);
    const third = setup({}, first.log, new FakeLeadership().ledFromStart(OFFSETS, 4));
    await third.started;
    expect(committed(third.coord, 'g').offsets[0]!.offset).toBe(5);
    coord.shutdown();
    third.coord.shutdown();
  });

  it('stops following leadership at shutdown', async () => {
    const { coord, leadership } = setup();
    expect(leadership.listenerCount).toBe(1);
    coord.shutdown();
    expect(leadership.listenerCount).toBe(0);
  });
});
