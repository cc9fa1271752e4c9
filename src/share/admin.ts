/**
 * Share-group administration (KIP-932), as Kafka's group and share coordinators answer it:
 * share-partition start offsets and lag (DescribeShareGroupOffsets), a new start offset for an
 * empty group (AlterShareGroupOffsets: the in-flight state goes, the next fetch starts there),
 * deleting a topic's share-partition state (DeleteShareGroupOffsets: the next fetch starts again
 * from share.auto.offset.reset) and deleting an empty group with all its state (DeleteGroups).
 * Every change goes through the persister to the share coordinator of its key before it is
 * answered, as Kafka's group coordinator does: InitializeShareGroupState (83) at a new state epoch
 * for a new start offset, DeleteShareGroupState (86) for a deletion, ReadShareGroupStateSummary
 * (87) to describe what is not known here. The share partition held in memory here is dropped;
 * one held by a leader on another broker is fenced by the new state epoch (share-partitions.ts).
 */
import { ErrorCode, KafkaError } from '../../protocol/errors.js';
import type { PartitionLookup } from '../data/partitions.js';
import type { TopicsPort } from '../metadata/port.js';
import type { ShareGroup } from './group.js';
import type { SharePartition } from './share-partition.js';
import type { StoredShareState } from './state-log.js';
import type { ShareStateSummary } from './state-coordinator.js';

/** What the admin operations reach into: the service's maps (share/service.ts). */
export interface ShareStateAccess {
  readonly groups: Map<string, ShareGroup>;
  readonly partitions: Map<string, SharePartition>;
  /** A share partition's state held by the share coordinator on this broker (null: none here). */
  stored(groupId: string, topicId: Buffer, partition: number): StoredShareState | null;
  /** `${topicIdHex}:${partition}` of the group's states held by the share coordinator on this broker. */
  storedKeys(groupId: string): Iterable<string>;
  /**
   * ReadShareGroupStateSummary at the key's share coordinator, here or on another broker (null:
   * no state, or nothing persisted). Throws KafkaError.
   */
  summary(groupId: string, topicId: Buffer, partition: number): Promise<ShareStateSummary | null>;
  readonly topics: TopicsPort;
  readonly logs: PartitionLookup;
  /** A share partition's new start offset (InitializeShareGroupState, a new state epoch) or, null, its deletion (DeleteShareGroupState); the copy in memory goes. */
  replaceState(groupId: string, topic: string, topicId: Buffer, partition: number, startOffset: number | null): Promise<void>;
  /** An empty group, created if unknown (Kafka's AlterShareGroupOffsets creates one); null at the group limit. */
  emptyGroup(groupId: string): ShareGroup | null;
  /** Adds (yes) or removes a partition of the group's initialised ones, written before it resolves. */
  initialized(groupId: string, topic: string, topicId: Buffer, partition: number, yes: boolean): Promise<void>;
  /** Forgets the group and writes its tombstones (group-records.ts). */
  forgetGroup(groupId: string): Promise<void>;
}

export interface SharePartitionOffsets {
  /** -1: no state. */
  startOffset: number;
  /** High watermark - start offset - records already acknowledged or archived beyond it; -1: unknown. */
  lag: number;
  /** Records between the start and end offsets not yet acknowledged or archived (available or acquired); -1: unknown. */
  inFlight: number;
  /** Records locked to a consumer now; -1: unknown. */
  acquired: number;
}

const keyOf = (groupId: string, topicIdHex: string, partition: number) => `${groupId}\u0000${topicIdHex}:${partition}`;

/**
 * One share partition's start offset and lag, or -1s when the group has no state for it (Kafka's
 * answer): from the share partition led here, else the state the share coordinator here holds,
 * else a ReadShareGroupStateSummary (v1: KIP-1226's delivery-complete count gives the lag) at the
 * key's share coordinator on another broker. A summary that fails answers -1s.
 */
export async function partitionOffsets(s: ShareStateAccess, groupId: string, topicId: Buffer, partition: number): Promise<SharePartitionOffsets> {
  const key = keyOf(groupId, topicId.toString('hex'), partition);
  const st = s.partitions.get(key)?.state;
  let start: number;
  let completed = 0;
  let inFlight = 0;
  let acquired = 0;
  if (st) {
    start = st.startOffset;
    const c = st.counts();
    completed = c.acknowledged + c.archived;
    inFlight = c.available + c.acquired;
    acquired = c.acquired;
  } else {
    const saved = s.stored(groupId, topicId, partition);
    if (saved && saved.startOffset < 0) return { startOffset: -1, lag: -1, inFlight: -1, acquired: -1 };
    if (saved) {
      start = saved.startOffset;
      for (const b of saved.batches) {
        if (b.lastOffset < start) continue;
        const n = b.lastOffset - Math.max(b.firstOffset, start) + 1;
        if (b.deliveryState !== 0) completed += n;
        else inFlight += n;
      }
    } else {
      const summary = await s.summary(groupId, topicId, partition).catch(() => null);
      if (!summary || summary.startOffset < 0) return { startOffset: -1, lag: -1, inFlight: -1, acquired: -1 };
      start = summary.startOffset;
      completed = Math.max(0, summary.deliveryCompleteCount);
      inFlight = -1;
      acquired = -1;
    }
  }
  const topic = s.topics.byId(topicId);
  const log = topic ? s.logs.get(topic.name, partition) : undefined;
  return { startOffset: start, lag: log ? log.highWatermark - start - completed : -1, inFlight, acquired };
}

/**
 * The topic-partitions a describe of "all topics" covers: those the group has state for and
 * those of the topics its members subscribe to (Kafka lists initialising partitions with -1).
 */
export function describedPartitions(s: ShareStateAccess, groupId: string): Map<string, { topicId: Buffer; partitions: Set<number> }> {
  const out = new Map<string, { topicId: Buffer; partitions: Set<number> }>();
  const add = (topicIdHex: string, partition: number) => {
    let t = out.get(topicIdHex);
    if (!t) out.set(topicIdHex, (t = { topicId: Buffer.from(topicIdHex, 'hex'), partitions: new Set() }));
    t.partitions.add(partition);
  };
  for (const key of stateKeysOf(s, groupId)) {
    const [hex, p] = key.split(':') as [string, string];
    add(hex, Number(p));
  }
  const group = s.groups.get(groupId);
  if (group) {
    for (const [hex, t] of group.initialized) for (const p of t.partitions) add(hex, p);
    for (const name of group.subscribedTopics()) {
      const t = s.topics.get(name);
      if (t && !t.internal) for (let p = 0; p < t.partitions; p++) add(t.id.toString('hex'), p);
    }
  }
  return out;
}

/** `${topicIdHex}:${partition}` of every share partition the group has state for (in memory or stored). */
function stateKeysOf(s: ShareStateAccess, groupId: string): Set<string> {
  const prefix = `${groupId}\u0000`;
  const keys = new Set<string>();
  for (const [k, sp] of s.partitions) if (k.startsWith(prefix) && sp.state !== null) keys.add(k.slice(prefix.length));
  for (const k of s.storedKeys(groupId)) keys.add(k);
  return keys;
}

/** NON_EMPTY_GROUP while the group has members, else NONE (unknown groups included). */
export function emptyGroupRefusal(s: ShareStateAccess, groupId: string): number {
  return (s.groups.get(groupId)?.members.size ?? 0) > 0 ? ErrorCode.NON_EMPTY_GROUP : ErrorCode.NONE;
}

/**
 * Sets a share partition's start offset (the group must be empty; the caller checks): its in-flight
 * state goes, and it is written before the answer. Kafka accepts any offset, even past the end.
 */
export async function alterStartOffset(s: ShareStateAccess, groupId: string, topic: string, topicId: Buffer, partition: number, startOffset: number): Promise<number> {
  if (!s.emptyGroup(groupId)) return ErrorCode.GROUP_MAX_SIZE_REACHED;
  try {
    await s.replaceState(groupId, topic, topicId, partition, startOffset);
    await s.initialized(groupId, topic, topicId, partition, true);
  } catch (err) {
    return err instanceof KafkaError ? err.code : ErrorCode.KAFKA_STORAGE_ERROR;
  }
  return ErrorCode.NONE;
}

/**
 * Removes the group's state for every partition of a topic; false when it had none. The
 * partitions with state known here are joined by those a summary finds at their share
 * coordinators on other brokers (in a cluster the state may be kept and led elsewhere).
 */
export async function deleteTopicState(s: ShareStateAccess, groupId: string, topicId: Buffer): Promise<boolean> {
  const hex = topicId.toString('hex');
  const partitions = new Set([...stateKeysOf(s, groupId)].filter((k) => k.startsWith(`${hex}:`)).map((k) => Number(k.slice(hex.length + 1))));
  for (const p of s.groups.get(groupId)?.initialized.get(hex)?.partitions ?? []) partitions.add(p);
  const count = s.topics.byId(topicId)?.partitions ?? 0;
  const unknown = Array.from({ length: count }, (_, p) => p).filter((p) => !partitions.has(p));
  const found = await Promise.all(unknown.map((p) => s.summary(groupId, topicId, p).catch(() => null)));
  unknown.forEach((p, i) => found[i] && partitions.add(p));
  if (partitions.size === 0) return false;
  for (const p of partitions) await removeState(s, groupId, hex, p);
  for (const p of partitions) await s.initialized(groupId, '', topicId, p, false);
  return true;
}

/** DeleteGroups for a share group: GROUP_ID_NOT_FOUND, NON_EMPTY_GROUP, or the group and all its state removed. */
export async function deleteShareGroup(s: ShareStateAccess, groupId: string): Promise<number> {
  if (!s.groups.has(groupId) && stateKeysOf(s, groupId).size === 0) return ErrorCode.GROUP_ID_NOT_FOUND;
  const refused = emptyGroupRefusal(s, groupId);
  if (refused !== ErrorCode.NONE) return refused;
  try {
    // The state known here, and that of every partition the group was ever assigned (its type 15
    // record), which in a cluster may be kept by a share coordinator on another broker.
    const keys = stateKeysOf(s, groupId);
    for (const [hex, t] of s.groups.get(groupId)?.initialized ?? []) for (const p of t.partitions) keys.add(`${hex}:${p}`);
    for (const k of keys) {
      const [hex, p] = k.split(':') as [string, string];
      await removeState(s, groupId, hex, Number(p));
    }
    await s.forgetGroup(groupId);
  } catch {
    return ErrorCode.COORDINATOR_NOT_AVAILABLE;
  }
  return ErrorCode.NONE;
}

function removeState(s: ShareStateAccess, groupId: string, hex: string, partition: number): Promise<void> {
  const topicId = Buffer.from(hex, 'hex');
  return s.replaceState(groupId, s.topics.byId(topicId)?.name ?? '', topicId, partition, null);
}
