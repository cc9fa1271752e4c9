/**
 * Share groups (KIP-932) over a raw socket: ShareGroupHeartbeat / ShareGroupDescribe /
 * ShareFetch / ShareAcknowledge answers and their errors (Kafka's codes), acquisition with
 * delivery counts, lock release on timeout, RELEASE / REJECT / ACCEPT, share session epochs,
 * and the share.version gate.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../protocol/errors.js';
import { buildBatchSync } from '../../protocol/records/builder.js';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { RawClient } from '../helpers/raw-client.js';

const CONFIG = {
  'group.share.max.size': 3,
  'group.share.min.record.lock.duration.ms': 1000,
  'group.share.record.lock.duration.ms': 1000,
  'runnel.group.share.auto.offset.reset': 'earliest',
  'runnel.group.share.max.groups': 2,
};

describe('share group protocol errors and semantics (raw socket)', () => {
  let broker: TestBroker;
  let c: RawClient;
  let topicId: Buffer;

  beforeAll(async () => {
    broker = await startTestBroker({ config: CONFIG });
    c = await RawClient.connect('127.0.0.1', broker.port);
    const r = await c.request(19, 7, { topics: [{ name: 'sq', numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 5000 });
    expect(r.topics[0].errorCode).toBe(0);
    topicId = r.topics[0].topicId;
    // Two batches: offsets 0-4 and 5-9.
    for (let b = 0; b < 2; b++) {
      const records = buildBatchSync(Array.from({ length: 5 }, (_, i) => ({ value: `v${b * 5 + i}` })));
      const p = await c.request(0, 9, { acks: -1, timeoutMs: 5000, transactionalId: null, topicData: [{ name: 'sq', partitionData: [{ index: 0, records }] }] });
      expect(p.responses[0].partitionResponses[0].errorCode).toBe(0);
    }
  }, 30_000);

  afterAll(async () => {
    c?.close();
    await broker?.cleanup();
  });

  const hb = (body: Record<string, unknown>) => c.request(76, 1, { groupId: 'sg', memberId: 'm1', memberEpoch: 0, rackId: null, subscribedTopicNames: ['sq'], ...body });
  const fetch = (memberId: string, epoch: number, acks: Array<{ firstOffset: number; lastOffset: number; acknowledgeTypes: number[] }> = [], extra: Record<string, unknown> = {}) =>
    c.request(78, 2, { groupId: 'sg', memberId, shareSessionEpoch: epoch, maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 20, maxRecords: 100, batchSize: 100, shareAcquireMode: 0, isRenewAck: false, topics: [{ topicId, partitions: [{ partitionIndex: 0, acknowledgementBatches: acks }] }], forgottenTopicsData: [], ...extra });
  const ack = (memberId: string, epoch: number, acks: Array<{ firstOffset: number; lastOffset: number; acknowledgeTypes: number[] }>) =>
    c.request(79, 2, { groupId: 'sg', memberId, shareSessionEpoch: epoch, isRenewAck: false, topics: [{ topicId, partitions: [{ partitionIndex: 0, acknowledgementBatches: acks }] }] });
  const part = (r: any) => r.responses[0]?.partitions[0];

  it('ShareGroupHeartbeat: bad requests get INVALID_REQUEST, unknown members UNKNOWN_MEMBER_ID, stale epochs FENCED_MEMBER_EPOCH', async () => {
    expect((await hb({ groupId: '' })).errorCode).toBe(ErrorCode.INVALID_REQUEST);
    expect((await hb({ memberId: '' })).errorCode).toBe(ErrorCode.INVALID_REQUEST);
    expect((await hb({ subscribedTopicNames: null })).errorCode).toBe(ErrorCode.INVALID_REQUEST);
    expect((await hb({ memberEpoch: -2 })).errorCode).toBe(ErrorCode.INVALID_REQUEST);
    expect((await hb({ memberId: 'ghost', memberEpoch: 3 })).errorCode).toBe(ErrorCode.GROUP_ID_NOT_FOUND);
    expect((await hb({ memberId: 'ghost', memberEpoch: -1 })).errorCode).toBe(ErrorCode.GROUP_ID_NOT_FOUND);
    const joined = await hb({});
    expect((await hb({ memberId: 'ghost', memberEpoch: 3 })).errorCode).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    expect(joined).toMatchObject({ errorCode: 0, memberId: 'm1', memberEpoch: 1, heartbeatIntervalMs: 5000 });
    expect(joined.assignment.topicPartitions).toEqual([{ topicId, partitions: [0] }]);
    // The next heartbeat: no change, no assignment.
    expect(await hb({ memberEpoch: 1, subscribedTopicNames: null })).toMatchObject({ errorCode: 0, memberEpoch: 1, assignment: null });
    expect((await hb({ memberEpoch: 7, subscribedTopicNames: null })).errorCode).toBe(ErrorCode.FENCED_MEMBER_EPOCH);
  });

  it('a second member shares the only partition (simple assignor); group.share.max.size bounds the group', async () => {
    const m2 = await hb({ memberId: 'm2' });
    expect(m2).toMatchObject({ errorCode: 0, memberEpoch: 2 });
    expect(m2.assignment.topicPartitions).toEqual([{ topicId, partitions: [0] }]);
    expect((await hb({ memberId: 'm3' })).errorCode).toBe(0);
    expect((await hb({ memberId: 'm4' })).errorCode).toBe(ErrorCode.GROUP_MAX_SIZE_REACHED);
    expect(await hb({ memberId: 'm3', memberEpoch: -1, subscribedTopicNames: null })).toMatchObject({ errorCode: 0, memberEpoch: -1 });
    // runnel.group.share.max.groups = 2: a second group is fine, a third is refused.
    expect((await hb({ groupId: 'sg2' })).errorCode).toBe(0);
    expect(await hb({ groupId: 'sg3' })).toMatchObject({ errorCode: ErrorCode.GROUP_MAX_SIZE_REACHED });
  });

  it('ShareGroupDescribe: the group, its epochs, assignor and members; unknown groups GROUP_ID_NOT_FOUND', async () => {
    const d = await c.request(77, 1, { groupIds: ['sg', 'nope'], includeAuthorizedOperations: false });
    const g = d.groups[0];
    expect(g).toMatchObject({ errorCode: 0, groupId: 'sg', groupState: 'Stable', groupEpoch: 4, assignmentEpoch: 4, assignorName: 'simple', authorizedOperations: -2147483648 });
    expect(g.members.map((m: any) => m.memberId).sort()).toEqual(['m1', 'm2']);
    expect(g.members[0].assignment.topicPartitions).toEqual([{ topicId, topicName: 'sq', partitions: [0] }]);
    expect(g.members[0].subscribedTopicNames).toEqual(['sq']);
    expect(d.groups[1]).toMatchObject({ errorCode: ErrorCode.GROUP_ID_NOT_FOUND, groupId: 'nope' });
    // ListGroups v5 lists share groups with their type; older versions do not know the type.
    const listed = await c.request(16, 5, { statesFilter: [], typesFilter: ['share'] });
    expect(listed.groups.find((g: any) => g.groupId === 'sg')).toMatchObject({ protocolType: 'share', groupState: 'Stable', groupType: 'share' });
    expect((await c.request(16, 5, { statesFilter: [], typesFilter: ['consumer'] })).groups.some((g: any) => g.groupId === 'sg')).toBe(false);
    expect((await c.request(16, 4, { statesFilter: [] })).groups.some((g: any) => g.groupId === 'sg')).toBe(false);
  });

  it('ShareFetch session epochs: SHARE_SESSION_NOT_FOUND, INVALID_SHARE_SESSION_EPOCH, acknowledgements on epoch 0 are INVALID_REQUEST', async () => {
    expect((await fetch('m1', 3)).errorCode).toBe(ErrorCode.SHARE_SESSION_NOT_FOUND);
    expect((await fetch('m1', 0, [{ firstOffset: 0, lastOffset: 0, acknowledgeTypes: [1] }])).errorCode).toBe(ErrorCode.INVALID_REQUEST);
    expect((await fetch('', 0)).errorCode).toBe(ErrorCode.INVALID_REQUEST);
    expect((await ack('m1', 0, [])).errorCode).toBe(ErrorCode.INVALID_SHARE_SESSION_EPOCH);
    const r = await fetch('m1', 0, [], { maxRecords: 1 });
    expect(r.errorCode).toBe(0);
    expect(r.acquisitionLockTimeoutMs).toBe(1000);
    // Whole batches: max records 1 still acquires the first batch (offsets 0-4), as stored.
    expect(part(r).acquiredRecords).toEqual([{ firstOffset: 0, lastOffset: 4, deliveryCount: 1 }]);
    expect(part(r).records.length).toBeGreaterThan(0);
    expect((await fetch('m1', 5)).errorCode).toBe(ErrorCode.INVALID_SHARE_SESSION_EPOCH);
  });

  it('acknowledging records the member does not hold is INVALID_RECORD_STATE; a bad type INVALID_REQUEST; unknown topic ids UNKNOWN_TOPIC_ID', async () => {
    // m2 opens a session and takes the second batch; m1 holds the first.
    const r2 = await fetch('m2', 0);
    expect(part(r2).acquiredRecords).toEqual([{ firstOffset: 5, lastOffset: 9, deliveryCount: 1 }]);
    expect(part(await ack('m2', 1, [{ firstOffset: 0, lastOffset: 1, acknowledgeTypes: [1] }])).errorCode).toBe(ErrorCode.INVALID_RECORD_STATE);
    expect(part(await ack('m2', 2, [{ firstOffset: 5, lastOffset: 6, acknowledgeTypes: [9] }])).errorCode).toBe(ErrorCode.INVALID_REQUEST);
    expect(part(await ack('m2', 3, [{ firstOffset: 5, lastOffset: 6, acknowledgeTypes: [1, 1, 1] }])).errorCode).toBe(ErrorCode.INVALID_REQUEST);
    const unknown = await c.request(78, 2, { groupId: 'sg', memberId: 'm9', shareSessionEpoch: 0, maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 20, maxRecords: 10, batchSize: 10, topics: [{ topicId: Buffer.alloc(16, 9), partitions: [{ partitionIndex: 0, acknowledgementBatches: [] }] }], forgottenTopicsData: [] });
    expect(part(unknown).errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_ID);
    // A partition the topic does not have is refused and never joins the session.
    const missing = await c.request(78, 2, { groupId: 'sg', memberId: 'm8', shareSessionEpoch: 0, maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 20, maxRecords: 10, batchSize: 10, topics: [{ topicId, partitions: [{ partitionIndex: 99, acknowledgementBatches: [] }] }], forgottenTopicsData: [] });
    expect(part(missing)).toMatchObject({ partitionIndex: 99, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION });
    expect(broker.broker.shareGroups.data.session('sg', 'm8', 1)).toMatchObject({ partitions: new Map() });
    // m2: accept 5-6, reject 7, release 8-9 (per-offset types).
    const a = await ack('m2', 4, [{ firstOffset: 5, lastOffset: 9, acknowledgeTypes: [1, 1, 3, 2, 2] }]);
    expect(part(a).errorCode).toBe(0);
    // The released offsets come back at once with delivery count 2; the rejected one never.
    const again = await fetch('m2', 5);
    expect(part(again).acquiredRecords).toEqual([{ firstOffset: 8, lastOffset: 9, deliveryCount: 2 }]);
    expect(part(await ack('m2', 6, [{ firstOffset: 8, lastOffset: 9, acknowledgeTypes: [1] }])).errorCode).toBe(0);
  });

  it('a lock that runs out (group.share.record.lock.duration.ms) makes the records available to another member', async () => {
    // m1 holds 0-4 since the session test; its 1 s lock has run out.
    await new Promise((r) => setTimeout(r, 1200));
    const r = await fetch('m2', 7);
    expect(part(r).acquiredRecords).toEqual([{ firstOffset: 0, lastOffset: 4, deliveryCount: 2 }]);
    // m1's late acknowledgement is refused: the records are no longer its.
    expect(part(await ack('m1', 1, [{ firstOffset: 0, lastOffset: 4, acknowledgeTypes: [1] }])).errorCode).toBe(ErrorCode.INVALID_RECORD_STATE);
    // Closing m2's session (epoch -1) releases what it holds.
    expect((await ack('m2', -1, [])).errorCode).toBe(0);
    expect((await fetch('m2', 8)).errorCode).toBe(ErrorCode.SHARE_SESSION_NOT_FOUND);
    const m1 = await fetch('m1', 2);
    expect(part(m1).acquiredRecords).toEqual([{ firstOffset: 0, lastOffset: 4, deliveryCount: 3 }]);
    expect(part(await ack('m1', 3, [{ firstOffset: 0, lastOffset: 4, acknowledgeTypes: [1] }])).errorCode).toBe(0);
    expect(broker.broker.shareGroups.inFlight('sg')).toEqual([{ key: `${topicId.toString('hex')}:0`, startOffset: 10, endOffset: 10, available: 0, acquired: 0 }]);
  });

  it('ShareFetch long-polls up to MaxWaitMs for new records', async () => {
    const t0 = Date.now();
    const r = await fetch('m1', 4, [], { maxWaitMs: 400 });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(350);
    expect(part(r)?.acquiredRecords ?? []).toEqual([]);
    const waiting = fetch('m1', 5, [], { maxWaitMs: 3000 });
    const c2 = await RawClient.connect('127.0.0.1', broker.port);
    await c2.request(0, 9, { acks: -1, timeoutMs: 5000, transactionalId: null, topicData: [{ name: 'sq', partitionData: [{ index: 0, records: buildBatchSync([{ value: 'late' }]) }] }] });
    c2.close();
    const got = await waiting;
    expect(part(got).acquiredRecords).toEqual([{ firstOffset: 10, lastOffset: 10, deliveryCount: 1 }]);
  });

  it('share.version below 1: every share API answers UNSUPPORTED_VERSION', async () => {
    const u = await c.request(57, 1, { timeoutMs: 5000, featureUpdates: [{ feature: 'share.version', maxVersionLevel: 0, upgradeType: 2 }], validateOnly: false });
    expect(u.errorCode).toBe(0);
    expect((await hb({ memberId: 'm5' })).errorCode).toBe(ErrorCode.UNSUPPORTED_VERSION);
    expect((await fetch('m1', 6)).errorCode).toBe(ErrorCode.UNSUPPORTED_VERSION);
    expect((await ack('m1', 6, [])).errorCode).toBe(ErrorCode.UNSUPPORTED_VERSION);
    expect((await c.request(77, 1, { groupIds: ['sg'], includeAuthorizedOperations: false })).groups[0].errorCode).toBe(ErrorCode.UNSUPPORTED_VERSION);
    expect((await c.request(90, 1, { groups: [{ groupId: 'sg', topics: null }] })).groups[0].errorCode).toBe(ErrorCode.UNSUPPORTED_VERSION);
    expect((await c.request(91, 0, { groupId: 'sg', topics: [] })).errorCode).toBe(ErrorCode.UNSUPPORTED_VERSION);
    expect((await c.request(92, 0, { groupId: 'sg', topics: [] })).errorCode).toBe(ErrorCode.UNSUPPORTED_VERSION);
  });
});
