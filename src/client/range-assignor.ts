/**
 * Kafka's RangeAssignor: per topic, the members subscribed to it sorted by member id; each gets
 * floor(partitions / members) consecutive partitions and the first (partitions % members) one
 * more. Java consumers in the same group compute the same thing, so a group may mix clients.
 */
export interface MemberSubscription {
  memberId: string;
  topics: readonly string[];
}

export const RANGE_ASSIGNOR = 'range';

export function rangeAssign(members: readonly MemberSubscription[], partitionCounts: ReadonlyMap<string, number>): Map<string, Map<string, number[]>> {
  const out = new Map<string, Map<string, number[]>>();
  for (const m of members) out.set(m.memberId, new Map());
  const topics = new Set(members.flatMap((m) => m.topics));
  for (const topic of [...topics].sort()) {
    const count = partitionCounts.get(topic) ?? 0;
    const consumers = members.filter((m) => m.topics.includes(topic)).map((m) => m.memberId).sort();
    if (count === 0 || consumers.length === 0) continue;
    const each = Math.floor(count / consumers.length);
    const extra = count % consumers.length;
    let next = 0;
    consumers.forEach((memberId, i) => {
      const n = each + (i < extra ? 1 : 0);
      if (n === 0) return;
      out.get(memberId)!.set(topic, Array.from({ length: n }, (_, k) => next + k));
      next += n;
    });
  }
  return out;
}
