/**
 * The server-side assignors of the consumer group protocol (KIP-848): `uniform` (the default; as
 * Kafka's UniformAssignor: balanced — member partition counts differ by at most one among members
 * with the same subscription — and sticky: a member keeps the partitions it had in the previous
 * target assignment when balance allows) and `range` (as Kafka's RangeAssignor: per topic, members
 * subscribed to it sorted by member id each take a contiguous range; the first P % M take one more).
 *
 * Both are pure functions of the group's members, their subscriptions, the previous target
 * assignment and the subscribed topics' partition counts, so they are unit-tested alone.
 * Rack-aware (uniform): when members have rack ids and the partitions' replica racks are known, a
 * partition that needs an owner goes to a member in a rack holding a replica (fetching from a
 * nearby replica) if one is under its fair share; balance and stickiness still come first.
 */
import { addPartition, type Assignment } from './assignment.js';

export interface AssignorMember {
  memberId: string;
  /** Topic ids (hex) the member subscribes to that exist. */
  topics: ReadonlySet<string>;
  /** The member's previous target assignment (stickiness). */
  previous: Assignment;
  /** The member's rack (client.rack), or null. */
  rack?: string | null;
}

/** The racks of a partition's replicas (topic id hex, partition); empty when unknown. */
export type PartitionRacks = (topicId: string, partition: number) => readonly string[];

/** topic id (hex) → partition count, for every subscribed topic that exists. */
export type TopicPartitionCounts = ReadonlyMap<string, number>;

export type AssignorFn = (members: readonly AssignorMember[], topics: TopicPartitionCounts, racks?: PartitionRacks) => Map<string, Assignment>;

export const ASSIGNOR_NAMES = ['uniform', 'range'] as const;

/** A configured name (short or Kafka's class name) → our name, or null. */
export function assignorName(configured: string): string | null {
  const m = /^(?:org\.apache\.kafka\.coordinator\.group\.assignor\.)?(uniform|range|UniformAssignor|RangeAssignor)$/.exec(configured);
  if (!m) return null;
  return m[1] === 'UniformAssignor' || m[1] === 'uniform' ? 'uniform' : 'range';
}

export function assignorByName(name: string): AssignorFn | null {
  return name === 'uniform' ? uniformAssign : name === 'range' ? rangeAssign : null;
}

const byId = (a: { memberId: string }, b: { memberId: string }) => (a.memberId < b.memberId ? -1 : a.memberId > b.memberId ? 1 : 0);

export function rangeAssign(members: readonly AssignorMember[], topics: TopicPartitionCounts): Map<string, Assignment> {
  const out = new Map<string, Assignment>(members.map((m) => [m.memberId, new Map()]));
  const sorted = [...members].sort(byId);
  for (const [topic, count] of topics) {
    const subs = sorted.filter((m) => m.topics.has(topic));
    if (subs.length === 0) continue;
    const base = Math.floor(count / subs.length);
    const extra = count % subs.length;
    let next = 0;
    subs.forEach((m, i) => {
      const n = base + (i < extra ? 1 : 0);
      const a = out.get(m.memberId)!;
      for (let k = 0; k < n; k++) addPartition(a, topic, next++);
    });
  }
  return out;
}

/**
 * Sticky and balanced: (1) every member keeps the previous partitions it is still subscribed to,
 * (2) partitions nobody kept go to the least-loaded subscribed member, (3) partitions move from the
 * most- to the least-loaded member that may take them while their counts differ by more than one.
 * Ties break by member id, so the result is deterministic.
 */
export function uniformAssign(members: readonly AssignorMember[], topics: TopicPartitionCounts, racks: PartitionRacks = () => []): Map<string, Assignment> {
  const rackAware = members.some((m) => (m.rack ?? null) !== null);
  const sorted = [...members].sort(byId);
  const load = new Map<string, number>(sorted.map((m) => [m.memberId, 0]));
  const owner = new Map<string, string>(); // `${topic}:${p}` → member
  const key = (t: string, p: number) => `${t}:${p}`;
  // (1) stickiness.
  for (const m of sorted) {
    for (const [t, parts] of m.previous) {
      const count = topics.get(t);
      if (count === undefined || !m.topics.has(t)) continue;
      for (const p of parts) {
        if (p >= count || owner.has(key(t, p))) continue;
        owner.set(key(t, p), m.memberId);
        load.set(m.memberId, load.get(m.memberId)! + 1);
      }
    }
  }
  // (2) unassigned partitions to the least-loaded eligible member.
  const topicIds = [...topics.keys()].sort();
  for (const t of topicIds) {
    const eligible = sorted.filter((m) => m.topics.has(t));
    if (eligible.length === 0) continue;
    const count = topics.get(t)!;
    // A member's fair share over the partitions of the topics it may take (for rack preference).
    const share = (m: AssignorMember) => {
      let n = 0;
      for (const id of m.topics) n += topics.get(id) ?? 0;
      const peers = sorted.filter((x) => [...m.topics].some((id) => x.topics.has(id))).length;
      return Math.ceil(n / Math.max(1, peers));
    };
    for (let p = 0; p < count; p++) {
      if (owner.has(key(t, p))) continue;
      let best = eligible[0]!;
      for (const m of eligible) if (load.get(m.memberId)! < load.get(best.memberId)!) best = m;
      if (rackAware) {
        const near = new Set(racks(t, p));
        let nearBest: AssignorMember | null = null;
        for (const m of eligible) {
          if (m.rack == null || !near.has(m.rack) || load.get(m.memberId)! >= share(m)) continue;
          if (nearBest === null || load.get(m.memberId)! < load.get(nearBest.memberId)!) nearBest = m;
        }
        if (nearBest !== null) best = nearBest;
      }
      owner.set(key(t, p), best.memberId);
      load.set(best.memberId, load.get(best.memberId)! + 1);
    }
  }
  // (3) balance: move from heavy to light members that subscribe to the partition's topic.
  const byMember = new Map<string, Array<[string, number]>>(sorted.map((m) => [m.memberId, []]));
  for (const [k, m] of owner) {
    const i = k.lastIndexOf(':');
    byMember.get(m)!.push([k.slice(0, i), Number(k.slice(i + 1))]);
  }
  const subs = new Map(sorted.map((m) => [m.memberId, m.topics]));
  let budget = owner.size * 2 + 16; // every move lowers the imbalance; the bound only guards bugs
  let moved = true;
  while (moved && budget-- > 0) {
    moved = false;
    const heavyFirst = [...sorted].sort((a, b) => load.get(b.memberId)! - load.get(a.memberId)! || byId(a, b));
    for (const heavy of heavyFirst) {
      const parts = byMember.get(heavy.memberId)!;
      const hl = load.get(heavy.memberId)!;
      for (let i = parts.length - 1; i >= 0 && !moved; i--) {
        const [t, p] = parts[i]!;
        let light: AssignorMember | null = null;
        for (const m of sorted) {
          if (m === heavy || !subs.get(m.memberId)!.has(t)) continue;
          if (load.get(m.memberId)! < hl - 1 && (light === null || load.get(m.memberId)! < load.get(light.memberId)!)) light = m;
        }
        if (light === null) continue;
        parts.splice(i, 1);
        byMember.get(light.memberId)!.push([t, p]);
        load.set(heavy.memberId, hl - 1);
        load.set(light.memberId, load.get(light.memberId)! + 1);
        moved = true;
      }
      if (moved) break;
    }
  }
  const out = new Map<string, Assignment>();
  for (const m of sorted) {
    const a: Assignment = new Map();
    for (const [t, p] of byMember.get(m.memberId)!) addPartition(a, t, p);
    out.set(m.memberId, a);
  }
  return out;
}
