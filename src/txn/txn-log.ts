/**
 * Where the transaction coordinator's records go: the internal compacted topic
 * `__transaction_state`, one partition per transactional id (Kafka's
 * `Utils.abs(transactionalId.hashCode()) % transaction.state.log.num.partitions`), created on first
 * need with `transaction.state.log.num.partitions` partitions, cleanup.policy=compact and
 * `transaction.state.log.segment.bytes` segments, as Kafka does.
 */
import { ErrorCode, KafkaError } from '../../protocol/errors.js';
import { CompressionType, batch } from '../../protocol/records/batch.js';
import { buildBatchSync } from '../../protocol/records/builder.js';
import { forEachRecord, forEachRecordSync, type BatchRecord } from '../../protocol/records/records.js';
import type { Broker } from '../broker.js';
import { offsetsPartitionFor } from '../groups/offsets-partition.js';
import { TRANSACTION_STATE_TOPIC } from '../metadata/topic-manager.js';

export class TransactionStateLog {
  private creating: Promise<void> | null = null;

  constructor(private readonly broker: Broker) {}

  partitionCount(): number {
    return this.broker.topics.get(TRANSACTION_STATE_TOPIC)?.partitions ?? this.broker.config.int('transaction.state.log.num.partitions');
  }

  partitionFor(transactionalId: string): number {
    return offsetsPartitionFor(transactionalId, this.partitionCount());
  }

  exists(): boolean {
    return this.broker.topics.get(TRANSACTION_STATE_TOPIC) !== undefined;
  }

  ensure(): Promise<void> {
    if (this.creating) return this.creating;
    if (this.exists()) return Promise.resolve();
    const config = this.broker.config;
    this.creating = this.broker.topics
      .create(TRANSACTION_STATE_TOPIC, {
        partitions: config.int('transaction.state.log.num.partitions'),
        replicationFactor: 1,
        configs: [
          ['cleanup.policy', 'compact'],
          ['segment.bytes', String(config.int('transaction.state.log.segment.bytes'))],
          ['compression.type', 'producer'],
        ],
        internal: true,
      })
      .then(
        () => undefined,
        (err: unknown) => {
          if (this.exists()) return;
          throw err;
        },
      )
      .finally(() => {
        this.creating = null;
      });
    return this.creating;
  }

  /** Appends one record to the id's partition; resolves once written (fsynced by default). */
  async append(transactionalId: string, key: Buffer, value: Buffer | null): Promise<void> {
    await this.ensure();
    const partition = this.partitionFor(transactionalId);
    const log = this.broker.topics.partitionLog(TRANSACTION_STATE_TOPIC, partition);
    if (!log) throw new KafkaError(ErrorCode.NOT_COORDINATOR, `${TRANSACTION_STATE_TOPIC}-${partition} is not available`);
    await log.append(buildBatchSync([{ key, value, timestamp: Date.now() }])).written;
  }

  /** Every record of every partition, in log order per partition. */
  async replay(onRecord: (key: Buffer, value: Buffer | null) => void): Promise<number> {
    if (!this.exists()) return 0;
    let records = 0;
    const cb = (r: BatchRecord): void => {
      if (!r.key) return;
      records++;
      onRecord(r.key, r.value);
    };
    for (let p = 0; p < this.partitionCount(); p++) {
      const log = this.broker.topics.partitionLog(TRANSACTION_STATE_TOPIC, p);
      if (!log) continue;
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
            batch.compression(b) === CompressionType.None ? forEachRecordSync(b, cb, { allowOffsetGaps: true }) : await forEachRecord(b, cb, { allowOffsetGaps: true });
          if (error !== null) throw new Error(`${TRANSACTION_STATE_TOPIC}-${p}: unreadable batch at offset ${batch.baseOffset(b)}: ${error}`);
        }
      }
    }
    return records;
  }
}
