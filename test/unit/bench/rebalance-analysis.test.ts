/**
 * bench/groups/rebalance-analysis.ts measures the rebalance bench from the members' own event
 * log; these synthetic logs check that it finds the settle moment (and refuses a log where a
 * partition ends with two owners or none), and the pauses and the rate of the churn window.
 */
import { describe, expect, it } from 'vitest';
import { churn, parseEvents, settle, type GroupEvent } from '../../../bench/groups/rebalance-analysis.js';

const start = (m: number, t: number): GroupEvent => ({ e: 'start', m, t });
const assigned = (m: number, t: number, p: number[]): GroupEvent => ({ e: 'assigned', m, t, p });
const revoked = (m: number, t: number, p: number[]): GroupEvent => ({ e: 'revoked', m, t, p });
const records = (m: number, t: number, b = 1000): GroupEvent => ({ e: 'records', m, t, n: 1, b });
const range = (from: number, to: number): number[] => Array.from({ length: to - from }, (_, i) => from + i);

describe('settle', () => {
  it('an incremental settle: the first member takes everything, gives half back, the second takes it', () => {
    const log = [start(0, 100), start(1, 102), assigned(0, 600, range(0, 4)), revoked(0, 5600, [2, 3]), assigned(1, 10_600, [2, 3]), { e: 'end', t: 13_700 }];
    // Members leave after "end": their callbacks do not count.
    log.push(revoked(0, 13_800, [0, 1]), revoked(1, 13_800, [2, 3]));
    const s = settle(log, 4);
    expect(s.problem).toBeNull();
    expect(s.settleMs).toBe(10_500);
    expect(s.firstCompleteMs).toBe(10_500);
    expect(s.callbacks).toBe(3);
  });

  it('an eager rebalance after a first generation: complete at first, final later', () => {
    const log = [start(0, 0), start(1, 0), assigned(0, 200, range(0, 2)), assigned(1, 200, range(2, 4)), revoked(0, 900, range(0, 2)), revoked(1, 900, range(2, 4)), assigned(0, 1000, [0, 2]), assigned(1, 1000, [1, 3])];
    const s = settle(log, 4);
    expect(s.settleMs).toBe(1000);
    expect(s.firstCompleteMs).toBe(200);
  });

  it('not settled: a partition with two owners, one with none, a member with nothing', () => {
    expect(settle([start(0, 0), start(1, 0), assigned(0, 10, [0, 1]), assigned(1, 20, [1])], 2).problem).toMatch(/partition 1 owned by 0 and 1/);
    expect(settle([start(0, 0), start(1, 0), assigned(0, 10, [0])], 2)).toMatchObject({ settleMs: null, problem: 'partition 1 unowned' });
    expect(settle([start(0, 0), start(1, 0), assigned(0, 10, [0, 1])], 2).problem).toBe('member 1 holds nothing');
  });

  it('parses the JVM lines in time order (members print from their own threads)', () => {
    const lines = ['{"e":"t0","wall":1}', '{"e":"assigned","m":1,"t":5.5,"p":[1]}', '{"e":"start","m":0,"t":1}', '{"e":"start","m":1,"t":1.2}', '{"e":"assigned","m":0,"t":5.1,"p":[0]}', 'SLF4J: noise', '{"e":"torn'];
    const events = parseEvents(lines);
    expect(events.map((e) => e.e)).toEqual(['t0', 'start', 'start', 'assigned', 'assigned']);
    expect(settle(events, 2).settleMs).toBeCloseTo(4.5);
  });
});

describe('churn', () => {
  /** Members 0 and 1 poll every 50 ms over [from, to), except inside the gaps given per member. */
  function polls(from: number, to: number, gaps: Record<number, Array<[number, number]>>): GroupEvent[] {
    const out: GroupEvent[] = [];
    for (const m of [0, 1]) for (let t = from; t < to; t += 50) if (!(gaps[m] ?? []).some(([a, b]) => t > a && t < b)) out.push(records(m, t));
    return out;
  }

  it('a stop-the-world rebalance is a pause in every member and group-wide; the rate counts the window only', () => {
    const log = parseEvents(
      [{ e: 'window', t: 1000 }, ...polls(0, 5000, { 0: [[2000, 2600]], 1: [[2000, 2600]] }), { e: 'end', t: 5000 }].map((e) => JSON.stringify(e)),
    );
    const c = churn(log);
    expect(c.windowMs).toBe(4000);
    expect(c.memberPauseMs.get(0)).toBe(600);
    expect(c.medianMemberPauseMs).toBe(600);
    expect(c.groupPauseMs).toBe(600);
    const inWindow = log.filter((e) => e.e === 'records' && e.t! >= 1000 && e.t! <= 5000).length;
    expect(c.bytes).toBe(inWindow * 1000);
    expect(c.mbPerSec).toBeCloseTo((inWindow * 1000) / 1e6 / 4);
  });

  it('an incremental move pauses one member only; a leaving member counts up to its leave, a joining one from its first records', () => {
    const log = [
      { e: 'window', t: 0 },
      ...polls(0, 4000, { 1: [[1000, 1800]] }),
      { e: 'leave', m: 0, t: 3000 },
      records(0, 3500), // after its leave: not its consumption
      records(2, 3000),
      records(2, 3050),
      { e: 'end', t: 4000 },
    ];
    const c = churn(parseEvents(log.map((e) => JSON.stringify(e))));
    expect(c.memberPauseMs.get(1)).toBe(800);
    expect(c.memberPauseMs.get(0)).toBe(50);
    expect(c.memberPauseMs.get(2)).toBe(950); // its last records to the end
    expect(c.maxMemberPauseMs).toBe(950);
    expect(c.medianMemberPauseMs).toBe(800);
    expect(c.groupPauseMs).toBe(50);
    expect(c.changes).toBe(1);
  });

  it('handover: from the release of a partition to its next assignment, whoever holds it', () => {
    const log = [
      { e: 'window', t: 0 },
      revoked(0, 100, [1, 2]), // an eager rebalance: both partitions given up...
      assigned(1, 400, [1]), // ...and taken again 300 ms later
      assigned(0, 450, [2]),
      revoked(1, 1000, [1]), // an incremental move that waits for the next heartbeat
      assigned(2, 5000, [1]),
      revoked(2, 5500, [3]), // never assigned again before the end
      { e: 'end', t: 6000 },
    ];
    expect(churn(parseEvents(log.map((e) => JSON.stringify(e)))).handoverMs).toEqual([300, 350, 4000, 500]);
  });

  it('the wait for the first fetch after the window opens is no group-wide pause', () => {
    const log = [{ e: 'window', t: 0 }, ...polls(500, 2000, {}), { e: 'end', t: 2000 }];
    expect(churn(parseEvents(log.map((e) => JSON.stringify(e)))).groupPauseMs).toBe(50);
  });

  it('a log without a window (the members never covered the topic) is an error, not a number', () => {
    expect(() => churn([records(0, 1), { e: 'end', t: 2 }])).toThrow(/no window/);
  });
});
