/**
 * Kafka's share-group tools (the Apache Kafka 4.4 distribution's scripts) against Runnel:
 * kafka-share-groups.sh --list, --describe (start offsets and lag), --members, --state,
 * --reset-offsets --to-earliest/--to-latest --execute (AlterShareGroupOffsets), --delete-offsets
 * (DeleteShareGroupOffsets), --delete (DeleteGroups), and kafka-console-share-consumer.sh
 * consuming a topic through a share group. Outputs are checked row by row.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildBatchSync } from '../../protocol/records/builder.js';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { javaAvailable, runKafkaScript } from '../helpers/java.js';
import { RawClient } from '../helpers/raw-client.js';

/** The rows of a tool table whose first column is `first`, split into columns. */
const rows = (out: string, first: string): string[][] => out.split('\n').filter((l) => l.startsWith(`${first} `)).map((l) => l.trim().split(/\s+/));

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
