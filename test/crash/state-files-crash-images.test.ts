/**
 * Issue 15 item 6: a crash test per state file, part 3 — kill -9 at every step of a real write.
 * (Part 1, state-files-crash-points.test.ts, builds leftovers and torn files by hand; part 2,
 * state-files-kill.test.ts, kills live brokers at random moments.)
 *
 * A broker (in-process) on a copy of the baseline data dir (state-files.ts makeBaseline) runs
 * through an fs seam that, while one request rewrites one state file, copies the whole data dir
 * aside before each step that changes that file: before the temp file is opened, before its bytes
 * are written, halfway through them, before the rename, before the directory fsync (and for the
 * files written without a rename, before each of their steps), then once the request completed.
 * Each copy is what kill -9 at that moment leaves on disk (the page cache survives a killed
 * process, so fsync order cannot show here; a power cut can, and the temp + fsync + rename +
 * directory fsync sequence of storage/fs.ts writeFileAtomic is what covers it).
 *
 * Then a broker starts on each copy: it must start, every state file must be whole, and the state
 * it serves must be the one before the request or the one after — the one after for the copy
 * taken once the request was acknowledged. A write in place (open with truncate, write) fails
 * here: the copy taken before its bytes hold an empty file.
 */
import { cpSync, readFileSync, rmSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type StorageFs, realFs } from '../../storage/fs.js';
import { removeDir, startTestBroker, tempDir, type TestBroker } from '../helpers/broker.js';
import type { RawClient } from '../helpers/raw-client.js';
import { connectRaw, createTopics, deleteRecords } from '../helpers/topic-admin.js';
import { CLEAN_MARKER, DATA, TXN, type Observed, addPartitionToTxn, idempotentBatch, initProducerId, makeBaseline, observe, produceBatch, tornStateFiles } from './state-files.js';

/** Small internal topics: every start in this file loads them. */
const CONFIG = { 'offsets.topic.num.partitions': 1, 'transaction.state.log.num.partitions': 1 };
const dirs: string[] = [];
let base = '';
afterAll(() => dirs.forEach(removeDir));

function newDir(name: string): string {
  const dir = tempDir(name);
  dirs.push(dir);
  return dir;
}

beforeAll(async () => {
  base = newDir('images-baseline');
  const b = await startTestBroker({ dataDir: base, keepData: true, config: CONFIG });
  const c = await connectRaw(b.bootstrap);
  await makeBaseline(c);
  c.close();
  await b.cleanup();
}, 30_000);

type Watch = (path: string, dataDir: string) => boolean;
/** Files named `name…` in the partition directory `sub` / in the data dir itself. */
const inDir = (sub: string, name: string): Watch => (path, dataDir) => dirname(path) === join(dataDir, sub) && basename(path).startsWith(name);
const inData = (name: string): Watch => (path, dataDir) => dirname(path) === dataDir && basename(path).startsWith(name);

interface Image {
  label: string;
  dir: string;
}

/**
 * The real file system, copying `dataDir` aside while armed before each change to a file `watch`
 * selects (see the header). Steps that do not change what a killed process leaves (fsync, close)
 * take no copy.
 */
function imagingFs(dataDir: string, watchIn: Watch) {
  const watch = (path: string) => watchIn(path, dataDir);
  const images: Image[] = [];
  const fds = new Map<number, string>();
  const touchedDirs = new Set<string>();
  let armed = false;
  const capture = (label: string) => {
    if (!armed) return;
    const dir = newDir('image');
    rmSync(dir, { recursive: true });
    cpSync(dataDir, dir, { recursive: true });
    images.push({ label, dir });
  };
  const writeAt = async (fd: number, buf: Buffer, position: number) => {
    for (let done = 0; done < buf.length; ) done += await realFs.write(fd, buf, done, buf.length - done, position + done);
  };
  const fs: StorageFs = {
    ...realFs,
    async open(path, mode) {
      if (mode !== 'r' && watch(path)) {
        capture(`before open(${basename(path)}, ${mode})`);
        touchedDirs.add(dirname(path));
      }
      const fd = await realFs.open(path, mode);
      if (mode !== 'r' && watch(path)) fds.set(fd, path);
      return fd;
    },
    async writev(fd, bufs, position) {
      const path = fds.get(fd);
      if (path === undefined || !armed) return realFs.writev(fd, bufs, position);
      const all = Buffer.concat(bufs as Buffer[]);
      capture(`before write(${basename(path)})`);
      await writeAt(fd, all.subarray(0, all.length >> 1), position);
      capture(`halfway through write(${basename(path)})`);
      await writeAt(fd, all.subarray(all.length >> 1), position + (all.length >> 1));
      return all.length;
    },
    write(fd, buf, offset, length, position) {
      return fs.writev(fd, [buf.subarray(offset, offset + length)], position);
    },
    async close(fd) {
      fds.delete(fd);
      return realFs.close(fd);
    },
    async rename(from, to) {
      if (watch(from) || watch(to)) {
        capture(`before rename(${basename(from)}, ${basename(to)})`);
        touchedDirs.add(dirname(to));
      }
      return realFs.rename(from, to);
    },
    async unlink(path) {
      if (watch(path)) {
        capture(`before unlink(${basename(path)})`);
        touchedDirs.add(dirname(path));
      }
      return realFs.unlink(path);
    },
    async fsyncDir(path) {
      if (touchedDirs.delete(path)) capture(`before fsync(${basename(path)}/)`);
      return realFs.fsyncDir(path);
    },
  };
  return {
    fs,
    images,
    capture,
    arm: () => void (armed = true),
    /** The last copy: the request completed (acknowledged). */
    done: () => {
      capture('after the request completed');
      armed = false;
    },
  };
}

/** What a broker started on `dir` serves, plus `extra` facts; every state file must be whole after it stops. */
async function serve<T>(dir: string, extra: (c: RawClient, b: TestBroker) => Promise<T>): Promise<Observed & { extra: T }> {
  const b = await startTestBroker({ dataDir: dir, keepData: true, config: CONFIG });
  const c = await connectRaw(b.bootstrap);
  try {
    return { ...(await observe(c)), extra: await extra(c, b) };
  } finally {
    c.close();
    await b.cleanup();
    expect(tornStateFiles(dir), `torn state files in ${dir}`).toEqual([]);
  }
}

interface Scenario<T> {
  /** Selects the state file's paths (its temp file too). */
  watch: Watch;
  /** Unwatched preparation on the running broker. */
  prepare?: (c: RawClient, b: TestBroker) => Promise<void>;
  /** The request that rewrites the file (may stop the broker). */
  act: (c: RawClient, b: TestBroker) => Promise<void>;
  /** Facts beyond observe(), read from a broker started on a copy (may change the copy). */
  extra?: (c: RawClient, b: TestBroker) => Promise<T>;
  /** What the acknowledged request must have left (the copy taken after it completed). */
  acked: (after: Observed & { extra: T }, before: Observed & { extra: T }) => void;
  minImages: number;
}

function copyOf(dir: string): string {
  const copy = newDir('images-copy');
  rmSync(copy, { recursive: true });
  cpSync(dir, copy, { recursive: true });
  return copy;
}

/** Runs `s` with copies taken at every step, then checks a broker on each copy. */
async function crashAtEveryStep<T>(s: Scenario<T>): Promise<void> {
  const dir = copyOf(base);
  const extra = s.extra ?? (async () => null as T);
  const im = imagingFs(dir, s.watch);
  const b = await startTestBroker({ dataDir: dir, keepData: true, config: CONFIG, storageFs: im.fs });
  const c = await connectRaw(b.bootstrap);
  await s.prepare?.(c, b);
  const served = await observe(c);
  im.arm();
  im.capture('before the request');
  await s.act(c, b);
  im.done();
  c.close();
  await b.cleanup();
  const labels = im.images.map((i) => i.label).join('\n');
  const first = im.images[0]!;
  const last = im.images[im.images.length - 1]!;
  // The old state: kill -9 before the request (what the broker served then); the new one: after it.
  const before = await serve(copyOf(first.dir), extra);
  expect({ ...before, extra: undefined }, 'kill -9 before the request').toEqual({ ...served, extra: undefined });
  const after = await serve(copyOf(last.dir), extra);
  s.acked(after, before);
  for (const image of im.images) {
    let got;
    try {
      got = await serve(image.dir, extra);
    } catch (e) {
      throw new Error(`kill -9 ${image.label}: the broker did not start or serve: ${(e as Error).message}\n${labels}`);
    }
    const allowed = image === last ? [after] : [before, after];
    expect(allowed, `kill -9 ${image.label}: neither the old state nor the new`).toContainEqual(got);
  }
  // Every step was seen (a write that skips the temp file has fewer).
  expect(im.images.length, labels).toBeGreaterThanOrEqual(s.minImages);
}

describe('kill -9 at every step of a state file write', () => {
  it('runnel-metadata.json (CreateTopics)', async () => {
    await crashAtEveryStep({
      watch: inData('runnel-metadata.json'),
      act: async (c) => expect((await createTopics(c, [{ name: 'cp-new', numPartitions: 2, configs: { 'retention.ms': '222222' } }]))[0]!.errorCode).toBe(0),
      acked: (after, before) => expect(after.topics).toEqual([...before.topics, 'cp-new/2 retention.ms=222222'].sort()),
      minImages: 6,
    });
  });

  it('producer-id-block (InitProducerId): the next id is never one handed out', async () => {
    await crashAtEveryStep({
      watch: inData('producer-id-block'),
      act: async (c) => expect((await initProducerId(c)).producerId).toBe(1000),
      // The id a broker on the copy hands out first: 1000 (old block) or 2000 (new block).
      extra: async (c) => (await initProducerId(c)).producerId,
      acked: (after, before) => expect([before.extra, after.extra]).toEqual([1000, 2000]),
      minImages: 6,
    });
  });

  it('transactional-partitions.json (AddPartitionsToTxn)', async () => {
    let tx = { producerId: -1, producerEpoch: -1 };
    await crashAtEveryStep({
      watch: inData('transactional-partitions.json'),
      prepare: async (c) => void (tx = await initProducerId(c, 'cp-tx2')),
      act: async (c) => expect(await addPartitionToTxn(c, 'cp-tx2', tx, DATA, 1)).toBe(0),
      extra: async (_c, b) => JSON.parse(readFileSync(join(b.dataDir, 'transactional-partitions.json'), 'utf8')) as Record<string, number[]>,
      acked: (after, before) => expect([before.extra, after.extra]).toEqual([{ [TXN]: [0] }, { [TXN]: [0], [DATA]: [1] }]),
      minImages: 6,
    });
  });

  it('log-start-offset-checkpoint (DeleteRecords): an acknowledged deletion stays', async () => {
    await crashAtEveryStep({
      watch: inData('log-start-offset-checkpoint'),
      act: async (c) => expect(await deleteRecords(c, DATA, 1, 6)).toMatchObject({ errorCode: 0, lowWatermark: 6 }),
      acked: (after, before) => expect([before.ranges[1], after.ranges[1]]).toEqual([[4, 10], [6, 10]]),
      minImages: 6,
    });
  });

  it('leader-epoch-checkpoint and recovery-point-offset-checkpoint (the periodic checkpoint)', async () => {
    await crashAtEveryStep({
      watch: (p, d) => inDir(`${DATA}-1`, 'leader-epoch-checkpoint')(p, d) || inData('recovery-point-offset-checkpoint')(p, d),
      prepare: async (c) => expect(await deleteRecords(c, DATA, 1, 7)).toMatchObject({ errorCode: 0 }),
      act: async (_c, b) => b.broker.logs.writeCheckpoints(),
      // Nothing a client sees changes; every copy serves the same.
      acked: (after, before) => expect(after).toEqual(before),
      minImages: 11,
    });
  });

  it('producer-state snapshot and clean-shutdown marker (a clean stop)', async () => {
    const pid = { producerId: 0, producerEpoch: 0 };
    await crashAtEveryStep({
      watch: (p, d) => inDir(`${DATA}-0`, '0')(p, d) || inData(CLEAN_MARKER)(p, d),
      prepare: async (c) => {
        expect((await produceBatch(c, DATA, 0, idempotentBatch(pid, 5, 2, 'b'))).errorCode).toBe(0);
      },
      act: async (_c, b) => b.stop(),
      // The producer keeps its sequence on every copy: the next batch is accepted in order.
      extra: async (c) => (await produceBatch(c, DATA, 0, idempotentBatch(pid, 7, 1, 'c'))).errorCode,
      acked: (after) => expect([after.producers, after.extra]).toEqual([['0/0/6'], 0]),
      minImages: 9,
    });
  });

  it('meta.properties (the first start of a data dir)', async () => {
    const dir = newDir('images-fresh');
    const im = imagingFs(dir, inData('meta.properties'));
    im.arm();
    const b = await startTestBroker({ dataDir: dir, keepData: true, config: CONFIG, storageFs: im.fs });
    const clusterId = b.broker.node.clusterId;
    im.done();
    await b.cleanup();
    for (const image of im.images) {
      const b2 = await startTestBroker({ dataDir: image.dir, keepData: true, config: CONFIG });
      const got = b2.broker.node.clusterId;
      await b2.cleanup();
      // Before the rename the directory is still unformatted: a new cluster id is as good.
      if (image === im.images[im.images.length - 1]) expect(got, image.label).toBe(clusterId);
      expect(readFileSync(join(image.dir, 'meta.properties'), 'utf8')).toContain(`cluster.id=${got}\n`);
      expect(tornStateFiles(image.dir)).toEqual([]);
    }
    expect(im.images.length, im.images.map((i) => i.label).join('\n')).toBeGreaterThanOrEqual(6);
  });
});
