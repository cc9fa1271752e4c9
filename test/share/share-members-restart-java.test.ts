/**
 * A real Java KafkaShareConsumer 4.4 (test/java ShareWorker) keeps its share-group membership
 * across a broker crash: the member, its epoch and assignment are in __consumer_offsets (record
 * types 10-15), so after kill -9 and a restart on the same port the client's next heartbeat
 * (same member id and epoch) is accepted. Before they were persisted the client was told
 * UNKNOWN_MEMBER_ID, logged "... failed because member ... is unknown." and rejoined at a new
 * epoch. The client's own INFO log and ShareGroupDescribe decide; records produced after the
 * restart still reach the worker.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { spawnBroker, type ChildBroker } from '../helpers/broker.js';
import { javaAvailable, runJavaOk, spawnJava, type JavaProcess } from '../helpers/java.js';
import { RawClient } from '../helpers/raw-client.js';

const FLAGS = {
  'group.share.min.heartbeat.interval.ms': 500,
  'group.share.heartbeat.interval.ms': 500,
  'runnel.group.share.auto.offset.reset': 'earliest',
  'offsets.topic.num.partitions': 1,
  'num.partitions': 2,
};

async function waitUntil(pred: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await pred())) {
    if (Date.now() > end) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

const accepted = (w: JavaProcess): string[] =>
  w.lines.flatMap((l) => {
    try {
      const j = JSON.parse(l);
      return j.event === 'records' ? (j.items as Array<[string, string, number, string]>).filter((i) => i[3] === 'accept').map((i) => i[0]) : [];
    } catch {
      return [];
    }
  });

describe.skipIf(!javaAvailable())('a Java share consumer across a broker kill -9', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'runnel-share-java-restart-'));
  let broker: ChildBroker | null = null;
  let worker: JavaProcess | null = null;

  afterAll(async () => {
    worker?.kill();
    await broker?.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('keeps heartbeating with its member id and epoch: no UNKNOWN_MEMBER_ID, no rejoin, records keep coming', async () => {
    broker = await spawnBroker(dataDir, FLAGS);
    const port = broker.port;
    const bootstrap = broker.bootstrap;
    await runJavaOk('Admin', ['create-topics', '--bootstrap', bootstrap, '--topic', 'jobs', '--partitions', '2']);
    await runJavaOk('Produce', ['--bootstrap', bootstrap, '--topic', 'jobs', '--count', '20', '--value-pattern', 'before-%d', '--key-pattern', 'k%d']);
    worker = await spawnJava('ShareWorker', ['--bootstrap', bootstrap, '--group', 'survivors', '--topic', 'jobs'], { jvmArgs: ['-Dorg.slf4j.simpleLogger.defaultLogLevel=info'] });
    await worker.waitFor((j) => j.event === 'ready', 60_000);
    const w = worker;
    await waitUntil(() => accepted(w).length >= 20, 60_000, 'the records produced before the crash accepted');

    const describe = async () => {
      const c = await RawClient.connect('127.0.0.1', port);
      try {
        const g = (await c.request(77, 1, { groupIds: ['survivors'], includeAuthorizedOperations: false })).groups[0];
        return { error: g.errorCode, groupEpoch: g.groupEpoch, members: g.members.map((m: any) => ({ id: m.memberId, epoch: m.memberEpoch, partitions: m.assignment.topicPartitions.flatMap((t: any) => t.partitions).sort() })) };
      } finally {
        c.close();
      }
    };
    const before = await describe();
    expect(before.members).toHaveLength(1);
    expect(before.members[0].partitions).toEqual([0, 1]);
    const unknown = () => w.errLines.filter((l) => /is unknown|UNKNOWN_MEMBER_ID|FENCED_MEMBER_EPOCH/.test(l));
    expect(unknown()).toEqual([]);

    await broker.kill('SIGKILL');
    broker = await spawnBroker(dataDir, FLAGS, port);
    // The client reconnects and heartbeats on; records produced now reach it.
    await runJavaOk('Produce', ['--bootstrap', bootstrap, '--topic', 'jobs', '--count', '20', '--value-pattern', 'after-%d', '--key-pattern', 'k%d']);
    await waitUntil(() => accepted(w).filter((v) => v.startsWith('after-')).length >= 20, 60_000, 'the records produced after the restart accepted');
    // A few more heartbeats (500 ms apart) after the reconnect.
    await new Promise((r) => setTimeout(r, 2000));
    expect(unknown()).toEqual([]);
    expect(await describe()).toEqual(before); // the same member, epoch, partitions; no new group epoch
    w.send('stop');
    await w.exited;
  }, 180_000);
});
