/**
 * Where the transaction coordinator's records go: the internal compacted topic
 * `__transaction_state`, one partition per transactional id (Kafka's
 * `Utils.abs(transactionalId.hashCode()) % transaction.state.log.num.partitions`), created on first
 * need with `transaction.state.log.num.partitions` partitions, cleanup.policy=compact and
 * `transaction.state.log.segment.bytes` segments, as Kafka does. The coordinator needs "append one
 * record as the partition's leader, acks=all" and "replay one partition", so that is the interface
 * (TxnStateLog), with an in-memory implementation for unit tests.
 */
import { ErrorCode, KafkaError } from '../../protocol/errors.js';
import { buildBatchSync } from '../../protocol/records/builder.js';
import { within } from '../data/deadline.js';
import { InternalTopic, TRANSACTION_STATE_TOPIC, replayPartition } from '../data/internal-topic.js';
import { offsetsPartitionFor } from '../groups/offsets-partition.js';
import type { TransactionCoordinatorDeps } from './coordinator-deps.js';

export interface TxnStateLog {
  /** Partitions of the topic (the configured count until it exists). */
  partitionCount(): number;
  /** The partition holding the transactional id's state. */
  partitionFor(transactionalId: string): number;
  /** Whether the topic exists (nothing to replay otherwise). */
  exists(): boolean;
  /** Creates the topic if needed. */
  ensure(): Promise<void>;
  /**
   * Appends one record to the id's partition as its leader (creating the topic first if needed);
   * resolves once acknowledged with acks=all semantics (one node: written, fsynced by default; a
   * cluster: the high watermark passed it), waiting at most request.timeout.ms (REQUEST_TIMED_OUT).
   * Rejects with NOT_COORDINATOR when the partition is not here, or the partition's error
   * (NOT_LEADER_OR_FOLLOWER, NOT_ENOUGH_REPLICAS, ...).
   */
  append(transactionalId: string, key: Buffer, value: Buffer | null): Promise<void>;
  /** Every keyed record of one partition, in log order; resolves with how many there were. */
  replayPartition(partition: number, onRecord: (key: Buffer, value: Buffer | null) => void): Promise<number>;
}

export class TransactionStateLog implements TxnStateLog {
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

  async append(transactionalId: string, key: Buffer, value: Buffer | null): Promise<void> {
    await this.ensure();
    const partition = this.partitionFor(transactionalId);
    const log = this.deps.partitions.get(TRANSACTION_STATE_TOPIC, partition);
    if (!log) throw new KafkaError(ErrorCode.NOT_COORDINATOR, `${TRANSACTION_STATE_TOPIC}-${partition} is not available`);
    const topic = this.deps.topics.get(TRANSACTION_STATE_TOPIC);
    const minInsyncReplicas = topic ? this.deps.topics.settings(topic).minInsyncReplicas : 1;
    // Kafka's transaction coordinator appends with acks=-1, waiting at most request.timeout.ms.
    const appended = log.append(buildBatchSync([{ key, value, timestamp: Date.now() }]), -1, minInsyncReplicas);
    const acknowledged = log.acknowledgement(appended, -1);
    if (acknowledged) await within(acknowledged, this.deps.config.int('request.timeout.ms'), () => new KafkaError(ErrorCode.REQUEST_TIMED_OUT, `${TRANSACTION_STATE_TOPIC}-${partition} write not acknowledged in time`));
  }

  async replayPartition(partition: number, onRecord: (key: Buffer, value: Buffer | null) => void): Promise<number> {
    const log = this.deps.partitions.get(TRANSACTION_STATE_TOPIC, partition);
    if (!log) return 0;
    let records = 0;
    await replayPartition(log, {
      onRecord: (r) => {
        if (!r.key) return;
        records++;
        onRecord(r.key, r.value);
      },
    }, undefined, true);
    return records;
  }
}

/** For unit tests: records kept per partition in arrays; `hold()` delays replays until `release()`. */
export class MemoryTxnStateLog implements TxnStateLog {
  readonly partitions: Array<Array<{ key: Buffer; value: Buffer | null }>>;
  created = true;
  failWith: Error | null = null;
  private held: Array<() => void> | null = null;

  constructor(readonly count = 4) {
    this.partitions = Array.from({ length: count }, () => []);
  }

  partitionCount(): number {
    return this.count;
  }

  partitionFor(transactionalId: string): number {
    return offsetsPartitionFor(transactionalId, this.count);
  }

  exists(): boolean {
    return this.created;
  }

  ensure(): Promise<void> {
    this.created = true;
    return Promise.resolve();
  }

  async append(transactionalId: string, key: Buffer, value: Buffer | null): Promise<void> {
    if (this.failWith) throw this.failWith;
    this.created = true;
    this.partitions[this.partitionFor(transactionalId)]!.push({ key, value });
  }

  hold(): void {
    this.held = [];
  }

  release(): void {
    const held = this.held ?? [];
    this.held = null;
    for (const fn of held) fn();
  }

  async replayPartition(partition: number, onRecord: (key: Buffer, value: Buffer | null) => void): Promise<number> {
    if (this.held) await new Promise<void>((resolve) => this.held!.push(resolve));
    const records = [...this.partitions[partition]!];
    for (const r of records) onRecord(r.key, r.value);
    return records.length;
  }
}
