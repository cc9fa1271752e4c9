/**
 * What group members make the broker keep is bounded broker-wide (runnel.group.members.max.bytes,
 * src/groups/member-memory.ts). Found with the fuzzer on share-group frames: members are bounded
 * per request only, so 200 share-group members subscribing to 10,000 names of 249 characters each
 * took a broker to 663 MiB RSS, and 200 consumer-group members to 719 MiB, with nothing refused —
 * and a client may make any number of groups. Here, against a child broker with an 8 MiB budget:
 * consumer-group, share-group and classic members joining with large subscriptions are refused with
 * GROUP_MAX_SIZE_REACHED once the budget is used (the three share it), the broker's RSS stays near
 * the budget, members already in keep heartbeating, and once members leave, new ones get in again.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { spawnBroker, tempDir, removeDir, type ChildBroker } from '../helpers/broker.js';
import { RawClient } from '../helpers/raw-client.js';
import { ErrorCode } from '../../protocol/errors.js';
import { newJoinGroupRequestProtocol } from '../../protocol/generated/index.js';

const BUDGET = 8 * 1024 * 1024;
/** 1,000 names of 200 characters: about 232 KB of the budget per member. */
const NAMES = Array.from({ length: 1000 }, (_, i) => `subscribed-${i}-`.padEnd(200, 'x'));

let broker: ChildBroker;
let dir: string;
let c: RawClient;

const rssMiB = () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${broker.process.pid}/status`, 'utf8'))![1]) / 1024;
const memberId = (prefix: string, i: number) => `${prefix}-${String(i).padStart(20, '0')}`;

beforeAll(async () => {
  dir = tempDir('member-memory');
  broker = await spawnBroker(dir, { 'runnel.group.members.max.bytes': BUDGET, 'group.initial.rebalance.delay.ms': 0 });
  c = await RawClient.connect(broker.host, broker.port);
  c.responseTimeoutMs = 30_000;
});

afterAll(async () => {
  c?.close();
  await broker?.kill('SIGKILL');
  removeDir(dir);
});

const consumerJoin = (group: string, id: string) =>
  c.request(68, 0, { groupId: group, memberId: id, memberEpoch: 0, rebalanceTimeoutMs: 30_000, subscribedTopicNames: NAMES, topicPartitions: [], serverAssignor: null });
const shareJoin = (group: string, id: string) => c.request(76, 1, { groupId: group, memberId: id, memberEpoch: 0, subscribedTopicNames: NAMES });

/** Joins members until one is refused; returns how many got in and the refusal. */
async function joinUntilRefused(join: (i: number) => Promise<any>, most: number): Promise<{ joined: number; refusal: any }> {
  for (let i = 0; i < most; i++) {
    const r = await join(i);
    if (r.errorCode !== 0) return { joined: i, refusal: r };
  }
  return { joined: most, refusal: null };
}

it('consumer-group and share-group members share one budget; past it joins are refused, members in keep going', async () => {
  const rss0 = rssMiB();
  const consumers = await joinUntilRefused((i) => consumerJoin('mm-consumer', memberId('c', i)), 100);
  // 8 MiB / ~232 KB: about 36 members, never the 100 the client tried.
  expect(consumers.joined).toBeGreaterThan(20);
  expect(consumers.joined).toBeLessThan(40);
  expect(consumers.refusal.errorCode).toBe(ErrorCode.GROUP_MAX_SIZE_REACHED);
  expect(consumers.refusal.errorMessage).toMatch(/runnel\.group\.members\.max\.bytes \(8388608\)/);
  // The budget is the broker's: a share group gets nothing beyond it either.
  const share = await shareJoin('mm-share', memberId('s', 0));
  expect(share.errorCode).toBe(ErrorCode.GROUP_MAX_SIZE_REACHED);
  // A member already in heartbeats on (no subscription sent: nothing more kept).
  const epoch = await memberEpochOf('mm-consumer', memberId('c', 0));
  const first: any = await c.request(68, 0, { groupId: 'mm-consumer', memberId: memberId('c', 0), memberEpoch: epoch, rebalanceTimeoutMs: -1, subscribedTopicNames: null, topicPartitions: null, serverAssignor: null });
  expect(first.errorCode).toBe(0);
  expect(rssMiB() - rss0).toBeLessThan(64);
}, 60_000);

/** The epoch a member has now, from ConsumerGroupDescribe. */
async function memberEpochOf(group: string, id: string): Promise<number> {
  const d: any = await c.request(69, 0, { groupIds: [group], includeAuthorizedOperations: false });
  return d.groups[0].members.find((m: any) => m.memberId === id).memberEpoch;
}

it('members that leave give their bytes back: new members join again', async () => {
  const d: any = await c.request(69, 0, { groupIds: ['mm-consumer'], includeAuthorizedOperations: false });
  for (const m of d.groups[0].members) {
    const r: any = await c.request(68, 0, { groupId: 'mm-consumer', memberId: m.memberId, memberEpoch: -1, rebalanceTimeoutMs: -1, subscribedTopicNames: null, topicPartitions: null, serverAssignor: null });
    expect(r.errorCode).toBe(0);
  }
  // The budget recounts what members keep at most once a second.
  await new Promise((r) => setTimeout(r, 1100));
  const share = await joinUntilRefused((i) => shareJoin('mm-share', memberId('s', i)), 100);
  expect(share.joined).toBeGreaterThan(20);
  expect(share.refusal?.errorCode).toBe(ErrorCode.GROUP_MAX_SIZE_REACHED);
}, 60_000);

it('classic members: JoinGroup metadata counts against the same budget', async () => {
  // Free the share members' bytes first.
  for (let i = 0; i < 40; i++) await c.request(76, 1, { groupId: 'mm-share', memberId: memberId('s', i), memberEpoch: -1, subscribedTopicNames: null });
  await new Promise((r) => setTimeout(r, 1100));
  const metadata = Buffer.alloc(512 * 1024, 7);
  // Each join into its own group: a classic group waits for all its members to rejoin, and the
  // member stays (with its metadata) until its session times out.
  const classic = await joinUntilRefused(async (i) => {
    const group = `mm-classic-${i}`;
    const first: any = await c.request(11, 5, { groupId: group, sessionTimeoutMs: 30_000, rebalanceTimeoutMs: 30_000, memberId: '', groupInstanceId: null, protocolType: 'consumer', protocols: [newJoinGroupRequestProtocol({ name: 'range', metadata })] });
    expect(first.errorCode).toBe(ErrorCode.MEMBER_ID_REQUIRED);
    return c.request(11, 5, { groupId: group, sessionTimeoutMs: 30_000, rebalanceTimeoutMs: 30_000, memberId: first.memberId, groupInstanceId: null, protocolType: 'consumer', protocols: [newJoinGroupRequestProtocol({ name: 'range', metadata })] });
  }, 40);
  // 8 MiB / 512 KiB: about 16 members.
  expect(classic.joined).toBeGreaterThan(8);
  expect(classic.joined).toBeLessThan(17);
  expect(classic.refusal.errorCode).toBe(ErrorCode.GROUP_MAX_SIZE_REACHED);
}, 60_000);
