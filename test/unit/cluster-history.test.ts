/** The replication tests' history checker (test/cluster/history.ts) must catch each broken promise. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type Ack, type LogRecord, checkHistory, compareReplicaLogs, historyOk } from '../cluster/history.js';
import { removeDir, tempDir } from '../helpers/broker.js';

const acks: Ack[] = [
  { value: 'a', partition: 0, offset: 0, lane: 'L', seq: 0 },
  { value: 'b', partition: 0, offset: 1, lane: 'L', seq: 1 },
  { value: 'c', partition: 1, offset: 0, lane: 'M', seq: 0 },
];
const sent = ['a', 'b', 'c', 'd'];
const logsOf = (p0: LogRecord[], p1: LogRecord[] = [{ offset: 0, value: 'c' }]) => new Map([[0, p0], [1, p1]]);

describe('checkHistory', () => {
  it('accepts a faithful history, with an unacknowledged value present once', () => {
    const r = checkHistory(sent, acks, logsOf([{ offset: 0, value: 'a' }, { offset: 1, value: 'b' }, { offset: 2, value: 'd' }]));
    expect(historyOk(r)).toBe(true);
    expect(r.unackedPresent).toBe(1);
  });
  it('finds a lost acknowledged record', () => {
    const r = checkHistory(sent, acks, logsOf([{ offset: 0, value: 'a' }]));
    expect(r.lost).toEqual(['b (acked at 0/1)']);
  });
  it('finds a record at another offset than acknowledged', () => {
    const r = checkHistory(sent, acks, logsOf([{ offset: 0, value: 'a' }, { offset: 2, value: 'b' }]));
    expect(r.lost).toHaveLength(1);
  });
  it('finds duplicates, phantoms, reordering and offset gaps going backwards', () => {
    const r = checkHistory(sent, acks, logsOf([{ offset: 0, value: 'b' }, { offset: 1, value: 'a' }, { offset: 1, value: 'x' }, { offset: 3, value: 'd' }, { offset: 4, value: 'd' }]));
    expect(r.duplicated).toHaveLength(1);
    expect(r.phantom).toEqual(['x at 0/1']);
    expect(r.reordered).toHaveLength(1);
    expect(r.gaps).toHaveLength(1);
    expect(historyOk(r)).toBe(false);
  });
});

describe('compareReplicaLogs', () => {
  const root = tempDir('history-');
  afterAll(() => removeDir(root));
  const replica = (name: string, segments: Record<string, string>) => {
    const d = join(root, name);
    mkdirSync(d, { recursive: true });
    for (const [base, bytes] of Object.entries(segments)) writeFileSync(join(d, `${base.padStart(20, '0')}.log`), bytes);
    writeFileSync(join(d, '00000000000000000000.index'), 'ignored');
    return d;
  };
  it('agrees up to the shortest replica, across segment boundaries', () => {
    const a = replica('a', { '0': 'abc', '3': 'def' });
    const b = replica('b', { '0': 'abcde' });
    expect(compareReplicaLogs([a, b])).toBeNull();
  });
  it('says where replicas differ', () => {
    const a = replica('c', { '0': 'abcdef' });
    const b = replica('d', { '0': 'abXdef' });
    expect(compareReplicaLogs([a, b])).toMatch(/differ at byte 2 \(of 6/);
  });
});
