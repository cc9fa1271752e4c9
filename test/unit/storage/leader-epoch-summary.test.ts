/**
 * The clean-shutdown leader-epoch summary (storage/leader-epoch-summary.ts): a start after a clean
 * shutdown takes every partition's leader-epoch entries from the one file instead of opening each
 * partition's leader-epoch-checkpoint, and gets the same entries; without the marker (a crash) the
 * summary is ignored; the start deletes it; a malformed one falls back to the partitions' files.
 */
import { cpSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../src/logger.js';
import { CLEAN_SHUTDOWN_FILE, LEADER_EPOCH_CHECKPOINT, LEADER_EPOCH_SUMMARY } from '../../../storage/file-names.js';
import { FaultyFs, type OpenMode } from '../../../storage/fs.js';
import { logConfig } from '../../../storage/log-config.js';
import { decodeLeaderEpochSummary, encodeLeaderEpochSummary } from '../../../storage/leader-epoch-summary.js';
import { LogManager } from '../../../storage/log-manager.js';
import { makeBatch, tempDir } from './helpers.js';

const cleanups: Array<() => void> = [];
afterEach(() => {
  while (cleanups.length) cleanups.pop()!();
});

const cfg = logConfig({ segmentBytes: 100_000 });
const open = (dir: string, extra = {}) => LogManager.open({ dataDir: dir, logger: silentLogger(), defaults: cfg, retentionCheckIntervalMs: 0, cleanerBackoffMs: 0, ...extra });

/** Records the paths opened (the start must open no leader-epoch-checkpoint when the summary is used). */
class RecordingFs extends FaultyFs {
  readonly opened: string[] = [];
  override open(path: string, mode: OpenMode): Promise<number> {
    this.opened.push(path);
    return super.open(path, mode);
  }
}

/** Partitions t-0 (epoch 0 from 0), t-1 (epochs 0 then 3 from offset 2) and t-2 (empty: no epoch file), closed cleanly. */
async function cleanDataDir(): Promise<string> {
  const t = tempDir();
  cleanups.push(t.cleanup);
  const m = await open(t.dir);
  await m.createFresh([0, 1, 2].map((partition) => ({ topic: 't', partition, config: cfg })));
  const a = m.get('t', 0)!;
  a.leaderEpochs.assign(0, 0);
  await a.append(makeBatch([{ value: 'a' }], { leaderEpoch: 0 })).durable;
  const b = m.get('t', 1)!;
  b.leaderEpochs.assign(0, 0);
  await b.append(makeBatch([{ value: 'b' }, { value: 'c' }], { leaderEpoch: 0 })).durable;
  b.leaderEpochs.assign(3, 2);
  await b.append(makeBatch([{ value: 'd' }], { leaderEpoch: 3 })).durable;
  await m.close();
  return t.dir;
}

const entriesOf = (m: LogManager, p: number) => m.get('t', p)!.leaderEpochs.entries().map((e) => [e.epoch, e.startOffset]);

describe('leader-epoch summary at clean shutdown', () => {
  it('a clean start takes the entries from the summary, opening no partition epoch file, and deletes it', async () => {
    const dir = await cleanDataDir();
    expect(existsSync(join(dir, CLEAN_SHUTDOWN_FILE))).toBe(true);
    // The stop created no epoch file: the summary carries the entries ('-1': no file yet).
    expect([0, 1, 2].map((p) => existsSync(join(dir, `t-${p}`, LEADER_EPOCH_CHECKPOINT)))).toEqual([false, false, false]);
    expect(readFileSync(join(dir, LEADER_EPOCH_SUMMARY), 'utf8')).toBe('1\n3\nt 0 -1 1 0 0\nt 1 -1 2 0 0 3 2\nt 2 -1\n');
    const fs = new RecordingFs();
    const m = await open(dir, { fs });
    expect(fs.opened.filter((p) => p.endsWith(LEADER_EPOCH_CHECKPOINT))).toEqual([]);
    expect([entriesOf(m, 0), entriesOf(m, 1), entriesOf(m, 2)]).toEqual([[[0, 0]], [[0, 0], [3, 2]], []]);
    expect(existsSync(join(dir, LEADER_EPOCH_SUMMARY))).toBe(false);
    // The files are to be written: the next checkpoint creates them.
    expect([0, 1, 2].map((p) => m.get('t', p)!.leaderEpochs.isDirty)).toEqual([true, true, false]);
    await m.writeCheckpoints();
    expect([0, 1].map((p) => readFileSync(join(dir, `t-${p}`, LEADER_EPOCH_CHECKPOINT), 'utf8'))).toEqual(['0\n1\n0 0\n', '0\n2\n0 0\n3 2\n']);
    expect(existsSync(join(dir, 't-2', LEADER_EPOCH_CHECKPOINT))).toBe(false);
    expect([0, 1, 2].map((p) => m.get('t', p)!.leaderEpochs.isDirty)).toEqual([false, false, false]);
    await m.close();
    // Now the files' entries (the order is the logs' load order).
    expect(readFileSync(join(dir, LEADER_EPOCH_SUMMARY), 'utf8').split('\n').sort()).toEqual('1\n3\nt 0 1 0 0\nt 1 2 0 0 3 2\nt 2 -1\n'.split('\n').sort());
    // A clean start that reads them from the summary knows its files: nothing to write.
    const again = await open(dir);
    expect([0, 1, 2].map((p) => again.get('t', p)!.leaderEpochs.isDirty)).toEqual([false, false, false]);
    await again.close();
  });

  it('a clean stop still rewrites a file that exists and lags (a crash after the next start would trust it)', async () => {
    const dir = await cleanDataDir();
    const m = await open(dir);
    await m.writeCheckpoints(); // t-0, t-1 get their files
    const b = m.get('t', 1)!;
    b.leaderEpochs.assign(5, 3);
    await b.append(makeBatch([{ value: 'e' }], { leaderEpoch: 5 })).durable;
    const a = m.get('t', 0)!; // no change: not rewritten
    await m.close();
    expect(readFileSync(join(dir, 't-1', LEADER_EPOCH_CHECKPOINT), 'utf8')).toBe('0\n3\n0 0\n3 2\n5 3\n');
    expect(readFileSync(join(dir, 't-0', LEADER_EPOCH_CHECKPOINT), 'utf8')).toBe('0\n1\n0 0\n');
    expect(a.leaderEpochs.isDirty).toBe(false);
    // And a crash after the next (clean) start, before any checkpoint, reads the file: the new entry is there.
    const m2 = await open(dir);
    const image = tempDir();
    cleanups.push(image.cleanup);
    cpSync(dir, image.dir, { recursive: true });
    await m2.close();
    const m3 = await open(image.dir);
    expect(entriesOf(m3, 1)).toEqual([[0, 0], [3, 2], [5, 3]]);
    await m3.close();
  });

  it('a crash after a clean start, before the checkpoint: the missing files are rebuilt from the log, not read as empty', async () => {
    const dir = await cleanDataDir();
    const m = await open(dir); // consumes the marker and the summary
    const image = tempDir();
    cleanups.push(image.cleanup);
    cpSync(dir, image.dir, { recursive: true }); // what kill -9 leaves
    await m.close();
    expect(existsSync(join(image.dir, CLEAN_SHUTDOWN_FILE))).toBe(false);
    expect(existsSync(join(image.dir, 't-1', LEADER_EPOCH_CHECKPOINT))).toBe(false);
    const r = await open(image.dir);
    expect([entriesOf(r, 0), entriesOf(r, 1), entriesOf(r, 2)]).toEqual([[[0, 0]], [[0, 0], [3, 2]], []]);
    await r.close();
  });

  it('without the clean-shutdown marker the summary is ignored (each file is read) and deleted', async () => {
    const dir = await cleanDataDir();
    rmSync(join(dir, CLEAN_SHUTDOWN_FILE));
    writeFileSync(join(dir, LEADER_EPOCH_SUMMARY), '0\n1\nt 1 1 9 0\n'); // what a stale summary could say
    const m = await open(dir);
    expect(entriesOf(m, 1)).toEqual([[0, 0], [3, 2]]);
    expect(existsSync(join(dir, LEADER_EPOCH_SUMMARY))).toBe(false);
    await m.close();
  });

  it('a malformed summary after a clean shutdown: each partition reads its own file', async () => {
    const dir = await cleanDataDir();
    writeFileSync(join(dir, LEADER_EPOCH_SUMMARY), '0\n2\nt 1 5 0\n');
    const m = await open(dir);
    expect([entriesOf(m, 0), entriesOf(m, 1), entriesOf(m, 2)]).toEqual([[[0, 0]], [[0, 0], [3, 2]], []]);
    expect(existsSync(join(dir, LEADER_EPOCH_SUMMARY))).toBe(false);
    await m.close();
  });

  it('encodes and decodes every state; refuses malformed lines', () => {
    const text = encodeLeaderEpochSummary([
      { topic: 'a.b-c_d', partition: 12, state: [{ epoch: 0, startOffset: 0 }, { epoch: 7, startOffset: 1200 }] },
      { topic: 'x', partition: 0, state: 'none' },
      { topic: 'x', partition: 1, state: [] },
      { topic: 'x', partition: 2, state: null }, // unknown: left out, the partition reads its file
    ]);
    expect(text).toBe('1\n3\na.b-c_d 12 2 0 0 7 1200\nx 0 -1\nx 1 0\n');
    const m = decodeLeaderEpochSummary(text);
    expect(m.get('a.b-c_d\u000012')).toEqual({ kind: 'found', entries: [{ epoch: 0, startOffset: 0 }, { epoch: 7, startOffset: 1200 }] });
    expect(m.get('x\u00000')).toEqual({ kind: 'missing' });
    expect(m.get('x\u00001')).toEqual({ kind: 'found', entries: [] });
    expect(m.has('x\u00002')).toBe(false);
    // No file yet, entries to write (version 1 only); "-1 0" is no file, nothing to write: 'missing' (rebuilt).
    const u = encodeLeaderEpochSummary([{ topic: 'u', partition: 3, state: { unwritten: [{ epoch: 2, startOffset: 9 }] } }]);
    expect(u).toBe('1\n1\nu 3 -1 1 2 9\n');
    expect(decodeLeaderEpochSummary(u).get('u\u00003')).toEqual({ kind: 'unwritten', entries: [{ epoch: 2, startOffset: 9 }] });
    expect(decodeLeaderEpochSummary('1\n1\nu 3 -1 0\n').get('u\u00003')).toEqual({ kind: 'missing' });
    // Version 0 (written before 'unwritten' lines) is still read, and has no such lines.
    expect(decodeLeaderEpochSummary('0\n2\nx 0 -1\nx 1 1 0 0\n').get('x\u00001')).toEqual({ kind: 'found', entries: [{ epoch: 0, startOffset: 0 }] });
    for (const bad of ['0\n1\nu 3 -1 1 2 9\n', '1\n1\nu 3 -1 2 2 9\n', '1\n1\nu 3 -1 1 -2 9\n', '2\n0\n', '0\n2\nx 0 -1\n', '0\n1\nx 0 1 5\n', '0\n1\nx -1 -1\n', '0\n1\nx 0 1 -2 0\n', '0\n1\n 0 -1\n']) {
      expect(() => decodeLeaderEpochSummary(bad)).toThrow();
    }
  });
});
