/**
 * A clean stop creates no leader-epoch-checkpoint that does not exist yet (leader-epoch-cache.ts,
 * leader-epoch-summary.ts): the first clean stop after 10,000 partitions got their first records
 * made 10,000 new files (~2× f626e7e's stop); the clean-shutdown summary carries their entries.
 *
 * Over real sockets, for a topic whose even partitions hold epoch 0 and odd ones epochs 0 and 3:
 *  - the clean stop opens no epoch file for writing and leaves none;
 *  - the next (clean) start answers OffsetForLeaderEpoch and Fetch's diverging epoch as before,
 *    and its periodic checkpoint then writes the files (Kafka's format, the same entries);
 *  - kill -9 after that clean start, before the checkpoint (a child broker, SIGKILL): the files
 *    are missing, the restart rebuilds the entries from the batch headers and answers the same;
 *  - a kill during the stop, before the summary and the marker: the same (the data dir as the
 *    stop left it just before writing the summary).
 */
import { cpSync, existsSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { basename, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import * as G from '../../protocol/generated/index.js';
import { CLEAN_SHUTDOWN_FILE, LEADER_EPOCH_CHECKPOINT, LEADER_EPOCH_SUMMARY } from '../../storage/file-names.js';
import { type StorageFs, realFs } from '../../storage/fs.js';
import { buildBatchSync, epochAnswers, offsetForLeaderEpoch, produceOne, req } from '../differential/requests.js';
import { removeDir, spawnBroker, startTestBroker, tempDir } from '../helpers/broker.js';
import type { RawClient } from '../helpers/raw-client.js';
import { connectRaw, createTopics } from '../helpers/topic-admin.js';

const TOPIC = 'stop-epochs';
const PARTITIONS = 12;
const NO_CHECKPOINT = { 'log.flush.offset.checkpoint.interval.ms': '3600000' };
const dirs: string[] = [];
afterAll(() => dirs.forEach(removeDir));
const newDir = (name: string): string => {
  const d = tempDir(`${name}-dir`);
  dirs.push(d);
  return d;
};
const copyOf = (dataDir: string, name: string): string => {
  const image = newDir(name);
  rmSync(image, { recursive: true });
  cpSync(dataDir, image, { recursive: true });
  return image;
};

/** The partitions' leader-epoch-checkpoint files that exist, as `partition: text`. */
function epochFiles(dataDir: string): string[] {
  return readdirSync(dataDir)
    .filter((n) => n.startsWith(`${TOPIC}-`))
    .flatMap((n) => {
      const f = join(dataDir, n, LEADER_EPOCH_CHECKPOINT);
      return existsSync(f) ? [`${n.slice(TOPIC.length + 1)}: ${readFileSync(f, 'utf8')}`] : [];
    })
    .sort();
}

/** realFs, counting the epoch files opened for writing (`leader-epoch-checkpoint.tmp`) while `armed`. */
function countingFs() {
  const n = { epochFileWrites: 0, armed: false, beforeSummary: undefined as (() => void) | undefined };
  const fs: StorageFs = {
    ...realFs,
    async open(path, mode) {
      if (n.armed && mode !== 'r' && basename(path).startsWith(LEADER_EPOCH_CHECKPOINT)) n.epochFileWrites++;
      if (basename(path).startsWith(LEADER_EPOCH_SUMMARY) && mode !== 'r') n.beforeSummary?.();
      return realFs.open(path, mode);
    },
  };
  return { fs, n };
}

/** Fetch v12, one partition, as a fetcher whose last fetched epoch is `lastFetchedEpoch`: `<error> <diverging epoch> <its end>`. */
async function diverging(c: RawClient, partition: number, fetchOffset: number, lastFetchedEpoch: number): Promise<string> {
  const r = await req(c, 1, 12, {
    replicaId: -1,
    maxWaitMs: 0,
    minBytes: 0,
    maxBytes: 1 << 20,
    isolationLevel: 0,
    sessionId: 0,
    sessionEpoch: -1,
    topics: [G.newFetchRequestTopic({ topic: TOPIC, partitions: [G.newFetchRequestPartition({ partition, fetchOffset, currentLeaderEpoch: -1, lastFetchedEpoch, partitionMaxBytes: 1 << 20 })] })],
    forgottenTopicsData: [],
    rackId: '',
  });
  const a = r.responses[0].partitions[0];
  return `${a.errorCode} ${a.divergingEpoch.epoch} ${Number(a.divergingEpoch.endOffset)}`;
}

/** What a client learns of every partition's epochs: OffsetForLeaderEpoch for epochs 0-4, Fetch's diverging epoch. */
async function answers(bootstrap: string): Promise<string[]> {
  const c = await connectRaw(bootstrap);
  try {
    const out: string[] = [];
    for (const epoch of [0, 1, 2, 3, 4]) {
      const r = await offsetForLeaderEpoch(c, TOPIC, Array.from({ length: PARTITIONS }, (_, partition) => ({ partition, leaderEpoch: epoch })));
      out.push(`epoch ${epoch}: ${epochAnswers(r).join(', ')}`);
    }
    for (let p = 0; p < PARTITIONS; p++) out.push(`fetch ${p}: ${await diverging(c, p, 3, 1)} / ${await diverging(c, p, 2, 0)}`);
    return out;
  } finally {
    c.close();
  }
}

const EVEN_FILE = '0\n1\n0 0\n';
const ODD_FILE = '0\n2\n0 0\n3 2\n';
const ALL_FILES = Array.from({ length: PARTITIONS }, (_, p) => `${p}: ${p % 2 === 0 ? EVEN_FILE : ODD_FILE}`).sort();

describe('a clean stop leaves first leader-epoch-checkpoints to the next start', () => {
  let cleanDir = ''; // the data dir as the first clean stop left it
  let want: string[] = [];

  it('creates none at the stop; the clean start answers the same and its periodic checkpoint writes them', async () => {
    const dataDir = newDir('stop-epochs');
    const { fs, n } = countingFs();
    let stopImage = '';
    n.beforeSummary = () => {
      // What kill -9 during the stop, before the summary and the marker, leaves (every log closed).
      if (stopImage === '') stopImage = copyOf(dataDir, 'stop-epochs-killed-in-stop');
    };
    const b = await startTestBroker({ dataDir, keepData: true, storageFs: fs, config: NO_CHECKPOINT });
    const c = await connectRaw(b.bootstrap);
    expect((await createTopics(c, [{ name: TOPIC, numPartitions: PARTITIONS }]))[0]!.errorCode).toBe(0);
    for (let p = 0; p < PARTITIONS; p++) {
      expect((await produceOne(c, TOPIC, p, buildBatchSync([{ key: 'k', value: `a${p}` }, { key: 'k', value: `b${p}` }]), { acks: -1 })).errorCode).toBe(0);
      // Odd partitions: a batch of leader epoch 3 at offset 2 (as a follower gets it after a leader change).
      if (p % 2 === 1) await b.broker.logs.get(TOPIC, p)!.append(buildBatchSync([{ key: 'k', value: `c${p}` }]), 3).durable;
    }
    c.close();
    want = await answers(b.bootstrap);
    expect(want.slice(0, 2)).toEqual([
      `epoch 0: ${Array.from({ length: PARTITIONS }, () => 'NONE 0 2').join(', ')}`,
      `epoch 1: ${Array.from({ length: PARTITIONS }, (_, p) => (p % 2 === 0 ? 'NONE -1 -1' : 'NONE 0 2')).join(', ')}`,
    ]);
    n.armed = true;
    await b.cleanup(); // the clean stop
    expect(n.epochFileWrites).toBe(0);
    expect(epochFiles(dataDir)).toEqual([]);
    expect(existsSync(join(dataDir, CLEAN_SHUTDOWN_FILE))).toBe(true);
    expect(stopImage).not.toBe('');
    cleanDir = copyOf(dataDir, 'stop-epochs-clean');

    // The next start is clean: the entries come from the summary; its checkpoint writes the files.
    const next = await startTestBroker({ dataDir, keepData: true, config: { 'log.flush.offset.checkpoint.interval.ms': '200' } });
    try {
      expect(await answers(next.bootstrap)).toEqual(want);
      const deadline = Date.now() + 20_000;
      while (epochFiles(dataDir).length < PARTITIONS && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      expect(epochFiles(dataDir)).toEqual(ALL_FILES);
      expect(await answers(next.bootstrap)).toEqual(want);
    } finally {
      await next.cleanup();
    }
    expect(await answersOf(dataDir)).toEqual(want);

    // Killed during the stop before the summary and the marker: no epoch files, an unclean start
    // that rebuilds them from the log.
    expect(existsSync(join(stopImage, CLEAN_SHUTDOWN_FILE))).toBe(false);
    expect(epochFiles(stopImage)).toEqual([]);
    expect(await answersOf(stopImage)).toEqual(want);
    expect(epochFiles(stopImage)).toEqual(ALL_FILES); // the unclean start's checkpoint
  }, 90_000);

  it('kill -9 after the clean start, before the checkpoint: the restart rebuilds the entries and answers the same', async () => {
    expect(cleanDir).not.toBe('');
    const first = await spawnBroker(cleanDir, NO_CHECKPOINT);
    try {
      expect(await answers(first.bootstrap)).toEqual(want);
    } finally {
      await first.kill('SIGKILL');
    }
    expect(existsSync(join(cleanDir, CLEAN_SHUTDOWN_FILE))).toBe(false);
    expect(existsSync(join(cleanDir, LEADER_EPOCH_SUMMARY))).toBe(false);
    expect(epochFiles(cleanDir)).toEqual([]); // missing, not empty: rebuilt from the batch headers
    const again = await spawnBroker(cleanDir, NO_CHECKPOINT);
    try {
      expect(await answers(again.bootstrap)).toEqual(want);
      expect(epochFiles(cleanDir)).toEqual(ALL_FILES); // written by the checkpoint after an unclean start
    } finally {
      await again.kill('SIGTERM');
    }
  }, 90_000);
});

/** Starts an in-process broker on `dataDir`, asks `answers`, stops it cleanly. */
async function answersOf(dataDir: string): Promise<string[]> {
  const b = await startTestBroker({ dataDir, keepData: true, config: NO_CHECKPOINT });
  try {
    return await answers(b.bootstrap);
  } finally {
    await b.cleanup();
  }
}
