/**
 * The topic configs leader.replication.throttled.replicas and follower.replication.throttled.replicas
 * (Kafka's names and format): which of a topic's replicas replication throttles apply to, as
 * `partitionId:brokerId` entries, or `*` for every replica of the topic. An entry `p:b` concerns
 * broker b: on the leader list, b as leader throttles what it serves its followers of partition p;
 * on the follower list, b as follower throttles what it fetches for p. kafka-reassign-partitions
 * --throttle writes them (existing replicas on the leader list, moving ones on the follower list)
 * and --verify clears them.
 *
 * Here: Kafka's validation (ThrottledReplicaListValidator) for the config table, and the parse a
 * broker makes of a value (src/replica/replication-throttle.ts).
 */

/** Kafka's message for a value that is neither `*` nor a list of partitionId:brokerId. */
export const THROTTLED_REPLICAS_FORMAT = "must be the literal '*' or a list of replicas in the following format: [partitionId]:[brokerId],[partitionId]:[brokerId],...";

const ENTRY = /^\d+:\d+$/;

/** The config table's validator: null when the (parsed, comma-split) value is acceptable. */
export function throttledReplicasProblem(value: unknown): string | null {
  if (!Array.isArray(value)) return THROTTLED_REPLICAS_FORMAT;
  const entries = value.map((e) => String(e).trim()).filter((e) => e !== '');
  if (entries.length === 1 && entries[0] === '*') return null;
  return entries.every((e) => ENTRY.test(e)) ? null : THROTTLED_REPLICAS_FORMAT;
}

/** Every partition of the topic, or the listed ones. */
export type ThrottledPartitions = 'all' | ReadonlySet<number>;

const NONE: ReadonlySet<number> = new Set();

/**
 * The partitions of a topic that a value throttles on broker `brokerId` (Kafka's
 * parseThrottledPartitions): `*` is all of them; otherwise the partition of every entry naming
 * this broker. A value that does not validate throttles nothing (it cannot have been stored).
 */
export function throttledPartitions(value: string | readonly string[] | null | undefined, brokerId: number): ThrottledPartitions {
  if (value === null || value === undefined) return NONE;
  const entries = (typeof value === 'string' ? value.split(',') : value).map((e) => e.trim()).filter((e) => e !== '');
  if (entries.length === 1 && entries[0] === '*') return 'all';
  const out = new Set<number>();
  for (const e of entries) {
    if (!ENTRY.test(e)) return NONE;
    const [partition, broker] = e.split(':').map(Number) as [number, number];
    if (broker === brokerId) out.add(partition);
  }
  return out;
}
