/**
 * Group coordinator benchmark (issue 5), against a real in-process broker over TCP:
 *
 * 1. Rebalance: 10 members send JoinGroup (v5: MEMBER_ID_REQUIRED, then rejoin) together, with
 *    group.initial.rebalance.delay.ms = 0; the leader assigns, everyone SyncGroups (and rejoins on
 *    REBALANCE_IN_PROGRESS, heartbeating every 100 ms meanwhile). Measured: time from the last
 *    member's first JoinGroup to the moment all 10 hold their assignment in one generation.
 *    Goal: within 100 ms.
 * 2. Commit throughput: OffsetCommit v8 with 100 partitions per request, acknowledged once durable
 *    (fsync per __consumer_offsets batch, shared by concurrent commits). One connection
 *    committing back to back, then 8 connections (8 groups) at once.
 * 3. Startup load: 100,000 committed offsets (1,000 groups × 100 partitions) written, the broker
 *    stopped and started again; measured: replaying __consumer_offsets into groups (the
 *    coordinator's own timing, and a second replay on the running broker). Goal: under 1 s.
 *
 *   npx tsx bench/groups/groups-bench.ts [--quick]
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join, resolve } from 'node:path';
import { startBroker, type RunningBroker } from '../../src/index.js';
import { ErrorCode } from '../../protocol/errors.js';
import { GroupCoordinator } from '../../src/groups/coordinator.js';
import { groupConfigFrom } from '../../src/groups/config.js';
import { TopicOffsetsLog } from '../../src/groups/offsets-log.js';
import { silentLogger } from '../../src/logger.js';
import { RawClient } from '../../test/helpers/raw-client.js';
import { Writer } from '../../protocol/primitives.js';

const QUICK = process.argv.includes('--quick');
const WORK = join(resolve(import.meta.dirname, '..', '..'), 'bench', '.work');

async function broker(dataDir: string, config: Record<string, unknown> = {}): Promise<RunningBroker> {
  return startBroker({ dataDir, host: '127.0.0.1', port: 0, logLevel: 'silent', config: { 'group.initial.rebalance.delay.ms': 0, ...config } });
}

function subscription(topic: string): Buffer {
  const w = new Writer(2 + 4 + 2 + topic.length + 4);
  w.int16(0);
  w.int32(1);
  w.string(topic);
  w.int32(-1);
  return w.finish();
}

function assignmentOf(topic: string, partitions: number[]): Buffer {
  const w = new Writer(2 + 4 + 2 + topic.length + 4 + 4 * partitions.length + 4);
  w.int16(0);
  w.int32(1);
  w.string(topic);
  w.int32(partitions.length);
  for (const p of partitions) w.int32(p);
  w.int32(-1);
  return w.finish();
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

// ---------------------------------------------------------------------------------------------
// 1. Rebalance of 10 members joining together

interface MemberState {
  client: RawClient;
  memberId: string;
  generation: number;
  synced: boolean;
  firstJoinAt: number;
}

async function rebalanceOnce(b: RunningBroker, group: string, n: number): Promise<{ afterLastJoinMs: number; totalMs: number; generations: number }> {
  const topic = 'bench-rebalance';
  const clients = await Promise.all(Array.from({ length: n }, () => RawClient.connect(b.host, b.port)));
  const members: MemberState[] = clients.map((client) => ({ client, memberId: '', generation: -1, synced: false, firstJoinAt: 0 }));
  const protocols = [{ name: 'range', metadata: subscription(topic) }];
  let done = false;
  let finishedAt = 0;
  const t0 = performance.now();
  const allSynced = () => members.every((m) => m.synced && m.generation === members[0]!.generation);

  const run = async (m: MemberState): Promise<void> => {
    for (;;) {
      if (m.firstJoinAt === 0) m.firstJoinAt = performance.now();
      m.synced = false;
      const j = await m.client.request<any>(11, 5, { groupId: group, sessionTimeoutMs: 10_000, rebalanceTimeoutMs: 10_000, memberId: m.memberId, protocolType: 'consumer', protocols });
      if (j.errorCode === ErrorCode.MEMBER_ID_REQUIRED) {
        m.memberId = j.memberId;
        continue;
      }
      if (j.errorCode !== 0) throw new Error(`join error ${j.errorCode}`);
      m.memberId = j.memberId;
      m.generation = j.generationId;
      const assignments =
        j.leader === m.memberId
          ? j.members.map((x: { memberId: string }, i: number) => ({ memberId: x.memberId, assignment: assignmentOf(topic, [i]) }))
          : [];
      const s = await m.client.request<any>(14, 3, { groupId: group, generationId: j.generationId, memberId: m.memberId, assignments });
      if (s.errorCode === ErrorCode.REBALANCE_IN_PROGRESS) continue;
      if (s.errorCode !== 0) throw new Error(`sync error ${s.errorCode}`);
      m.synced = true;
      if (allSynced() && !done) {
        done = true;
        finishedAt = performance.now();
      }
      // Heartbeat until the group is done or a rebalance asks us back.
      let rejoin = false;
      while (!done && !rejoin) {
        await new Promise((r) => setTimeout(r, 100));
        if (done) break;
        const h = await m.client.request<any>(12, 3, { groupId: group, generationId: m.generation, memberId: m.memberId });
        if (h.errorCode === ErrorCode.REBALANCE_IN_PROGRESS) rejoin = true;
        else if (allSynced() && !done) {
          done = true;
          finishedAt = performance.now();
        }
      }
      if (!rejoin) return;
    }
  };
  await Promise.all(members.map(run));
  const lastJoin = Math.max(...members.map((m) => m.firstJoinAt));
  const generations = members[0]!.generation;
  // Leave, so the next round starts from an empty group.
  await clients[0]!.request(13, 3, { groupId: group, members: members.map((m) => ({ memberId: m.memberId, groupInstanceId: null })) });
  for (const c of clients) c.close();
  return { afterLastJoinMs: finishedAt - lastJoin, totalMs: finishedAt - t0, generations };
}

async function benchRebalance(): Promise<string[]> {
  const dir = mkdtempSync(join(WORK, 'groups-rebalance-'));
  const b = await broker(dir);
  const rounds = QUICK ? 5 : 20;
  const after: number[] = [];
  const total: number[] = [];
  const gens: number[] = [];
  try {
    for (let i = 0; i < rounds; i++) {
      const r = await rebalanceOnce(b, `rebalance-${i}`, 10);
      after.push(r.afterLastJoinMs);
      total.push(r.totalMs);
      gens.push(r.generations);
    }
  } finally {
    await b.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  return [
    `| 10 members joining together (delay 0): stable, all assigned, after the last JoinGroup — median / max of ${rounds} | ${median(after).toFixed(1)} / ${Math.max(...after).toFixed(1)} ms | ≤ 100 ms |`,
    `| same, from the first JoinGroup (incl. MEMBER_ID_REQUIRED round trip) — median | ${median(total).toFixed(1)} ms | |`,
    `| generations needed (1 = everyone in the first rebalance) — median / max | ${median(gens)} / ${Math.max(...gens)} | |`,
  ];
}

// ---------------------------------------------------------------------------------------------
// 2. Commit throughput

function commitRequest(groupId: string, topic: string, partitions: number, offset: number) {
  return {
    groupId,
    generationIdOrMemberEpoch: -1,
    memberId: '',
    groupInstanceId: null,
    topics: [{ name: topic, partitions: Array.from({ length: partitions }, (_, p) => ({ partitionIndex: p, committedOffset: offset, committedLeaderEpoch: -1, committedMetadata: null })) }],
  };
}

async function commitLoop(c: RawClient, group: string, topic: string, untilMs: number): Promise<number> {
  let n = 0;
  while (performance.now() < untilMs) {
    const r = await c.request<any>(8, 8, commitRequest(group, topic, 100, n));
    if (r.topics[0].partitions[0].errorCode !== 0) throw new Error(`commit error ${r.topics[0].partitions[0].errorCode}`);
    n++;
  }
  return n;
}

async function benchCommits(): Promise<string[]> {
  const dir = mkdtempSync(join(WORK, 'groups-commit-'));
  const b = await broker(dir);
  const topic = 'bench-commits';
  const seconds = QUICK ? 2 : 5;
  try {
    const admin = await RawClient.connect(b.host, b.port);
    await admin.request(19, 4, { topics: [{ name: topic, numPartitions: 100, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 10_000 });
    admin.close();
    const one = await RawClient.connect(b.host, b.port);
    await commitLoop(one, 'warmup', topic, performance.now() + 500);
    const single = await commitLoop(one, 'commit-1', topic, performance.now() + seconds * 1000);
    one.close();
    const conns = await Promise.all(Array.from({ length: 8 }, () => RawClient.connect(b.host, b.port)));
    const end = performance.now() + seconds * 1000;
    const counts = await Promise.all(conns.map((c, i) => commitLoop(c, `commit-par-${i}`, topic, end)));
    for (const c of conns) c.close();
    const sameGroupConns = await Promise.all(Array.from({ length: 8 }, () => RawClient.connect(b.host, b.port)));
    const end2 = performance.now() + seconds * 1000;
    const same = await Promise.all(sameGroupConns.map((c) => commitLoop(c, 'commit-shared', topic, end2)));
    for (const c of sameGroupConns) c.close();
    const par = counts.reduce((a, x) => a + x, 0);
    const shared = same.reduce((a, x) => a + x, 0);
    return [
      `| commits/s, 100 partitions per commit, 1 connection (durable, fsync each) | ${(single / seconds).toFixed(0)} (${((single * 100) / seconds).toFixed(0)} offsets/s) | |`,
      `| commits/s, 8 connections, 8 groups (spread over __consumer_offsets partitions) | ${(par / seconds).toFixed(0)} (${((par * 100) / seconds).toFixed(0)} offsets/s) | |`,
      `| commits/s, 8 connections, one group (one partition: fsyncs shared by group commit) | ${(shared / seconds).toFixed(0)} (${((shared * 100) / seconds).toFixed(0)} offsets/s) | |`,
    ];
  } finally {
    await b.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------
// 3. Startup load of 100,000 offsets

async function benchLoad(): Promise<string[]> {
  const dir = mkdtempSync(join(WORK, 'groups-load-'));
  const groups = QUICK ? 200 : 1000;
  const topic = 'bench-load';
  let b = await broker(dir);
  try {
    const setup = await RawClient.connect(b.host, b.port);
    await setup.request(19, 4, { topics: [{ name: topic, numPartitions: 100, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 10_000 });
    setup.close();
    const conns = await Promise.all(Array.from({ length: 8 }, () => RawClient.connect(b.host, b.port)));
    const t0 = performance.now();
    let next = 0;
    await Promise.all(
      conns.map(async (c) => {
        for (let g = next++; g < groups; g = next++) await c.request(8, 8, commitRequest(`load-${g}`, topic, 100, g));
      }),
    );
    const writeMs = performance.now() - t0;
    for (const c of conns) c.close();
    await b.stop();

    const t1 = performance.now();
    b = await broker(dir);
    const restartMs = performance.now() - t1;
    const offsets = [...b.broker.groups.groups.values()].reduce((n, g) => n + [...g.allOffsets()].length, 0);
    if (offsets !== groups * 100) throw new Error(`loaded ${offsets} offsets, expected ${groups * 100}`);
    // Replay again on the running broker (warm page cache; same code path as startup).
    const replays: number[] = [];
    for (let i = 0; i < 5; i++) {
      const log = new TopicOffsetsLog({ config: b.broker.config, topics: b.broker.topics, partitions: b.broker.partitions, appendTransactional: () => Promise.reject(new Error('replay only')) });
      const coord = new GroupCoordinator({ log, config: () => groupConfigFrom(b.broker.config), logger: silentLogger(), leadership: b.broker.leadership });
      const t0 = performance.now();
      await coord.start();
      replays.push(Math.round(performance.now() - t0));
      coord.shutdown();
    }
    return [
      `| write ${groups * 100} offsets (${groups} commits of 100, 8 connections) | ${(writeMs / 1000).toFixed(2)} s | |`,
      `| broker restart with ${groups * 100} committed offsets (whole startup, listeners included) | ${restartMs.toFixed(0)} ms | |`,
      `| replay of __consumer_offsets into ${groups} groups / ${groups * 100} offsets — median of 5 | ${median(replays)} ms | < 1 s |`,
    ];
  } finally {
    await b.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  mkdirSync(WORK, { recursive: true });
  console.log(`Node ${process.version}, ${os.cpus().length} cores (${os.cpus()[0]?.model ?? '?'}), load average ${os.loadavg().map((x) => x.toFixed(1)).join(' ')}`);
  console.log('| measurement | result | goal |');
  console.log('| --- | --- | --- |');
  for (const fn of [benchRebalance, benchCommits, benchLoad]) {
    for (const line of await fn()) console.log(line);
  }
}

await main();
