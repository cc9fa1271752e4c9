/**
 * Share-partition state in `__share_group_state` (KIP-932's share coordinator, on one node): each
 * share partition's delivery state is written as a ShareSnapshot record (Kafka's key and value
 * formats) keyed by group, topic id and partition, in the topic partition Kafka's share
 * coordinator would choose (abs(hashCode("groupId:topicId:partition")) mod partitions), and read
 * back at startup (ShareUpdate records, which Kafka also writes, are applied on top of the latest
 * snapshot). The topic is compacted, so only each share partition's latest snapshot is kept.
 *
 * Writes resolve once durable (acks=all semantics, fsynced under the default flush policy), and
 * the broker answers an acknowledgement or a fetch only after its state is written: a record
 * acknowledged is never delivered again, and an acquired one comes back after a restart with the
 * delivery count it had (KIP-932 keeps acquired records as available across a coordinator move).
 */
import { Reader } from '../../protocol/primitives.js';
import { buildBatchSync } from '../../protocol/records/builder.js';
import {
  decodeShareSnapshotValue,
  decodeShareUpdateValue,
  newShareSnapshotValue,
  newShareSnapshotValueStateBatch,
  readShareStateKey,
  writeShareSnapshotValue,
  writeShareStateKey,
} from '../../protocol/generated/data/index.js';
import type { ConfigView } from '../config/view.js';
import { InternalTopic, SHARE_GROUP_STATE_TOPIC, replayPartition, type InternalTopicHost } from '../data/internal-topic.js';
import type { Partition, PartitionsPort } from '../data/partitions.js';
import type { TopicsPort } from '../metadata/port.js';

/** Kafka's record types (the key's int16 prefix). */
const SNAPSHOT = 0;
const UPDATE = 1;

export interface StoredBatch {
  firstOffset: number;
  lastOffset: number;
  /** 0 available, 2 acknowledged, 4 archived. */
  deliveryState: number;
  deliveryCount: number;
}

export interface StoredShareState {
  startOffset: number;
  /** The share-partition leader's epoch that wrote it (-1: unknown); older leaders are fenced. */
  leaderEpoch?: number;
  /**
   * The state epoch (Kafka's): raised by each InitializeShareGroupState (an offsets reset), so a
   * share-partition leader still holding the state from before is fenced (FENCED_STATE_EPOCH) and
   * reloads. -1 in a write: the leader's creation of a state it found missing (state-coordinator.ts).
   */
  stateEpoch?: number;
  batches: StoredBatch[];
}

/** Java's String.hashCode over UTF-16 code units, as Kafka places keys. */
function javaHashCode(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (Math.imul(31, h) + s.charCodeAt(i)) | 0;
  return h;
}

/** Kafka's Uuid.toString: URL-safe base64 without padding. */
export function uuidString(id: Buffer): string {
  return id.toString('base64url');
}

export function stateKey(groupId: string, topicId: Buffer, partition: number): string {
  return `${groupId}:${uuidString(topicId)}:${partition}`;
}

export class ShareStateLog {
  private readonly topic: InternalTopic;

  constructor(
    private readonly config: ConfigView,
    private readonly topics: Pick<TopicsPort, 'get' | 'settings'> & InternalTopicHost,
    private readonly partitions: Pick<PartitionsPort, 'get'>,
  ) {
    this.topic = new InternalTopic(topics, SHARE_GROUP_STATE_TOPIC, () => ({
      partitions: config.int('share.coordinator.state.topic.num.partitions'),
      configs: [['segment.bytes', String(config.int('share.coordinator.state.topic.segment.bytes'))]],
    }));
  }

  private partitionCount(): number {
    return this.topics.get(SHARE_GROUP_STATE_TOPIC)?.partitions ?? this.config.int('share.coordinator.state.topic.num.partitions');
  }

  partitionFor(key: string): number {
    const h = javaHashCode(key);
    return (h === -2147483648 ? 0 : Math.abs(h)) % this.partitionCount();
  }

  /** Writes a snapshot of one share partition (in the partition led here); resolves once durable. */
  async write(groupId: string, topicId: Buffer, partition: number, state: StoredShareState): Promise<void> {
    const now = Date.now();
    const key = writeShareStateKey(SNAPSHOT, { groupId, topicId, partition });
    const value = writeShareSnapshotValue(
      0,
      newShareSnapshotValue({
        snapshotEpoch: 0,
        stateEpoch: Math.max(0, state.stateEpoch ?? 0),
        leaderEpoch: state.leaderEpoch ?? -1,
        startOffset: state.startOffset,
        createTimestamp: now,
        writeTimestamp: now,
        stateBatches: state.batches.map((b) => newShareSnapshotValueStateBatch(b)),
      }),
    );
    await this.append(groupId, topicId, partition, key, value, now);
  }

  /**
   * Removes one share partition's state (AlterShareGroupOffsets' reset has its own snapshot;
   * DeleteShareGroupOffsets and DeleteGroups write this): a tombstone, so compaction drops the
   * snapshots and a restart does not bring the state back.
   */
  async remove(groupId: string, topicId: Buffer, partition: number): Promise<void> {
    if (!this.topic.exists()) return;
    await this.append(groupId, topicId, partition, writeShareStateKey(SNAPSHOT, { groupId, topicId, partition }), null, Date.now());
  }

  private async append(groupId: string, topicId: Buffer, partition: number, key: Buffer, value: Buffer | null, now: number): Promise<void> {
    await this.topic.ensure();
    const log = this.partitions.get(SHARE_GROUP_STATE_TOPIC, this.partitionFor(stateKey(groupId, topicId, partition)));
    if (!log) throw new Error(`${SHARE_GROUP_STATE_TOPIC} is not available`);
    const t = this.topics.get(SHARE_GROUP_STATE_TOPIC);
    const minIsr = t ? this.topics.settings(t).minInsyncReplicas : 1;
    const appended = log.append(buildBatchSync([{ key, value, timestamp: now }]), -1, minIsr);
    await (log.acknowledgement(appended, -1) ?? Promise.resolve());
  }

  /** Creates the topic when missing (the first write, FindCoordinator key type 2). */
  ensure(): Promise<void> {
    return this.topic.ensure();
  }

  exists(): boolean {
    return this.topic.exists();
  }

  /** The topic's partition count now (the configured one before it exists). */
  count(): number {
    return this.partitionCount();
  }

  /** Reads every share partition's latest state: `${groupId}\u0000${topicIdHex}:${partition}` → state. */
  async load(): Promise<Map<string, StoredShareState>> {
    const out = new Map<string, StoredShareState>();
    if (!this.topic.exists()) return out;
    for (let p = 0; p < this.partitionCount(); p++) for (const [k, v] of await this.loadPartition(p)) out.set(k, v);
    return out;
  }

  /** Replays one partition of the topic to its log end (a share coordinator taking it over). */
  async loadPartition(p: number): Promise<Map<string, StoredShareState>> {
    const out = new Map<string, StoredShareState>();
    const log: Partition | undefined = this.partitions.get(SHARE_GROUP_STATE_TOPIC, p);
    if (!log) return out;
    await replayPartition(log, {
      onRecord: (r) => {
        if (!r.key) return;
        const k = readShareStateKey(r.key);
        if (!k) return;
        const id = `${k.message.groupId}\u0000${k.message.topicId.toString('hex')}:${k.message.partition}`;
        if (r.value === null) {
          out.delete(id);
          return;
        }
        const rv = new Reader(r.value);
        const version = rv.int16();
        if (rv.error !== null || version !== 0) return;
        if (k.version === SNAPSHOT) {
          const v = decodeShareSnapshotValue(rv, 0);
          if (rv.error === null) out.set(id, { startOffset: v.startOffset, leaderEpoch: v.leaderEpoch, stateEpoch: v.stateEpoch, batches: v.stateBatches.map((b) => ({ ...b })) });
        } else if (k.version === UPDATE) {
          const v = decodeShareUpdateValue(rv, 0);
          const cur = out.get(id);
          if (rv.error !== null || !cur) return;
          if (v.startOffset >= 0) cur.startOffset = v.startOffset;
          if (v.leaderEpoch > (cur.leaderEpoch ?? -1)) cur.leaderEpoch = v.leaderEpoch;
          cur.batches = mergeBatches(cur.batches, v.stateBatches.map((b) => ({ ...b })));
        }
      },
    }, undefined, true);
    return out;
  }
}

/** An update's batches replace what they cover of the earlier ones (Kafka's combine of snapshot and updates). */
function mergeBatches(base: StoredBatch[], updates: StoredBatch[]): StoredBatch[] {
  let out = base;
  for (const u of updates) {
    const next: StoredBatch[] = [];
    for (const b of out) {
      if (b.lastOffset < u.firstOffset || b.firstOffset > u.lastOffset) next.push(b);
      else {
        if (b.firstOffset < u.firstOffset) next.push({ ...b, lastOffset: u.firstOffset - 1 });
        if (b.lastOffset > u.lastOffset) next.push({ ...b, firstOffset: u.lastOffset + 1 });
      }
    }
    next.push(u);
    next.sort((a, b) => a.firstOffset - b.firstOffset);
    out = next;
  }
  return out;
}
