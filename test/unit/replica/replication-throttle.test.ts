/**
 * The replication throttle (src/replica/replication-throttle.ts) with a fake clock, and the
 * throttled-replicas config values it reads (src/config/throttled-replicas.ts): which replicas an
 * entry list or `*` throttles on which broker, Kafka's validation of the value, the bytes/s bucket
 * (overdraw, refill, burst cap, rate changes, unlimited and zero rates), and Kafka's rule that
 * only replicas outside the ISR are held back.
 */
import { describe, expect, it } from 'vitest';
import { BROKER_CONFIG_BY_NAME, TOPIC_CONFIG_BY_NAME } from '../../../src/config/definitions.js';
import { THROTTLED_REPLICAS_FORMAT, throttledPartitions, throttledReplicasProblem } from '../../../src/config/throttled-replicas.js';
import { ReplicationThrottle, UNLIMITED_RATE } from '../../../src/replica/replication-throttle.js';

function clock(start = 1_000_000) {
  let t = start;
  return { now: () => t, advance: (ms: number) => void (t += ms) };
}

describe('throttled-replicas values', () => {
  it('validates as Kafka does: * or partitionId:brokerId entries', () => {
    expect(throttledReplicasProblem([])).toBeNull();
    expect(throttledReplicasProblem(['*'])).toBeNull();
    expect(throttledReplicasProblem(['0:1', '0:2', '12:3'])).toBeNull();
    for (const bad of [['0'], ['a:1'], ['0:1', '*'], ['0:1:2'], ['-1:2'], ['0:x']]) expect(throttledReplicasProblem(bad)).toBe(THROTTLED_REPLICAS_FORMAT);
  });
  it('the topic keys carry the validator; the broker rates default to Long.MAX_VALUE and are dynamic', () => {
    for (const k of ['leader.replication.throttled.replicas', 'follower.replication.throttled.replicas']) {
      expect(TOPIC_CONFIG_BY_NAME.get(k)!.validate!(['0:1'])).toBeNull();
      expect(TOPIC_CONFIG_BY_NAME.get(k)!.validate!(['nope'])).toBe(THROTTLED_REPLICAS_FORMAT);
    }
    for (const k of ['leader.replication.throttled.rate', 'follower.replication.throttled.rate']) {
      expect(BROKER_CONFIG_BY_NAME.get(k)).toMatchObject({ default: UNLIMITED_RATE, dynamic: true });
    }
  });
  it('parses per broker: entries naming this broker, * for all, nothing for a bad value', () => {
    expect(throttledPartitions('0:1,1:2,2:1', 1)).toEqual(new Set([0, 2]));
    expect(throttledPartitions(['0:1', '1:2'], 2)).toEqual(new Set([1]));
    expect(throttledPartitions(' * ', 7)).toBe('all');
    expect(throttledPartitions('0:1,oops', 1)).toEqual(new Set());
    expect(throttledPartitions(null, 1)).toEqual(new Set());
  });
});

describe('ReplicationThrottle', () => {
  it('applies to the listed replicas of this broker only', () => {
    const t = new ReplicationThrottle(2);
    t.setThrottledReplicas('a', '0:1,0:2,1:2');
    t.setThrottledReplicas('b', '*');
    t.setThrottledReplicas('c', '0:1');
    expect([t.isThrottled('a', 0), t.isThrottled('a', 1), t.isThrottled('a', 2)]).toEqual([true, true, false]);
    expect(t.isThrottled('b', 99)).toBe(true);
    expect(t.isThrottled('c', 0)).toBe(false);
    t.setThrottledReplicas('a', '');
    t.removeTopic('b');
    expect(t.isThrottled('a', 0) || t.isThrottled('b', 0)).toBe(false);
  });

  it('unlimited by default: never exceeded, nothing recorded', () => {
    const t = new ReplicationThrottle(1);
    t.setThrottledReplicas('a', '*');
    t.record(10 ** 12);
    expect(t.isQuotaExceeded()).toBe(false);
    expect(t.shouldThrottle('a', 0, false)).toBe(false);
    expect(t.available()).toBe(Number.POSITIVE_INFINITY);
    expect(t.delayMs()).toBe(0);
  });

  it('a bytes/s bucket of one second: an overdraw waits until refilled', () => {
    const c = clock();
    const t = new ReplicationThrottle(1, { rate: 1000, now: c.now });
    expect(t.available()).toBe(1000);
    t.record(600);
    expect(t.isQuotaExceeded()).toBe(false);
    t.record(900); // one fetch may overdraw: bytes are recorded after they moved
    expect(t.isQuotaExceeded()).toBe(true);
    expect(t.delayMs()).toBe(501);
    c.advance(500);
    expect(t.isQuotaExceeded()).toBe(true);
    c.advance(1);
    expect(t.isQuotaExceeded()).toBe(false);
    // Idle time fills the bucket up to one second of the rate, no more.
    c.advance(60_000);
    expect(t.available()).toBe(1000);
  });

  it('holds back only throttled replicas outside the ISR, and only while over quota', () => {
    const c = clock();
    const t = new ReplicationThrottle(3, { rate: 100, now: c.now });
    t.setThrottledReplicas('moving', '0:3');
    expect(t.shouldThrottle('moving', 0, false)).toBe(false);
    t.record(100);
    expect(t.shouldThrottle('moving', 0, false)).toBe(true);
    expect(t.shouldThrottle('moving', 0, true)).toBe(false); // in the ISR: never slowed
    expect(t.shouldThrottle('moving', 1, false)).toBe(false); // not listed
    expect(t.shouldThrottle('other', 0, false)).toBe(false);
  });

  it('rate changes: a lower rate caps the bucket, unlimited clears it, limited again starts full; 0 holds everything', () => {
    const c = clock();
    const t = new ReplicationThrottle(1, { rate: 10_000, now: c.now });
    t.setRate(100);
    expect(t.available()).toBe(100);
    t.record(500);
    t.setRate(UNLIMITED_RATE);
    expect(t.isQuotaExceeded()).toBe(false);
    t.setRate(50);
    expect(t.available()).toBe(50);
    t.setRate(0);
    expect(t.isQuotaExceeded()).toBe(true);
    c.advance(3_600_000);
    expect(t.isQuotaExceeded()).toBe(true);
    expect(t.delayMs()).toBe(1000); // ask again after one period
    expect(() => t.setRate(-1)).toThrow(RangeError);
  });
});
