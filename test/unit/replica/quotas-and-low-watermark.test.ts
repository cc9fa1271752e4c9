/**
 * Without sockets, with a fake clock: the replication quotas (src/replica/replication-quotas.ts) as
 * the Fetch handler and the fetcher ask them — which partitions a topic's throttled-replicas lists
 * name for this broker, Kafka's rule that ISR members are never held back, rates read from the
 * broker config as AlterConfigs changes them, the byte-rate metric — and the DeleteRecords low
 * watermark on a cluster-mode leader (leader-replicas.ts, delayed-delete-records.ts): the minimum
 * log start over the leader and its live followers, the wait completing as followers report,
 * timing out, and failing when leadership moves.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../../protocol/errors.js';
import type { ConfigValue } from '../../../src/config/definitions.js';
import type { ConfigView } from '../../../src/config/view.js';
import { silentLogger } from '../../../src/logger.js';
import { Partition } from '../../../src/replica/partition.js';
import type { ReplicationContext } from '../../../src/replica/replication-context.js';
import { ReplicationQuotas } from '../../../src/replica/replication-quotas.js';
import { UNLIMITED_RATE } from '../../../src/replica/replication-throttle.js';
import { PartitionLog } from '../../../storage/partition-log.js';
import { sizedBatch, tempDir } from '../storage/helpers.js';
import { testLogConfig } from './helpers.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

function fakeConfig(values: Record<string, number>): ConfigView & { set(k: string, v: number): void } {
  const m = new Map<string, number>(Object.entries(values));
  return {
    get: (k) => m.get(k) ?? UNLIMITED_RATE,
    int: (k) => m.get(k) ?? UNLIMITED_RATE,
    bool: () => false,
    string: (k) => String(m.get(k) ?? ''),
    set: (k, v) => void m.set(k, v),
  };
}

const topic = (name: string, configs: Record<string, ConfigValue>) => ({ name, configs: new Map(Object.entries(configs)) });

describe('replication quotas', () => {
  it('hold back only listed replicas of this broker outside the ISR, while the rate is exceeded', () => {
    let now = 1_000_000;
    const config = fakeConfig({ 'leader.replication.throttled.rate': 1000 });
    const q = new ReplicationQuotas(1, config, () => now);
    q.topicChanged(topic('t', { 'leader.replication.throttled.replicas': ['0:1', '1:2'], 'follower.replication.throttled.replicas': ['*'] }));
    expect([q.leader.isThrottled('t', 0), q.leader.isThrottled('t', 1), q.follower.isThrottled('t', 7), q.leader.isThrottled('u', 0)]).toEqual([true, false, true, false]);
    // Under quota: nobody is held back; then 1500 bytes overdraw the one-second bucket of 1000.
    expect(q.leader.shouldThrottle('t', 0, false)).toBe(false);
    q.leader.record(1500);
    expect(q.leader.shouldThrottle('t', 0, false)).toBe(true);
    expect(q.leader.shouldThrottle('t', 0, true)).toBe(false); // an ISR member never
    expect(q.leader.shouldThrottle('t', 1, false)).toBe(false); // not listed for broker 1
    // The follower rate is unlimited (Long.MAX_VALUE default): never exceeded.
    q.follower.record(1e12);
    expect(q.follower.shouldThrottle('t', 0, false)).toBe(false);
    // Refilled after (1500 - 1000 + 1) / 1000 s.
    expect(q.leader.delayMs()).toBe(501);
    now += 501;
    expect(q.leader.shouldThrottle('t', 0, false)).toBe(false);
    // AlterConfigs deleted the rate: seen at the next look.
    q.leader.record(10_000);
    expect(q.leader.shouldThrottle('t', 0, false)).toBe(true);
    config.set('leader.replication.throttled.rate', UNLIMITED_RATE);
    expect(q.leader.shouldThrottle('t', 0, false)).toBe(false);
    // --verify removed the lists; a deleted topic goes too.
    q.topicChanged(topic('t', { 'follower.replication.throttled.replicas': ['*'] }));
    expect([q.leader.isThrottled('t', 0), q.follower.isThrottled('t', 0)]).toEqual([false, true]);
    q.topicDeleted('t');
    expect(q.follower.isThrottled('t', 0)).toBe(false);
  });

  it('render: byte rates over the last seconds and the held-back counts, with Kafka\'s names', () => {
    let now = 10_000_000;
    const q = new ReplicationQuotas(1, fakeConfig({ 'follower.replication.throttled.rate': 100 }), () => now);
    q.topicChanged(topic('t', { 'follower.replication.throttled.replicas': ['0:1'] }));
    q.follower.record(5000);
    expect(q.follower.shouldThrottle('t', 0, false)).toBe(true);
    now += 1000;
    const samples: Record<string, number> = {};
    q.render({ family: () => undefined, sample: (name, v, labels) => void (samples[labels ? `${name}{${labels.side}}` : name] = v) });
    expect(samples).toEqual({
      kafka_server_leaderreplication_byte_rate: 0,
      kafka_server_followerreplication_byte_rate: 500,
      'runnel_replication_throttled_total{leader}': 0,
      'runnel_replication_throttled_total{follower}': 1,
    });
  });
});

async function leader(opts: { alive?: (id: number) => boolean; quotas?: ReplicationQuotas } = {}) {
  const t = tempDir('runnel-lowwm-');
  const log = await PartitionLog.open({ topic: 't', partition: 0, dir: t.dir, config: testLogConfig, replicated: true });
  cleanups.push(t.cleanup, () => log.close());
  const clock = { now: 1_000_000 };
  const ctx: ReplicationContext = { isrWriter: null, replicaLagTimeMaxMs: 10_000, metrics: null, logger: silentLogger(), now: () => clock.now, isBrokerAlive: opts.alive, quotas: opts.quotas };
  const p = new Partition(log, Buffer.alloc(16, 1), 1, ctx);
  p.makeLeader({ leaderEpoch: 1, partitionEpoch: 1, replicas: [1, 2, 3], isr: [1, 2] });
  const r = p.replication!;
  await p.append(sizedBatch(10, 10), 1, 1).written;
  const fetch = (id: number, offset: number, logStart: number) => r.updateFollowerFetchState(id, offset, logStart, r.followerFetchEnd, clock.now);
  return { p, r, fetch };
}

describe('leader side', () => {
  it('a throttled partition holds back a follower outside the ISR, never an ISR member', async () => {
    const q = new ReplicationQuotas(1, fakeConfig({ 'leader.replication.throttled.rate': 10 }));
    const { r } = await leader({ quotas: q });
    expect(r.leaderThrottled).toBe(false);
    q.topicChanged(topic('t', { 'leader.replication.throttled.replicas': ['0:1'] }));
    expect(r.leaderThrottled).toBe(true);
    r.recordLeaderThrottledBytes(100);
    expect([r.shouldLeaderThrottle(2), r.shouldLeaderThrottle(3)]).toEqual([false, true]);
  });
});

describe('DeleteRecords low watermark (cluster leader)', () => {
  it('answers once every live replica reported a log start at or past the offset; the minimum is the low watermark', async () => {
    const { p, fetch } = await leader();
    fetch(2, 10, 0);
    fetch(3, 10, 0);
    expect(p.highWatermark).toBe(10);
    expect(await p.deleteRecordsBefore(6)).toBe(6);
    let answer: unknown = null;
    void p.awaitLowWatermark(6, 10_000).then((a) => (answer = a));
    fetch(2, 10, 6);
    await Promise.resolve();
    expect(answer).toBeNull(); // 3 still starts at 0
    fetch(3, 10, 8);
    await new Promise((r) => setImmediate(r));
    expect(answer).toEqual({ errorCode: ErrorCode.NONE, lowWatermark: 6 });
  });

  it('a replica on a dead broker does not count; not there in time: REQUEST_TIMED_OUT; leadership lost: NOT_LEADER_OR_FOLLOWER', async () => {
    const alive = new Set([1, 2, 3]);
    const { p, fetch } = await leader({ alive: (id) => alive.has(id) });
    fetch(2, 10, 0);
    fetch(3, 10, 0);
    await p.deleteRecordsBefore(4);
    expect(await p.awaitLowWatermark(4, 30)).toEqual({ errorCode: ErrorCode.REQUEST_TIMED_OUT, lowWatermark: 0 });
    expect(await p.awaitLowWatermark(4, 0)).toEqual({ errorCode: ErrorCode.REQUEST_TIMED_OUT, lowWatermark: 0 });
    fetch(2, 10, 4);
    alive.delete(3);
    expect(await p.awaitLowWatermark(4, 0)).toEqual({ errorCode: ErrorCode.NONE, lowWatermark: 4 });
    alive.add(3);
    await p.deleteRecordsBefore(5);
    const waiting = p.awaitLowWatermark(5, 10_000);
    p.makeFollower({ leaderEpoch: 2, partitionEpoch: 2, replicas: [1, 2, 3], isr: [2] }, 2);
    expect(await waiting).toEqual({ errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER, lowWatermark: -1 });
  });
});
