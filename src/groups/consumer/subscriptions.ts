/**
 * Which existing topics each member subscribes to (by name, or by regex over every non-internal
 * topic), and a hash of the subscribed topics' metadata (names, ids, partition counts). A change
 * of that hash — a topic created that a regex matches, a subscribed topic deleted or given more
 * partitions — bumps the group epoch, so a new target assignment is computed (Kafka 4.1's
 * metadata hash, KIP-1101; our hash function is our own, so a group loaded from a Kafka-written log
 * gets one extra epoch bump).
 *
 * Resolution is cached per member and recomputed only when the topic set changed (the
 * coordinator's topics version) or the member's subscription did.
 */
import type { ConsumerMember } from './group.js';
import { compileTopicRegex } from './regex.js';
import type { ConsumerTopic, ConsumerTopicsView } from './topics.js';

interface Resolved {
  version: number;
  names: readonly string[];
  regex: string | null;
  topics: ConsumerTopic[];
}

const resolvedOf = new WeakMap<ConsumerMember, Resolved>();

/** The existing topics `m` subscribes to. */
export function memberTopics(m: ConsumerMember, topics: ConsumerTopicsView, version: number): ConsumerTopic[] {
  const r = resolvedOf.get(m);
  if (r && r.version === version && r.names === m.subscribedTopicNames && r.regex === m.subscribedTopicRegex) return r.topics;
  const byName = new Map<string, ConsumerTopic>();
  for (const name of m.subscribedTopicNames) {
    const t = topics.get(name);
    if (t) byName.set(name, t);
  }
  if (m.subscribedTopicRegex !== null) {
    const re = compileTopicRegex(m.subscribedTopicRegex);
    if (re) for (const t of topics.all()) if (!t.internal && re.test(t.name)) byName.set(t.name, t);
  }
  const out = [...byName.values()];
  resolvedOf.set(m, { version, names: m.subscribedTopicNames, regex: m.subscribedTopicRegex, topics: out });
  return out;
}

/** A 52-bit hash (FNV-1a) of the subscribed topics' metadata (sorted, so member order does not matter). */
export function subscriptionHash(members: Iterable<ConsumerMember>, topics: ConsumerTopicsView, version: number): number {
  const all = new Map<string, ConsumerTopic>();
  for (const m of members) for (const t of memberTopics(m, topics, version)) all.set(t.name, t);
  const text = [...all.values()]
    .map((t) => `${t.name}\u0000${t.id.toString('hex')}\u0000${t.partitions}`)
    .sort()
    .join('\u0001');
  // Two 32-bit FNV-1a lanes with different seeds (no BigInt per character), 52 bits kept.
  let a = 0x811c9dc5;
  let b = 0x050c5d1f;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x01000193);
  }
  return (a >>> 0) * 0x100000 + ((b >>> 0) & 0xfffff);
}

/** Names of the topics any member of the group subscribes to (OffsetDelete refuses their offsets). */
export function consumerSubscribedTopics(coord: { topics: ConsumerTopicsView; topicsVersion: number }, cg: { members: ReadonlyMap<string, ConsumerMember> }): Set<string> {
  const out = new Set<string>();
  for (const m of cg.members.values()) for (const t of memberTopics(m, coord.topics, coord.topicsVersion)) out.add(t.name);
  return out;
}
