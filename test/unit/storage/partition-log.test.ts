import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ErrorCode, KafkaError } from '../../../protocol/errors.js';
import { FaultyFs, realFs } from '../../../storage/fs.js';
import { logConfig } from '../../../storage/log-config.js';
import { PartitionLog } from '../../../storage/partition-log.js';
import { batchCrcOk, decodeBatch, makeBatch, readAllBatches, sizedBatch, sliceBytes, tempDir } from './helpers.js';

const cleanups: Array<() => void> = [];
afterEach(() => {
  while (cleanups.length) cleanups.pop()!();
});

async function openLog(overrides = {}, dirOverride?: string, fs = realFs) {
  let dir = dirOverride;
  if (!dir) {
    const t = tempDir();
    cleanups.push(t.cleanup);
    dir = join(t.dir, 'orders-0');
  }
  const log = await PartitionLog.open({ topic: 'orders', partition: 0, dir, config: logConfig(overrides), fs });
  return { log, dir };
}

describe('PartitionLog append', () => {
  it('assigns offsets synchronously in arrival order and stamps them into the batch', async () => {
    const { log } = await openLog();
    const a = makeBatch([{ value: 'a' }, { value: 'b' }, { value: 'c' }]);
    const b = makeBatch([{ value: 'd' }]);
    const ra = log.append(a, 7);
    const rb = log.append(b, 7);
    expect(ra).toMatchObject({ baseOffset: 0, lastOffset: 2, logAppendTime: -1 });
    expect(rb).toMatchObject({ baseOffset: 3, lastOffset: 3 });
    expect(log.logEndOffset).toBe(4);
    expect(log.highWatermark).toBe(0); // nothing visible before the write (and fsync) completes
    expect(Number(b.readBigInt64BE(0))).toBe(3);
    expect(b.readInt32BE(12)).toBe(7);
    await Promise.all([ra.durable, rb.durable]);
    expect(log.highWatermark).toBe(4);
    const batches = await readAllBatches(log);
    expect(batches.map((x) => decodeBatch(x).map((r) => [r.offset, r.value]))).toEqual([
      [
        [0, 'a'],
        [1, 'b'],
        [2, 'c'],
      ],
      [[3, 'd']],
    ]);
    expect(batches.every(batchCrcOk)).toBe(true);
    await log.close();
  });

  it('writes raw batch bytes back to back in a 20-digit .log file', async () => {
    const { log, dir } = await openLog();
    const a = makeBatch([{ value: 'x' }]);
    const b = makeBatch([{ value: 'y' }]);
    log.append(a);
    await log.append(b).durable;
    await log.close();
    const { readFileSync } = await import('node:fs');
    const bytes = readFileSync(join(dir, '00000000000000000000.log'));
    expect(bytes.equals(Buffer.concat([a, b]))).toBe(true);
  });

  it('stamps LogAppendTime and keeps the CRC valid', async () => {
    const { log } = await openLog({ messageTimestampType: 'LogAppendTime' });
    const b = makeBatch([{ value: 'a', timestamp: 1000 }]);
    const before = Date.now();
    const r = log.append(b);
    expect(r.logAppendTime).toBeGreaterThanOrEqual(before);
    expect(b.readInt16BE(21) & 0x08).toBe(0x08);
    expect(Number(b.readBigInt64BE(35))).toBe(r.logAppendTime);
    expect(batchCrcOk(b)).toBe(true);
    await r.durable;
    await log.close();
  });

  it('rejects a buffer that is not exactly one batch', async () => {
    const { log } = await openLog();
    const b = makeBatch([{ value: 'a' }]);
    expect(() => log.append(Buffer.concat([b, Buffer.alloc(3)]))).toThrow(KafkaError);
    await log.close();
  });

  it('group-commits concurrent appends: far fewer fsyncs than appends', async () => {
    const fs = new FaultyFs();
    const { log } = await openLog({}, undefined, fs);
    const results = Array.from({ length: 200 }, () => log.append(sizedBatch(1, 100)));
    await Promise.all(results.map((r) => r.durable));
    expect(log.highWatermark).toBe(200);
    expect(fs.calls.fsync).toBeLessThan(20);
    expect(fs.calls.write).toBeLessThan(20);
    await log.close();
  });

  it('with flush.messages > 1, data is visible after the write and durable only after the fsync', async () => {
    const fs = new FaultyFs();
    const { log } = await openLog({ flushMessages: 5 }, undefined, fs);
    const r1 = log.append(sizedBatch(2, 10));
    let durable = false;
    void r1.durable.then(() => (durable = true));
    await r1.written;
    expect(log.highWatermark).toBe(2);
    await new Promise((r) => setTimeout(r, 20));
    expect(durable).toBe(false);
    const fsyncsBefore = fs.calls.fsync;
    await log.append(sizedBatch(3, 10)).durable; // 5 records reached
    expect(durable).toBe(true);
    expect(fs.calls.fsync).toBe(fsyncsBefore + 1);
    await log.close();
  });

  it('flush.ms fsyncs after the interval', async () => {
    const { log } = await openLog({ flushMessages: 1_000_000, flushMs: 30 });
    const r = log.append(sizedBatch(1, 10));
    await r.written;
    const t0 = Date.now();
    await r.durable;
    expect(Date.now() - t0).toBeGreaterThanOrEqual(15);
    await log.close();
  });

  it('rolls segments by segment.bytes and keeps offsets continuous across them', async () => {
    const { log, dir } = await openLog({ segmentBytes: 2000 });
    const rs = [];
    for (let i = 0; i < 30; i++) rs.push(log.append(sizedBatch(2, 200)));
    await Promise.all(rs.map((r) => r.durable));
    const bases = log.segmentBaseOffsets();
    expect(bases.length).toBeGreaterThan(5);
    for (const f of readdirSync(dir).filter((n) => n.endsWith('.log'))) expect(statSync(join(dir, f)).size).toBeLessThanOrEqual(2000);
    // every rolled segment got its index files at roll time
    for (const b of bases.slice(0, -1)) expect(existsSync(join(dir, `${String(b).padStart(20, '0')}.timeindex`))).toBe(true);
    const all = await readAllBatches(log);
    expect(all.flatMap((b) => decodeBatch(b).map((r) => r.offset))).toEqual(Array.from({ length: 60 }, (_, i) => i));
    await log.close();
  });

  it('rolls by segment.ms and when the index is full', async () => {
    const { log } = await openLog({ segmentMs: 1 });
    await log.append(sizedBatch(1, 10)).durable;
    await new Promise((r) => setTimeout(r, 5));
    await log.append(sizedBatch(1, 10)).durable;
    expect(log.segmentBaseOffsets()).toEqual([0, 1]);
    await log.close();

    const { log: log2 } = await openLog({ segmentIndexBytes: 24, indexIntervalBytes: 1 });
    for (let i = 0; i < 10; i++) await log2.append(sizedBatch(1, 10)).durable;
    expect(log2.segmentBaseOffsets().length).toBeGreaterThan(2);
    await log2.close();
  });
});

describe('PartitionLog read', () => {
  it('locates any offset (inside batches, across segments) via index + header scan', async () => {
    const { log } = await openLog({ segmentBytes: 50_000, indexIntervalBytes: 512 });
    const rs = [];
    for (let i = 0; i < 200; i++) rs.push(log.append(sizedBatch(5, 50)));
    await Promise.all(rs.map((r) => r.durable));
    expect(log.segmentBaseOffsets().length).toBeGreaterThan(1);
    for (const target of [0, 1, 4, 5, 123, 499, 500, 777, 999]) {
      const r = await log.read(target, 1);
      expect(r.slices.length).toBe(1);
      const bytes = await sliceBytes(r.slices[0]!);
      r.slices[0]!.release?.();
      const base = Number(bytes.readBigInt64BE(0));
      expect(base).toBeLessThanOrEqual(target);
      expect(base + bytes.readInt32BE(23)).toBeGreaterThanOrEqual(target);
      expect(bytes.length).toBe(bytes.readInt32BE(8) + 12); // minOneBatch: exactly the first batch
    }
    await log.close();
  });

  it('bounds slices by maxBytes, the high watermark and maxOffset', async () => {
    const { log } = await openLog();
    const rs = [];
    for (let i = 0; i < 10; i++) rs.push(log.append(sizedBatch(1, 100)));
    await Promise.all(rs.map((r) => r.durable));
    const batchSize = sizedBatch(1, 100).length;
    const all = await log.read(0, 1 << 20);
    expect(all.size).toBe(10 * batchSize);
    expect(all.highWatermark).toBe(10);
    all.slices.forEach((s) => s.release?.());
    const cut = await log.read(0, batchSize * 2 + 5);
    expect(cut.size).toBe(batchSize * 2 + 5);
    cut.slices.forEach((s) => s.release?.());
    const bounded = await log.read(2, 1 << 20, { maxOffset: 5 });
    expect(bounded.size).toBe(3 * batchSize);
    bounded.slices.forEach((s) => s.release?.());
    const noMin = await log.read(0, 10, { minOneBatch: false });
    expect(noMin.size).toBe(10);
    noMin.slices.forEach((s) => s.release?.());
    // at the high watermark: empty, not out of range
    expect((await log.read(10, 100)).size).toBe(0);
    await expect(log.read(11, 100)).rejects.toMatchObject({ code: ErrorCode.OFFSET_OUT_OF_RANGE });
    await log.close();
  });

  it('never exposes appends whose write has not completed', async () => {
    const { log } = await openLog();
    await log.append(sizedBatch(1, 10)).durable;
    const pending = log.append(sizedBatch(1, 10));
    const r = await log.read(0, 1 << 20);
    expect(r.highWatermark).toBe(1);
    expect(r.size).toBe(sizedBatch(1, 10).length);
    r.slices.forEach((s) => s.release?.());
    await pending.durable;
    await log.close();
  });

  it('finds offsets by timestamp (record-exact) and the max timestamp', async () => {
    const { log } = await openLog({ indexIntervalBytes: 100, segmentBytes: 3000 });
    const rs = [];
    for (let i = 0; i < 50; i++) {
      rs.push(log.append(makeBatch([{ value: 'x'.repeat(40), timestamp: 10_000 + i * 10 }, { value: 'y', timestamp: 10_000 + i * 10 + 5 }])));
    }
    await Promise.all(rs.map((r) => r.durable));
    expect(log.segmentBaseOffsets().length).toBeGreaterThan(1);
    expect(await log.offsetForTimestamp(0)).toEqual({ offset: 0, timestamp: 10_000 });
    expect(await log.offsetForTimestamp(10_003)).toEqual({ offset: 1, timestamp: 10_005 });
    expect(await log.offsetForTimestamp(10_250)).toEqual({ offset: 50, timestamp: 10_250 });
    expect(await log.offsetForTimestamp(10_251)).toEqual({ offset: 51, timestamp: 10_255 });
    expect(await log.offsetForTimestamp(99_999)).toBeNull();
    expect(await log.maxTimestampOffset()).toEqual({ offset: 99, timestamp: 10_495 });
    await log.close();
  });

  it('wakes data waiters when the high watermark passes their offset', async () => {
    const { log } = await openLog();
    let woke = 0;
    log.waitForData(0, () => woke++);
    const cancel = log.waitForData(0, () => woke += 100);
    cancel();
    await log.append(sizedBatch(1, 10)).durable;
    expect(woke).toBe(1);
    await log.close();
  });

  it('pins the segment fd until the slice is released', async () => {
    const { log } = await openLog();
    await log.append(sizedBatch(1, 10)).durable;
    const r = await log.read(0, 100);
    const seg = log.segmentList()[0]!;
    expect(seg.pins).toBe(1);
    r.slices[0]!.release!();
    r.slices[0]!.release!(); // idempotent
    expect(seg.pins).toBe(0);
    await log.close();
  });

  it('reopens cleanly: same offsets, indexes loaded, appends continue', async () => {
    const { log, dir } = await openLog({ segmentBytes: 5000, indexIntervalBytes: 256 });
    const rs = [];
    for (let i = 0; i < 40; i++) rs.push(log.append(sizedBatch(3, 100)));
    await Promise.all(rs.map((r) => r.durable));
    const before = await readAllBatches(log);
    await log.close();
    const log2 = await PartitionLog.open({ topic: 'orders', partition: 0, dir, config: logConfig({ segmentBytes: 5000, indexIntervalBytes: 256 }), cleanShutdown: true });
    expect(log2.recoveredBytes).toBe(0);
    expect(log2.logEndOffset).toBe(120);
    expect(log2.highWatermark).toBe(120);
    expect(await readAllBatches(log2)).toEqual(before);
    expect(log2.append(sizedBatch(1, 10)).baseOffset).toBe(120);
    await log2.close();
  });
});

describe('PartitionLog: the writer is made on first use', () => {
  it('a reopened log whose first append rolls: the segment it opened on is finished, the new one written', async () => {
    const { log, dir } = await openLog({ segmentBytes: 2000, indexIntervalBytes: 100 });
    for (let i = 0; i < 4; i++) await log.append(sizedBatch(2, 150)).written;
    await log.close();
    const before = readdirSync(dir).filter((f) => f.endsWith('.log'));
    const { log: again } = await openLog({ segmentBytes: 2000, indexIntervalBytes: 100 }, dir);
    expect((again as unknown as { _writer: unknown })._writer).toBeNull(); // nothing written yet: no writer
    // Big enough not to fit the open segment: the first append rolls before the writer exists.
    const r = again.append(sizedBatch(4, 400));
    await r.written;
    const after = readdirSync(dir).filter((f) => f.endsWith('.log'));
    expect(after.length).toBe(before.length + 1);
    expect(again.segmentBaseOffsets()).toEqual([0, 8]);
    // The writer started on the segment the log opened on and left it at the roll (not on the new one).
    expect(again.segmentList().map((s) => s.active)).toEqual([false, true]);
    await again.close();
    const { log: third } = await openLog({ segmentBytes: 2000, indexIntervalBytes: 100 }, dir);
    const batches = await readAllBatches(third);
    expect(batches.map((b) => decodeBatch(b).length)).toEqual([2, 2, 2, 2, 4]);
    expect(third.logEndOffset).toBe(12);
    await third.close();
  });

  it('a log closed without a write makes no writer and still persists the open segment', async () => {
    const { log, dir } = await openLog();
    await log.append(makeBatch([{ value: 'a' }])).written;
    await log.close();
    const { log: again } = await openLog({}, dir);
    await again.close();
    expect((again as unknown as { _writer: unknown })._writer).toBeNull();
    const { log: third } = await openLog({}, dir);
    expect((await readAllBatches(third)).length).toBe(1);
    await third.close();
  });
});
