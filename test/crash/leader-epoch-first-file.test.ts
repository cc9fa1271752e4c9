/**
 * A partition's first leader-epoch-checkpoint is written without fsyncs (leader-epoch-cache.ts,
 * Persistence): the first clean stop after many partitions got their first records wrote one new
 * file per partition with two fsyncs each (10,000 partitions: a clean stop 2-4× f626e7e's).
 *
 * Over real sockets: records produced to every partition of a topic, a checkpoint and a clean stop
 * through an fs seam that counts syncs — no fsync of an epoch file or of a partition directory,
 * every file whole — and the next start answers OffsetForLeaderEpoch as before. (A clean stop
 * itself creates no first file since: leader-epoch-clean-stop.test.ts.) Then what a power
 * cut may leave of such unsynced files (none, or an empty one), after a start consumed the clean
 * summary: the loader rebuilds the entries from the log and answers the same. A later write of a
 * file that exists is still synced (file and directory).
 */
import { cpSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/logger.js';
import { LEADER_EPOCH_CHECKPOINT } from '../../storage/file-names.js';
import { type StorageFs, realFs } from '../../storage/fs.js';
import { LeaderEpochCache } from '../../storage/leader-epoch-cache.js';
import { LeaderEpochCheckpointFile } from '../../storage/leader-epoch-checkpoint.js';
import { buildBatchSync, epochAnswers, offsetForLeaderEpoch, produceOne } from '../differential/requests.js';
import { removeDir, startTestBroker, tempDir } from '../helpers/broker.js';
import { connectRaw, createTopics } from '../helpers/topic-admin.js';

const TOPIC = 'first-epochs';
const PARTITIONS = 12;
const PARTITION_DIR = new RegExp(`^${TOPIC}-\\d+$`);
const dirs: string[] = [];
afterAll(() => dirs.forEach(removeDir));
const newDir = (name: string): string => {
  const d = tempDir(`${name}-dir`);
  dirs.push(d);
  return d;
};

/** realFs, counting the syncs of epoch files and of partition directories of TOPIC while `armed`. */
function countingFs() {
  const paths = new Map<number, string>();
  const n = { epochFileFsyncs: 0, partitionDirFsyncs: 0, armed: false };
  const fs: StorageFs = {
    ...realFs,
    async open(path, mode) {
      const fd = await realFs.open(path, mode);
      paths.set(fd, path);
      return fd;
    },
    async close(fd) {
      paths.delete(fd);
      return realFs.close(fd);
    },
    async fsync(fd) {
      if (n.armed && basename(paths.get(fd) ?? '').startsWith(LEADER_EPOCH_CHECKPOINT)) n.epochFileFsyncs++;
      return realFs.fsync(fd);
    },
    async fsyncDir(path) {
      if (n.armed && PARTITION_DIR.test(basename(path))) n.partitionDirFsyncs++;
      return realFs.fsyncDir(path);
    },
  };
  return { fs, n };
}

/** OffsetForLeaderEpoch (epoch 0) of every partition, as "ERROR epoch endOffset". */
async function epochsServed(dataDir: string): Promise<string[]> {
  const b = await startTestBroker({ dataDir, keepData: true });
  const c = await connectRaw(b.bootstrap);
  try {
    return epochAnswers(await offsetForLeaderEpoch(c, TOPIC, Array.from({ length: PARTITIONS }, (_, partition) => ({ partition, leaderEpoch: 0 }))));
  } finally {
    c.close();
    await b.cleanup();
  }
}

describe("a partition's first leader-epoch-checkpoint", () => {
  it('is written by the checkpoint without syncing it or its directory; the next start answers the same', async () => {
    const dataDir = newDir('first-epochs');
    const { fs, n } = countingFs();
    const b = await startTestBroker({ dataDir, keepData: true, storageFs: fs });
    const c = await connectRaw(b.bootstrap);
    expect((await createTopics(c, [{ name: TOPIC, numPartitions: PARTITIONS }]))[0]!.errorCode).toBe(0);
    for (let p = 0; p < PARTITIONS; p++) {
      const r = await produceOne(c, TOPIC, p, buildBatchSync([{ key: 'k', value: `v${p}` }, { key: 'k', value: `w${p}` }]), { acks: -1 });
      expect(r.errorCode).toBe(0);
    }
    c.close();
    n.armed = true;
    // The periodic checkpoint: the first write of every partition's file (a clean stop writes
    // none: leader-epoch-clean-stop.test.ts).
    await b.broker.logs.writeCheckpoints();
    await b.cleanup();
    expect({ epochFileFsyncs: n.epochFileFsyncs, partitionDirFsyncs: n.partitionDirFsyncs }).toEqual({ epochFileFsyncs: 0, partitionDirFsyncs: 0 });
    for (let p = 0; p < PARTITIONS; p++) expect(readFileSync(join(dataDir, `${TOPIC}-${p}`, LEADER_EPOCH_CHECKPOINT), 'utf8')).toBe('0\n1\n0 0\n');
    const want = Array.from({ length: PARTITIONS }, () => 'NONE 0 2');
    expect(await epochsServed(dataDir)).toEqual(want);

    // What a power cut can leave of unsynced first files, once a start consumed the clean summary
    // (the copy of a running broker's data dir is what kill -9 leaves): no file, or an empty one.
    const running = await startTestBroker({ dataDir, keepData: true });
    const image = newDir('first-epochs-cut');
    rmSync(image, { recursive: true });
    cpSync(dataDir, image, { recursive: true });
    await running.cleanup();
    for (let p = 0; p < PARTITIONS; p++) {
      const file = join(image, `${TOPIC}-${p}`, LEADER_EPOCH_CHECKPOINT);
      if (p % 2 === 0) rmSync(file);
      else writeFileSync(file, '');
    }
    expect(await epochsServed(image)).toEqual(want);
  }, 60_000);

  it('is not synced, while a later write of a file that exists is (file and directory)', async () => {
    const dir = newDir('first-epochs-unit');
    const synced: string[] = [];
    const paths = new Map<number, string>();
    const fs: StorageFs = {
      ...realFs,
      open: async (path, mode) => {
        const fd = await realFs.open(path, mode);
        paths.set(fd, path);
        return fd;
      },
      fsync: async (fd) => (synced.push(basename(paths.get(fd)!)), realFs.fsync(fd)),
      fsyncDir: async (path) => (synced.push(`dir ${basename(path)}`), realFs.fsyncDir(path)),
    };
    const cache = new LeaderEpochCache(new LeaderEpochCheckpointFile(fs, dir), silentLogger, { logEndOffset: 100 });
    expect(cache.fileState()).toBe('none');
    cache.assign(0, 0);
    await cache.flush();
    expect(synced).toEqual([]);
    expect(readFileSync(join(dir, LEADER_EPOCH_CHECKPOINT), 'utf8')).toBe('0\n1\n0 0\n');
    cache.assign(3, 50);
    await cache.flush();
    expect(synced).toEqual([`${LEADER_EPOCH_CHECKPOINT}.tmp`, `dir ${basename(dir)}`]);
    expect(readFileSync(join(dir, LEADER_EPOCH_CHECKPOINT), 'utf8')).toBe('0\n2\n0 0\n3 50\n');
    // A file read at open (it exists) is replaced with syncs as well.
    synced.length = 0;
    const loaded = new LeaderEpochCache(new LeaderEpochCheckpointFile(fs, dir), silentLogger, { logEndOffset: 100 }, cache.entries(), cache.entries(), true);
    loaded.assign(4, 60);
    await loaded.flush();
    expect(synced).toEqual([`${LEADER_EPOCH_CHECKPOINT}.tmp`, `dir ${basename(dir)}`]);
  });
});
