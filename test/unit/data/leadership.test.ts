/**
 * The single-node leadership port (every hosted partition led here; created topics announced;
 * simulated moves bump the epoch) and the coordinators' partition tracker on top of a leadership:
 * loading then owned, resigned, epochs ordering the events, a synchronous load owning at once,
 * and a failed load leaving the partition unowned.
 */
import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../../../protocol/errors.js';
import { CoordinatorPartitions } from '../../../src/data/coordinator-partitions.js';
import type { LeadershipEvent } from '../../../src/data/leadership.js';
import { LocalLeadership, type LeadershipTopics } from '../../../src/data/local-leadership.js';
import type { Partition, PartitionLookup } from '../../../src/data/partitions.js';
import { silentLogger } from '../../../src/logger.js';
import { FakeLeadership } from '../../helpers/fake-leadership.js';

type Listener = Parameters<LeadershipTopics['onChange']>[0];

function localLeadership() {
  const hosted = new Map<string, { isLeader: boolean; leaderEpoch: number }>();
  const lookup: PartitionLookup = { get: (t, p) => hosted.get(`${t}/${p}`) as Partition | undefined };
  let listener: Listener = () => undefined;
  const topics: LeadershipTopics = { onChange: (fn) => (listener = fn) };
  const leadership = new LocalLeadership(topics, lookup);
  const events: Array<[string, number, LeadershipEvent, number]> = [];
  leadership.onChange((...e) => events.push(e));
  const create = (name: string, partitions: number, epoch = 0) => {
    for (let p = 0; p < partitions; p++) hosted.set(`${name}/${p}`, { isLeader: true, leaderEpoch: epoch });
    listener('created', { name, partitions });
  };
  const remove = (name: string, partitions: number) => {
    for (let p = 0; p < partitions; p++) hosted.delete(`${name}/${p}`);
    listener('deleted', { name, partitions });
  };
  return { leadership, events, create, remove, hosted };
}

describe('LocalLeadership (one node)', () => {
  it('leads every hosted partition; announces created topics and resigns deleted ones', () => {
    const { leadership, events, create, remove, hosted } = localLeadership();
    hosted.set('old/0', { isLeader: true, leaderEpoch: 3 });
    expect(leadership.isLeader('old', 0)).toBe(true);
    expect(leadership.leaderEpoch('old', 0)).toBe(3);
    expect(leadership.isLeader('none', 0)).toBe(false);
    expect(leadership.leaderEpoch('none', 0)).toBe(-1);
    create('__consumer_offsets', 2);
    expect(events).toEqual([
      ['__consumer_offsets', 0, 'leader', 0],
      ['__consumer_offsets', 1, 'leader', 0],
    ]);
    events.length = 0;
    remove('__consumer_offsets', 2);
    expect(events).toEqual([
      ['__consumer_offsets', 0, 'resigned', 0],
      ['__consumer_offsets', 1, 'resigned', 0],
    ]);
  });

  it('simulates a move away and back at newer epochs', () => {
    const { leadership, events, create } = localLeadership();
    create('t', 1, 2);
    events.length = 0;
    expect(leadership.resign('t', 0)).toBe(true);
    expect(leadership.isLeader('t', 0)).toBe(false);
    expect(leadership.leaderEpoch('t', 0)).toBe(-1);
    expect(leadership.resign('t', 0)).toBe(false);
    expect(leadership.lead('t', 0)).toBe(true);
    expect(leadership.lead('t', 0)).toBe(false);
    expect(leadership.isLeader('t', 0)).toBe(true);
    expect(leadership.leaderEpoch('t', 0)).toBe(4);
    expect(events).toEqual([
      ['t', 0, 'resigned', 3],
      ['t', 0, 'leader', 4],
    ]);
  });
});

describe('CoordinatorPartitions', () => {
  function tracker(leadership: FakeLeadership, load: (p: number, epoch: number) => (() => void) | Promise<() => void>) {
    const log: string[] = [];
    const t = new CoordinatorPartitions('state', leadership, { load, unload: (p) => log.push(`unload ${p}`) }, silentLogger());
    return { t, log };
  }

  it('owns a partition once loaded; NOT_COORDINATOR elsewhere; unloads on resignation', async () => {
    const leadership = new FakeLeadership().ledFromStart('state', 2, 5);
    const gates: Array<() => void> = [];
    const installed: string[] = [];
    const { t, log } = tracker(leadership, (p, epoch) => new Promise((resolve) => gates.push(() => resolve(() => installed.push(`${p}@${epoch}`)))));
    const started = t.start(3);
    expect(t.error(0)).toBe(ErrorCode.COORDINATOR_LOAD_IN_PROGRESS);
    expect(t.error(2)).toBe(ErrorCode.NOT_COORDINATOR);
    expect(t.anyLoading).toBe(true);
    gates.forEach((g) => g());
    await started;
    expect(installed).toEqual(['0@5', '1@5']);
    expect([t.error(0), t.owns(1), t.epoch(1), t.epoch(2), t.ownsAll(2), t.ownsAll(3)]).toEqual([ErrorCode.NONE, true, 5, -1, true, false]);
    // A newer epoch while owned keeps the state (no reload), and updates the epoch.
    const token = t.token(0);
    leadership.lead('state', 0, 6);
    expect([t.owns(0), t.epoch(0), t.token(0) === token, gates.length]).toEqual([true, 6, true, 2]);
    leadership.resign('state', 0, 7);
    expect([t.error(0), t.token(0), log]).toEqual([ErrorCode.NOT_COORDINATOR, null, ['unload 0']]);
    t.stop();
    leadership.lead('state', 0, 8);
    expect(t.owns(0)).toBe(false);
  });

  it('a resignation at the same epoch (a fenced broker) unloads; leading again at it reloads', async () => {
    const leadership = new FakeLeadership().ledFromStart('state', 1, 3);
    let loads = 0;
    const { t, log } = tracker(leadership, () => {
      loads++;
      return () => undefined;
    });
    await t.start(1);
    expect(t.owns(0)).toBe(true);
    leadership.resign('state', 0, 3);
    expect(log).toEqual(['unload 0']);
    leadership.lead('state', 0, 3);
    expect([t.owns(0), loads]).toEqual([true, 2]);
  });

  it('a failed load leaves the partition unowned; at startup it is an error', async () => {
    const leadership = new FakeLeadership().ledFromStart('state', 1);
    const { t } = tracker(leadership, () => Promise.reject(new Error('unreadable batch')));
    await expect(t.start(1)).rejects.toThrow('unreadable batch');
    expect(t.error(0)).toBe(ErrorCode.NOT_COORDINATOR);
    leadership.lead('state', 0);
    await t.settled();
    expect(t.error(0)).toBe(ErrorCode.NOT_COORDINATOR);
  });
});
