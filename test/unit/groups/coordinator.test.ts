/**
 * The classic group protocol state machine with fake timers: join/sync/heartbeat/leave, rebalances
 * (members that do not rejoin, session timeouts, missing SyncGroups), the initial delay, static
 * membership, group.max.size and protocol selection.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ErrorCode } from '../../../protocol/errors.js';
import { decodeGroupMetadataValue, decodeKey } from '../../../src/groups/records.js';
import { assignment, isSettled, joinAndSync, joinReq, protocols, settle, setup, tick } from './helpers.js';

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('join, sync, heartbeat', () => {
  it('v4+: MEMBER_ID_REQUIRED first, then the member leads generation 1', async () => {
    const { coord } = setup();
    const first = await settle(coord.join(joinReq({ requireKnownMemberId: true })));
    expect(first.errorCode).toBe(ErrorCode.MEMBER_ID_REQUIRED);
    expect(first.memberId).toMatch(/^client-[0-9a-f-]{36}$/);
    expect(coord.getGroup('g')!.pendingMembers.has(first.memberId)).toBe(true);
    const j = await settle(coord.join(joinReq({ memberId: first.memberId, requireKnownMemberId: true })));
    expect(j).toMatchObject({ errorCode: 0, generationId: 1, memberId: first.memberId, leaderId: first.memberId, protocolName: 'range', protocolType: 'consumer' });
    expect(j.members.map((m) => m.memberId)).toEqual([first.memberId]);
    expect(coord.getGroup('g')!.state).toBe('CompletingRebalance');
    const s = await settle(coord.sync({ groupId: 'g', generationId: 1, memberId: j.memberId, groupInstanceId: null, protocolType: 'consumer', protocolName: 'range', assignments: [{ memberId: j.memberId, assignment: assignment({ t: [0] }) }] }));
    expect(s).toMatchObject({ errorCode: 0, protocolType: 'consumer', protocolName: 'range' });
    expect(s.assignment).toEqual(assignment({ t: [0] }));
    expect(coord.getGroup('g')!.state).toBe('Stable');
    expect(coord.heartbeat({ groupId: 'g', generationId: 1, memberId: j.memberId, groupInstanceId: null })).toBe(0);
    expect(coord.heartbeat({ groupId: 'g', generationId: 0, memberId: j.memberId, groupInstanceId: null })).toBe(ErrorCode.ILLEGAL_GENERATION);
    expect(coord.heartbeat({ groupId: 'g', generationId: 1, memberId: 'nope', groupInstanceId: null })).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    expect(coord.heartbeat({ groupId: 'other', generationId: 1, memberId: j.memberId, groupInstanceId: null })).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
  });

  it('v0-v3: the first join already carries the member id (kafka-python waits for one)', async () => {
    const { coord } = setup();
    const j = await settle(coord.join(joinReq({ requireKnownMemberId: false })));
    expect(j.errorCode).toBe(0);
    expect(j.memberId).not.toBe('');
    expect(j.generationId).toBe(1);
  });

  it('validates group id, session timeout, protocol type and protocols', async () => {
    const { coord } = setup({ minSessionTimeoutMs: 6000, maxSessionTimeoutMs: 60000 });
    expect((await coord.join(joinReq({ groupId: '' }))).errorCode).toBe(ErrorCode.INVALID_GROUP_ID);
    expect((await coord.join(joinReq({ sessionTimeoutMs: 5999 }))).errorCode).toBe(ErrorCode.INVALID_SESSION_TIMEOUT);
    expect((await coord.join(joinReq({ sessionTimeoutMs: 60001 }))).errorCode).toBe(ErrorCode.INVALID_SESSION_TIMEOUT);
    expect((await coord.join(joinReq({ protocols: [] }))).errorCode).toBe(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    expect((await coord.join(joinReq({ memberId: 'unknown' }))).errorCode).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    await joinAndSync(coord);
    expect((await settle(coord.join(joinReq({ protocolType: 'connect' })))).errorCode).toBe(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    expect((await settle(coord.join(joinReq({ protocols: protocols(['t'], ['roundrobin']) })))).errorCode).toBe(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
  });

  it('sync errors: unknown member, wrong generation, protocol mismatch, during a rebalance', async () => {
    const { coord } = setup();
    const j = await joinAndSync(coord);
    const base = { groupId: 'g', generationId: 1, memberId: j.memberId, groupInstanceId: null, protocolType: null, protocolName: null, assignments: [] };
    expect((await coord.sync({ ...base, memberId: 'x' })).errorCode).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    expect((await coord.sync({ ...base, generationId: 2 })).errorCode).toBe(ErrorCode.ILLEGAL_GENERATION);
    expect((await coord.sync({ ...base, protocolName: 'roundrobin' })).errorCode).toBe(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    expect((await coord.sync({ ...base, groupId: 'nope' })).errorCode).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    // Stable: the current assignment comes back at once.
    expect((await coord.sync(base)).assignment).toEqual(assignment({ t: [0, 1] }));
    // A new member starts a rebalance: SyncGroup now says REBALANCE_IN_PROGRESS.
    const newcomer = coord.join(joinReq({ clientId: 'other' }));
    await tick();
    expect(coord.getGroup('g')!.state).toBe('PreparingRebalance');
    expect((await coord.sync(base)).errorCode).toBe(ErrorCode.REBALANCE_IN_PROGRESS);
    expect(coord.heartbeat({ groupId: 'g', generationId: 1, memberId: j.memberId, groupInstanceId: null })).toBe(ErrorCode.REBALANCE_IN_PROGRESS);
    expect(await isSettled(newcomer)).toBe(false);
  });

  it('stores the group metadata (members and assignments) before answering SyncGroup', async () => {
    const { coord, log } = setup();
    log.hold();
    const j = await settle(coord.join(joinReq()));
    const s = coord.sync({ groupId: 'g', generationId: 1, memberId: j.memberId, groupInstanceId: null, protocolType: null, protocolName: null, assignments: [{ memberId: j.memberId, assignment: Buffer.from([7]) }] });
    await tick(100);
    expect(await isSettled(s)).toBe(false);
    expect(coord.getGroup('g')!.state).toBe('CompletingRebalance');
    log.release();
    expect((await settle(s)).assignment).toEqual(Buffer.from([7]));
    const records = log.partitions[coord.partitionFor('g')]!;
    expect(decodeKey(records[0]!.key)).toEqual({ type: 'group', group: 'g' });
    const v = decodeGroupMetadataValue(records[0]!.value!)!;
    expect(v).toMatchObject({ protocolType: 'consumer', generation: 1, protocol: 'range', leader: j.memberId });
    expect(v.members).toEqual([
      expect.objectContaining({ memberId: j.memberId, clientId: 'client', clientHost: '/127.0.0.1', sessionTimeout: 10000, rebalanceTimeout: 30000, assignment: Buffer.from([7]) }),
    ]);
  });

  it('a failed metadata write fails the SyncGroup and starts over', async () => {
    const { coord, log } = setup();
    const j = await settle(coord.join(joinReq()));
    log.failWith = new (await import('../../../protocol/errors.js')).KafkaError(ErrorCode.KAFKA_STORAGE_ERROR, 'disk');
    const s = await settle(coord.sync({ groupId: 'g', generationId: 1, memberId: j.memberId, groupInstanceId: null, protocolType: null, protocolName: null, assignments: [] }));
    expect(s.errorCode).toBe(ErrorCode.NOT_COORDINATOR);
    expect(coord.getGroup('g')!.state).toBe('PreparingRebalance');
  });
});

describe('rebalances', () => {
  it('a second member triggers a rebalance; the follower waits for the leader’s assignment', async () => {
    const { coord } = setup();
    const a = await joinAndSync(coord, { clientId: 'a' }, { t: [0, 1, 2, 3, 4, 5] });
    const bJoin = coord.join(joinReq({ clientId: 'b' }));
    await tick(50);
    expect(await isSettled(bJoin)).toBe(false);
    // a learns about it from its heartbeat and rejoins.
    expect(coord.heartbeat({ groupId: 'g', generationId: 1, memberId: a.memberId, groupInstanceId: null })).toBe(ErrorCode.REBALANCE_IN_PROGRESS);
    const aJoin = coord.join(joinReq({ clientId: 'a', memberId: a.memberId }));
    const [ra, rb] = await Promise.all([settle(aJoin), settle(bJoin)]);
    expect(ra.generationId).toBe(2);
    expect(rb.generationId).toBe(2);
    expect(ra.leaderId).toBe(a.memberId);
    expect(rb.leaderId).toBe(a.memberId);
    expect(ra.members.map((m) => m.memberId).sort()).toEqual([a.memberId, rb.memberId].sort());
    expect(rb.members).toEqual([]);
    const bSync = coord.sync({ groupId: 'g', generationId: 2, memberId: rb.memberId, groupInstanceId: null, protocolType: null, protocolName: null, assignments: [] });
    await tick(100);
    expect(await isSettled(bSync)).toBe(false);
    const aSync = coord.sync({
      groupId: 'g',
      generationId: 2,
      memberId: a.memberId,
      groupInstanceId: null,
      protocolType: null,
      protocolName: null,
      assignments: [
        { memberId: a.memberId, assignment: assignment({ t: [0, 1, 2] }) },
        { memberId: rb.memberId, assignment: assignment({ t: [3, 4, 5] }) },
      ],
    });
    expect((await settle(bSync)).assignment).toEqual(assignment({ t: [3, 4, 5] }));
    expect((await settle(aSync)).assignment).toEqual(assignment({ t: [0, 1, 2] }));
    expect(coord.getGroup('g')!.state).toBe('Stable');
  });

  it('members that do not rejoin within the rebalance timeout are removed', async () => {
    const { coord } = setup();
    const a = await joinAndSync(coord, { clientId: 'a', rebalanceTimeoutMs: 5000, sessionTimeoutMs: 60_000 });
    const bJoin = coord.join(joinReq({ clientId: 'b', rebalanceTimeoutMs: 5000, sessionTimeoutMs: 60_000 }));
    await tick(4900);
    expect(await isSettled(bJoin)).toBe(false);
    await tick(200);
    const rb = await bJoin;
    expect(rb.errorCode).toBe(0);
    expect(rb.generationId).toBe(2);
    expect(rb.leaderId).toBe(rb.memberId);
    expect(coord.getGroup('g')!.has(a.memberId)).toBe(false);
    expect(coord.heartbeat({ groupId: 'g', generationId: 2, memberId: a.memberId, groupInstanceId: null })).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
  });

  it('a member whose session expires is removed and the others rebalance', async () => {
    const { coord } = setup();
    const a = await joinAndSync(coord, { clientId: 'a', sessionTimeoutMs: 3000 });
    const bJoin = coord.join(joinReq({ clientId: 'b', sessionTimeoutMs: 3000 }));
    const aJoin = coord.join(joinReq({ clientId: 'a', memberId: a.memberId, sessionTimeoutMs: 3000 }));
    const [ra, rb] = await Promise.all([settle(aJoin), settle(bJoin)]);
    const assignments = [
      { memberId: ra.memberId, assignment: assignment({ t: [0] }) },
      { memberId: rb.memberId, assignment: assignment({ t: [1] }) },
    ];
    await settle(Promise.all([coord.sync({ groupId: 'g', generationId: 2, memberId: ra.memberId, groupInstanceId: null, protocolType: null, protocolName: null, assignments }), coord.sync({ groupId: 'g', generationId: 2, memberId: rb.memberId, groupInstanceId: null, protocolType: null, protocolName: null, assignments: [] })]));
    // b keeps heartbeating; a goes silent (killed, no LeaveGroup).
    for (let t = 0; t < 3000; t += 1000) {
      expect(coord.heartbeat({ groupId: 'g', generationId: 2, memberId: rb.memberId, groupInstanceId: null })).toBe(0);
      await tick(1000);
    }
    await tick(500);
    const g = coord.getGroup('g')!;
    expect(g.has(a.memberId)).toBe(false);
    expect(g.state).toBe('PreparingRebalance');
    expect(coord.heartbeat({ groupId: 'g', generationId: 2, memberId: rb.memberId, groupInstanceId: null })).toBe(ErrorCode.REBALANCE_IN_PROGRESS);
    const again = await settle(coord.join(joinReq({ clientId: 'b', memberId: rb.memberId, sessionTimeoutMs: 3000 })));
    expect(again).toMatchObject({ errorCode: 0, generationId: 3, leaderId: rb.memberId });
  });

  it('the last member expiring leaves the group Empty (stored) with a new generation', async () => {
    const { coord, log } = setup();
    await joinAndSync(coord, { sessionTimeoutMs: 2000 });
    await tick(2500);
    const g = coord.getGroup('g')!;
    expect(g.state).toBe('Empty');
    expect(g.generationId).toBe(2);
    await tick(10);
    const records = log.partitions[coord.partitionFor('g')]!;
    const last = decodeGroupMetadataValue(records[records.length - 1]!.value!)!;
    expect(last).toMatchObject({ generation: 2, protocol: null, leader: null, members: [] });
  });

  it('a member that never sends SyncGroup is removed after the rebalance timeout', async () => {
    const { coord } = setup();
    const a = await joinAndSync(coord, { clientId: 'a', rebalanceTimeoutMs: 4000, sessionTimeoutMs: 60_000 });
    // b first: a rejoining alone first would complete a one-member rebalance at once.
    const bJoin = coord.join(joinReq({ clientId: 'b', rebalanceTimeoutMs: 4000, sessionTimeoutMs: 60_000 }));
    const aJoin = coord.join(joinReq({ clientId: 'a', memberId: a.memberId, rebalanceTimeoutMs: 4000, sessionTimeoutMs: 60_000 }));
    const [ra, rb] = await Promise.all([settle(aJoin), settle(bJoin)]);
    expect(rb.generationId).toBe(ra.generationId);
    // Only b syncs (a follower if a leads; its SyncGroup parks).
    const bSync = coord.sync({ groupId: 'g', generationId: ra.generationId, memberId: rb.memberId, groupInstanceId: null, protocolType: null, protocolName: null, assignments: [] });
    await tick(4100);
    const res = await bSync;
    expect(res.errorCode).toBe(ErrorCode.REBALANCE_IN_PROGRESS);
    expect(coord.getGroup('g')!.has(a.memberId)).toBe(false);
  });

  it('leave: a single member, a batch, unknown members, and by instance id', async () => {
    const { coord } = setup();
    const a = await joinAndSync(coord, { clientId: 'a' });
    expect(coord.leave('nope', [{ memberId: 'x', groupInstanceId: null, reason: null }]).members[0]!.errorCode).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    const r = coord.leave('g', [
      { memberId: a.memberId, groupInstanceId: null, reason: 'bye' },
      { memberId: 'ghost', groupInstanceId: null, reason: null },
    ]);
    expect(r.errorCode).toBe(0);
    expect(r.members.map((m) => m.errorCode)).toEqual([0, ErrorCode.UNKNOWN_MEMBER_ID]);
    expect(coord.getGroup('g')!.state).toBe('Empty');
    expect(coord.getGroup('g')!.generationId).toBe(2);

    await joinAndSync(coord, { groupId: 's', groupInstanceId: 'inst-1' });
    const byInstance = coord.leave('s', [{ memberId: '', groupInstanceId: 'inst-1', reason: 'admin' }]);
    expect(byInstance.members[0]!.errorCode).toBe(0);
    expect(coord.getGroup('s')!.state).toBe('Empty');
    expect(coord.leave('s', [{ memberId: '', groupInstanceId: 'inst-1', reason: null }]).members[0]!.errorCode).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
  });

  it('a pending member (MEMBER_ID_REQUIRED) holds the rebalance until it joins or expires', async () => {
    const { coord } = setup();
    const first = await settle(coord.join(joinReq({ clientId: 'a', requireKnownMemberId: true })));
    const ja = await settle(coord.join(joinReq({ clientId: 'a', memberId: first.memberId, requireKnownMemberId: true })));
    await settle(coord.sync({ groupId: 'g', generationId: 1, memberId: ja.memberId, groupInstanceId: null, protocolType: null, protocolName: null, assignments: [] }));
    // b gets its id but does not come back (yet); a rejoins.
    const pb = await settle(coord.join(joinReq({ clientId: 'b', requireKnownMemberId: true, sessionTimeoutMs: 5000 })));
    expect(pb.errorCode).toBe(ErrorCode.MEMBER_ID_REQUIRED);
    // A pending member does not start a rebalance by itself.
    expect(coord.getGroup('g')!.state).toBe('Stable');
    const aAgain = coord.join(joinReq({ clientId: 'a', memberId: ja.memberId, requireKnownMemberId: true, protocols: protocols(['t', 'u']) }));
    await tick(1000);
    expect(await isSettled(aAgain)).toBe(false);
    await tick(4100);
    expect((await aAgain).generationId).toBe(2);
  });
});

describe('initial rebalance delay', () => {
  it('waits group.initial.rebalance.delay.ms for more members, extending while they arrive', async () => {
    const { coord } = setup({ initialRebalanceDelayMs: 3000 });
    const a = coord.join(joinReq({ clientId: 'a', rebalanceTimeoutMs: 20_000 }));
    await tick(2000);
    const b = coord.join(joinReq({ clientId: 'b', rebalanceTimeoutMs: 20_000 }));
    await tick(1100);
    // 3 s passed since a, but b arrived meanwhile: extended by another delay.
    expect(await isSettled(a)).toBe(false);
    await tick(3000);
    const [ra, rb] = await Promise.all([a, b]);
    expect(ra.generationId).toBe(1);
    expect(rb.generationId).toBe(1);
    expect(ra.members.length + rb.members.length).toBe(2);
  });

  it('without newcomers the first rebalance completes after exactly the delay', async () => {
    const { coord } = setup({ initialRebalanceDelayMs: 3000 });
    const a = coord.join(joinReq());
    await tick(2990);
    expect(await isSettled(a)).toBe(false);
    await tick(20);
    expect((await a).generationId).toBe(1);
  });

  it('is bounded by the rebalance timeout', async () => {
    const { coord } = setup({ initialRebalanceDelayMs: 3000 });
    const first = coord.join(joinReq({ clientId: 'm0', rebalanceTimeoutMs: 7000 }));
    const others: Array<Promise<unknown>> = [];
    for (let i = 1; i <= 10; i++) {
      await tick(1000);
      if (!(await isSettled(first))) others.push(coord.join(joinReq({ clientId: `m${i}`, rebalanceTimeoutMs: 7000 })));
    }
    // Delay 3000 + extensions up to the 7000 rebalance timeout: done by 7 s... plus one delay step at most.
    const r = await first;
    expect((r as { generationId: number }).generationId).toBe(1);
    expect(others.length).toBeLessThanOrEqual(7);
  });
});

describe('static membership', () => {
  it('a restarted static member takes its place back without a rebalance; the old id is fenced', async () => {
    const { coord } = setup();
    const a = await joinAndSync(coord, { groupInstanceId: 'inst-a', clientId: 'a' }, { t: [0, 1, 2] });
    expect(a.memberId).toMatch(/^inst-a-/);
    const gen = coord.getGroup('g')!.generationId;
    const again = await settle(coord.join(joinReq({ groupInstanceId: 'inst-a', clientId: 'a' })));
    expect(again.errorCode).toBe(0);
    expect(again.memberId).not.toBe(a.memberId);
    expect(again.generationId).toBe(gen);
    // Older clients are told the previous leader id, so they do not run an assignment.
    expect(again.leaderId).toBe(a.memberId);
    expect(coord.getGroup('g')!.state).toBe('Stable');
    const s = await settle(coord.sync({ groupId: 'g', generationId: gen, memberId: again.memberId, groupInstanceId: 'inst-a', protocolType: null, protocolName: null, assignments: [] }));
    expect(s.assignment).toEqual(assignment({ t: [0, 1, 2] }));
    // The old instance is fenced everywhere.
    expect(coord.heartbeat({ groupId: 'g', generationId: gen, memberId: a.memberId, groupInstanceId: 'inst-a' })).toBe(ErrorCode.FENCED_INSTANCE_ID);
    expect((await coord.sync({ groupId: 'g', generationId: gen, memberId: a.memberId, groupInstanceId: 'inst-a', protocolType: null, protocolName: null, assignments: [] })).errorCode).toBe(ErrorCode.FENCED_INSTANCE_ID);
    expect((await settle(coord.join(joinReq({ groupInstanceId: 'inst-a', memberId: a.memberId })))).errorCode).toBe(ErrorCode.FENCED_INSTANCE_ID);
    expect(coord.leave('g', [{ memberId: a.memberId, groupInstanceId: 'inst-a', reason: null }]).members[0]!.errorCode).toBe(ErrorCode.FENCED_INSTANCE_ID);
    expect(coord.heartbeat({ groupId: 'g', generationId: gen, memberId: again.memberId, groupInstanceId: 'inst-a' })).toBe(0);
  });

  it('v9: the returning static leader is told to skip the assignment', async () => {
    const { coord } = setup();
    await joinAndSync(coord, { groupInstanceId: 'inst-a' });
    const again = await settle(coord.join(joinReq({ groupInstanceId: 'inst-a', supportsSkipAssignment: true })));
    expect(again).toMatchObject({ errorCode: 0, skipAssignment: true, leaderId: again.memberId });
    expect(again.members.map((m) => m.groupInstanceId)).toEqual(['inst-a']);
  });

  it('static members that miss a rebalance stay until their session times out', async () => {
    const { coord } = setup();
    const a = await joinAndSync(coord, { groupInstanceId: 'inst-a', clientId: 'a', rebalanceTimeoutMs: 2000, sessionTimeoutMs: 10_000 });
    const b = coord.join(joinReq({ groupInstanceId: 'inst-b', clientId: 'b', rebalanceTimeoutMs: 2000, sessionTimeoutMs: 10_000 }));
    await tick(2100);
    const rb = await b;
    expect(rb.errorCode).toBe(0);
    // a did not rejoin but is static: kept (b leads, since a is not there).
    expect(coord.getGroup('g')!.has(a.memberId)).toBe(true);
    expect(rb.leaderId).toBe(rb.memberId);
  });
});

describe('group.max.size', () => {
  it('refuses members beyond the limit with GROUP_MAX_SIZE_REACHED', async () => {
    const { coord } = setup({ maxSize: 2 });
    const a = coord.join(joinReq({ clientId: 'a' }));
    const b = coord.join(joinReq({ clientId: 'b' }));
    const c = coord.join(joinReq({ clientId: 'c' }));
    const rc = await c;
    expect(rc.errorCode).toBe(ErrorCode.GROUP_MAX_SIZE_REACHED);
    const [ra, rb] = await Promise.all([settle(a), settle(b)]);
    expect(ra.errorCode).toBe(0);
    expect(rb.errorCode).toBe(0);
    expect(coord.getGroup('g')!.size).toBe(2);
    // Still full once stable.
    await settle(coord.sync({ groupId: 'g', generationId: 1, memberId: ra.leaderId, groupInstanceId: null, protocolType: null, protocolName: null, assignments: [] }));
    expect((await settle(coord.join(joinReq({ clientId: 'd' })))).errorCode).toBe(ErrorCode.GROUP_MAX_SIZE_REACHED);
  });
});

describe('protocol selection', () => {
  it('chooses the protocol every member supports that most prefer', async () => {
    const { coord } = setup({ initialRebalanceDelayMs: 100 });
    const a = coord.join(joinReq({ clientId: 'a', protocols: protocols(['t'], ['cooperative-sticky', 'range']) }));
    const b = coord.join(joinReq({ clientId: 'b', protocols: protocols(['t'], ['range', 'roundrobin']) }));
    const c = coord.join(joinReq({ clientId: 'c', protocols: protocols(['t'], ['roundrobin', 'range']) }));
    const [ra] = await Promise.all([settle(a), settle(b), settle(c)]);
    // Only range is supported by all three.
    expect(ra.protocolName).toBe('range');
  });

  it('majority vote among common protocols', async () => {
    const { coord } = setup({ initialRebalanceDelayMs: 100 });
    const both = (first: string, second: string) => protocols(['t'], [first, second]);
    const rs = await Promise.all([
      settle(coord.join(joinReq({ clientId: 'a', protocols: both('range', 'roundrobin') }))),
      settle(coord.join(joinReq({ clientId: 'b', protocols: both('roundrobin', 'range') }))),
      settle(coord.join(joinReq({ clientId: 'c', protocols: both('roundrobin', 'range') }))),
    ]);
    expect(rs[0]!.protocolName).toBe('roundrobin');
  });
});

describe('shutdown', () => {
  it('answers parked requests NOT_COORDINATOR and refuses new ones', async () => {
    const { coord } = setup({ initialRebalanceDelayMs: 10_000 });
    const parked = coord.join(joinReq());
    await tick(10);
    coord.shutdown();
    expect((await parked).errorCode).toBe(ErrorCode.NOT_COORDINATOR);
    expect((await coord.join(joinReq())).errorCode).toBe(ErrorCode.NOT_COORDINATOR);
    expect(vi.getTimerCount()).toBe(0);
  });
});
