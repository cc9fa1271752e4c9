/**
 * Where the registry's records go: the compacted topic `_schemas` (one partition, Confluent's name
 * and layout, flush.messages=1), created on the first write. The registry needs "append these keyed records
 * durably" and "replay everything from the start", so that is the interface, with an in-memory
 * implementation for unit tests (the same shape as groups/offsets-log.ts).
 *
 * A `_schemas` that is not compacted-only (one an older Runnel auto-created through Metadata as an
 * ordinary 7-day topic) would let retention delete registered schemas: it is still read, but every
 * write is refused with a message saying how to fix it (set cleanup.policy=compact on _schemas,
 * which AlterConfigs allows); writes resume as soon as it is compacted, no restart needed.
 */
import { buildBatchSync } from '../../protocol/records/builder.js';
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
  /** Appends the records as one batch; resolves once durable (fsynced). */
  append(records: readonly KeyedRecord[]): Promise<void>;
  /** Calls onRecord for every keyed record, in log order. */
  replay(onRecord: (key: Buffer, value: Buffer | null) => void): Promise<void>;
}

/** What the real schemas log needs of the broker. */
export interface TopicSchemasLogDeps {
  readonly topics: Pick<TopicsPort, 'get'> & Pick<TopicConfigs, 'configValue'> & InternalTopicHost;
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

  private ensure(): Promise<void> {
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

  async append(records: readonly KeyedRecord[]): Promise<void> {
    const problem = this.policyProblem();
    if (problem) throw new Error(problem);
    await this.ensure();
    const log = this.deps.partitions.get(SCHEMAS_TOPIC, 0);
    if (!log) throw new Error(`${SCHEMAS_TOPIC}-0 is not available`);
    const now = Date.now();
    await log.append(buildBatchSync(records.map((r) => ({ key: r.key, value: r.value, timestamp: now })))).durable;
  }

  async replay(onRecord: (key: Buffer, value: Buffer | null) => void): Promise<void> {
    const log = this.deps.partitions.get(SCHEMAS_TOPIC, 0);
    if (!log) return;
    await replayPartition(log, {
      onRecord: (r) => {
        if (r.key) onRecord(r.key, r.value);
      },
    });
  }
}

/** For unit tests: records kept in an array; `failWith` makes appends fail. */
export class MemorySchemasLog implements SchemasLog {
  readonly records: KeyedRecord[] = [];
  failWith: Error | null = null;

  async append(records: readonly KeyedRecord[]): Promise<void> {
    if (this.failWith) throw this.failWith;
    this.records.push(...records);
  }

  async replay(onRecord: (key: Buffer, value: Buffer | null) => void): Promise<void> {
    for (const r of this.records) onRecord(r.key, r.value);
  }
}
