/**
 * Where the coordinator's records go: the internal compacted topic `__consumer_offsets` (one
 * partition per group, chosen by offsetsPartitionFor). The coordinator only needs "append these
 * keyed records durably" and "replay a partition from the start", so that is the interface, with
 * an in-memory implementation for unit tests.
 *
 * The topic is created on first need (FindCoordinator or the first write), as Kafka does, with
 * `offsets.topic.num.partitions` partitions, cleanup.policy=compact and
 * `offsets.topic.segment.bytes` segments. Once it exists its real partition count is used.
 */
import { ErrorCode, KafkaError } from '../../protocol/errors.js';
import { batch } from '../../protocol/records/batch.js';
import { buildBatchSync } from '../../protocol/records/builder.js';
import { ControlRecordType } from '../../protocol/records/records.js';
import type { ConfigView } from '../config/view.js';
import { controlType } from '../data/control-batches.js';
import { CONSUMER_OFFSETS_TOPIC, InternalTopic, replayPartition, type InternalTopicHost } from '../data/internal-topic.js';
import type { Partition, PartitionsPort } from '../data/partitions.js';
import type { TopicsPort } from '../metadata/port.js';

export interface KeyedRecord {
  key: Buffer;
  /** null: tombstone. */
  value: Buffer | null;
}

export interface OffsetsLog {
  /** Partitions of the topic (the configured count until it exists). */
  partitionCount(): number;
  /** Whether the topic exists (nothing to replay otherwise). */
  exists(): boolean;
  /** Creates the topic if needed. */
  ensure(): Promise<void>;
  /**
   * Appends the records as one batch, as the partition's leader with acks=all semantics: resolves
   * once acknowledged (one node: written, fsynced under the default flush policy; a cluster: the
   * high watermark passed it). Rejects with NOT_LEADER_OR_FOLLOWER / NOT_ENOUGH_REPLICAS / ...
   * from the partition. Appends to one partition keep their call order in the log (the topic must
   * exist: call ensure() first).
   */
  append(partition: number, records: readonly KeyedRecord[]): Promise<void>;
  /**
   * Appends the records as one transactional batch of a producer (TxnOffsetCommit): they count
   * only once the transaction's COMMIT marker follows them.
   */
  appendTransactional(partition: number, records: readonly KeyedRecord[], producerId: number, producerEpoch: number): Promise<void>;
  /**
   * Calls onRecord for every record of the partition, in log order; `producerId` is the
   * producer of a transactional batch, else -1. onMarker gets the transaction markers.
   */
  replay(partition: number, onRecord: (key: Buffer, value: Buffer | null, producerId: number) => void, onMarker?: (producerId: number, commit: boolean) => void): Promise<void>;
}

/** What the real offsets log needs of the broker. */
export interface TopicOffsetsLogDeps {
  readonly config: ConfigView;
  /** Looks the topic up (its min.insync.replicas for acks=all) and creates it (the topic manager). */
  readonly topics: Pick<TopicsPort, 'get' | 'settings'> & InternalTopicHost;
  readonly partitions: Pick<PartitionsPort, 'get'>;
  /**
   * Appends a producer's transactional batch in the partition's append order and tracks the open
   * transaction in the partition's producer state (txn/transactional-append.ts), like a produced one.
   */
  appendTransactional(partition: Partition, batch: Buffer, producerId: number, minInsyncReplicas: number): Promise<void>;
}

/** The real one, on the broker's partitions. */
export class TopicOffsetsLog implements OffsetsLog {
  private readonly topic: InternalTopic;

  constructor(private readonly deps: TopicOffsetsLogDeps) {
    const config = deps.config;
    this.topic = new InternalTopic(deps.topics, CONSUMER_OFFSETS_TOPIC, () => ({
      partitions: config.int('offsets.topic.num.partitions'),
      configs: [['segment.bytes', String(config.int('offsets.topic.segment.bytes'))]],
    }));
  }

  partitionCount(): number {
    return this.deps.topics.get(CONSUMER_OFFSETS_TOPIC)?.partitions ?? this.deps.config.int('offsets.topic.num.partitions');
  }

  exists(): boolean {
    return this.topic.exists();
  }

  ensure(): Promise<void> {
    return this.topic.ensure();
  }

  /** The topic's min.insync.replicas (what acks=all needs in the ISR). */
  private minInsyncReplicas(): number {
    const t = this.deps.topics.get(CONSUMER_OFFSETS_TOPIC);
    return t ? this.deps.topics.settings(t).minInsyncReplicas : 1;
  }

  append(partition: number, records: readonly KeyedRecord[]): Promise<void> {
    const log = this.deps.partitions.get(CONSUMER_OFFSETS_TOPIC, partition);
    if (!log) return Promise.reject(new KafkaError(ErrorCode.NOT_COORDINATOR, `${CONSUMER_OFFSETS_TOPIC}-${partition} is not available`));
    const now = Date.now();
    const b = buildBatchSync(records.map((r) => ({ key: r.key, value: r.value, timestamp: now })));
    // Kafka's group coordinator appends with acks=-1. On one node the acknowledgement is the
    // write, which includes the fsync under the default flush.messages=1; under a relaxed flush
    // policy a commit must not wait for an fsync that may never come (the rule of Produce acks=-1).
    try {
      const appended = log.append(b, -1, this.minInsyncReplicas());
      return log.acknowledgement(appended, -1) ?? Promise.resolve();
    } catch (err) {
      return Promise.reject(err);
    }
  }

  async appendTransactional(partition: number, records: readonly KeyedRecord[], producerId: number, producerEpoch: number): Promise<void> {
    const log = this.deps.partitions.get(CONSUMER_OFFSETS_TOPIC, partition);
    if (!log) throw new KafkaError(ErrorCode.NOT_COORDINATOR, `${CONSUMER_OFFSETS_TOPIC}-${partition} is not available`);
    const now = Date.now();
    const b = buildBatchSync(
      records.map((r) => ({ key: r.key, value: r.value, timestamp: now })),
      { producerId, producerEpoch, transactional: true },
    );
    // Through the partition's append order, with its producer state, like a produced batch: the
    // state tracks the open transaction until its marker.
    await this.deps.appendTransactional(log, b, producerId, this.minInsyncReplicas());
  }

  async replay(partition: number, onRecord: (key: Buffer, value: Buffer | null, producerId: number) => void, onMarker?: (producerId: number, commit: boolean) => void): Promise<void> {
    const log = this.deps.partitions.get(CONSUMER_OFFSETS_TOPIC, partition);
    if (!log) return;
    let producerId = -1;
    await replayPartition(log, {
      onRecord: (r) => {
        if (r.key) onRecord(r.key, r.value, producerId);
      },
      onDataBatch: (b) => {
        producerId = batch.isTransactional(b) ? batch.producerId(b) : -1;
      },
      onControlBatch: (b) => {
        const type = batch.isTransactional(b) ? controlType(b) : null;
        if (type !== null) onMarker?.(batch.producerId(b), type === ControlRecordType.Commit);
      },
    }, undefined, true);
  }
}

/**
 * For unit tests: records kept in arrays; `failWith` makes appends fail; `hold` delays
 * durability; `holdReplays` delays replays (a partition loading) until `releaseReplays`.
 * Transactional appends keep their producer, and `appendMarker` adds a transaction marker, so a
 * replay hands both to the loader as the real log does.
 */
export class MemoryOffsetsLog implements OffsetsLog {
  readonly partitions: KeyedRecord[][];
  /** Per partition, per record: its transactional producer (-1: none); a marker entry has key null. */
  private readonly extra: Array<Array<{ producerId: number; commit?: boolean }>>;
  failWith: Error | null = null;
  /** While set, appends wait until release() (to test commits in flight). */
  private held: Array<() => void> | null = null;
  private replaysHeld: Array<() => void> | null = null;
  created = false;

  constructor(readonly count = 4) {
    this.partitions = Array.from({ length: count }, () => []);
    this.extra = Array.from({ length: count }, () => []);
  }

  partitionCount(): number {
    return this.count;
  }

  exists(): boolean {
    return this.created;
  }

  ensure(): Promise<void> {
    this.created = true;
    return Promise.resolve();
  }

  hold(): void {
    this.held = [];
  }

  release(): void {
    const held = this.held ?? [];
    this.held = null;
    for (const fn of held) fn();
  }

  /** Replays from now on wait for releaseReplays. */
  holdReplays(): void {
    this.replaysHeld = [];
  }

  /** Lets the held replays go on: all of them, or the one at `index` (in the order they started). */
  releaseReplays(index?: number): void {
    const held = this.replaysHeld ?? [];
    if (index === undefined) {
      this.replaysHeld = null;
      for (const fn of held) fn();
      return;
    }
    const fn = held[index];
    held[index] = () => undefined;
    fn?.();
  }

  append(partition: number, records: readonly KeyedRecord[], producerId = -1): Promise<void> {
    if (this.failWith) return Promise.reject(this.failWith);
    this.partitions[partition]!.push(...records.map((r) => ({ key: Buffer.from(r.key), value: r.value && Buffer.from(r.value) })));
    this.extra[partition]!.push(...records.map(() => ({ producerId })));
    if (this.held) {
      const held = this.held;
      return new Promise((resolve) => held.push(resolve));
    }
    return Promise.resolve();
  }

  appendTransactional(partition: number, records: readonly KeyedRecord[], producerId: number): Promise<void> {
    return this.append(partition, records, producerId);
  }

  /** A COMMIT/ABORT marker of `producerId` lands in the partition. */
  appendMarker(partition: number, producerId: number, commit: boolean): void {
    this.partitions[partition]!.push({ key: Buffer.alloc(0), value: null });
    this.extra[partition]!.push({ producerId, commit });
  }

  async replay(partition: number, onRecord: (key: Buffer, value: Buffer | null, producerId: number) => void, onMarker?: (producerId: number, commit: boolean) => void): Promise<void> {
    if (this.replaysHeld) {
      const held = this.replaysHeld;
      await new Promise<void>((resolve) => held.push(resolve));
    }
    const records = this.partitions[partition]!;
    const extra = this.extra[partition]!;
    for (let i = 0; i < records.length; i++) {
      const e = extra[i]!;
      if (e.commit !== undefined) onMarker?.(e.producerId, e.commit);
      else onRecord(records[i]!.key, records[i]!.value, e.producerId);
    }
  }
}
