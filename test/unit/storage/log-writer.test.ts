/**
 * LogWriter on its own (storage/log-writer.ts): no PartitionLog, real segment files in a temp
 * dir, faults from storage/fs.ts FaultyFs. The writer's contract: requests are written in queue
 * order, one writev per group (MAX_IOV buffers, MAX_GROUP_BYTES), synced per the flush policy, and
 * reported as written(up to) / durable(up to) / failed — it never decides visibility or rejects
 * anything itself, and it stops at a failure until the handler returns.
 */
import { readFileSync, statSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { batch } from '../../../protocol/records/batch.js';
import { FdCache } from '../../../storage/fd-cache.js';
import { FaultyFs, type StorageFs, realFs } from '../../../storage/fs.js';
import { LogWriter, type WriteFailure, type WriteRequest } from '../../../storage/log-writer.js';
import { LogSegment } from '../../../storage/segment.js';
import { sizedBatch, tempDir } from './helpers.js';

const cleanups: Array<() => void> = [];
afterEach(() => {
  while (cleanups.length) cleanups.pop()!();
});

type Event = ['written', number[], number, boolean] | ['durable', number] | ['failed', WriteFailure<WriteRequest>['kind']];

/** The real fs, counting writev calls and fdatasyncs on .log files (O_DSYNC writes count as both). */
function countingFs(inner: StorageFs = realFs) {
  const logFds = new Set<number>();
  const dsyncFds = new Set<number>();
  const count = { writev: 0, fdatasync: 0, dsyncWrites: 0, iovs: [] as number[] };
  const fs: StorageFs = {
    ...inner,
    async open(path, mode) {
      const fd = await inner.open(path, mode);
      if (path.endsWith('.log')) logFds.add(fd);
      if (mode === 'dsync') dsyncFds.add(fd);
      return fd;
    },
    async close(fd) {
      logFds.delete(fd);
      dsyncFds.delete(fd);
      return inner.close(fd);
    },
    async writev(fd, bufs, position) {
      if (logFds.has(fd)) {
        count.writev++;
        count.iovs.push(bufs.length);
        if (dsyncFds.has(fd)) count.dsyncWrites++;
      }
      return inner.writev(fd, bufs, position);
    },
    async fdatasync(fd) {
      if (logFds.has(fd)) count.fdatasync++;
      return inner.fdatasync(fd);
    },
  };
  return { fs, count };
}

function setup(o: { fs?: StorageFs; flushMessages?: number; flushMs?: number; onFailed?: (f: WriteFailure<WriteRequest>, w: LogWriter<WriteRequest>) => Promise<void> | void } = {}) {
  const t = tempDir();
  cleanups.push(t.cleanup);
  const fs = o.fs ?? realFs;
  const fdCache = new FdCache(fs, 100);
  const first = LogSegment.fresh(t.dir, 0);
  const events: Event[] = [];
  let next = 0;
  const writer: LogWriter<WriteRequest> = new LogWriter<WriteRequest>({
    fs,
    fdCache,
    segment: first,
    end: 0,
    config: { flushMessages: o.flushMessages ?? 1, flushMs: o.flushMs ?? Number.MAX_SAFE_INTEGER },
    events: {
      onWritten: (group, end, syncing) => events.push(['written', group.map((g) => g.last), end, syncing]),
      onDurable: (end) => events.push(['durable', end]),
      onWriterFailed: (f) => {
        events.push(['failed', f.kind]);
        return o.onFailed?.(f, writer);
      },
    },
  });
  /** Queues a batch of `records` records for `seg` at the next offset, as PartitionLog would. */
  const enqueue = (seg: LogSegment = writer.segment, records = 1, valueSize = 20, sync = (o.flushMessages ?? 1) <= 1) => {
    const b = sizedBatch(records, valueSize);
    batch.setBaseOffset(b, next);
    const last = next + records - 1;
    next = last + 1;
    const req: WriteRequest = { seg, buf: b, position: seg.reserve(b.length), size: b.length, last, maxTs: batch.maxTimestamp(b), records, indexIt: seg.decideIndex(b.length, 4096), sync };
    writer.enqueue(req);
    return req;
  };
  /** Lets the writer run until it has nothing left to do (timers left running). */
  const settled = async () => {
    await new Promise((r) => setTimeout(r, 5));
    while (writer.busy) await new Promise((r) => setImmediate(r));
  };
  return { dir: t.dir, fs, fdCache, first, writer, events, enqueue, settled, nextOffset: () => next };
}

describe('LogWriter', () => {
  it('writes what is queued together as one group, in order, and with flush.messages=1 syncs it in the same call (O_DSYNC)', async () => {
    const { fs, count } = countingFs();
    const { writer, events, enqueue, settled, first } = setup({ fs });
    const reqs = [enqueue(), enqueue(), enqueue()];
    await settled();
    expect(count.writev).toBe(1);
    expect(count.dsyncWrites).toBe(1);
    expect(count.fdatasync).toBe(0);
    expect(events).toEqual([
      ['written', [0, 1, 2], 3, true],
      ['durable', 3],
    ]);
    // the bytes are in the file back to back, the segment knows it, and the requests let go of them
    const file = readFileSync(first.paths.log);
    expect(file.length).toBe(reqs.reduce((n, r) => n + r.size, 0));
    expect(first.writtenSize).toBe(file.length);
    expect(first.nextOffset).toBe(3);
    expect(reqs.every((r) => r.buf === null)).toBe(true);
    expect(writer.segment).toBe(first);
    expect(first.active).toBe(true);
  });

  it('under a relaxed policy reports written without a sync until flush.messages records, then syncs once', async () => {
    const { fs, count } = countingFs();
    const { events, enqueue, settled } = setup({ fs, flushMessages: 3 });
    enqueue();
    await settled();
    expect(events).toEqual([['written', [0], 1, false]]);
    enqueue(undefined, 2); // the third record
    await settled();
    expect(events.slice(1)).toEqual([
      ['written', [2], 3, false],
      ['durable', 3],
    ]);
    expect(count.dsyncWrites).toBe(0);
    expect(count.fdatasync).toBe(1);
  });

  it('a request queued with `sync` is synced right after its write, whatever the record count', async () => {
    const { fs, count } = countingFs();
    const { events, enqueue, settled } = setup({ fs, flushMessages: 1000 });
    enqueue(undefined, 1, 20, true);
    await settled();
    expect(events).toEqual([
      ['written', [0], 1, false],
      ['durable', 1],
    ]);
    expect(count.fdatasync).toBe(1);
  });

  it('flush.ms: a timer syncs what was written, and flush() syncs at once', async () => {
    const { events, enqueue, settled, writer } = setup({ flushMessages: 1000, flushMs: 30 });
    enqueue();
    await settled();
    expect(events).toEqual([['written', [0], 1, false]]);
    await new Promise((r) => setTimeout(r, 80));
    await settled();
    expect(events.at(-1)).toEqual(['durable', 1]);
    enqueue();
    await writer.flush();
    expect(events.slice(-2)).toEqual([
      ['written', [1], 2, false],
      ['durable', 2],
    ]);
    await writer.flush(); // nothing to sync: resolves without one
    expect(events.at(-1)).toEqual(['durable', 2]);
    expect(events.filter((e) => e[0] === 'durable')).toHaveLength(2);
  });

  it('a group holds at most 1024 buffers and 16 MiB', async () => {
    const { fs, count } = countingFs();
    const { events, enqueue, settled } = setup({ fs });
    for (let i = 0; i < 1030; i++) enqueue(undefined, 1, 1);
    await settled();
    expect(count.iovs).toEqual([1024, 6]);
    // The writer is idle, so the first goes alone (group commit gathers what queues meanwhile);
    // of the next three 7 MiB batches only two fit in 16 MiB.
    for (let i = 0; i < 4; i++) enqueue(undefined, 1, 7 * 1024 * 1024);
    await settled();
    expect(count.iovs.slice(2)).toEqual([1, 2, 1]);
    expect(events.filter((e) => e[0] === 'written').map((e) => e[2])).toEqual([1024, 1030, 1031, 1033, 1034]);
  });

  it('moving to the next segment syncs and finishes the current one first, then creates the new file; roll() resolves once it exists', async () => {
    const { fs, count } = countingFs();
    const { dir, events, enqueue, settled, writer, first, nextOffset } = setup({ fs, flushMessages: 1000 });
    enqueue();
    enqueue();
    await settled();
    expect(count.fdatasync).toBe(0);
    const second = LogSegment.fresh(dir, nextOffset());
    enqueue(second);
    await settled();
    expect(events).toEqual([
      ['written', [0, 1], 2, false],
      ['durable', 2], // the sync at the roll (Kafka flushes a segment when it rolls)
      ['written', [2], 3, false],
    ]);
    expect(writer.segment).toBe(second);
    expect(first.active).toBe(false);
    expect(second.active && second.fileCreated).toBe(true);
    expect(statSync(first.paths.index).isFile()).toBe(true); // the finished segment's indexes are on disk
    const third = LogSegment.fresh(dir, nextOffset());
    await writer.roll(third);
    expect(statSync(third.paths.log).size).toBe(0);
    expect(writer.segment).toBe(third);
    expect(events.at(-1)).toEqual(['durable', 3]);
  });

  it('a failed write is reported with its group, counts as nothing written, and the writer waits for the handler', async () => {
    const faulty = new FaultyFs();
    let release!: () => void;
    let voided: WriteRequest[] = [];
    const { events, enqueue, settled, first, writer } = setup({
      fs: faulty,
      onFailed: async (f, w) => {
        if (f.kind !== 'write') return;
        // What PartitionLog does: synchronously take the void requests out and roll the queued
        // positions back; then cut the torn tail (the writer waits meanwhile).
        voided = [...f.group, ...(w.takeQueued() as WriteRequest[])];
        f.seg.rollbackQueued();
        await new Promise<void>((r) => (release = r));
        await w.truncateFile(f.seg, f.seg.writtenSize);
      },
    });
    enqueue();
    await settled();
    const before = first.writtenSize;
    faulty.tearNextWrite(10, 'EIO', '.log');
    enqueue();
    await new Promise((r) => setTimeout(r, 20));
    expect(statSync(first.paths.log).size).toBe(before + 10); // torn
    const after = enqueue(); // queued while the handler runs: written after it returned
    await new Promise((r) => setTimeout(r, 20));
    expect(writer.busy).toBe(true);
    expect(events.slice(2)).toEqual([['failed', 'write']]);
    release();
    await settled();
    expect(voided.map((v) => v.last)).toEqual([1]);
    expect(events.slice(3)).toEqual([
      ['written', [2], 3, true],
      ['durable', 3],
    ]);
    expect(after.position).toBe(before);
    expect(first.writtenSize).toBe(before + after.size);
    expect(statSync(first.paths.log).size).toBe(before + after.size);
  });

  it('an O_DSYNC write whose sync fails counts as written, then is reported as a failed sync; fail() rejects flush waiters', async () => {
    const faulty = new FaultyFs();
    const { events, enqueue, settled, writer } = setup({ fs: faulty, onFailed: (_f, w) => w.fail(new Error('offline')) });
    enqueue();
    await settled();
    faulty.failNextFsync('EIO', '.log');
    enqueue();
    const flushed = writer.flush();
    await expect(flushed).rejects.toThrow();
    await settled();
    expect(events).toEqual([
      ['written', [0], 1, true],
      ['durable', 1],
      ['written', [1], 2, true],
      ['failed', 'sync'],
    ]);
    await expect(writer.flush()).rejects.toThrow('offline');
  });

  it('a failed fdatasync is reported as a failed sync, not durable', async () => {
    const faulty = new FaultyFs();
    const { events, enqueue, settled, writer } = setup({ fs: faulty, flushMessages: 1000, onFailed: (_f, w) => w.fail(new Error('offline')) });
    enqueue();
    await settled();
    faulty.failNextFsync('EIO', '.log');
    await expect(writer.flush()).rejects.toThrow();
    expect(events).toEqual([
      ['written', [0], 1, false],
      ['failed', 'sync'],
    ]);
  });

  it('a failure to create the next segment is reported before anything is written to it', async () => {
    const faulty = new FaultyFs();
    const { dir, events, enqueue, settled, writer, first, nextOffset } = setup({ fs: faulty, onFailed: (_f, w) => void w.takeQueued() });
    enqueue();
    await settled();
    faulty.inject({ op: 'open', code: 'ENOSPC' });
    const second = LogSegment.fresh(dir, nextOffset());
    enqueue(second);
    await settled();
    expect(events.slice(2)).toEqual([['failed', 'create']]);
    expect(writer.segment).toBe(first);
    expect(second.fileCreated).toBe(false);
  });
});
