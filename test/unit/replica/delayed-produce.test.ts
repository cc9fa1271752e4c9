/**
 * DelayedProduces (src/replica/delayed-produce.ts): waiters complete in required-offset order when
 * the high watermark reaches them (and only those), NOT_ENOUGH_REPLICAS_AFTER_APPEND when the ISR
 * is below the waiter's min.insync.replicas then, REQUEST_TIMED_OUT after their timeout, the
 * append's own write failure at once, and failAll on leadership loss.
 */
import { describe, expect, it } from 'vitest';
import { ErrorCode, KafkaError, errorName } from '../../../protocol/errors.js';
import { DelayedProduces } from '../../../src/replica/delayed-produce.js';

const OK = Promise.resolve();
const tick = () => new Promise((r) => setImmediate(r));

/** Tracks how a wait settled: 'pending', 'ok' or the error name. */
function track(p: Promise<void>): { state: string } {
  const t = { state: 'pending' };
  p.then(
    () => (t.state = 'ok'),
    (e: unknown) => (t.state = e instanceof KafkaError ? errorName(e.code) : String(e)),
  );
  return t;
}

describe('DelayedProduces', () => {
  it('completes exactly the waiters the high watermark reached, in order', async () => {
    const d = new DelayedProduces();
    const a = track(d.wait(5, 1, 60_000, OK));
    const b = track(d.wait(10, 1, 60_000, OK));
    const c = track(d.wait(15, 1, 60_000, OK));
    d.complete(9, 3);
    await tick();
    expect([a.state, b.state, c.state]).toEqual(['ok', 'pending', 'pending']);
    expect(d.size).toBe(2);
    d.complete(15, 3);
    await tick();
    expect([b.state, c.state]).toEqual(['ok', 'ok']);
    expect(d.size).toBe(0);
  });

  it('keeps offset order for a waiter added out of order (a duplicate batch)', async () => {
    const d = new DelayedProduces();
    const late = track(d.wait(20, 1, 60_000, OK));
    const early = track(d.wait(8, 1, 60_000, OK));
    d.complete(10, 1);
    await tick();
    expect([early.state, late.state]).toEqual(['ok', 'pending']);
    d.failAll(new KafkaError(ErrorCode.NOT_LEADER_OR_FOLLOWER, 'gone'));
    await tick();
    expect(late.state).toBe('NOT_LEADER_OR_FOLLOWER');
  });

  it('answers NOT_ENOUGH_REPLICAS_AFTER_APPEND when the ISR is below the waiter minimum at completion', async () => {
    const d = new DelayedProduces();
    const two = track(d.wait(3, 2, 60_000, OK));
    const one = track(d.wait(3, 1, 60_000, OK));
    d.complete(3, 1);
    await tick();
    expect([two.state, one.state]).toEqual(['NOT_ENOUGH_REPLICAS_AFTER_APPEND', 'ok']);
  });

  it('times out with REQUEST_TIMED_OUT and forgets the waiter', async () => {
    const d = new DelayedProduces();
    const t = track(d.wait(3, 1, 20, OK));
    const other = track(d.wait(4, 1, 60_000, OK));
    await new Promise((r) => setTimeout(r, 60));
    expect(t.state).toBe('REQUEST_TIMED_OUT');
    expect(d.size).toBe(1);
    d.complete(4, 1);
    await tick();
    expect(other.state).toBe('ok');
  });

  it('a timeout of 0 sets no timer: the wait ends with the high watermark', async () => {
    const d = new DelayedProduces();
    const t = track(d.wait(3, 1, 0, OK));
    await new Promise((r) => setTimeout(r, 20));
    expect(t.state).toBe('pending');
    d.complete(3, 1);
    await tick();
    expect(t.state).toBe('ok');
  });

  it("fails at once with the append's own write error", async () => {
    const d = new DelayedProduces();
    let fail!: (e: Error) => void;
    const written = new Promise<void>((_, rej) => (fail = rej));
    const t = track(d.wait(3, 1, 60_000, written));
    fail(new KafkaError(ErrorCode.KAFKA_STORAGE_ERROR, 'disk'));
    await tick();
    expect(t.state).toBe('KAFKA_STORAGE_ERROR');
    expect(d.size).toBe(0);
  });

  it('a high watermark move with 10,000 waiters pending touches only those it completes', async () => {
    const d = new DelayedProduces();
    const waits = Array.from({ length: 10_000 }, (_, i) => d.wait(i + 1, 1, 60_000, OK));
    const t0 = performance.now();
    for (let hw = 1; hw <= 10_000; hw++) d.complete(hw, 1);
    const ms = performance.now() - t0;
    await Promise.all(waits);
    expect(d.size).toBe(0);
    // O(1) per completion: linear overall (a scan of all pending per move would be ~5e7 steps).
    expect(ms).toBeLessThan(500);
  });
});
