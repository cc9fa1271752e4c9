/**
 * The log manager and replicated logs: replication-offset-checkpoint (Kafka's format, the high
 * watermark of each replicated partition) is written with the recovery points and at clean
 * shutdown and read back at startup; a truncation writes the checkpoints at once, so a crash
 * after it cannot pair a stale recovery point with the batches appended after the truncation.
 */
import { cpSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../src/logger.js';
import { readCheckpoint, tpKey } from '../../../storage/checkpoints.js';
import { realFs } from '../../../storage/fs.js';
import { logConfig } from '../../../storage/log-config.js';
import { LogManager } from '../../../storage/log-manager.js';
import { batchInfo, leaderBatch, readAllBatches, tempDir } from './helpers.js';

const cleanups: Array<() => void> = [];
afterEach(() => {
  while (cleanups.length) cleanups.pop()!();
});

const cfg = logConfig({ segmentBytes: 700, indexIntervalBytes: 100, fileDeleteDelayMs: 0 });

function dataDir(): string {
  const t = tempDir();
  cleanups.push(t.cleanup);
  return t.dir;
}

const open = (dir: string, replicated: boolean, more: object = {}) =>
  LogManager.open({ dataDir: dir, logger: silentLogger(), defaults: cfg, retentionCheckIntervalMs: 0, cleanerBackoffMs: 0, recoveryPointCheckpointIntervalMs: 0, replicated, ...more });

const FILE = 'replication-offset-checkpoint';

describe('replication-offset-checkpoint', () => {
  it('round trip: written at close in Kafka\'s format, read back at startup as min(it, log end)', async () => {
    const dir = dataDir();
    const m = await open(dir, true);
    const a = await m.create('my.topic-x', 0, cfg);
    const b = await m.create('my.topic-x', 1, cfg);
    expect(a.isReplicated).toBe(true);
    await a.appendAsFollower(Buffer.concat([leaderBatch(0, 3, 1), leaderBatch(3, 3, 1)])).durable;
    await b.appendAsFollower(leaderBatch(0, 2, 1)).durable;
    a.updateHighWatermark(3);
    b.updateHighWatermark(2);
    await m.close();
    expect(readFileSync(join(dir, FILE), 'utf8')).toBe('0\n2\nmy.topic-x 0 3\nmy.topic-x 1 2\n');

    const m2 = await open(dir, true);
    expect(m2.get('my.topic-x', 0)!.highWatermark).toBe(3);
    expect(m2.get('my.topic-x', 1)!.highWatermark).toBe(2);
    await m2.close();

    // a checkpoint ahead of the log (the log lost its tail) is cut to the log end
    writeFileSync(join(dir, FILE), '0\n2\nmy.topic-x 0 99\nmy.topic-x 1 1\n');
    const m3 = await open(dir, true);
    expect(m3.get('my.topic-x', 0)!.highWatermark).toBe(6);
    expect(m3.get('my.topic-x', 1)!.highWatermark).toBe(1);
    await m3.close();
  });

  it('is written on the recovery-point schedule', async () => {
    const dir = dataDir();
    const m = await open(dir, true, { recoveryPointCheckpointIntervalMs: 30 });
    const log = await m.create('t', 0, cfg);
    await log.appendAsFollower(leaderBatch(0, 4, 0)).durable;
    log.updateHighWatermark(4);
    const deadline = Date.now() + 5000;
    while ((await readCheckpoint(realFs, dir, FILE)).get(tpKey('t', 0)) !== 4 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect((await readCheckpoint(realFs, dir, FILE)).get(tpKey('t', 0))).toBe(4);
    await m.close();
  });

  it('a single-node data dir gets no such file', async () => {
    const dir = dataDir();
    const m = await open(dir, false);
    const log = await m.create('t', 0, cfg);
    expect(log.isReplicated).toBe(false);
    await log.appendAsFollower(leaderBatch(0, 4, 0)).durable;
    await m.writeCheckpoints();
    await m.close();
    expect(existsSync(join(dir, FILE))).toBe(false);
    expect(existsSync(join(dir, 'recovery-point-offset-checkpoint'))).toBe(true);
  });
});

describe('checkpoints after a truncation', () => {
  it('are written before truncateTo resolves: recovery point and high watermark at most the new end', async () => {
    const dir = dataDir();
    const m = await open(dir, true);
    const log = await m.create('t', 0, cfg);
    await log.appendAsFollower(Buffer.concat(Array.from({ length: 10 }, (_, i) => leaderBatch(i * 3, 3, 1, 40)))).durable;
    log.updateHighWatermark(30);
    await m.writeCheckpoints();
    expect((await readCheckpoint(realFs, dir, 'recovery-point-offset-checkpoint')).get(tpKey('t', 0))).toBe(30);
    await log.truncateTo(12);
    expect((await readCheckpoint(realFs, dir, 'recovery-point-offset-checkpoint')).get(tpKey('t', 0))).toBe(12);
    expect((await readCheckpoint(realFs, dir, FILE)).get(tpKey('t', 0))).toBe(12);
    await log.truncateFullyAndStartAt(50);
    expect((await readCheckpoint(realFs, dir, 'log-start-offset-checkpoint')).get(tpKey('t', 0))).toBe(50);
    await m.close();
  });

  it('a crash after truncating and appending again finds every batch with its own leader epoch', async () => {
    const dir = dataDir();
    const m = await open(dir, true);
    const log = await m.create('t', 0, cfg);
    // offsets 0-29: epoch 1 up to 14, epoch 2 from 15; several segments
    const old = Array.from({ length: 10 }, (_, i) => leaderBatch(i * 3, 3, i < 5 ? 1 : 2, 40, `old${i}`));
    await log.appendAsFollower(Buffer.concat(old)).durable;
    await m.writeCheckpoints(); // recovery point 30
    // the new leader's log diverges at 15 (epoch 3 there)
    await log.truncateTo(15);
    const fresh = Array.from({ length: 5 }, (_, i) => leaderBatch(15 + i * 3, 3, 3, 40, `new${i}`));
    await log.appendAsFollower(Buffer.concat(fresh)).durable;
    expect(log.segmentBaseOffsets().length).toBeGreaterThan(2);
    // kill -9 now: what is on disk is the crashed broker's data dir
    const crashed = dataDir();
    cpSync(dir, crashed, { recursive: true });
    const after = await open(crashed, true);
    const again = after.get('t', 0)!;
    expect(again.highWatermark).toBe(0); // never moved before the crash
    again.updateHighWatermark(again.visibleEndOffset);
    const batches = await readAllBatches(again);
    expect(batches.map((b) => batchInfo(b).base)).toEqual([0, 3, 6, 9, 12, 15, 18, 21, 24, 27]);
    expect(batches.slice(5)).toEqual(fresh);
    for (const b of batches) expect(again.leaderEpochs.epochForOffset(batchInfo(b).base)).toBe(batchInfo(b).epoch);
    expect(again.leaderEpochs.entries()).toEqual([
      { epoch: 1, startOffset: 0 },
      { epoch: 3, startOffset: 15 },
    ]);
    await after.close();
    await m.close();
  });
});
