/**
 * ReplicaManager in cluster mode (applyAssignment, over a real LogManager): it hosts exactly the
 * partitions the metadata image assigns to this broker, creating their logs; makes them leader or
 * follower of the image's leader and tells the follower fetchers; drops (and deletes the logs of)
 * partitions no longer assigned here, of deleted topics, and of a topic re-created under another
 * id; removes logs found on disk that nothing assigns here (a deletion while the broker was down);
 * answers NOT_LEADER_OR_FOLLOWER for partitions the cluster has elsewhere; and stops leading while
 * fenced, leading again once unfenced and the image applied.
 */
import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { ErrorCode, errorName } from '../../../protocol/errors.js';
import type { FollowerFetchers } from '../../../src/replica/follower-fetchers.js';
import type { Partition } from '../../../src/replica/partition.js';
import { type AssignedPartition, type ClusterAssignment, ReplicaManager } from '../../../src/replica/replica-manager.js';
import { LogManager } from '../../../storage/log-manager.js';
import { silentLogger } from '../../../storage/logger.js';
import { makeBatch, tempDir } from '../storage/helpers.js';
import { TestTopics, testLogConfig } from './helpers.js';

const ME = 1;

interface Fixture {
  dataDir: string;
  logs: LogManager;
  topics: TestTopics;
  rm: ReplicaManager;
  fetches: Map<string, number>;
  removed: string[];
  close(): Promise<void>;
}

const fixtures: Fixture[] = [];
afterEach(async () => {
  while (fixtures.length) await fixtures.pop()!.close();
});

async function fixture(t = tempDir('runnel-cluster-replicas-')): Promise<Fixture> {
  const dir = t.dir;
  const logs = await LogManager.open({ dataDir: dir, logger: silentLogger(), defaults: testLogConfig, retentionCheckIntervalMs: 0, cleanerBackoffMs: 0, recoveryPointCheckpointIntervalMs: 0 });
  const topics = new TestTopics();
  /** Which leader each followed partition is fetched from (`topic-p` → leader). */
  const fetches = new Map<string, number>();
  const removed: string[] = [];
  const fetchers: FollowerFetchers = {
    addPartitions: (leader, ps) => ps.forEach((p) => fetches.set(`${p.topic}-${p.partition}`, leader)),
    removePartitions: (ps) => ps.forEach((p) => fetches.delete(`${p.topic}-${p.partition}`)),
  };
  const rm = new ReplicaManager({
    brokerId: ME,
    topics,
    logs,
    cluster: {
      logs: {
        get: (topic, p) => logs.get(topic, p),
        create: (parts) => logs.createFresh(parts.map(({ topic, partition }) => ({ topic, partition, config: testLogConfig }))),
        remove: (topic, p) => logs.deletePartition(topic, p),
        all: () => [...logs.partitions()],
      },
      fetchers,
      onRemoved: (p: Partition) => removed.push(`${p.topic}-${p.partition}`),
    },
  });
  const f: Fixture = {
    dataDir: dir,
    logs,
    topics,
    rm,
    fetches,
    removed,
    async close() {
      await logs.close();
      t.cleanup();
    },
  };
  fixtures.push(f);
  return f;
}

const part = (leader: number, replicas: number[], leaderEpoch = 0, partitionEpoch = 0, isr = replicas): AssignedPartition => ({ leader, leaderEpoch, partitionEpoch, replicas, isr });

/** An image of topics (name → id and partitions), also entered in the fixture's topic directory as the mirror would. */
function image(f: Fixture, topics: Record<string, { id: Buffer; partitions: AssignedPartition[] }>): ClusterAssignment {
  f.topics.map.clear();
  for (const [name, t] of Object.entries(topics)) f.topics.map.set(name, { name, id: t.id, partitions: t.partitions.length });
  return {
    topics: new Map(Object.entries(topics).map(([name, t]) => [name, { id: t.id.toString('base64url') }])),
    partitions: new Map(Object.entries(topics).map(([name, t]) => [name, new Map(t.partitions.map((p, i) => [i, p]))])),
  };
}

const codeOf = async (fn: () => unknown): Promise<string> => {
  try {
    await fn();
    return 'NONE';
  } catch (e) {
    return errorName((e as { code: number }).code);
  }
};

describe('ReplicaManager.applyAssignment (cluster mode)', () => {
  it('hosts the partitions whose replicas include this broker: leader where the image says so, else a fetching follower', async () => {
    const f = await fixture();
    const id = randomBytes(16);
    await f.rm.applyAssignment(image(f, { t: { id, partitions: [part(1, [1, 2]), part(2, [2, 1], 3, 5), part(3, [2, 3])] } }));
    const [p0, p1, p2] = [0, 1, 2].map((i) => f.rm.get('t', i));
    expect(p0).toMatchObject({ leaderId: 1, isLeader: true, leaderEpoch: 0, replicas: [1, 2] });
    expect(p1).toMatchObject({ leaderId: 2, isLeader: false, leaderEpoch: 3, partitionEpoch: 5, replicas: [2, 1] });
    expect(p2).toBeUndefined();
    expect(f.logs.get('t', 0)).toBeDefined();
    expect(f.logs.get('t', 2)).toBeUndefined();
    expect([...f.fetches]).toEqual([['t-1', 2]]);
    // The leader takes appends; the follower and the partition hosted elsewhere refuse them as Kafka does.
    expect(await codeOf(() => p0!.append(makeBatch([{ value: 'v' }])))).toBe('NONE');
    expect(await codeOf(() => p1!.append(makeBatch([{ value: 'v' }])))).toBe('NOT_LEADER_OR_FOLLOWER');
    expect(errorName(f.rm.missingPartitionError('t', 2))).toBe('NOT_LEADER_OR_FOLLOWER');
    expect(errorName(f.rm.missingPartitionError('t', 9))).toBe('UNKNOWN_TOPIC_OR_PARTITION');
    expect(errorName(f.rm.missingPartitionError('nope', 0))).toBe('UNKNOWN_TOPIC_OR_PARTITION');
  });

  it('follows leader changes: a new leader epoch restarts the fetcher, leadership here stops it; the same image twice changes nothing', async () => {
    const f = await fixture();
    const id = randomBytes(16);
    await f.rm.applyAssignment(image(f, { t: { id, partitions: [part(2, [2, 1])] } }));
    const p = f.rm.get('t', 0)!;
    expect(f.fetches.get('t-0')).toBe(2);
    await f.rm.applyAssignment(image(f, { t: { id, partitions: [part(3, [2, 1, 3], 1, 1)] } }));
    expect(f.rm.get('t', 0)).toBe(p);
    expect(f.fetches.get('t-0')).toBe(3);
    await f.rm.applyAssignment(image(f, { t: { id, partitions: [part(1, [2, 1, 3], 2, 2)] } }));
    expect(p.isLeader).toBe(true);
    expect(p.leaderEpoch).toBe(2);
    expect(p.log.leaderEpochs.latestEpoch).toBe(2);
    expect(f.fetches.has('t-0')).toBe(false);
    const again = image(f, { t: { id, partitions: [part(1, [2, 1, 3], 2, 2)] } });
    await f.rm.applyAssignment(again);
    expect(f.rm.get('t', 0)).toBe(p);
    expect(p.leaderEpoch).toBe(2);
  });

  it('drops partitions moved away, of deleted topics, and of a topic re-created under another id (logs deleted)', async () => {
    const f = await fixture();
    const a = randomBytes(16);
    const b = randomBytes(16);
    await f.rm.applyAssignment(image(f, { moved: { id: a, partitions: [part(1, [1]), part(1, [1])] }, gone: { id: b, partitions: [part(2, [2, 1])] }, again: { id: b, partitions: [part(1, [1])] } }));
    await f.rm.get('again', 0)!.append(makeBatch([{ value: 'a' }, { value: 'b' }, { value: 'c' }])).written;
    const c = randomBytes(16);
    await f.rm.applyAssignment(image(f, { moved: { id: a, partitions: [part(1, [1]), part(2, [2], 1, 1)] }, again: { id: c, partitions: [part(1, [1])] } }));
    expect(f.rm.get('moved', 0)).toBeDefined();
    expect(f.rm.get('moved', 1)).toBeUndefined();
    expect(f.logs.get('moved', 1)).toBeUndefined();
    expect(f.logs.get('gone', 0)).toBeUndefined();
    expect(f.removed.sort()).toEqual(['again-0', 'gone-0', 'moved-1']);
    expect(f.fetches.has('gone-0')).toBe(false);
    // The re-created topic starts empty, under its new id.
    const again = f.rm.get('again', 0)!;
    expect(again.topicId.equals(c)).toBe(true);
    expect(again.logEndOffset).toBe(0);
  });

  it('at startup, logs on disk that the image does not assign here are removed', async () => {
    const dir = tempDir('runnel-cluster-replicas-');
    const first = await LogManager.open({ dataDir: dir.dir, logger: silentLogger(), defaults: testLogConfig, retentionCheckIntervalMs: 0, cleanerBackoffMs: 0, recoveryPointCheckpointIntervalMs: 0 });
    await first.createFresh([{ topic: 'old', partition: 0, config: testLogConfig }, { topic: 'kept', partition: 0, config: testLogConfig }, { topic: 'kept', partition: 1, config: testLogConfig }]);
    await first.close();
    const f = await fixture(dir);
    await f.rm.applyAssignment(image(f, { kept: { id: randomBytes(16), partitions: [part(1, [1]), part(2, [2])] } }));
    expect([...f.logs.partitions()].map((l) => `${l.topic}-${l.partition}`)).toEqual(['kept-0']);
  });

  it('led at startup while still fenced: the epoch is recorded when it starts leading', async () => {
    const f = await fixture();
    f.rm.setFenced(true);
    const img = image(f, { t: { id: randomBytes(16), partitions: [part(1, [1, 2], 4, 4)] } });
    await f.rm.applyAssignment(img);
    const p = f.rm.get('t', 0)!;
    expect(p.isLeader).toBe(false);
    f.rm.setFenced(false);
    await f.rm.applyAssignment(img);
    expect(p.isLeader).toBe(true);
    expect(p.log.leaderEpochs.latestEpoch).toBe(4);
    expect(p.leaderEpochStartOffset).toBe(0);
  });

  it('fenced: stops leading at once (appends refused); unfenced: leads again when the image is applied', async () => {
    const f = await fixture();
    const id = randomBytes(16);
    const img = image(f, { t: { id, partitions: [part(1, [1, 2])] } });
    await f.rm.applyAssignment(img);
    const p = f.rm.get('t', 0)!;
    f.rm.setFenced(true);
    expect(p.isLeader).toBe(false);
    expect(p.leaderId).toBe(-1);
    expect(await codeOf(() => p.append(makeBatch([{ value: 'v' }])))).toBe('NOT_LEADER_OR_FOLLOWER');
    // A fenced leader: consumers still read what it committed.
    expect(p.isFencedLeader).toBe(true);
    expect(p.checkLeader(-1)).toBe(ErrorCode.NONE);
    expect(p.lastOffsetForLeaderEpoch(-1, 0).errorCode).toBe(ErrorCode.NONE);
    expect((await p.fetchOffsetForTimestamp(-1, -1, p.highWatermark))?.offset).toBe(p.highWatermark);
    // An image applied while fenced does not make it leader either.
    await f.rm.applyAssignment(img);
    expect(p.isLeader).toBe(false);
    expect(p.isFencedLeader).toBe(true);
    f.rm.setFenced(false);
    await f.rm.applyAssignment(img);
    expect(p.isLeader).toBe(true);
    expect(await codeOf(() => p.append(makeBatch([{ value: 'v' }])))).toBe('NONE');
  });
});

describe('the leadership port the coordinators follow (ReplicaManager.leadership, cluster mode)', () => {
  /** Every event, with what isLeader/leaderEpoch answered inside the listener (the state is already the new one). */
  function follow(f: Fixture) {
    const events: Array<[string, number, string, number, boolean, number]> = [];
    const l = f.rm.leadership;
    l.onChange((topic, partition, event, epoch) => events.push([topic, partition, event, epoch, l.isLeader(topic, partition), l.leaderEpoch(topic, partition)]));
    return events;
  }

  it("'leader' when it starts leading or leads at a newer epoch, 'resigned' when it becomes follower; nothing for followers or unchanged states", async () => {
    const f = await fixture();
    const events = follow(f);
    const id = randomBytes(16);
    await f.rm.applyAssignment(image(f, { s: { id, partitions: [part(1, [1, 2]), part(2, [2, 1])] } }));
    expect(events).toEqual([['s', 0, 'leader', 0, true, 0]]);
    await f.rm.applyAssignment(image(f, { s: { id, partitions: [part(1, [1, 2]), part(2, [2, 1])] } }));
    await f.rm.applyAssignment(image(f, { s: { id, partitions: [part(1, [1], 0, 1, [1]), part(2, [2, 1])] } })); // ISR change only
    expect(events).toHaveLength(1);
    await f.rm.applyAssignment(image(f, { s: { id, partitions: [part(1, [1, 2], 1, 2), part(2, [2, 1])] } }));
    expect(events[1]).toEqual(['s', 0, 'leader', 1, true, 1]);
    await f.rm.applyAssignment(image(f, { s: { id, partitions: [part(2, [1, 2], 2, 3), part(2, [2, 1])] } }));
    expect(events[2]).toEqual(['s', 0, 'resigned', 2, false, -1]);
    await f.rm.applyAssignment(image(f, { s: { id, partitions: [part(2, [1, 2], 2, 3), part(1, [2, 1], 5, 5)] } }));
    expect(events[3]).toEqual(['s', 1, 'leader', 5, true, 5]);
    expect(events).toHaveLength(4);
  });

  it("fenced: 'resigned' at the unchanged epoch; leading again once unfenced: 'leader' at it", async () => {
    const f = await fixture();
    const img = image(f, { s: { id: randomBytes(16), partitions: [part(1, [1, 2], 3, 3)] } });
    await f.rm.applyAssignment(img);
    const events = follow(f);
    f.rm.setFenced(true);
    expect(events).toEqual([['s', 0, 'resigned', 3, false, -1]]);
    await f.rm.applyAssignment(img);
    expect(events).toHaveLength(1);
    f.rm.setFenced(false);
    await f.rm.applyAssignment(img);
    expect(events[1]).toEqual(['s', 0, 'leader', 3, true, 3]);
  });

  it("a partition led here that moves away or whose topic is deleted: 'resigned' once it is no longer hosted", async () => {
    const f = await fixture();
    const id = randomBytes(16);
    await f.rm.applyAssignment(image(f, { s: { id, partitions: [part(1, [1]), part(1, [1])] }, gone: { id: randomBytes(16), partitions: [part(1, [1], 2, 2)] } }));
    const events = follow(f);
    await f.rm.applyAssignment(image(f, { s: { id, partitions: [part(1, [1]), part(3, [3], 1, 1)] } }));
    expect(events.sort()).toEqual([
      ['gone', 0, 'resigned', 2, false, -1],
      ['s', 1, 'resigned', 1, false, -1],
    ]);
    // Unsubscribed listeners hear nothing more.
    const quiet: string[] = [];
    f.rm.leadership.onChange(() => quiet.push('x'))();
    await f.rm.applyAssignment(image(f, {}));
    expect(quiet).toEqual([]);
  });
});
