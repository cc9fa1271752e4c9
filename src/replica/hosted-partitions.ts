/**
 * The partitions port (data/partitions.ts) over the replica layer: handlers and coordinators get
 * the ReplicaManager's Partition objects — the same object for a partition until its topic is
 * deleted, which the producer state and the append order are keyed by. Appends keep arrival order
 * through one AppendOrder, and the free-space guard decides whether client appends are refused.
 */
import { AppendOrder } from '../data/append-order.js';
import type * as port from '../data/partitions.js';
import type { Partition } from './partition.js';
import type { ReplicaManager } from './replica-manager.js';

export class HostedPartitions implements port.PartitionsPort {
  private readonly order = new AppendOrder<port.Partition>();

  constructor(
    private readonly replicas: ReplicaManager,
    private readonly freeSpace: { readonly problem: string | null },
    readonly logDir: string,
    /** The log manager, which checkpoints the log start offsets of all partitions in one file. */
    private readonly checkpoints: { persistLogStartOffsets(): Promise<void> },
  ) {}

  get(topic: string, partition: number): Partition | undefined {
    return this.replicas.get(topic, partition);
  }

  appendInOrder<T>(partition: port.Partition, prepare: (() => Promise<void>) | null, append: () => T): T | Promise<T> {
    return this.order.run(partition, prepare, append);
  }

  missingPartitionError(topic: string, partition: number): number {
    return this.replicas.missingPartitionError(topic, partition);
  }

  persistLogStartOffsets(): Promise<void> {
    return this.checkpoints.persistLogStartOffsets();
  }

  get appendRefusal(): string | null {
    return this.freeSpace.problem;
  }
}
