/**
 * Issue 15 item 2 (storage half), over a real socket: a partition that holds data gets Kafka's
 * `leader-epoch-checkpoint` in its directory (epoch 0 from the log start), kept in step with
 * DeleteRecords, rebuilt from the batch headers when missing (a data dir from before the file
 * existed), whole after kill -9; OffsetForLeaderEpoch answers the same before and after each
 * restart. The file's format is Kafka's: `0`, the entry count, then `epoch startOffset` lines.
 */
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { newDeleteRecordsRequestPartition, newDeleteRecordsRequestTopic } from '../../protocol/generated/21-delete-records.js';
import { removeDir, spawnBroker, startTestBroker, tempDir } from '../helpers/broker.js';
import { RawClient } from '../helpers/raw-client.js';
import { batch, createTopicsReady, epochAnswers, offsetForLeaderEpoch, produceOne, req } from '../differential/requests.js';

const dirs: string[] = [];
afterAll(() => dirs.forEach(removeDir));

const QUESTIONS = [
  { partition: 0, leaderEpoch: 0 },
  { partition: 0, leaderEpoch: -2 },
  { partition: 0, leaderEpoch: 1 },
];

async function withClient<T>(target: { host: string; port: number }, fn: (c: RawClient) => Promise<T>): Promise<T> {
  const c = await RawClient.connect(target.host, target.port);
  try {
    return await fn(c);
  } finally {
    c.close();
  }
}

const fileOf = (dataDir: string, partitionDir: string) => join(dataDir, partitionDir, 'leader-epoch-checkpoint');

describe('leader-epoch-checkpoint', () => {
  it('is written for a partition with data, follows DeleteRecords, and comes back after restarts', async () => {
    const dataDir = tempDir('epochs-clean');
    dirs.push(dataDir);
    const file = fileOf(dataDir, 'ep-0');
    let b = await startTestBroker({ dataDir, keepData: true });
    await withClient(b, async (c) => {
      await createTopicsReady(c, [{ name: 'ep' }, { name: 'empty' }]);
      for (let i = 0; i < 3; i++) expect((await produceOne(c, 'ep', 0, await batch(2))).errorCode).toBe(0);
      expect(epochAnswers(await offsetForLeaderEpoch(c, 'ep', QUESTIONS))).toEqual(['NONE 0 6', 'NONE -2 0', 'NONE -1 -1']);
    });
    await b.cleanup();
    // A clean stop creates no first file: the clean-shutdown summary carries the entries
    // (storage/leader-epoch-summary.ts) and the next start's periodic checkpoint writes it.
    expect(existsSync(file)).toBe(false);
    expect(readFileSync(join(dataDir, 'runnel-leader-epochs-at-clean-shutdown'), 'utf8')).toContain('ep 0 -1 1 0 0\n');
    expect(existsSync(fileOf(dataDir, 'empty-0'))).toBe(false); // nothing to record yet

    b = await startTestBroker({ dataDir, keepData: true });
    await withClient(b, async (c) => {
      expect(epochAnswers(await offsetForLeaderEpoch(c, 'ep', QUESTIONS))).toEqual(['NONE 0 6', 'NONE -2 0', 'NONE -1 -1']);
      const dr = await req(c, 21, 2, { timeoutMs: 10_000, topics: [newDeleteRecordsRequestTopic({ name: 'ep', partitions: [newDeleteRecordsRequestPartition({ partitionIndex: 0, offset: 4 })] })] });
      expect(dr.topics[0].partitions[0]).toMatchObject({ errorCode: 0, lowWatermark: 4 });
      expect(epochAnswers(await offsetForLeaderEpoch(c, 'ep', QUESTIONS))).toEqual(['NONE 0 6', 'NONE -2 4', 'NONE -1 -1']);
    });
    await b.broker.logs.writeCheckpoints(); // the periodic checkpoint
    expect(readFileSync(file, 'utf8')).toBe('0\n1\n0 4\n');
    await b.cleanup();
    expect(readFileSync(file, 'utf8')).toBe('0\n1\n0 4\n');

    // A data dir from before the file existed (so without the clean-shutdown summary of every
    // partition's file, storage/leader-epoch-summary.ts): rebuilt from the batch headers, written by the checkpoint.
    rmSync(file);
    rmSync(join(dataDir, 'runnel-leader-epochs-at-clean-shutdown'));
    b = await startTestBroker({ dataDir, keepData: true });
    await withClient(b, async (c) => {
      expect(epochAnswers(await offsetForLeaderEpoch(c, 'ep', QUESTIONS))).toEqual(['NONE 0 6', 'NONE -2 4', 'NONE -1 -1']);
    });
    await b.broker.logs.writeCheckpoints();
    await b.cleanup();
    expect(readFileSync(file, 'utf8')).toBe('0\n1\n0 4\n');
  });

  it('survives kill -9: the file left behind is whole and the answers are the same', async () => {
    const dataDir = tempDir('epochs-kill');
    dirs.push(dataDir);
    let b = await spawnBroker(dataDir);
    await withClient(b, async (c) => {
      await createTopicsReady(c, [{ name: 'k' }]);
      for (let i = 0; i < 4; i++) expect((await produceOne(c, 'k', 0, await batch(1))).errorCode).toBe(0);
    });
    await b.kill('SIGKILL');
    const left = existsSync(fileOf(dataDir, 'k-0')) ? readFileSync(fileOf(dataDir, 'k-0'), 'utf8') : null;
    expect([null, '0\n1\n0 0\n']).toContain(left);
    b = await spawnBroker(dataDir);
    try {
      await withClient(b, async (c) => {
        expect(epochAnswers(await offsetForLeaderEpoch(c, 'k', QUESTIONS))).toEqual(['NONE 0 4', 'NONE -2 0', 'NONE -1 -1']);
      });
    } finally {
      await b.kill('SIGTERM');
    }
    expect(readFileSync(fileOf(dataDir, 'k-0'), 'utf8')).toBe('0\n1\n0 0\n');
  });
});
