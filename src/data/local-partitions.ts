/**
 * The partitions this broker hosts, straight from its partition logs (data/partitions.ts is the
 * port): a single broker leads every partition it has, so a Partition is its PartitionLog.
 * Appends keep arrival order through one AppendOrder, and the free-space guard decides whether
 * client appends are refused.
 */
import type { PartitionLog } from '../../storage/partition-log.js';
import { AppendOrder } from './append-order.js';
import type { Partition, PartitionsPort } from './partitions.js';

/** Where partition logs are found: the topic manager, which knows which partitions exist. */
export interface PartitionLogLookup {
  partitionLog(topic: string, partition: number): PartitionLog | undefined;
}

export class LocalPartitions implements PartitionsPort {
  private readonly order = new AppendOrder<Partition>();

  constructor(
    private readonly logs: PartitionLogLookup,
    private readonly freeSpace: { readonly problem: string | null },
    readonly logDir: string,
    /** The log manager, which checkpoints the log start offsets of all partitions in one file. */
    private readonly checkpoints: { persistLogStartOffsets(): Promise<void> },
  ) {}

  get(topic: string, partition: number): Partition | undefined {
    return this.logs.partitionLog(topic, partition);
  }

  appendInOrder<T>(partition: Partition, prepare: (() => Promise<void>) | null, append: () => T): T | Promise<T> {
    return this.order.run(partition, prepare, append);
  }

  persistLogStartOffsets(): Promise<void> {
    return this.checkpoints.persistLogStartOffsets();
  }

  get appendRefusal(): string | null {
    return this.freeSpace.problem;
  }
}
