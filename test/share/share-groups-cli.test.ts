/**
 * Kafka's share-group tools (the Apache Kafka 4.4 distribution's scripts) against Runnel:
 * kafka-share-groups.sh --list, --describe (start offsets and lag), --members, --state,
 * --reset-offsets --to-earliest/--to-latest --execute (AlterShareGroupOffsets), --delete-offsets
 * (DeleteShareGroupOffsets), --delete (DeleteGroups), and kafka-console-share-consumer.sh
 * consuming a topic through a share group; and the `runnel group` CLI's share-group views.
 * Outputs are checked row by row.
 */
import { PassThrough, Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/main.js';
import { buildBatchSync } from '../../protocol/records/builder.js';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { javaAvailable, runKafkaScript } from '../helpers/java.js';
import { RawClient } from '../helpers/raw-client.js';

/** The rows of a tool table whose first column is `first`, split into columns. */
const rows = (out: string, first: string): string[][] => out.split('\n').filter((l) => l.startsWith(`${first} `)).map((l) => l.trim().split(/\s+/));

/** `runnel <args>` in-process (the code the binary runs); stdout, or a throw with stderr. */
async function runnel(bootstrap: string, args: string[]): Promise<string> {
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  const stdout = new PassThrough().on('data', (d: Buffer) => out.push(d));
  const stderr = new PassThrough().on('data', (d: Buffer) => err.push(d));
  const code = await runCli(args, { stdout, stderr, stdin: Readable.from([]), env: { RUNNEL_BOOTSTRAP_SERVER: bootstrap }, stderrIsTTY: false });
  if (code !== 0) throw new Error(`runnel ${args.join(' ')} exited ${code}: ${Buffer.concat(err)}`);
  return Buffer.concat(out).toString();
}

describe("runnel group: share groups", () => {
  let broker: TestBroker;
  afterAll(async () => broker?.cleanup());

  it('lists a share group and describes its start offsets, in-flight and acquired counts and lag, members and state', async () => {
    broker = await startTestBroker({ config: { 'runnel.group.share.auto.offset.reset': 'earliest', 'group.share.session.timeout.ms': 45_000 } });
    const c = await RawClient.connect(broker.host, broker.port);
    try {
      const created = await c.request(19, 7, { topics: [{ name: 'jobs', numPartitions: 2, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 5000 });
      const topicId = created.topics[0].topicId;
      await c.request(0, 9, { acks: -1, timeoutMs: 5000, transactionalId: null, topicData: [{ name: 'jobs', partitionData: [{ index: 0, records: buildBatchSync(Array.from({ length: 10 }, (_, i) => ({ value: `job-${i}` }))) }] }] });
      await c.request(76, 1, { groupId: 'rview', memberId: 'm1', memberEpoch: 0, rackId: null, subscribedTopicNames: ['jobs'] });
      // m1 takes 0-9 (and initialises partition 1, empty), accepts 0-3: start 4; 4-9 acquired.
      await c.request(78, 1, { groupId: 'rview', memberId: 'm1', shareSessionEpoch: 0, maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 20, maxRecords: 100, batchSize: 100, topics: [{ topicId, partitions: [{ partitionIndex: 0, acknowledgementBatches: [] }, { partitionIndex: 1, acknowledgementBatches: [] }] }], forgottenTopicsData: [] });
      await c.request(79, 1, { groupId: 'rview', memberId: 'm1', shareSessionEpoch: 1, topics: [{ topicId, partitions: [{ partitionIndex: 0, acknowledgementBatches: [{ firstOffset: 0, lastOffset: 3, acknowledgeTypes: [1] }] }] }] });

      expect(rows(await runnel(broker.bootstrap, ['group', 'list']), 'rview')).toEqual([['rview', 'Stable', 'share']]);
      const described = await runnel(broker.bootstrap, ['group', 'describe', 'rview']);
      expect(described.split('\n')[0]!.trim().split(/\s+/)).toEqual(['GROUP', 'TOPIC', 'PARTITION', 'START-OFFSET', 'IN-FLIGHT', 'ACQUIRED', 'LAG']);
      expect(rows(described, 'rview')).toEqual([
        ['rview', 'jobs', '0', '4', '6', '6', '6'],
        ['rview', 'jobs', '1', '0', '0', '0', '0'],
      ]);
      const json = JSON.parse(await runnel(broker.bootstrap, ['group', 'describe', 'rview', '--format', 'json']));
      expect(json).toMatchObject({ group: 'rview', type: 'share', state: 'Stable', totalLag: 6, partitions: [{ partition: 0, startOffset: 4, inFlight: 6, acquired: 6, lag: 6 }, { partition: 1, startOffset: 0, inFlight: 0, acquired: 0, lag: 0 }] });
      expect(rows(await runnel(broker.bootstrap, ['group', 'describe', 'rview', '--members']), 'rview')).toEqual([['rview', 'm1', '/127.0.0.1', 'raw', '2', 'jobs:0,1']]);
      expect(rows(await runnel(broker.bootstrap, ['group', 'describe', 'rview', '--state']), 'rview')).toEqual([['rview', 'share', 'simple', 'Stable', '1', '1']]);
      // The member acknowledges 4-5 and releases the rest: nothing acquired, 4 left to deliver.
      await c.request(79, 1, { groupId: 'rview', memberId: 'm1', shareSessionEpoch: 2, topics: [{ topicId, partitions: [{ partitionIndex: 0, acknowledgementBatches: [{ firstOffset: 4, lastOffset: 5, acknowledgeTypes: [1] }, { firstOffset: 6, lastOffset: 9, acknowledgeTypes: [2] }] }] }] });
      expect(rows(await runnel(broker.bootstrap, ['group', 'describe', 'rview']), 'rview')[0]).toEqual(['rview', 'jobs', '0', '6', '4', '0', '4']);
    } finally {
      c.close();
    }
  }, 60_000);
});

describe.skipIf(!javaAvailable())("Kafka's kafka-share-groups and kafka-console-share-consumer against Runnel", () => {
  let broker: TestBroker;
  let c: RawClient;
  let topicId: Buffer;
  const tool = async (...args: string[]) => {
    const r = await runKafkaScript('kafka-share-groups.sh', ['--bootstrap-server', broker.bootstrap, ...args]);
    expect(r.code, `kafka-share-groups ${args.join(' ')}: ${r.stderr}`).toBe(0);
    return r.stdout;
  };

  beforeAll(async () => {
    broker = await startTestBroker({ config: { 'runnel.group.share.auto.offset.reset': 'earliest', 'group.share.session.timeout.ms': 45_000 } });
    c = await RawClient.connect(broker.host, broker.port);
    const created = await c.request(19, 7, { topics: [{ name: 'jobs', numPartitions: 2, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 5000 });
    topicId = created.topics[0].topicId;
    await c.request(0, 9, { acks: -1, timeoutMs: 5000, transactionalId: null, topicData: [{ name: 'jobs', partitionData: [{ index: 0, records: buildBatchSync(Array.from({ length: 10 }, (_, i) => ({ value: `job-${i}` }))) }] }] });
  }, 60_000);

  afterAll(async () => {
    c?.close();
    await broker?.cleanup();
  });

  it('lists, describes, resets, deletes offsets of and deletes a share group', async () => {
    // One member acquires 0-9 of partition 0 and accepts 0-3.
    await c.request(76, 1, { groupId: 'workers', memberId: 'm1', memberEpoch: 0, rackId: null, subscribedTopicNames: ['jobs'] });
    await c.request(78, 1, { groupId: 'workers', memberId: 'm1', shareSessionEpoch: 0, maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 20, maxRecords: 100, batchSize: 100, topics: [{ topicId, partitions: [{ partitionIndex: 0, acknowledgementBatches: [] }] }], forgottenTopicsData: [] });
    await c.request(79, 1, { groupId: 'workers', memberId: 'm1', shareSessionEpoch: 1, topics: [{ topicId, partitions: [{ partitionIndex: 0, acknowledgementBatches: [{ firstOffset: 0, lastOffset: 3, acknowledgeTypes: [1] }] }] }] });

    expect((await tool('--list')).split('\n')).toContain('workers');
    // GROUP TOPIC PARTITION START-OFFSET LAG: partition 1 has no share state yet ("-").
    expect(rows(await tool('--describe', '--group', 'workers'), 'workers')).toEqual([
      ['workers', 'jobs', '0', '4', '6'],
      ['workers', 'jobs', '1', '-', '-'],
    ]);
    expect(rows(await tool('--describe', '--group', 'workers', '--members'), 'workers')).toEqual([['workers', 'm1', '/127.0.0.1', 'raw', '2', 'jobs:0,1']]);
    const state = rows(await tool('--describe', '--group', 'workers', '--state', '--verbose'), 'workers');
    expect(state[0]!.slice(-4)).toEqual(['Stable', '1', '1', '1']);

    // A group with members cannot be reset, have its offsets deleted, or be deleted.
    const busy = await runKafkaScript('kafka-share-groups.sh', ['--bootstrap-server', broker.bootstrap, '--reset-offsets', '--to-earliest', '--execute', '--group', 'workers', '--topic', 'jobs']);
    expect(busy.stdout + busy.stderr).toMatch(/not empty|NonEmptyGroup|non-empty|active/i);

    await c.request(76, 1, { groupId: 'workers', memberId: 'm1', memberEpoch: -1, rackId: null, subscribedTopicNames: null });
    expect(rows(await tool('--reset-offsets', '--to-earliest', '--execute', '--group', 'workers', '--topic', 'jobs'), 'workers')).toEqual([
      ['workers', 'jobs', '0', '0'],
      ['workers', 'jobs', '1', '0'],
    ]);
    expect(rows(await tool('--describe', '--group', 'workers'), 'workers')).toEqual([
      ['workers', 'jobs', '0', '0', '10'],
      ['workers', 'jobs', '1', '0', '0'],
    ]);
    expect(rows(await tool('--reset-offsets', '--to-latest', '--execute', '--group', 'workers', '--topic', 'jobs'), 'workers')).toEqual([
      ['workers', 'jobs', '0', '10'],
      ['workers', 'jobs', '1', '0'],
    ]);
    expect(rows(await tool('--delete-offsets', '--group', 'workers', '--topic', 'jobs'), 'jobs')).toEqual([['jobs', 'Successful']]);
    expect(await tool('--describe', '--group', 'workers')).toContain("Share group 'workers' has no offset information.");
    expect(await tool('--delete', '--group', 'workers')).toContain("Deletion of requested share groups ('workers') was successful.");
    expect((await tool('--list')).split('\n')).not.toContain('workers');
  }, 240_000);

  it('kafka-console-share-consumer reads the topic through a share group', async () => {
    const r = await runKafkaScript('kafka-console-share-consumer.sh', ['--bootstrap-server', broker.bootstrap, '--topic', 'jobs', '--group', 'console', '--max-messages', '10', '--timeout-ms', '30000']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.split('\n').filter((l) => l.startsWith('job-')).sort()).toEqual(Array.from({ length: 10 }, (_, i) => `job-${i}`).sort());
    // Every record it printed was accepted: the share partition's start offset moved past them.
    const d = rows(await tool('--describe', '--group', 'console'), 'console');
    expect(d).toContainEqual(['console', 'jobs', '0', '10', '0']);
  }, 120_000);
});
