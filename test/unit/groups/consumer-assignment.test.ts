/**
 * KIP-848 consumer groups, pure parts: the server-side assignors (uniform: balanced and sticky;
 * range: contiguous ranges per topic) and incremental reconciliation (a member is never given a
 * partition another member still owns; revocation comes before assignment).
 */
import { describe, expect, it } from 'vitest';
import { partitionCount, type Assignment } from '../../../src/groups/consumer/assignment.js';
import { rangeAssign, uniformAssign, type AssignorMember } from '../../../src/groups/consumer/assignors.js';
import { ConsumerGroupState, newConsumerMember } from '../../../src/groups/consumer/group.js';
import { MemberState, reconcile } from '../../../src/groups/consumer/reconcile.js';

const T1 = 'aa'.repeat(16);
const T2 = 'bb'.repeat(16);
const a = (entries: Array<[string, number[]]>): Assignment => new Map(entries.map(([t, ps]) => [t, new Set(ps)]));
const member = (memberId: string, topics: string[], previous: Assignment = new Map()): AssignorMember => ({ memberId, topics: new Set(topics), previous });
const flat = (m: Map<string, Assignment>) => Object.fromEntries([...m].map(([id, as]) => [id, [...as].flatMap(([t, ps]) => [...ps].sort((x, y) => x - y).map((p) => `${t.slice(0, 2)}-${p}`))]));

function everyPartitionOnce(result: Map<string, Assignment>, topics: Map<string, number>): void {
  const seen = new Set<string>();
  for (const as of result.values()) for (const [t, ps] of as) for (const p of ps) {
    expect(seen.has(`${t}:${p}`), `${t}:${p} assigned twice`).toBe(false);
    seen.add(`${t}:${p}`);
  }
  expect(seen.size).toBe([...topics.values()].reduce((x, y) => x + y, 0));
}

describe('uniform assignor', () => {
  it('balances 24 partitions over 5 members (4 or 5 each) and assigns each once', () => {
    const topics = new Map([[T1, 24]]);
    const r = uniformAssign(['a', 'b', 'c', 'd', 'e'].map((id) => member(id, [T1])), topics);
    everyPartitionOnce(r, topics);
    const counts = [...r.values()].map(partitionCount).sort();
    expect(counts).toEqual([4, 5, 5, 5, 5]);
  });

  it('is sticky: a joining member takes partitions only from the others, who keep the rest', () => {
    const topics = new Map([[T1, 6]]);
    const first = uniformAssign([member('a', [T1]), member('b', [T1])], topics);
    const second = uniformAssign([member('a', [T1], first.get('a')), member('b', [T1], first.get('b')), member('c', [T1])], topics);
    everyPartitionOnce(second, topics);
    for (const id of ['a', 'b']) for (const p of second.get(id)!.get(T1)!) expect(first.get(id)!.get(T1)!.has(p)).toBe(true);
    expect([...second.values()].map(partitionCount)).toEqual([2, 2, 2]);
  });

  it('gives a topic only to members subscribed to it', () => {
    const topics = new Map([[T1, 4], [T2, 2]]);
    const r = uniformAssign([member('a', [T1]), member('b', [T1, T2])], topics);
    everyPartitionOnce(r, topics);
    expect(r.get('a')!.has(T2)).toBe(false);
    expect(partitionCount(r.get('a')!) + partitionCount(r.get('b')!)).toBe(6);
  });
});

describe('uniform assignor, rack-aware', () => {
  it('gives each partition to a member in a rack holding a replica when balance allows', () => {
    const topics = new Map([[T1, 6]]);
    // Partitions 0-2 have their replica in rack r1, 3-5 in r2.
    const racks = (_t: string, p: number) => [p < 3 ? 'r1' : 'r2'];
    const r = uniformAssign([{ ...member('a', [T1]), rack: 'r2' }, { ...member('b', [T1]), rack: 'r1' }], topics, racks);
    expect(flat(r)).toEqual({ a: ['aa-3', 'aa-4', 'aa-5'], b: ['aa-0', 'aa-1', 'aa-2'] });
    // Without racks: balanced, by member order.
    expect(flat(uniformAssign([member('a', [T1]), member('b', [T1])], topics)).a).toHaveLength(3);
  });

  it('keeps balance over rack preference', () => {
    const topics = new Map([[T1, 4]]);
    const r = uniformAssign([{ ...member('a', [T1]), rack: 'r1' }, { ...member('b', [T1]), rack: 'r2' }], topics, () => ['r1']);
    expect([...r.values()].map(partitionCount)).toEqual([2, 2]);
  });
});

describe('range assignor', () => {
  it('hands out contiguous ranges per topic, the first members one more', () => {
    const topics = new Map([[T1, 7]]);
    const r = rangeAssign([member('m2', [T1]), member('m1', [T1]), member('m3', [T1])], topics);
    expect(flat(r)).toEqual({ m1: ['aa-0', 'aa-1', 'aa-2'], m2: ['aa-3', 'aa-4'], m3: ['aa-5', 'aa-6'] });
  });
});

describe('reconciliation (CurrentAssignmentBuilder)', () => {
  it('revokes first: a member keeps its epoch and owns only what it keeps until it confirms the revocation', () => {
    const next = reconcile({
      state: MemberState.STABLE, memberEpoch: 1, assigned: a([[T1, [0, 1, 2]]]), pendingRevocation: new Map(),
      targetEpoch: 2, target: a([[T1, [0, 1]]]), owned: a([[T1, [0, 1, 2]]]), ownerEpoch: () => -1,
    })!;
    expect(next.state).toBe(MemberState.UNREVOKED_PARTITIONS);
    expect(next.memberEpoch).toBe(1);
    expect([...next.assigned.get(T1)!]).toEqual([0, 1]);
    expect([...next.pendingRevocation.get(T1)!]).toEqual([2]);
    // Still owning partition 2: no progress.
    expect(reconcile({ ...next, targetEpoch: 2, target: a([[T1, [0, 1]]]), owned: a([[T1, [0, 1, 2]]]), ownerEpoch: () => -1 })).toBeNull();
    // Revoked: stable at the target epoch.
    const done = reconcile({ ...next, targetEpoch: 2, target: a([[T1, [0, 1]]]), owned: a([[T1, [0, 1]]]), ownerEpoch: () => -1 })!;
    expect(done.state).toBe(MemberState.STABLE);
    expect(done.memberEpoch).toBe(2);
  });

  it('does not give a partition another member still owns (unreleased), and gives it once released', () => {
    const g = new ConsumerGroupState();
    const owner = newConsumerMember('owner');
    g.add(owner);
    g.setCurrent(owner, MemberState.UNREVOKED_PARTITIONS, 1, new Map(), a([[T1, [3]]]));
    const input = { state: MemberState.STABLE, memberEpoch: 0, assigned: new Map(), pendingRevocation: new Map(), targetEpoch: 2, target: a([[T1, [3, 4]]]), owned: new Map(), ownerEpoch: (t: string, p: number) => g.ownerEpoch(t, p) } as const;
    const first = reconcile(input)!;
    expect(first.state).toBe(MemberState.UNRELEASED_PARTITIONS);
    expect([...first.assigned.get(T1)!]).toEqual([4]);
    g.setCurrent(owner, MemberState.STABLE, 2, new Map(), new Map()); // the owner revoked it
    const second = reconcile({ ...input, state: first.state, memberEpoch: first.memberEpoch, assigned: first.assigned })!;
    expect(second.state).toBe(MemberState.STABLE);
    expect([...second.assigned.get(T1)!].sort()).toEqual([3, 4]);
  });
});

describe('subscription regex (RE2/J-like, linear time)', () => {
  it('matches whole topic names, accepts (?i) and (?P<name>), refuses backreferences and lookaround', async () => {
    const { compileTopicRegex } = await import('../../../src/groups/consumer/regex.js');
    expect(compileTopicRegex('orders-.*')!.test('orders-eu')).toBe(true);
    expect(compileTopicRegex('orders')!.test('orders-eu')).toBe(false);
    expect(compileTopicRegex('(?i)ORDERS')!.test('orders')).toBe(true);
    expect(compileTopicRegex('(?P<region>eu|us)-.*')!.test('eu-x')).toBe(true);
    expect(compileTopicRegex('(a)\\1')).toBeNull();
    expect(compileTopicRegex('(?=a)a')).toBeNull();
    expect(compileTopicRegex('(abc')).toBeNull();
    // A pattern that backtracks exponentially in an ordinary engine runs in linear time.
    const t0 = performance.now();
    expect(compileTopicRegex('(a|a)*b')!.test('a'.repeat(249))).toBe(false);
    expect(performance.now() - t0).toBeLessThan(100);
  });
});
