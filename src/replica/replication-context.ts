/**
 * What a Partition needs in cluster mode beyond its log (docs/cluster.md, "Replication"): the ISR
 * writer, replica.lag.time.max.ms, the replication metrics, a logger and a clock. The broker
 * composition builds one and the ReplicaManager hands it to every Partition it makes; a single
 * node passes none, and its partitions behave exactly as before replication existed (the high
 * watermark is the log's own visible end).
 */
import type { Logger } from '../logger.js';
import type { IsrWriter } from './isr-writer.js';
import type { Partition } from './partition.js';
import type { ReplicationMetrics } from './replication-metrics.js';
import type { ReplicationQuotas } from './replication-quotas.js';

export interface ReplicationContext {
  /** Where the leader writes ISR changes (null: never changes it, e.g. in tests). */
  readonly isrWriter: IsrWriter | null;
  /** replica.lag.time.max.ms */
  readonly replicaLagTimeMaxMs: number;
  readonly metrics: ReplicationMetrics | null;
  readonly logger: Logger;
  /** Milliseconds since the epoch (Date.now; tests move it). */
  now(): number;
  /**
   * A partition starts leading here (it was not leading): state kept beside the log from an earlier
   * term — the producer state, which followers do not maintain — is dropped, to be rebuilt from
   * the log when the first produce needs it.
   */
  onBecameLeader?(partition: Partition): void;
  /**
   * The partitions ever part of a transaction (txn/txn-partitions.ts): a follower records its
   * partition (durably) before it appends the first transactional batch it fetched, so that once
   * it leads, read_committed reads of it consult the producer state (open and aborted
   * transactions). Absent: nothing is recorded (tests).
   */
  readonly transactionalPartitions?: TransactionalPartitionsPort;
  /** The replication throttles (replication-quotas.ts): the leader side applies them to followers' fetches. Absent: none (tests). */
  readonly quotas?: ReplicationQuotas;
  /**
   * Whether a broker is alive (registered in the metadata image): DeleteRecords' low watermark
   * counts the log start offsets of live replicas only, as Kafka's lowWatermarkIfLeader. Absent:
   * every replica counts.
   */
  isBrokerAlive?(brokerId: number): boolean;
  /**
   * Whether a follower outside the ISR counts for the high watermark while it is caught up, and
   * may join the ISR: its broker is registered and not in a controlled shutdown (Kafka's
   * isReplicaIsrEligible). A stopped or stopping follower must not hold acks=all produces back
   * for replica.lag.time.max.ms. Absent: every follower is eligible (tests).
   */
  isBrokerIsrEligible?(brokerId: number): boolean;
}

/** What followers use of the transactional-partitions record (TransactionalPartitions satisfies it). */
export interface TransactionalPartitionsPort {
  has(topic: string, partition: number): boolean;
  add(parts: ReadonlyArray<readonly [string, number]>): Promise<void>;
}
