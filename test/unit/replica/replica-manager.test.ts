/**
 * ReplicaManager (src/replica/replica-manager.ts) over a real LogManager: which partitions it
 * hosts as topics are loaded, created, grown, deleted and created again; lookups by name and by
 * topic id answering as TopicManager.partitionLog did; every partition led here at epoch 0 with
 * replicas = ISR = {this broker}, across restarts; and the partition-level operations of Produce,
 * Fetch, ListOffsets, DeleteRecords and OffsetsForLeaderEpoch on the partitions it hands out.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { errorName } from '../../../protocol/errors.js';
import { EARLIEST_TIMESTAMP, LATEST_TIMESTAMP, type Partition } from '../../../src/replica/partition.js';
import type { ReplicaManager } from '../../../src/replica/replica-manager.js';
import { FaultyFs } from '../../../storage/fs.js';
import { LEADER_EPOCH_CHECKPOINT } from '../../../storage/file-names.js';
import type { PartitionLog } from '../../../storage/partition-log.js';
import type { LogManager } from '../../../storage/log-manager.js';
import type { TopicManager } from '../../../src/metadata/topic-manager.js';
import type { LogDirectory, TopicChange, TopicDirectory } from '../../../src/replica/replica-manager.js';
import { offsetForLeaderEpochPartition } from '../../../src/replica/offset-for-leader-epoch.js';
import { newOffsetForLeaderEpochRequestPartition } from '../../../protocol/generated/index.js';
import { makeBatch } from '../storage/helpers.js';
import { BROKER_ID, type ReplicaFixture, replicaFixture } from './helpers.js';

const fixtures: ReplicaFixture[] = [];
afterEach(async () => {
  while (fixtures.length) await fixtures.pop()!.close();
});
async function fixture(opts: Parameters<typeof replicaFixture>[0] = {}): Promise<ReplicaFixture> {
  const f = await replicaFixture(opts);
  fixtures.push(f);
  return f;
}

const codeOf = async (f: () => unknown): Promise<string> => {
  try {
    await f();
    return 'NONE';
  } catch (e) {
    return errorName((e as { code: number }).code);
  }
};
const stateOf = (p: Partition | undefined) => p && { leader: p.leaderId, epoch: p.leaderEpoch, partitionEpoch: p.partitionEpoch, replicas: p.replicas, isr: p.isr };
const SOLE = { leader: BROKER_ID, epoch: 0, partitionEpoch: 0, replicas: [BROKER_ID], isr: [BROKER_ID] };

/**
 * Compile-time check: a Partition offers the members handlers and coordinators used of a
 * PartitionLog before the replica layer, with the same types and meaning.
 */
type LogMembersHandlersUse = Pick<
  PartitionLog,
  'topic' | 'partition' | 'size' | 'dir' | 'highWatermark' | 'logStartOffset' | 'logEndOffset' | 'isOffline' | 'isClosed' | 'read' | 'readBatches' | 'waitForData' | 'deleteRecordsBefore'
>;
const asLogView = (p: Partition): LogMembersHandlersUse => p;

/**
 * Compile-time check: the broker's own objects plug in as they are — TopicManager as the topic
 * directory (and its change events), LogManager as the log directory — so wiring is
 * `new ReplicaManager({ brokerId, topics, logs })`, `loadTopics(topics.all())` after reconcile,
 * and `topics.onChange((e, t) => rm.onTopicChange(e, t))`.
 */
const wiring = (topics: TopicManager, logs: LogManager, rm: ReplicaManager): [TopicDirectory, LogDirectory] => {
  topics.onChange((e: TopicChange, t) => rm.onTopicChange(e, t));
  rm.loadTopics(topics.all());
  return [topics, logs];
};
void wiring;

describe('ReplicaManager: the partitions this broker hosts', () => {
  it('hosts every partition of a created topic, led here at epoch 0 with ISR = {this broker}', async () => {
    const f = await fixture();
    const t = await f.createTopic('orders', 3);
    for (let i = 0; i < 3; i++) {
      const p = f.rm.get('orders', i)!;
      expect(stateOf(p)).toEqual(SOLE);
      expect([p.topic, p.partition, p.topicId.equals(t.id)]).toEqual(['orders', i, true]);
      expect(p.log).toBe(f.logs.get('orders', i));
      expect(p.log.leaderEpochs.entries()).toEqual([{ epoch: 0, startOffset: 0 }]);
      expect(asLogView(p).highWatermark).toBe(0);
    }
    expect(f.rm.get('orders', 3)).toBeUndefined();
    expect(f.rm.get('orders', -1)).toBeUndefined();
    expect(f.rm.get('nope', 0)).toBeUndefined();
    expect(f.rm.getPartitionById(t.id, 2)).toBe(f.rm.get('orders', 2));
    expect(f.rm.topicNameById(Buffer.alloc(16))).toBeUndefined();
    expect(f.rm.partitionsOf('orders').map((p) => p?.partition)).toEqual([0, 1, 2]);
    expect([...f.rm.leaderPartitions()].length).toBe(3);
  });

  it('grows with CreatePartitions, forgets a deleted topic, and hosts a re-created one afresh', async () => {
    const f = await fixture();
    const first = await f.createTopic('t', 1);
    const old = f.rm.get('t', 0)!;
    await old.append(makeBatch([{ value: 'a' }]), 1, 1).written;
    await f.addPartitions('t', 3);
    expect(f.rm.get('t', 0)).toBe(old); // kept as it was
    expect(stateOf(f.rm.get('t', 2))).toEqual(SOLE);
    await f.deleteTopic('t');
    expect(f.rm.get('t', 0)).toBeUndefined();
    expect(f.rm.topicNameById(first.id)).toBeUndefined();
    expect([...f.rm.allPartitions()]).toEqual([]);
    const second = await f.createTopic('t', 1);
    const fresh = f.rm.get('t', 0)!;
    expect(fresh).not.toBe(old);
    expect([fresh.topicId.equals(second.id), fresh.logEndOffset, f.rm.topicNameById(first.id), f.rm.topicNameById(second.id)]).toEqual([true, 0, undefined, 't']);
  });

  it('a partition is unknown from the moment its topic deletion is recorded, before its logs go', async () => {
    const f = await fixture();
    await f.createTopic('gone', 2);
    f.topics.map.delete('gone'); // the store's write happened; the logs are still there
    expect(f.logs.get('gone', 0)).toBeDefined();
    expect(f.rm.get('gone', 0)).toBeUndefined();
    expect(f.rm.get('gone', 1)).toBeUndefined();
    expect(f.rm.partitionsOf('gone')).toEqual([]);
  });

  it('hosts what it finds at startup, still at epoch 0, and rewrites no epoch checkpoint', async () => {
    const f = await fixture();
    await f.createTopic('kept', 2);
    for (let i = 0; i < 3; i++) await f.rm.get('kept', 1)!.append(makeBatch([{ value: `v${i}` }]), -1, 1).written;
    // The periodic checkpoint writes the file (a clean stop creates no first one: the clean-shutdown
    // summary carries its entries, and the next start's checkpoint writes it).
    await f.logs.writeCheckpoints();
    await f.restart();
    const file = join(f.logs.get('kept', 1)!.dir, LEADER_EPOCH_CHECKPOINT);
    expect(readFileSync(file, 'utf8')).toBe('0\n1\n0 0\n');
    for (let i = 0; i < 2; i++) {
      const p = f.rm.get('kept', i)!;
      expect(stateOf(p)).toEqual(SOLE);
      expect(p.log.leaderEpochs.entries()).toEqual([{ epoch: 0, startOffset: 0 }]);
      expect(p.log.leaderEpochs.isDirty).toBe(false);
    }
    expect(f.rm.get('kept', 1)!.highWatermark).toBe(3);
    // An empty partition has nothing to record (an epoch starting at the log end is dropped at load
    // and assigned again on becoming leader): no file, and none written for 10,000 new partitions.
    expect(existsSync(join(f.logs.get('kept', 0)!.dir, LEADER_EPOCH_CHECKPOINT))).toBe(false);
    expect(f.rm.get('kept', 0)!.log.leaderEpochs.entries()).toEqual([{ epoch: 0, startOffset: 0 }]);
  });
});

describe('ReplicaManager: the leader epoch never goes back', () => {
  it('hosts a log that already has a newer epoch at that epoch', async () => {
    const f = await fixture();
    await f.createTopic('old', 1);
    await f.logs.get('old', 0)!.append(makeBatch([{ value: 'written at epoch 4' }]), 4).written;
    await f.restart();
    const p = f.rm.get('old', 0)!;
    expect([p.leaderEpoch, p.log.leaderEpochs.entries()]).toEqual([4, [{ epoch: 4, startOffset: 0 }]]);
    await p.append(makeBatch([{ value: 'next' }]), 1, 1).written;
    expect((await p.log.readBatches(0, 1 << 20)).map((b) => b.readInt32BE(12))).toEqual([4, 4]);
  });
});

describe('ReplicaManager: the data APIs at partition granularity', () => {
  it('produce, fetch, ListOffsets, DeleteRecords, OffsetsForLeaderEpoch', async () => {
    const f = await fixture();
    await f.createTopic('d', 1);
    const r = f.rm.get('d', 0)!.append(makeBatch([{ value: 'a', timestamp: 1000 }, { value: 'b', timestamp: 1001 }]), -1, 1);
    await r.written;
    await f.rm.get('d', 0)!.append(makeBatch([{ value: 'c', timestamp: 1002 }]), 1, 1).written;
    expect(await codeOf(() => f.rm.get('d', 0)!.append(makeBatch([{ value: 'x' }]), -1, 2))).toBe('NOT_ENOUGH_REPLICAS');

    const read = await f.rm.get('d', 0)!.read(0, 1 << 20, { currentLeaderEpoch: 0 });
    expect([read.highWatermark, read.slices.length]).toEqual([3, 1]);
    read.slices.forEach((s) => s.release?.());
    expect(await codeOf(() => f.rm.get('d', 0)!.read(0, 100, { currentLeaderEpoch: 1 }))).toBe('UNKNOWN_LEADER_EPOCH');

    expect(await f.rm.get('d', 0)!.fetchOffsetForTimestamp(LATEST_TIMESTAMP, 0, 3)).toEqual({ offset: 3, timestamp: -1, leaderEpoch: 0 });
    expect(await f.rm.get('d', 0)!.fetchOffsetForTimestamp(1001, -1, 3)).toEqual({ offset: 1, timestamp: 1001, leaderEpoch: 0 });

    expect(await f.rm.get('d', 0)!.deleteRecordsBefore(1)).toBe(1);
    expect(await f.rm.get('d', 0)!.fetchOffsetForTimestamp(EARLIEST_TIMESTAMP, -1, 3)).toEqual({ offset: 1, timestamp: -1, leaderEpoch: 0 });

    const epochAnswer = (topic: string, index: number, current: number, epoch: number) => {
      const a = offsetForLeaderEpochPartition(f.rm, topic, newOffsetForLeaderEpochRequestPartition({ partition: index, currentLeaderEpoch: current, leaderEpoch: epoch }), 4);
      return [errorName(a.errorCode), a.leaderEpoch, Number(a.endOffset)];
    };
    expect(epochAnswer('d', 0, -1, 0)).toEqual(['NONE', 0, 3]);
    expect(epochAnswer('d', 0, -1, -2)).toEqual(['NONE', -2, 1]);
    expect(epochAnswer('d', 5, -1, 0)).toEqual(['UNKNOWN_TOPIC_OR_PARTITION', -1, -1]);
  });

  it('OffsetsForLeaderEpoch on a log that went offline: KAFKA_STORAGE_ERROR, before the epoch check', async () => {
    const fs = new FaultyFs();
    const f = await fixture({ fs });
    await f.createTopic('o', 1);
    fs.failNextFsync('EIO', '.log');
    await expect(f.rm.get('o', 0)!.append(makeBatch([{ value: 'x' }]), -1, 1).written).rejects.toThrow();
    expect(f.rm.get('o', 0)!.isOffline).toBe(true);
    const a = offsetForLeaderEpochPartition(f.rm, 'o', newOffsetForLeaderEpochRequestPartition({ partition: 0, currentLeaderEpoch: 7, leaderEpoch: 0 }), 4);
    expect(errorName(a.errorCode)).toBe('KAFKA_STORAGE_ERROR');
  });
});
