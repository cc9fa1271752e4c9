/**
 * src/share/state-writes.ts: one share partition's writes coalesce (one in flight, the callers
 * meanwhile share the next, which snapshots the state when it starts); a request's writes go out
 * in one concurrent round, and a failed write fails everything that rode on it.
 */
import { describe, expect, it } from 'vitest';
import { CoalescedWrite, StateWrites } from '../../../src/share/state-writes.js';

/** A write function whose writes the test settles by hand; each records the state it snapshotted. */
function manualWrites(state: { v: number }) {
  const started: Array<{ snapshot: number; resolve: () => void; reject: (e: unknown) => void }> = [];
  const writeNow = () =>
    new Promise<void>((resolve, reject) => {
      started.push({ snapshot: state.v, resolve, reject });
    });
  return { started, writeNow };
}

const tick = () => new Promise((r) => setImmediate(r));

describe('CoalescedWrite', () => {
  it('keeps one write in flight; the calls meanwhile share the next, which snapshots the state when it starts', async () => {
    const state = { v: 1 };
    const m = manualWrites(state);
    const w = new CoalescedWrite(m.writeNow);
    const settled: string[] = [];
    const a = w.write().then(() => settled.push('a'));
    state.v = 2;
    const b = w.write().then(() => settled.push('b'));
    state.v = 3;
    const c = w.write().then(() => settled.push('c'));
    expect(m.started.map((s) => s.snapshot)).toEqual([1]);
    m.started[0]!.resolve();
    await tick();
    expect(settled).toEqual(['a']);
    // b and c share one write, with the state as it is now (it carries both their changes).
    expect(m.started.map((s) => s.snapshot)).toEqual([1, 3]);
    m.started[1]!.resolve();
    await Promise.all([a, b, c]);
    expect(settled).toEqual(['a', 'b', 'c']);
    expect(m.started).toHaveLength(2);
  });

  it('a failed write rejects every call that shares it; the next calls get a fresh write', async () => {
    const state = { v: 1 };
    const m = manualWrites(state);
    const w = new CoalescedWrite(m.writeNow);
    const first = w.write();
    const b = w.write();
    const c = w.write();
    m.started[0]!.resolve();
    await first;
    await tick();
    m.started[1]!.reject(new Error('disk gone'));
    await expect(b).rejects.toThrow('disk gone');
    await expect(c).rejects.toThrow('disk gone');
    state.v = 5;
    const d = w.write();
    expect(m.started.map((s) => s.snapshot)).toEqual([1, 1, 5]);
    m.started[2]!.resolve();
    await d;
  });

  it('a write function that throws synchronously rejects its callers and does not wedge the writer', async () => {
    let fail = true;
    const w = new CoalescedWrite(() => {
      if (fail) throw new Error('sync');
      return Promise.resolve();
    });
    await expect(w.write()).rejects.toThrow('sync');
    fail = false;
    await w.write();
  });
});

describe('StateWrites', () => {
  it("writes a request's share partitions concurrently and reports the failed ones with their code", async () => {
    let inFlight = 0;
    let most = 0;
    const sp = (fails: boolean) => ({
      writes: 0,
      async persist() {
        this.writes++;
        inFlight++;
        most = Math.max(most, inFlight);
        await tick();
        inFlight--;
        if (fails) throw Object.assign(new Error('no'), { code: 56 });
      },
    });
    const a = sp(false);
    const b = sp(true);
    const c = sp(false);
    const writes = new StateWrites<ReturnType<typeof sp>>();
    writes.add(a);
    writes.add(b);
    writes.add(a); // twice in a request: written once
    writes.add(c);
    const failed = await writes.flush();
    expect(most).toBe(3);
    expect([a.writes, b.writes, c.writes]).toEqual([1, 1, 1]);
    expect([...failed]).toEqual([[b, 56]]);
    expect([writes.hasFailed(a), writes.hasFailed(b), writes.hasFailed(c)]).toEqual([false, true, false]);
    expect((await writes.flush()).size).toBe(0); // nothing added since
  });

  it('an error without a Kafka code fails as UNKNOWN_SERVER_ERROR; hasFailed is about the first write of the request', async () => {
    let fail = true;
    const sp = {
      async persist() {
        if (fail) throw new Error('x');
      },
    };
    const writes = new StateWrites<typeof sp>();
    writes.add(sp);
    expect([...(await writes.flush()).values()]).toEqual([-1]);
    fail = false;
    writes.add(sp);
    expect((await writes.flush()).size).toBe(0);
    expect(writes.hasFailed(sp)).toBe(true);
  });
});
