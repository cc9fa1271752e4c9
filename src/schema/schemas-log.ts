/**
 * Where the registry's records go: the compacted topic `_schemas` (one partition, Confluent's name
 * and layout, flush.messages=1), created on the first write. The registry needs "append these keyed records
 * durably" and "replay everything from the start", so that is the interface, with an in-memory
 * implementation for unit tests (the same shape as groups/offsets-log.ts).
 */
import { CompressionType, batch } from '../../protocol/records/batch.js';
import { buildBatchSync } from '../../protocol/records/builder.js';
import { forEachRecord, forEachRecordSync, type BatchRecord } from '../../protocol/records/records.js';
import type { Broker } from '../broker.js';

export const SCHEMAS_TOPIC = '_schemas';

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

export class TopicSchemasLog implements SchemasLog {
  private creating: Promise<void> | null = null;

  constructor(private readonly broker: Broker) {}

  private ensure(): Promise<void> {
    if (this.broker.topics.get(SCHEMAS_TOPIC)) return Promise.resolve();
    // Everyone waits for one creation, not just its first caller.
    this.creating ??= this.broker.topics
      .create(SCHEMAS_TOPIC, {
        partitions: 1,
        replicationFactor: 1,
        configs: [
          ['cleanup.policy', 'compact'],
          ['compression.type', 'producer'],
          // Every registry answer waits for its record to be fsynced, whatever the broker's
          // (possibly relaxed) flush policy: without this a relaxed policy would never resolve.
          ['flush.messages', '1'],
        ],
        internal: true,
      })
      .then(
        () => undefined,
        (err: unknown) => {
          if (this.broker.topics.get(SCHEMAS_TOPIC)) return;
          throw err;
        },
      )
      .finally(() => {
        this.creating = null;
      });
    return this.creating;
  }

  async append(records: readonly KeyedRecord[]): Promise<void> {
    await this.ensure();
    const log = this.broker.topics.partitionLog(SCHEMAS_TOPIC, 0);
    if (!log) throw new Error(`${SCHEMAS_TOPIC}-0 is not available`);
    const now = Date.now();
    await log.append(buildBatchSync(records.map((r) => ({ key: r.key, value: r.value, timestamp: now })))).durable;
  }

  async replay(onRecord: (key: Buffer, value: Buffer | null) => void): Promise<void> {
    const log = this.broker.topics.partitionLog(SCHEMAS_TOPIC, 0);
    if (!log) return;
    const cb = (r: BatchRecord): void => {
      if (r.key) onRecord(r.key, r.value);
    };
    let from = log.logStartOffset;
    const end = log.highWatermark;
    while (from < end) {
      const batches = await log.readBatches(from, 4 * 1024 * 1024);
      if (batches.length === 0) break;
      for (const b of batches) {
        const last = batch.lastOffset(b);
        if (last < from) continue;
        from = last + 1;
        if (batch.isControl(b)) continue;
        const error =
          batch.compression(b) === CompressionType.None
            ? forEachRecordSync(b, cb, { allowOffsetGaps: true })
            : await forEachRecord(b, cb, { allowOffsetGaps: true });
        if (error !== null) throw new Error(`${SCHEMAS_TOPIC}-0: unreadable batch at offset ${batch.baseOffset(b)}: ${error}`);
      }
    }
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
