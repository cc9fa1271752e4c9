/**
 * Share groups in `__consumer_offsets` (KIP-932), in Kafka 4.4's record formats, so that a share
 * group outlives a restart even with no member connected: ShareGroupMetadata (record type 11: the
 * group epoch) and ShareGroupStatePartitionMetadata (type 15: the topic-partitions whose share
 * state is initialised). Both sit in the group's __consumer_offsets partition (as Kafka places a
 * group) and a tombstone of each deletes the group. Members are not persisted: after a restart a
 * share consumer rejoins (its heartbeat gets UNKNOWN_MEMBER_ID, the client joins again), which
 * loses nothing (their locks were released by the restart anyway).
 *
 * The group coordinator reads the same partitions and skips these record types; this module
 * writes and reads them on its own (appends to a partition keep their order whoever makes them).
 */
import {
  readShareGroupMetadataValue,
  readShareGroupStatePartitionMetadataValue,
  writeShareGroupMetadataKey,
  writeShareGroupMetadataValue,
  writeShareGroupStatePartitionMetadataKey,
  writeShareGroupStatePartitionMetadataValue,
} from '../../protocol/generated/data/index.js';
import { Reader } from '../../protocol/primitives.js';
import type { ConfigView } from '../config/view.js';
import type { InternalTopicHost } from '../data/internal-topic.js';
import type { PartitionsPort } from '../data/partitions.js';
import { TopicOffsetsLog, type KeyedRecord } from '../groups/offsets-log.js';
import { offsetsPartitionFor } from '../groups/offsets-partition.js';
import type { TopicsPort } from '../metadata/port.js';

const METADATA = 11;
const STATE_PARTITIONS = 15;

export interface StoredShareGroup {
  epoch: number;
  /** topic id hex → name and partitions whose share state is initialised. */
  initialized: Map<string, { name: string; partitions: Set<number> }>;
}

export class ShareGroupRecords {
  private readonly log: TopicOffsetsLog;

  constructor(config: ConfigView, topics: TopicsPort & InternalTopicHost, partitions: PartitionsPort) {
    this.log = new TopicOffsetsLog({
      config,
      topics,
      partitions,
      appendTransactional: () => Promise.reject(new Error('share group records are never transactional')),
    });
  }

  /** Writes the group's epoch and initialised partitions; resolves once durable. */
  async write(groupId: string, g: StoredShareGroup): Promise<void> {
    const initializedTopics = [...g.initialized].map(([hex, t]) => ({ topicId: Buffer.from(hex, 'hex'), topicName: t.name, partitions: [...t.partitions].sort((a, b) => a - b) }));
    await this.append(groupId, [
      { key: writeShareGroupMetadataKey(METADATA, { groupId }), value: writeShareGroupMetadataValue(0, { epoch: g.epoch, metadataHash: 0 }) },
      { key: writeShareGroupStatePartitionMetadataKey(STATE_PARTITIONS, { groupId }), value: writeShareGroupStatePartitionMetadataValue(0, { initializingTopics: [], initializedTopics, deletingTopics: [] }) },
    ]);
  }

  /** Tombstones: the group is gone, also after a restart and compaction. */
  async remove(groupId: string): Promise<void> {
    if (!this.log.exists()) return;
    await this.append(groupId, [
      { key: writeShareGroupMetadataKey(METADATA, { groupId }), value: null },
      { key: writeShareGroupStatePartitionMetadataKey(STATE_PARTITIONS, { groupId }), value: null },
    ]);
  }

  private async append(groupId: string, records: KeyedRecord[]): Promise<void> {
    await this.log.ensure();
    await this.log.append(offsetsPartitionFor(groupId, this.log.partitionCount()), records);
  }

  /** Every share group in __consumer_offsets (read at startup). */
  async load(): Promise<Map<string, StoredShareGroup>> {
    const out = new Map<string, StoredShareGroup>();
    if (!this.log.exists()) return out;
    const entry = (groupId: string): StoredShareGroup => {
      let g = out.get(groupId);
      if (!g) out.set(groupId, (g = { epoch: 0, initialized: new Map() }));
      return g;
    };
    for (let p = 0; p < this.log.partitionCount(); p++) {
      await this.log.replay(p, (key, value) => {
        const r = new Reader(key);
        const type = r.int16();
        if (r.error !== null || (type !== METADATA && type !== STATE_PARTITIONS)) return;
        const groupId = r.string();
        if (r.error !== null) return;
        if (value === null) {
          if (type === METADATA) out.delete(groupId);
          return;
        }
        if (type === METADATA) {
          const v = readShareGroupMetadataValue(value);
          if (v) entry(groupId).epoch = v.message.epoch;
        } else {
          const v = readShareGroupStatePartitionMetadataValue(value);
          if (!v) return;
          const g = entry(groupId);
          g.initialized = new Map(v.message.initializedTopics.map((t) => [t.topicId.toString('hex'), { name: t.topicName, partitions: new Set(t.partitions) }]));
        }
      });
    }
    return out;
  }
}
