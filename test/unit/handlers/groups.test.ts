/**
 * The classic group protocol — JoinGroup (11), SyncGroup (14), Heartbeat (12), LeaveGroup (13) —
 * through the handlers against the real group coordinator on an in-memory __consumer_offsets: a
 * member joins (after MEMBER_ID_REQUIRED), leads, assigns, heartbeats and leaves; a second member
 * triggers a rebalance; the request checks of the handlers (member metadata cap, SyncGroup v5's
 * mandatory protocol fields) answer before the coordinator is asked.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../../protocol/errors.js';
import {
  newHeartbeatRequest,
  newJoinGroupRequest,
  newJoinGroupRequestProtocol,
  newLeaveGroupRequest,
  newLeaveGroupRequestMember,
  newSyncGroupRequest,
  newSyncGroupRequestAssignment,
  type HeartbeatResponse,
  type JoinGroupResponse,
  type LeaveGroupResponse,
  type SyncGroupResponse,
} from '../../../protocol/generated/index.js';
import { fakeBroker, type FakeBroker } from './fakes.js';

const JOIN = 11;
const HEARTBEAT = 12;
const LEAVE = 13;
const SYNC = 14;

const join = (memberId: string, metadata = Buffer.from('subscription')) =>
  newJoinGroupRequest({ groupId: 'g', sessionTimeoutMs: 10_000, rebalanceTimeoutMs: 10_000, memberId, protocolType: 'consumer', protocols: [newJoinGroupRequestProtocol({ name: 'range', metadata })] });

/** Joins a new member: the first JoinGroup (v4+) is answered MEMBER_ID_REQUIRED with the id to use. */
async function joinNew(b: FakeBroker): Promise<JoinGroupResponse> {
  const first = await b.handle<JoinGroupResponse>(JOIN, 9, join(''));
  expect(first.errorCode).toBe(ErrorCode.MEMBER_ID_REQUIRED);
  expect(first.memberId).toMatch(/^unit-/);
  return b.handle<JoinGroupResponse>(JOIN, 9, join(first.memberId));
}

let b: FakeBroker;
afterEach(() => b?.close());

describe('group membership', () => {
  it('join, sync, heartbeat, leave', async () => {
    b = fakeBroker();
    const joined = await joinNew(b);
    expect(joined).toMatchObject({ errorCode: 0, generationId: 1, protocolType: 'consumer', protocolName: 'range', leader: joined.memberId });
    expect(joined.members.map((m) => [m.memberId, m.metadata.toString()])).toEqual([[joined.memberId, 'subscription']]);

    const me = joined.memberId;
    const assignment = Buffer.from('partitions of t');
    const synced = await b.handle<SyncGroupResponse>(
      SYNC,
      5,
      newSyncGroupRequest({ groupId: 'g', generationId: 1, memberId: me, protocolType: 'consumer', protocolName: 'range', assignments: [newSyncGroupRequestAssignment({ memberId: me, assignment })] }),
    );
    expect(synced).toMatchObject({ errorCode: 0, protocolType: 'consumer', protocolName: 'range' });
    expect(synced.assignment).toEqual(assignment);
    expect(b.coordinator.getGroup('g')!.state).toBe('Stable');

    const beat = await b.handle<HeartbeatResponse>(HEARTBEAT, 4, newHeartbeatRequest({ groupId: 'g', generationId: 1, memberId: me }));
    expect(beat.errorCode).toBe(ErrorCode.NONE);
    const stale = await b.handle<HeartbeatResponse>(HEARTBEAT, 4, newHeartbeatRequest({ groupId: 'g', generationId: 0, memberId: me }));
    expect(stale.errorCode).toBe(ErrorCode.ILLEGAL_GENERATION);

    const left = await b.handle<LeaveGroupResponse>(LEAVE, 5, newLeaveGroupRequest({ groupId: 'g', members: [newLeaveGroupRequestMember({ memberId: me })] }));
    expect(left.errorCode).toBe(ErrorCode.NONE);
    expect(left.members.map((m) => [m.memberId, m.errorCode])).toEqual([[me, 0]]);
    expect(b.coordinator.getGroup('g')!.state).toBe('Empty');
    const after = await b.handle<HeartbeatResponse>(HEARTBEAT, 4, newHeartbeatRequest({ groupId: 'g', generationId: 1, memberId: me }));
    expect(after.errorCode).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
  });

  it('a second member makes the first rejoin (REBALANCE_IN_PROGRESS), then both get the next generation', async () => {
    b = fakeBroker();
    const first = await joinNew(b);
    const me = first.memberId;
    await b.handle(SYNC, 5, newSyncGroupRequest({ groupId: 'g', generationId: 1, memberId: me, protocolType: 'consumer', protocolName: 'range', assignments: [] }));
    const secondId = (await b.handle<JoinGroupResponse>(JOIN, 9, join(''))).memberId;
    const second = b.handle<JoinGroupResponse>(JOIN, 9, join(secondId));
    await new Promise((r) => setImmediate(r)); // the join reaches the coordinator
    const beat = await b.handle<HeartbeatResponse>(HEARTBEAT, 4, newHeartbeatRequest({ groupId: 'g', generationId: 1, memberId: me }));
    expect(beat.errorCode).toBe(ErrorCode.REBALANCE_IN_PROGRESS);
    const rejoined = await b.handle<JoinGroupResponse>(JOIN, 9, join(me));
    const other = await second;
    expect(rejoined).toMatchObject({ errorCode: 0, generationId: 2, leader: me });
    expect(rejoined.members.map((m) => m.memberId).sort()).toEqual([me, secondId].sort());
    expect(other).toMatchObject({ errorCode: 0, generationId: 2, leader: me, members: [] });
  });

  it('the handlers refuse oversized member metadata and SyncGroup v5 without protocol fields', async () => {
    b = fakeBroker({ config: { 'runnel.group.max.member.metadata.bytes': 1024 } });
    const big = await b.handle<JoinGroupResponse>(JOIN, 9, join('', Buffer.alloc(2048)));
    expect(big.errorCode).toBe(ErrorCode.INVALID_REQUEST);
    expect(b.coordinator.getGroup('g')).toBeUndefined();
    const sync = await b.handle<SyncGroupResponse>(SYNC, 5, newSyncGroupRequest({ groupId: 'g', generationId: 1, memberId: 'm', protocolType: null, protocolName: 'range' }));
    expect(sync.errorCode).toBe(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
  });

  it('LeaveGroup v0-v2 names one member and answers with one error code', async () => {
    b = fakeBroker();
    const joined = await joinNew(b);
    const left = await b.handle<LeaveGroupResponse>(LEAVE, 2, newLeaveGroupRequest({ groupId: 'g', memberId: joined.memberId }));
    expect(left.errorCode).toBe(ErrorCode.NONE);
    const again = await b.handle<LeaveGroupResponse>(LEAVE, 2, newLeaveGroupRequest({ groupId: 'g', memberId: joined.memberId }));
    expect(again.errorCode).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
  });
});
