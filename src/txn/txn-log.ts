/**
 * Where the transaction coordinator's records go: the internal compacted topic
 * `__transaction_state`, one partition per transactional id (Kafka's
 * `Utils.abs(transactionalId.hashCode()) % transaction.state.log.num.partitions`), created on first
 * need with `transaction.state.log.num.partitions` partitions, cleanup.policy=compact and
 * `transaction.state.log.segment.bytes` segments, as Kafka does.
 */
import { ErrorCode, KafkaError } from '../../protocol/errors.js';
import { buildBatchSync } from '../../protocol/records/builder.js';
import { InternalTopic, TRANSACTION_STATE_TOPIC, replayPartition } from '../data/internal-topic.js';
import { offsetsPartitionFor } from '../groups/offsets-partition.js';
import type { TransactionCoordinatorDeps } from './coordinator-deps.js';

export class TransactionStateLog {
  private readonly topic: InternalTopic;

  constructor(private readonly deps: Pick<TransactionCoordinatorDeps, 'config' | 'topics' | 'partitions'>) {
    this.topic = new InternalTopic(deps.topics, TRANSACTION_STATE_TOPIC, () => ({
      partitions: deps.config.int('transaction.state.log.num.partitions'),
      configs: [['segment.bytes', String(deps.config.int('transaction.state.log.segment.bytes'))]],
    }));
  }

  partitionCount(): number {
    return this.deps.topics.get(TRANSACTION_STATE_TOPIC)?.partitions ?? this.deps.config.int('transaction.state.log.num.partitions');
  }

  partitionFor(transactionalId: string): number {
    return offsetsPartitionFor(transactionalId, this.partitionCount());
  }

  exists(): boolean {
    return this.topic.exists();
  }

  ensure(): Promise<void> {
    return this.topic.ensure();
  }

  /** Appends one record to the id's partition; resolves once written (fsynced by default). */
  async append(transactionalId: string, key: Buffer, value: Buffer | null): Promise<void> {
    await this.ensure();
    const partition = this.partitionFor(transactionalId);
    const log = this.deps.partitions.get(TRANSACTION_STATE_TOPIC, partition);
    if (!log) throw new KafkaError(ErrorCode.NOT_COORDINATOR, `${TRANSACTION_STATE_TOPIC}-${partition} is not available`);
    await log.append(buildBatchSync([{ key, value, timestamp: Date.now() }])).written;
  }

  /** Every record of every partition, in log order per partition. */
  async replay(onRecord: (key: Buffer, value: Buffer | null) => void): Promise<number> {
    if (!this.exists()) return 0;
    let records = 0;
    for (let p = 0; p < this.partitionCount(); p++) {
      const log = this.deps.partitions.get(TRANSACTION_STATE_TOPIC, p);
      if (!log) continue;
      await replayPartition(log, {
        onRecord: (r) => {
          if (!r.key) return;
          records++;
          onRecord(r.key, r.value);
        },
      });
    }
    return records;
  }
}
