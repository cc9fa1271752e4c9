/**
 * The record of partitions ever part of a transaction (src/txn/txn-partitions.ts): a new data
 * directory's record starts complete (`startEmpty` writes it, so it is not later taken for a lost
 * file), an existing record is never overwritten by it, and additions are durable before `has`
 * answers them.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { TransactionalPartitions } from '../../../src/txn/txn-partitions.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
const dir = () => {
  const d = mkdtempSync(join(tmpdir(), 'txn-partitions-'));
  dirs.push(d);
  return d;
};
const FILE = 'transactional-partitions.json';

describe('TransactionalPartitions', () => {
  it('startEmpty: a new data directory gets an empty record, which counts as read from the file from then on', async () => {
    const d = dir();
    const t = await TransactionalPartitions.open(d);
    expect(t.fromFile).toBe(false);
    await t.startEmpty();
    expect([t.fromFile, readFileSync(join(d, FILE), 'utf8')]).toEqual([true, '{}']);
    expect((await TransactionalPartitions.open(d)).fromFile).toBe(true);
  });

  it('startEmpty keeps an existing record; add is durable before has() answers it', async () => {
    const d = dir();
    const t = await TransactionalPartitions.open(d);
    const adding = t.add([['t', 2]]);
    expect(t.has('t', 2)).toBe(false);
    await adding;
    expect(t.has('t', 2)).toBe(true);
    const again = await TransactionalPartitions.open(d);
    await again.startEmpty();
    expect(again.has('t', 2)).toBe(true);
    expect(JSON.parse(readFileSync(join(d, FILE), 'utf8'))).toEqual({ t: [2] });
    expect(existsSync(join(d, FILE))).toBe(true);
  });
});
