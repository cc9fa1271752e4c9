/**
 * The describe APIs' answer to a list of ids (DescribeGroups, ConsumerGroupDescribe,
 * ShareGroupDescribe). A repeated id is answered each time, as Kafka does, with the one description
 * built for its first entry. But repeats multiply what the broker must size and encode: 10,000
 * copies of a 200-member share group are two million members, and froze the event loop for 4.4 s
 * before a response that large was refused. So the members repeats add count as entries of the
 * request: past runnel.request.max.entries of them, a further repeat is answered with
 * INVALID_REQUEST instead of the description. A client naming each group once is never refused.
 */
export interface DescribedOnceOptions<T> {
  describe: (id: string) => T;
  /** How many members a description carries (what a repeat of it costs). */
  members: (described: T) => number;
  /** The answer to a repeat over the bound. */
  refuse: (id: string, message: string) => T;
  /** runnel.request.max.entries. */
  maxRepeatedMembers: number;
}

export function describedOnce<T>(ids: readonly string[], o: DescribedOnceOptions<T>): T[] {
  const described = new Map<string, T>();
  let repeated = 0;
  return ids.map((id) => {
    const d = described.get(id);
    if (d === undefined) {
      const first = o.describe(id);
      described.set(id, first);
      return first;
    }
    repeated += o.members(d);
    if (repeated <= o.maxRepeatedMembers) return d;
    return o.refuse(id, `Group ${id} is named again after its repeats already described ${o.maxRepeatedMembers} members (runnel.request.max.entries).`);
  });
}
