/**
 * Where the registry's records go: the compacted topic `_schemas` (one partition, Confluent's name
 * and layout, flush.messages=1), created on the first write. The registry needs "append these
 * keyed records as the leader, acks=all" and "read the local replica from an offset, and wait for
 * more" (it follows the topic: schemas-tail.ts), so that is the interface, with an in-memory
 * implementation for unit tests (the same shape as groups/offsets-log.ts).
 *
 * A `_schemas` that is not compacted-only (one an older Runnel auto-created through Metadata as an
 * ordinary 7-day topic) would let retention delete registered schemas: it is still read, but every
 * write is refused with a message saying how to fix it (set cleanup.policy=compact on _schemas,
 * which AlterConfigs allows); writes resume as soon as it is compacted, no restart needed.
 */
import { buildBatchSync } from '../../protocol/records/builder.js';
import { within } from '../data/deadline.js';
import { InternalTopic, SCHEMAS_TOPIC, isCompactOnly, replayPartition, type InternalTopicHost } from '../data/internal-topic.js';
import type { PartitionsPort } from '../data/partitions.js';
import type { TopicConfigs, TopicsPort } from '../metadata/port.js';

export { SCHEMAS_TOPIC };

export interface KeyedRecord {
  key: Buffer;
  /** null: tombstone. */
  value: Buffer | null;
}

export interface SchemasLog {
  /**
   * Appends the records as one batch, as the leader of `_schemas`-0 (creating the topic first if
   * needed); resolves with its offsets once acknowledged with acks=all semantics (one node: fsynced;
   * a cluster: every in-sync replica has it), waiting at most `timeoutMs`. Rejects when this broker
   * does not lead the partition.
   */
  append(records: readonly KeyedRecord[], timeoutMs: number): Promise<{ baseOffset: number; lastOffset: number }>;
  /**
   * Calls onRecord for every keyed record of the local replica from offset `from` up to what is
   * readable (the high watermark), in log order; resolves with the offset after the last one read
   * (`from` when there is nothing, or no local replica).
   */
  readFrom(from: number, onRecord: (offset: number, key: Buffer, value: Buffer | null) => void): Promise<number>;
  /** The local replica's log end offset (null: none here): records up to it may still become readable. */
  logEndOffset(): number | null;
  /** Calls `cb` once data past `offset` is readable; null when there is no local replica to wait on. */
  waitForData(offset: number, cb: () => void): (() => void) | null;
}

/** What the real schemas log needs of the broker. */
export interface TopicSchemasLogDeps {
  readonly topics: Pick<TopicsPort, 'get' | 'settings'> & Pick<TopicConfigs, 'configValue'> & InternalTopicHost;
  readonly partitions: Pick<PartitionsPort, 'get'>;
}

export class TopicSchemasLog implements SchemasLog {
  private readonly topic: InternalTopic;

  constructor(private readonly deps: TopicSchemasLogDeps) {
    this.topic = new InternalTopic(deps.topics, SCHEMAS_TOPIC, () => ({
      partitions: 1,
      // Every registry answer waits for its record to be fsynced, whatever the broker's
      // (possibly relaxed) flush policy: without this a relaxed policy would never resolve.
      configs: [['flush.messages', '1']],
    }));
  }

  /** Creates `_schemas` if it does not exist yet (the first write does; a cluster's writer before routing it). */
  ensure(): Promise<void> {
    return this.topic.ensure();
  }

  /** Why `_schemas` may not be written to (it exists and is not compacted), or null. */
  policyProblem(): string | null {
    const topic = this.deps.topics.get(SCHEMAS_TOPIC);
    if (!topic) return null;
    const policy = this.deps.topics.configValue(topic, 'cleanup.policy');
    if (isCompactOnly(policy)) return null;
    const shown = Array.isArray(policy) ? policy.join(',') : String(policy);
    return `${SCHEMAS_TOPIC} has cleanup.policy=${shown}: retention would delete registered schemas, so the registry refuses to write until it is compact (AlterConfigs ${SCHEMAS_TOPIC} cleanup.policy=compact)`;
  }

  async append(records: readonly KeyedRecord[], timeoutMs: number): Promise<{ baseOffset: number; lastOffset: number }> {
    const problem = this.policyProblem();
    if (problem) throw new Error(problem);
    await this.ensure();
    const log = this.deps.partitions.get(SCHEMAS_TOPIC, 0);
    if (!log) throw new Error(`${SCHEMAS_TOPIC}-0 is not available`);
    const topic = this.deps.topics.get(SCHEMAS_TOPIC);
    const minInsyncReplicas = topic ? this.deps.topics.settings(topic).minInsyncReplicas : 1;
    const now = Date.now();
    // acks=all; `_schemas` has flush.messages=1, so on one node that is the fsync.
    const appended = log.append(buildBatchSync(records.map((r) => ({ key: r.key, value: r.value, timestamp: now }))), -1, minInsyncReplicas);
    const acknowledged = log.acknowledgement(appended, -1);
    if (acknowledged) await within(acknowledged, timeoutMs, () => new Error(`the write to ${SCHEMAS_TOPIC}-0 was not acknowledged within ${timeoutMs} ms`));
    return { baseOffset: appended.baseOffset, lastOffset: appended.lastOffset };
  }

  async readFrom(from: number, onRecord: (offset: number, key: Buffer, value: Buffer | null) => void): Promise<number> {
    const log = this.deps.partitions.get(SCHEMAS_TOPIC, 0);
    if (!log) return from;
    return replayPartition(
      log,
      {
        onRecord: (r, offset) => {
          if (r.key) onRecord(offset, r.key, r.value);
        },
      },
      from,
    );
  }

  logEndOffset(): number | null {
    return this.deps.partitions.get(SCHEMAS_TOPIC, 0)?.logEndOffset ?? null;
  }

  waitForData(offset: number, cb: () => void): (() => void) | null {
    return this.deps.partitions.get(SCHEMAS_TOPIC, 0)?.waitForData(offset, cb) ?? null;
  }
}

/**
 * For unit tests: records kept in an array (offset = index); `failWith` makes appends fail;
 * `push` adds a record as another broker's write would arrive by replication.
 */
export class MemorySchemasLog implements SchemasLog {
  readonly records: KeyedRecord[] = [];
  failWith: Error | null = null;
  private waiters: Array<{ offset: number; cb: () => void }> = [];

  async append(records: readonly KeyedRecord[]): Promise<{ baseOffset: number; lastOffset: number }> {
    if (this.failWith) throw this.failWith;
    const baseOffset = this.records.length;
    this.push(...records);
    return { baseOffset, lastOffset: this.records.length - 1 };
  }

  push(...records: KeyedRecord[]): void {
    this.records.push(...records);
    const ready = this.waiters.filter((w) => w.offset < this.records.length);
    this.waiters = this.waiters.filter((w) => w.offset >= this.records.length);
    for (const w of ready) w.cb();
  }

  async readFrom(from: number, onRecord: (offset: number, key: Buffer, value: Buffer | null) => void): Promise<number> {
    const end = this.records.length;
    for (let i = from; i < end; i++) onRecord(i, this.records[i]!.key, this.records[i]!.value);
    return Math.max(from, end);
  }

  logEndOffset(): number {
    return this.records.length;
  }

  waitForData(offset: number, cb: () => void): () => void {
    if (offset < this.records.length) {
      queueMicrotask(cb);
      return () => undefined;
    }
    const w = { offset, cb };
    this.waiters.push(w);
    return () => {
      this.waiters = this.waiters.filter((x) => x !== w);
    };
  }
}
