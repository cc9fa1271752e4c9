/**
 * Partition reassignment's state transitions (src/cluster/reassignment.ts), case by case against
 * KRaft's rules and the answers Kafka 4.4 gave in the cluster scenario
 * (test/differential/cluster-kafka-answers.json, phases reassign-rf and reassign-move): the
 * target checks, the merged replica list while in progress, completion (at once or once the ISR
 * holds every target replica), leader moves, cancel (and its unclean case), the epochs each step
 * bumps, the controller's completion (planPartition), ListPartitionReassignments from an image, and
 * alterReassignments over a fake etcd (a lost CAS planned again, etcd unreachable midway).
 */
import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../../../protocol/errors.js';
import { planPartition } from '../../../src/cluster/controller.js';
import { EMPTY_IMAGE, type ClusterImage, type PartitionImage } from '../../../src/cluster/metadata-image.js';
import type { PartitionState } from '../../../src/cluster/records.js';
import type { EtcdStore } from '../../../src/cluster/etcd.js';
import { EtcdStoreError } from '../../../src/cluster/etcd-types.js';
import { alterReassignments, knownBrokers } from '../../../src/cluster/reassign.js';
import {
  cancelReassignment,
  checkTarget,
  completeReassignment,
  completion,
  ongoingReassignments,
  plan,
  revert,
  startReassignment,
} from '../../../src/cluster/reassignment.js';

const state = (leader: number, replicas: number[], isr: number[], more: Partial<PartitionState> = {}): PartitionState => ({
  leader, replicas, isr, leaderEpoch: 5, partitionEpoch: 9, adding: [], removing: [], ...more,
});
const alive = (...ids: number[]) => ({ isAlive: (id: number) => ids.includes(id), isShuttingDown: () => false });
const all = alive(1, 2, 3, 4);

describe('checkTarget (Kafka\'s validateManualPartitionAssignment)', () => {
  const known = new Set([1, 2, 3]);
  it('accepts known, distinct brokers in any order', () => {
    expect(checkTarget([3, 1], known)).toBeNull();
  });
  it('refuses an empty list, an unknown broker, a broker twice; the lowest offender first', () => {
    expect(checkTarget([], known)).toEqual({ errorCode: ErrorCode.INVALID_REPLICA_ASSIGNMENT, message: 'The manual partition assignment includes an empty replica list.' });
    expect(checkTarget([99, 1, 7], known)).toEqual({ errorCode: ErrorCode.INVALID_REPLICA_ASSIGNMENT, message: 'The manual partition assignment includes broker 7, but no such broker is registered.' });
    expect(checkTarget([2, 1, 2], known)).toEqual({ errorCode: ErrorCode.INVALID_REPLICA_ASSIGNMENT, message: 'The manual partition assignment includes the broker 2 more than once.' });
    expect(checkTarget([-1], known)?.errorCode).toBe(ErrorCode.INVALID_REPLICA_ASSIGNMENT);
  });
});

describe('plan, completion, revert', () => {
  it('in progress: the target first, then the replicas being removed (ascending); adding and removing ascending', () => {
    expect(plan([1, 2], [1, 3])).toEqual({ replicas: [1, 3, 2], adding: [3], removing: [2] });
    expect(plan([3, 2, 1], [4, 5])).toEqual({ replicas: [4, 5, 1, 2, 3], adding: [4, 5], removing: [1, 2, 3] });
    expect(plan([1, 2, 3], [3, 2, 1])).toEqual({ replicas: [3, 2, 1], adding: [], removing: [] });
  });
  it('completes when the ISR without the removing replicas holds every target replica and is not empty', () => {
    expect(completion({ replicas: [1, 3, 2], isr: [1, 2], adding: [3], removing: [2] })).toBeNull();
    expect(completion({ replicas: [1, 3, 2], isr: [1, 2, 3], adding: [3], removing: [2] })).toEqual({ replicas: [1, 3], isr: [1, 3] });
    // A target replica that lags (not adding, but out of the ISR) holds it back too (Kafka 4).
    expect(completion({ replicas: [1, 2, 3], isr: [1, 3], adding: [], removing: [3] })).toBeNull();
    // Nothing would be left in the ISR.
    expect(completion({ replicas: [4, 1], isr: [1], adding: [4], removing: [1] })).toBeNull();
    expect(completion({ replicas: [1, 2], isr: [1, 2], adding: [], removing: [] })).toBeNull();
  });
  it('revert: back to replicas − adding, ISR − adding; unclean when no ISR member would stay', () => {
    expect(revert({ replicas: [1, 3, 2], isr: [1, 2], adding: [3], removing: [2] })).toEqual({ replicas: [1, 2], isr: [1, 2], unclean: false });
    expect(revert({ replicas: [4, 1], isr: [4], adding: [4], removing: [1] })).toEqual({ replicas: [1], isr: [1], unclean: true });
  });
});

describe('startReassignment', () => {
  it('RF 3 → 2 completes in the same write: replica 3 leaves, the leader epoch bumps (Kafka: 2 → 3)', () => {
    expect(startReassignment(state(1, [1, 2, 3], [1, 2, 3]), [1, 2], all)).toEqual(state(1, [1, 2], [1, 2], { leaderEpoch: 6, partitionEpoch: 10 }));
  });
  it('a move to a broker outside the ISR stays in progress; nothing left the replicas, so only the partition epoch bumps', () => {
    const next = startReassignment(state(1, [1, 2], [1, 2]), [1, 3], alive(1, 2));
    expect(next).toEqual(state(1, [1, 3, 2], [1, 2], { adding: [3], removing: [2], leaderEpoch: 5, partitionEpoch: 10 }));
  });
  it('the current assignment again: nothing to write', () => {
    expect(startReassignment(state(1, [1, 2], [1, 2]), [1, 2], all)).toBeNull();
  });
  it('a reordering completes at once without a leader move or leader epoch bump', () => {
    expect(startReassignment(state(1, [1, 2, 3], [1, 2, 3]), [2, 1, 3], all)).toEqual(state(1, [2, 1, 3], [1, 2, 3], { partitionEpoch: 10 }));
  });
  it('removing the leader when the rest is in the ISR: the first target replica in the ISR leads', () => {
    expect(startReassignment(state(1, [1, 2, 3], [1, 2, 3]), [3, 2], all)).toMatchObject({ leader: 3, replicas: [3, 2], isr: [2, 3], adding: [], removing: [], leaderEpoch: 6, partitionEpoch: 10 });
  });
  it('moving every replica keeps the old leader leading until the new ones are in the ISR', () => {
    expect(startReassignment(state(1, [1, 2], [1, 2]), [3, 4], all)).toMatchObject({ leader: 1, replicas: [3, 4, 1, 2], adding: [3, 4], removing: [1, 2], leaderEpoch: 5 });
  });
  it('a new target while one is in progress starts from the merged replicas', () => {
    const moving = state(1, [1, 3, 2], [1, 2], { adding: [3], removing: [2] });
    // Back to [1, 2]: 3 is now the one removed, and the ISR allows completing at once.
    expect(startReassignment(moving, [1, 2], alive(1, 2))).toMatchObject({ replicas: [1, 2], isr: [1, 2], adding: [], removing: [], leaderEpoch: 6 });
    expect(startReassignment(moving, [1, 4], all)).toMatchObject({ replicas: [1, 4, 2, 3], adding: [4], removing: [2, 3] });
  });
});

describe('completeReassignment (the controller, once the leader expanded the ISR)', () => {
  it('drops the removing replicas from replicas and ISR, bumps both epochs (Kafka: 1 → 2)', () => {
    const caughtUp = state(1, [1, 3, 2], [1, 2, 3], { adding: [3], removing: [2], leaderEpoch: 1 });
    expect(completeReassignment(caughtUp, all, false)).toEqual(state(1, [1, 3], [1, 3], { leaderEpoch: 2, partitionEpoch: 10 }));
  });
  it('a leader being removed hands over to the first target replica in the ISR', () => {
    const caughtUp = state(1, [3, 4, 1, 2], [1, 2, 4, 3], { adding: [3, 4], removing: [1, 2] });
    expect(completeReassignment(caughtUp, all, false)).toMatchObject({ leader: 3, replicas: [3, 4], isr: [4, 3], leaderEpoch: 6, partitionEpoch: 10 });
  });
  it('a dead target replica in the ISR leaves the ISR in the same write; the leader is never a dead one', () => {
    const caughtUp = state(1, [3, 4, 1], [1, 3, 4], { adding: [3, 4], removing: [1] });
    expect(completeReassignment(caughtUp, alive(1, 4), false)).toMatchObject({ leader: 4, replicas: [3, 4], isr: [4] });
  });
  it('nothing while a target replica is missing from the ISR; planPartition then only reconciles', () => {
    const waiting = state(1, [1, 3, 2], [1, 2], { adding: [3], removing: [2] });
    expect(completeReassignment(waiting, all, false)).toBeNull();
    expect(planPartition(waiting, all, false)).toBeNull();
    // Broker 2 (being removed) dies: it leaves the ISR, the reassignment stays in progress.
    expect(planPartition(waiting, alive(1, 3), false)).toMatchObject({ replicas: [1, 3, 2], isr: [1], adding: [3], removing: [2] });
    expect(planPartition({ ...waiting, isr: [1, 2, 3] }, all, false)).toMatchObject({ replicas: [1, 3], isr: [1, 3], adding: [], removing: [] });
  });
});

describe('cancelReassignment', () => {
  it('nothing in progress: NO_REASSIGNMENT_IN_PROGRESS without a message', () => {
    expect(cancelReassignment(state(1, [1, 2], [1, 2]), 't:0', all, false)).toEqual({ errorCode: ErrorCode.NO_REASSIGNMENT_IN_PROGRESS, message: null });
  });
  it('back to the original replicas; the adding replica left the list, so the leader epoch bumps (Kafka: 0 → 1)', () => {
    const moving = state(1, [1, 3, 2], [1, 2], { adding: [3], removing: [2], leaderEpoch: 0 });
    expect(cancelReassignment(moving, 't:0', alive(1, 2), false)).toEqual(state(1, [1, 2], [1, 2], { leaderEpoch: 0 + 1, partitionEpoch: 10 }));
  });
  it('an adding replica that joined the ISR (and leads) leaves both, and leadership moves back', () => {
    const moving = state(3, [3, 1], [1, 3], { adding: [3], removing: [1] });
    expect(cancelReassignment(moving, 't:0', all, false)).toMatchObject({ leader: 1, replicas: [1], isr: [1], adding: [], removing: [], leaderEpoch: 6 });
  });
  it('a revert that needs an unclean election: refused unless unclean.leader.election.enable', () => {
    const moving = state(4, [4, 1], [4], { adding: [4], removing: [1] });
    expect(cancelReassignment(moving, 't:0', all, false)).toEqual({
      errorCode: ErrorCode.INVALID_REPLICA_ASSIGNMENT,
      message: 'Unable to revert partition assignment for t:0 because it would require an unclean leader election.',
    });
    expect(cancelReassignment(moving, 't:0', all, true)).toMatchObject({ leader: 1, replicas: [1], isr: [1], adding: [], removing: [] });
  });
});

describe('from the image', () => {
  const p = (topic: string, partition: number, s: PartitionState): PartitionImage => ({ ...s, topic, partition, modRevision: 1 });
  const image: ClusterImage = {
    ...EMPTY_IMAGE,
    brokers: new Map([[1, { id: 1, listeners: [], rack: null, incarnation: 'a', shuttingDown: false, modRevision: 1 }]]),
    partitions: new Map([
      ['a', new Map([[0, p('a', 0, state(1, [1, 3, 2], [1, 2], { adding: [3], removing: [2] }))], [1, p('a', 1, state(1, [1, 2], [1, 2]))]])],
      ['b', new Map([[0, p('b', 0, state(1, [1, 5], [1], { removing: [5] }))]])],
    ]),
  };
  it('knownBrokers: registered ones and those a partition still names (down for now)', () => {
    expect([...knownBrokers(image)].sort()).toEqual([1, 2, 3, 5]);
  });
  it('ongoingReassignments: all, or the named partitions that are in reassignment', () => {
    expect(ongoingReassignments(image, null)).toEqual([
      { topic: 'a', partition: 0, replicas: [1, 3, 2], adding: [3], removing: [2] },
      { topic: 'b', partition: 0, replicas: [1, 5], adding: [], removing: [5] },
    ]);
    expect(ongoingReassignments(image, [{ name: 'a', partitions: [1, 0, 7] }, { name: 'nope', partitions: [0] }])).toEqual([{ topic: 'a', partition: 0, replicas: [1, 3, 2], adding: [3], removing: [2] }]);
  });
});

describe('alterReassignments (fake etcd)', () => {
  const stored = (s: PartitionState, modRevision: number) => ({ ...s, topic: 't', partition: 0, modRevision });
  const image = (s: PartitionState): ClusterImage => ({
    ...EMPTY_IMAGE,
    topics: new Map([['t', { name: 't', id: 'x'.repeat(22), configs: {}, modRevision: 1 }]]),
    brokers: new Map([1, 2, 3].map((id) => [id, { id, listeners: [], rack: null, incarnation: String(id), shuttingDown: false, modRevision: 1 }])),
    partitions: new Map([['t', new Map([[0, stored(s, 5)], [1, { ...stored(s, 6), partition: 1 }]])]]),
  });

  it('a lost CAS is planned again on the state read back', async () => {
    const moved = state(1, [1, 2], [1, 2], { partitionEpoch: 12 });
    const txns: Array<{ compares: unknown; value: string }> = [];
    const store = {
      txn: async (compares: any[], ops: any[]) => {
        txns.push({ compares: compares.map((c) => c.value), value: ops[0].value });
        return { succeeded: txns.length > 1, revision: 40, gets: [] };
      },
      get: async () => ({ kv: { key: 'partitions/t/0', value: Buffer.from(JSON.stringify(moved)), modRevision: 9, createRevision: 1, version: 3 } }),
    } as unknown as EtcdStore;
    const r = await alterReassignments(store, image(state(1, [1, 2], [1, 2])), [{ topic: 't', partition: 0, replicas: [1, 3] }], false);
    expect(r).toEqual({ outcomes: [{ topic: 't', partition: 0, errorCode: ErrorCode.NONE, message: null }], revision: 40 });
    expect(txns.map((t) => t.compares)).toEqual([[5], [9]]);
    expect(JSON.parse(txns[1]!.value)).toMatchObject({ replicas: [1, 3, 2], adding: [3], removing: [2], partitionEpoch: 13 });
  });

  it('etcd unreachable: that partition and the rest REQUEST_TIMED_OUT, checks still answered, nothing retried', async () => {
    let calls = 0;
    const store = {
      txn: async () => {
        calls++;
        throw new EtcdStoreError('Unavailable', 'connection refused');
      },
    } as unknown as EtcdStore;
    const r = await alterReassignments(store, image(state(1, [1, 2], [1, 2])), [
      { topic: 't', partition: 0, replicas: [1, 3] },
      { topic: 't', partition: 1, replicas: [2, 3] },
      { topic: 't', partition: 0, replicas: [9] },
      { topic: 'u', partition: 0, replicas: null },
    ], false);
    expect(calls).toBe(1);
    expect(r.outcomes.map((o) => o.errorCode)).toEqual([ErrorCode.REQUEST_TIMED_OUT, ErrorCode.REQUEST_TIMED_OUT, ErrorCode.INVALID_REPLICA_ASSIGNMENT, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]);
    expect(r.outcomes[0]!.message).toBe('etcd did not answer (connection refused); retry');
  });
});
