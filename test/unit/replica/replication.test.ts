/**
 * Replication over real sockets, in one process (static-cluster.ts: real logs, Partitions,
 * follower fetchers, listeners and handlers; the cluster metadata played by the test):
 * followers copy the leader's log byte for byte, the high watermark is the minimum over the ISR,
 * acks=all answers once every ISR member has the batch and times out while one lags, the ISR
 * shrinks after replica.lag.time.max.ms and expands when the follower is back, acks=all is refused
 * with NOT_ENOUGH_REPLICAS below min.insync.replicas (nothing appended) and waits end in
 * NOT_ENOUGH_REPLICAS_AFTER_APPEND when the ISR shrinks under them, a follower that diverged
 * truncates to the new leader's log, and one behind the leader's log start starts over there (and
 * one in sync follows the leader's log start up).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ErrorCode, errorName } from '../../../protocol/errors.js';
import type { FetchResponse } from '../../../protocol/generated/index.js';
import type { BrokerConnection } from '../../../src/client/connection.js';
import type { Partition } from '../../../src/replica/partition.js';
import { records } from '../handlers/fakes.js';
import { sliceBytes } from '../storage/helpers.js';
import { StaticCluster, produce, until } from './static-cluster.js';

let cluster: StaticCluster | null = null;
const conns: BrokerConnection[] = [];
afterEach(async () => {
  for (const c of conns.splice(0)) c.close();
  await cluster?.close();
  cluster = null;
});

async function connect(id: number): Promise<BrokerConnection> {
  const c = await cluster!.node(id).connect();
  conns.push(c);
  return c;
}

/** Every batch of the partition's log, from its start to its log end, as bytes. */
async function logBytes(p: Partition): Promise<Buffer> {
  const out: Buffer[] = [];
  let offset = p.logStartOffset;
  while (offset < p.logEndOffset) {
    const r = await p.log.read(offset, 1 << 20, { upToLogEnd: true, minOneBatch: true });
    const chunk = Buffer.concat(await Promise.all(r.slices.map((s) => sliceBytes(s))));
    for (const s of r.slices) s.release?.();
    if (chunk.length === 0) break;
    out.push(chunk);
    let at = 0;
    while (at + 61 <= chunk.length) {
      offset = Number(chunk.readBigInt64BE(at)) + chunk.readInt32BE(at + 23) + 1;
      at += chunk.readInt32BE(at + 8) + 12;
    }
  }
  return Buffer.concat(out);
}

const ids = (p: Partition) => [p.leaderId, p.leaderEpoch, [...p.isr]];

describe('replication over sockets', () => {
  it('followers copy the leader; acks=all answers once the whole ISR has the batch; HW = min over the ISR', async () => {
    cluster = await StaticCluster.start([1, 2, 3]);
    await cluster.createTopic('t', [[1, 2, 3]], { minInsyncReplicas: 2 });
    const leader = cluster.node(1).partition('t');
    const c = await connect(1);
    for (let i = 0; i < 5; i++) {
      const r = await produce(c, 't', 0, records([`v${i}`, `w${i}`]), -1);
      expect(errorName(r.errorCode)).toBe('NONE');
      expect(r.baseOffset).toBe(i * 2);
      // Answered: every ISR member has it, so the leader's high watermark passed it.
      expect(leader.highWatermark).toBeGreaterThanOrEqual(i * 2 + 2);
      for (const id of [2, 3]) expect(cluster.node(id).partition('t').logEndOffset).toBeGreaterThanOrEqual(i * 2 + 2);
    }
    // The followers learn the high watermark from their next fetch.
    await until(() => [2, 3].every((id) => cluster!.node(id).partition('t').highWatermark === 10), 5000, 'followers high watermark');
    const bytes = await logBytes(leader);
    for (const id of [2, 3]) expect((await logBytes(cluster.node(id).partition('t'))).equals(bytes)).toBe(true);
    // The leader epoch stamped by the leader is the followers' too.
    for (const id of [1, 2, 3]) expect(cluster.node(id).partition('t').log.leaderEpochs.entries().map((e) => [e.epoch, e.startOffset])).toEqual([[0, 0]]);
  });

  it('acks=all times out while an ISR member is down; acks=1 does not wait; the ISR then shrinks, and expands when it is back', async () => {
    cluster = await StaticCluster.start([1, 2, 3], { 'replica.lag.time.max.ms': '1500', 'replica.fetch.backoff.ms': '100' });
    await cluster.createTopic('t', [[1, 2, 3]], { minInsyncReplicas: 2 });
    const c = await connect(1);
    expect((await produce(c, 't', 0, records(['a']), -1)).errorCode).toBe(ErrorCode.NONE);
    await cluster.stopNode(3);
    const timedOut = await produce(c, 't', 0, records(['b']), -1, 300);
    expect(errorName(timedOut.errorCode)).toBe('REQUEST_TIMED_OUT');
    expect(errorName((await produce(c, 't', 0, records(['c']), 1)).errorCode)).toBe('NONE');
    // replica.lag.time.max.ms later (checked every half of it), node 3 leaves the ISR.
    await until(() => !cluster!.state('t').isr.includes(3), 5000, 'ISR shrink');
    expect(cluster.state('t').isr).toEqual([1, 2]);
    await until(() => cluster!.node(1).partition('t').isr.length === 2, 2000, 'leader applied the shrink');
    // Now acks=all completes with 1 and 2, and the earlier records are committed too.
    const r = await produce(c, 't', 0, records(['d']), -1);
    expect(errorName(r.errorCode)).toBe('NONE');
    expect(cluster.node(1).partition('t').highWatermark).toBe(4);
    // Node 3 comes back, catches up and rejoins the ISR.
    await cluster.restartNode(3);
    await until(() => cluster!.state('t').isr.includes(3), 10_000, 'ISR expand');
    expect(cluster.isrWrites.map((w) => w.added)).toEqual([[], [3]]);
    await until(() => cluster!.node(3).partition('t').logEndOffset === 4, 5000, 'node 3 caught up');
    expect((await logBytes(cluster.node(3).partition('t'))).equals(await logBytes(cluster.node(1).partition('t')))).toBe(true);
  });

  it('below min.insync.replicas acks=all is refused and nothing is appended; a wait whose ISR shrank gets NOT_ENOUGH_REPLICAS_AFTER_APPEND', async () => {
    cluster = await StaticCluster.start([1, 2, 3], { 'replica.lag.time.max.ms': '1000', 'replica.fetch.backoff.ms': '100' });
    await cluster.createTopic('t', [[1, 2, 3]], { minInsyncReplicas: 2 });
    const c = await connect(1);
    expect((await produce(c, 't', 0, records(['a']), -1)).errorCode).toBe(ErrorCode.NONE);
    await cluster.stopNode(2);
    await cluster.stopNode(3);
    // Waits (ISR still {1,2,3}); the shrink to {1} moves the high watermark past it, below min ISR.
    const waiting = produce(c, 't', 0, records(['b']), -1, 20_000);
    const r = await waiting;
    expect(errorName(r.errorCode)).toBe('NOT_ENOUGH_REPLICAS_AFTER_APPEND');
    await until(() => cluster!.node(1).partition('t').isr.length === 1, 2000, 'shrunk to the leader');
    const leader = cluster.node(1).partition('t');
    const end = leader.logEndOffset;
    const refused = await produce(c, 't', 0, records(['c']), -1);
    expect(errorName(refused.errorCode)).toBe('NOT_ENOUGH_REPLICAS');
    expect(leader.logEndOffset).toBe(end);
    // acks=1 still works (Kafka's rule), and its records are committed by the ISR of one.
    expect((await produce(c, 't', 0, records(['d']), 1)).errorCode).toBe(ErrorCode.NONE);
    expect(ids(leader)).toEqual([1, 0, [1]]);
  });

  it('the leader serves followers up to its log end and consumers up to the high watermark; strangers are refused', async () => {
    cluster = await StaticCluster.start([1, 2, 3]);
    await cluster.createTopic('t', [[1, 2, 3]]);
    const c = await connect(1);
    expect((await produce(c, 't', 0, records(['a']), -1)).errorCode).toBe(ErrorCode.NONE);
    await cluster.stopNode(3); // the ISR keeps 3 (the lag bound is long): the high watermark stops at 1
    await cluster.stopNode(2);
    expect((await produce(c, 't', 0, records(['b', 'c']), 1)).errorCode).toBe(ErrorCode.NONE);
    const fetch = async (replicaId: number, currentLeaderEpoch = 0, fetchOffset = 0) => {
      const res = await c.send<FetchResponse>(1, { replicaId, maxWaitMs: 0, minBytes: 1, maxBytes: 1 << 20, isolationLevel: 0, sessionEpoch: -1, topics: [{ topic: 't', partitions: [{ partition: 0, currentLeaderEpoch, fetchOffset, lastFetchedEpoch: -1, logStartOffset: 0, partitionMaxBytes: 1 << 20 }] }] }, { version: 12 });
      const pr = res.responses[0]!.partitions[0]!;
      return { error: errorName(pr.errorCode), hw: pr.highWatermark, bytes: (pr.records as Buffer | null)?.length ?? 0 };
    };
    const follower = await fetch(2);
    const consumer = await fetch(-1);
    expect([follower.error, follower.hw, consumer.error, consumer.hw]).toEqual(['NONE', 1, 'NONE', 1]);
    expect(follower.bytes).toBeGreaterThan(consumer.bytes); // 'b','c' past the high watermark go to followers only
    expect((await fetch(7)).error).toBe('UNKNOWN_LEADER_EPOCH'); // not a replica, epoch given
    expect((await fetch(7, -1)).error).toBe('NOT_LEADER_OR_FOLLOWER'); // not a replica, no epoch
    expect((await fetch(2, -1, 10)).error).toBe('OFFSET_OUT_OF_RANGE');
    // Replica 2's fetch at 3 said it has everything: with 3 still in the ISR, the high watermark stays.
    await fetch(2, 0, 3);
    expect(cluster.node(1).partition('t').highWatermark).toBe(1);
  });

  it("an idempotent producer's sequence survives leadership moving away and back (the new leader's state covers its whole log)", async () => {
    cluster = await StaticCluster.start([1, 2, 3]);
    await cluster.createTopic('t', [[1, 2, 3]], { minInsyncReplicas: 2 });
    const pid = { producerId: 7, producerEpoch: 0 };
    const batchOf = (seq: number) => records([`s${seq}`], { ...pid, baseSequence: seq });
    const c1 = await connect(1);
    expect(await produce(c1, 't', 0, batchOf(0), -1)).toMatchObject({ errorCode: 0, baseOffset: 0 });
    // Node 2 leads; its first idempotent produce loads its state from its (replicated) log.
    cluster.elect('t', 0, 2);
    const c2 = await connect(2);
    expect(await produce(c2, 't', 0, batchOf(1), -1)).toMatchObject({ errorCode: 0, baseOffset: 1 });
    await until(() => cluster!.node(1).partition('t').logEndOffset === 2, 5000, 'node 1 has seq 1');
    // Back to node 1, whose producer state from its first term knew only seq 0.
    cluster.elect('t', 0, 1);
    expect(await produce(c1, 't', 0, batchOf(2), -1)).toMatchObject({ errorCode: 0, baseOffset: 2 });
    // A retry of seq 1 (appended by node 2) is a duplicate: its original offset, not a new record.
    expect(await produce(c1, 't', 0, batchOf(1), -1)).toMatchObject({ errorCode: 0, baseOffset: 1 });
    expect(cluster.node(1).partition('t').logEndOffset).toBe(3);
  });

  it('a new leader whose high watermark lags its log end still knows every idempotent batch in its log', async () => {
    cluster = await StaticCluster.start([1, 2, 3]);
    await cluster.createTopic('t', [[1, 2, 3]], { minInsyncReplicas: 2 });
    const pid = { producerId: 9, producerEpoch: 0 };
    const batchOf = (seq: number) => records([`s${seq}`], { ...pid, baseSequence: seq });
    const c1 = await connect(1);
    expect(await produce(c1, 't', 0, batchOf(0), -1)).toMatchObject({ errorCode: 0, baseOffset: 0 });
    // seq 1 reaches node 2's log; node 2 learns the high watermark past it only from a later fetch.
    expect(await produce(c1, 't', 0, batchOf(1), 1)).toMatchObject({ errorCode: 0, baseOffset: 1 });
    const p2 = cluster.node(2).partition('t');
    await until(() => p2.logEndOffset === 2, 5000, 'node 2 fetched seq 1');
    await cluster.stopNode(1);
    await cluster.stopNode(3);
    cluster.elect('t', 0, 2); // ISR kept: with 1 and 3 silent its high watermark cannot move
    expect([p2.highWatermark, p2.logEndOffset]).toEqual([1, 2]);
    // The producer never heard of seq 1's ack and retries it at the new leader: a duplicate.
    const c2 = await connect(2);
    expect(await produce(c2, 't', 0, batchOf(1), 1)).toMatchObject({ errorCode: 0, baseOffset: 1 });
    expect(p2.logEndOffset).toBe(2);
  });

  it('a former leader that diverged truncates to the new leader and copies it', async () => {
    cluster = await StaticCluster.start([1, 2, 3], { 'replica.fetch.backoff.ms': '100' });
    await cluster.createTopic('t', [[1, 2, 3]], { minInsyncReplicas: 2 });
    const c1 = await connect(1);
    for (const v of ['a', 'b', 'c']) expect((await produce(c1, 't', 0, records([v]), -1)).errorCode).toBe(ErrorCode.NONE);
    // Nodes 2 and 3 stop fetching; node 1 takes writes nobody else gets (acks=1), then dies.
    await cluster.stopNode(2);
    await cluster.stopNode(3);
    for (const v of ['x1', 'x2']) expect((await produce(c1, 't', 0, records([v, v]), 1)).errorCode).toBe(ErrorCode.NONE);
    expect(cluster.node(1).partition('t').logEndOffset).toBe(7);
    c1.close();
    await cluster.stopNode(1);
    // Node 2 becomes leader at epoch 1 (with 3), takes other writes.
    await cluster.restartNode(2);
    await cluster.restartNode(3);
    cluster.elect('t', 0, 2, [2, 3]);
    const c2 = await connect(2);
    for (const v of ['d', 'e']) expect((await produce(c2, 't', 0, records([v]), -1)).errorCode).toBe(ErrorCode.NONE);
    // Node 1 returns as a follower: its offsets 3..6 (epoch 0) diverge from the leader's 3..4 (epoch 1).
    await cluster.restartNode(1);
    const p1 = cluster.node(1).partition('t');
    await until(() => p1.logEndOffset === 5 && p1.log.leaderEpochs.latestEpoch === 1, 10_000, 'node 1 truncated and caught up');
    // logEndOffset counts appends still being written: compare once the bytes are readable (node 3
    // restarted too and may still be fetching).
    const leaderBytes = await logBytes(cluster.node(2).partition('t'));
    for (const id of [1, 3]) {
      const deadline = Date.now() + 10_000;
      while (!(await logBytes(cluster.node(id).partition('t'))).equals(leaderBytes) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      expect((await logBytes(cluster.node(id).partition('t'))).equals(leaderBytes), `node ${id} has the leader's bytes`).toBe(true);
    }
    expect(p1.log.leaderEpochs.entries().map((e) => [e.epoch, e.startOffset])).toEqual([[0, 0], [1, 3]]);
    // It rejoins the ISR once caught up.
    await until(() => cluster!.state('t').isr.includes(1), 10_000, 'node 1 back in the ISR');
  });

  it('a follower behind the leader log start starts its log over there', async () => {
    cluster = await StaticCluster.start([1, 2], { 'replica.fetch.backoff.ms': '100', 'replica.lag.time.max.ms': '400' });
    await cluster.createTopic('t', [[1, 2]]);
    const c = await connect(1);
    await cluster.stopNode(2);
    for (let i = 0; i < 6; i++) expect((await produce(c, 't', 0, records([`v${i}`]), 1)).errorCode).toBe(ErrorCode.NONE);
    const leader = cluster.node(1).partition('t');
    // The high watermark (which DeleteRecords is bounded by) moves once node 2 left the ISR.
    await until(() => leader.highWatermark === 6, 5000, 'ISR shrink');
    expect(await leader.deleteRecordsBefore(4)).toBe(4);
    await cluster.restartNode(2);
    const f = cluster.node(2).partition('t');
    // Appended and written (a read stops at the visible end: comparing before the write is a race).
    await until(() => f.logEndOffset === 6 && (f.log as { visibleEndOffset?: number }).visibleEndOffset === 6, 10_000, 'follower caught up');
    expect(f.logStartOffset).toBe(4);
    // The log end offset counts a queued append; its bytes are readable once written, a moment later.
    const leaderBytes = await logBytes(leader);
    let same = false;
    for (const deadline = Date.now() + 5000; !same && Date.now() < deadline; await new Promise((r) => setTimeout(r, 20))) same = (await logBytes(f)).equals(leaderBytes);
    expect(same).toBe(true);
    // A follower in sync follows the leader's log start up (DeleteRecords there).
    expect(await leader.deleteRecordsBefore(5)).toBe(5);
    await until(() => f.logStartOffset === 5, 5000, "follower's log start");
  });
});
