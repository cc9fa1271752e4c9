/**
 * One response's size is bounded (runnel.socket.response.max.bytes, src/server/response-encoding.ts).
 * Requests are bounded, but some answers repeat what the broker holds once per request entry, as
 * Kafka's do: a DescribeGroups naming one group 2,000 times, whose member joined with 512 KiB of
 * protocol metadata, was answered with 1 GiB — the broker's RSS went from 74 to 1,076 MiB and an
 * ApiVersions canary on another connection waited 1.8 s; 4,000 names would ask for 2 GiB. Now such
 * a response is never built: its connection is closed, the canary stays prompt, RSS flat; a repeat
 * count under the bound is still answered once per entry (the differential duplicates test checks
 * that against Kafka). And since sizing a repeat costs as much as building it, the members that
 * repeats add are bounded by runnel.request.max.entries (src/handlers/described-once.ts): 10,000
 * copies of a 200-member share group took 4.4 s of event loop before, now a few ms.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { spawnBroker, tempDir, removeDir, type ChildBroker } from '../helpers/broker.js';
import { RawClient } from '../helpers/raw-client.js';
import { ErrorCode } from '../../protocol/errors.js';
import { newJoinGroupRequestProtocol, newSyncGroupRequestAssignment } from '../../protocol/generated/index.js';

let broker: ChildBroker;
let dir: string;
let c: RawClient;

const rssMiB = () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${broker.process.pid}/status`, 'utf8'))![1]) / 1024;

beforeAll(async () => {
  dir = tempDir('response-limits');
  broker = await spawnBroker(dir, { 'group.initial.rebalance.delay.ms': 0 });
  c = await RawClient.connect(broker.host, broker.port);
  // A stable group whose one member keeps 512 KiB of protocol metadata.
  const join = (memberId: string) =>
    c.request(11, 5, { groupId: 'big-member', sessionTimeoutMs: 60_000, rebalanceTimeoutMs: 60_000, memberId, groupInstanceId: null, protocolType: 'consumer', protocols: [newJoinGroupRequestProtocol({ name: 'range', metadata: Buffer.alloc(512 * 1024, 7) })] });
  const first: any = await join('');
  expect(first.errorCode).toBe(ErrorCode.MEMBER_ID_REQUIRED);
  const joined: any = await join(first.memberId);
  expect(joined.errorCode).toBe(0);
  const synced: any = await c.request(14, 5, { groupId: 'big-member', generationId: joined.generationId, memberId: first.memberId, groupInstanceId: null, protocolType: 'consumer', protocolName: 'range', assignments: [newSyncGroupRequestAssignment({ memberId: first.memberId, assignment: Buffer.alloc(16) })] });
  expect(synced.errorCode).toBe(0);
});

/** Runs `attack` while an ApiVersions canary on its own connection pings every 20 ms; its slowest answer. */
async function withCanary<T>(attack: () => Promise<T>): Promise<{ result: T; worst: number }> {
  const ping = await RawClient.connect(broker.host, broker.port);
  let worst = 0;
  let stop = false;
  const canary = (async () => {
    while (!stop) {
      const t = performance.now();
      expect((await ping.request(18, 0, {}))?.errorCode).toBe(0);
      worst = Math.max(worst, performance.now() - t);
      await new Promise((r) => setTimeout(r, 20));
    }
  })();
  try {
    return { result: await attack(), worst };
  } finally {
    stop = true;
    await canary;
    ping.close();
  }
}

afterAll(async () => {
  c?.close();
  await broker?.kill('SIGKILL');
  removeDir(dir);
});

it('a DescribeGroups whose answer would be 1 GiB closes its connection; the broker stays prompt and small', async () => {
  const rss0 = rssMiB();
  const attacker = await RawClient.connect(broker.host, broker.port);
  // null: the connection closed without an answer.
  const { result: answer, worst } = await withCanary(async () => {
    const r = await attacker.request(15, 5, { groups: Array(2000).fill('big-member'), includeAuthorizedOperations: false });
    await new Promise((res) => setTimeout(res, 300));
    return r;
  });
  expect(answer).toBeNull();
  expect(attacker.closed).toBe(true);
  // Before: 1.8 s. The bound leaves room for a loaded CI machine (the hostile suite nices its attackers; this test does not).
  expect(worst).toBeLessThan(300);
  expect(rssMiB() - rss0).toBeLessThan(32);
  expect(broker.logs.some((l) => /response over runnel\.socket\.response\.max\.bytes/.test(l))).toBe(true);
}, 60_000);

it('under the bound, a repeated group is still answered once per entry (20 × 512 KiB)', async () => {
  const c2 = await RawClient.connect(broker.host, broker.port);
  c2.responseTimeoutMs = 30_000;
  const r: any = await c2.request(15, 5, { groups: Array(20).fill('big-member'), includeAuthorizedOperations: false });
  c2.close();
  expect(r.groups).toHaveLength(20);
  for (const g of r.groups) expect(g.members[0].memberMetadata.length).toBe(512 * 1024);
}, 60_000);

it('10,000 repeats of a 200-member share group: the repeats past runnel.request.max.entries members are refused, the event loop stays free', async () => {
  const c3 = await RawClient.connect(broker.host, broker.port);
  c3.responseTimeoutMs = 30_000;
  for (let i = 0; i < 200; i++) {
    const r: any = await c3.request(76, 1, { groupId: 'wide-share', memberId: `wide-member-${String(i).padStart(10, '0')}`, memberEpoch: 0, subscribedTopicNames: ['a', 'b'] });
    expect(r.errorCode).toBe(0);
  }
  // Before: two million members sized and encoded, the canary waited 4.4 s.
  const { result: d, worst } = await withCanary(() => c3.request<any>(77, 1, { groupIds: Array(10_000).fill('wide-share'), includeAuthorizedOperations: false }));
  c3.close();
  expect(d.groups).toHaveLength(10_000);
  // The first entry and 50 repeats (50 × 200 = 10,000 members) are described, the rest refused.
  const described = d.groups.filter((g: any) => g.errorCode === 0);
  expect(described).toHaveLength(51);
  expect(described.every((g: any) => g.members.length === 200)).toBe(true);
  expect(d.groups[51].errorCode).toBe(ErrorCode.INVALID_REQUEST);
  expect(d.groups[51].errorMessage).toMatch(/runnel\.request\.max\.entries/);
  expect(worst).toBeLessThan(300);
}, 60_000);
