/**
 * The history checker (test/cluster/history.ts checkReads) against hand-made bad histories: each
 * broken promise of issue 17 must be reported, and a clean history must report nothing.
 */
import { describe, expect, it } from 'vitest';
import { type Ack, type Read, checkReads, readsProblems } from '../cluster/history.js';

const ack = (value: string, partition: number, offset: number, seq: number, lane = 'L'): Ack => ({ value, partition, offset, lane, seq });
const read = (reader: string, partition: number, offset: number, value: string): Read => ({ reader, partition, offset, value });

const attempts = ['a', 'b', 'c', 'd'];
const acks = [ack('a', 0, 0, 0), ack('b', 0, 1, 1), ack('c', 0, 2, 2)];
const clean = [read('c1', 0, 0, 'a'), read('c1', 0, 1, 'b'), read('c1', 0, 2, 'c'), read('final', 0, 0, 'a'), read('final', 0, 1, 'b'), read('final', 0, 2, 'c')];

describe('checkReads', () => {
  it('reports nothing for a clean history (an unacknowledged value present once is allowed)', () => {
    const r = checkReads(attempts, acks, [...clean, read('final', 0, 3, 'd')]);
    expect(readsProblems(r)).toBe(0);
  });

  it('reports an acknowledged record that nobody read', () => {
    const r = checkReads(attempts, acks, clean.filter((x) => x.value !== 'b'));
    expect(r.lost).toEqual(['b (acked at 0/1) never read']);
  });

  it('reports an acknowledged record read at another offset than acknowledged', () => {
    const r = checkReads(attempts, [...acks, ack('d', 0, 5, 3)], [...clean, read('final', 0, 3, 'd')]);
    expect(r.lost).toEqual(['d acked at 0/5, read at 0/3']);
  });

  it('reports one offset read with two different records (divergence)', () => {
    const r = checkReads(attempts, acks.slice(0, 2), [read('c1', 0, 0, 'a'), read('c1', 0, 1, 'b'), read('c2', 0, 1, 'd'), read('final', 0, 0, 'a'), read('final', 0, 1, 'b')]);
    expect(r.divergent).toEqual(['0/1: read as b and as d (by c2)']);
  });

  it('reports one record read at two different offsets (divergence)', () => {
    const r = checkReads(attempts, acks.slice(0, 1), [read('c1', 0, 0, 'a'), read('c1', 0, 1, 'b'), read('final', 0, 0, 'a'), read('final', 0, 2, 'b')]);
    expect(r.divergent).toEqual(['b: read at 0/1 and at 0/2 (by final)']);
  });

  it('reports out-of-order reads within a partition and reader session', () => {
    const r = checkReads(attempts, acks, [read('c1', 0, 0, 'a'), read('c1', 0, 2, 'c'), read('c1', 0, 1, 'b'), ...clean.slice(3)]);
    expect(r.outOfOrder).toEqual(['c1 partition 0: offset 1 after 2']);
    // Another session (a rewind after a rebalance) may read again from earlier offsets.
    expect(checkReads(attempts, acks, [...clean.slice(0, 3), read('c1#2', 0, 1, 'b'), ...clean.slice(3)]).outOfOrder).toEqual([]);
  });

  it('reports a duplicate an idempotent producer must not make (one value at two offsets of the log)', () => {
    const r = checkReads(attempts, acks.slice(0, 1), [read('final', 0, 0, 'a'), read('final', 0, 1, 'b'), read('final', 0, 2, 'b')]);
    expect(r.duplicated).toEqual(['b at 0/1 and 0/2']);
  });

  it('reports a record nobody sent, and acknowledged records out of send order within a lane', () => {
    expect(checkReads(attempts, [], [read('final', 0, 0, 'zz')]).phantom).toEqual(['zz at 0/0']);
    const swapped = [ack('a', 0, 1, 0), ack('b', 0, 0, 1)];
    const r = checkReads(attempts, swapped, [read('final', 0, 0, 'b'), read('final', 0, 1, 'a')]);
    expect(r.reordered).toEqual(['lane L: b@0 sent after a@1']);
  });
});
