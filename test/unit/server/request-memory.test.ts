/**
 * Request memory budgets: the per-connection share, the broker-wide pool (non-strict, like
 * Kafka's), the progress guarantee for a frame alone on its connection, and wake-ups.
 */
import { describe, expect, it } from 'vitest';
import { ConnectionMemory, RequestMemoryPool, SMALL_FRAME_BYTES } from '../../../src/server/request-memory.js';

const MiB = 1024 * 1024;
const tick = () => new Promise((r) => setImmediate(r));

describe('request memory', () => {
  it('admits a frame larger than the connection budget when nothing else of the connection is reserved', () => {
    const pool = new RequestMemoryPool(-1);
    const c = new ConnectionMemory(pool, MiB, () => undefined);
    expect(c.admit(10 * MiB)).toBe(true);
    c.received();
    expect(c.admit(1)).toBe(false); // waits for the big one
    c.release(10 * MiB);
    expect(c.admit(1)).toBe(true);
  });

  it('admit() is idempotent for the frame being received', () => {
    const pool = new RequestMemoryPool(100);
    const c = new ConnectionMemory(pool, -1, () => undefined);
    expect(c.admit(60)).toBe(true);
    expect(c.admit(60)).toBe(true);
    expect(pool.usedBytes()).toBe(60);
  });

  it('the pool grants while memory is left (overshooting by one frame), then wakes waiters on release', async () => {
    const pool = new RequestMemoryPool(100 * 1024);
    let woken = 0;
    const a = new ConnectionMemory(pool, -1, () => undefined);
    const b = new ConnectionMemory(pool, -1, () => woken++);
    expect(a.admit(90 * 1024)).toBe(true);
    a.received();
    expect(a.admit(90 * 1024)).toBe(true); // 90 KiB used < 100 KiB: granted, now 180 KiB
    a.received();
    expect(b.admit(SMALL_FRAME_BYTES + 1)).toBe(false);
    a.release(90 * 1024); // 90 KiB used: below the capacity again
    expect(woken).toBe(0); // on a later turn, not inside the release
    await tick();
    expect(woken).toBe(1);
    expect(b.admit(SMALL_FRAME_BYTES + 1)).toBe(true);
  });

  it('lets a small frame alone on its connection through an exhausted pool', () => {
    const pool = new RequestMemoryPool(MiB);
    const hog = new ConnectionMemory(pool, -1, () => undefined);
    expect(hog.admit(2 * MiB)).toBe(true);
    const small = new ConnectionMemory(pool, -1, () => undefined);
    expect(small.admit(100)).toBe(true);
    small.received();
    expect(small.admit(100)).toBe(false); // not alone any more: the pool decides
  });

  it('returns everything on close, and ignores later releases', async () => {
    const pool = new RequestMemoryPool(MiB);
    let woken = 0;
    const a = new ConnectionMemory(pool, -1, () => undefined);
    const b = new ConnectionMemory(pool, -1, () => woken++);
    expect(a.admit(2 * MiB)).toBe(true);
    expect(b.admit(MiB)).toBe(false);
    a.close();
    expect(pool.usedBytes()).toBe(0);
    a.release(2 * MiB);
    expect(pool.usedBytes()).toBe(0);
    await tick();
    expect(woken).toBe(1);
    expect(b.admit(MiB)).toBe(true);
  });
});
