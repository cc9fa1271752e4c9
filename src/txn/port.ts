/**
 * The transaction ports: what request handlers and the coordinators use of producer ids, of the
 * per-partition producer state (idempotence, open and aborted transactions, the last stable
 * offset), and of the transaction coordinator. ProducerIdAllocator, ProducerStateManager and
 * TransactionCoordinator implement them.
 *
 * Producer state is keyed by the Partition object (data/partitions.ts), which stays the same for
 * a partition until its topic is deleted; the implementation rebuilds a state from the batches it
 * reads through the Partition, with snapshots in the Partition's directory.
 */
import type { Partition } from '../data/partitions.js';
import type { EndTxnResult, InitResult, PartitionCodes, TxnMetadata } from './coordinator.js';
import type { PartitionProducerState } from './producer-state.js';

export type { EndTxnResult, InitResult, PartitionCodes, PartitionProducerState, TxnMetadata };

export interface ProducerIdsPort {
  /** A producer id never handed out before (durably reserved). */
  allocate(): Promise<number>;
}

export interface ProducerStatesPort {
  /** The partition's producer state if already loaded (the produce fast path), else undefined. */
  peek(partition: Partition): PartitionProducerState | undefined;
  /** Loads (once) and returns the partition's producer state. */
  get(partition: Partition): Promise<PartitionProducerState>;
}

export interface TransactionsPort {
  /** True once shutdown began (FindCoordinator answers COORDINATOR_NOT_AVAILABLE). */
  readonly stopping: boolean;
  /** __transaction_state: created on first need (FindCoordinator). */
  readonly stateLog: { ensure(): Promise<void>; partitionFor?(transactionalId: string): number };
  /**
   * Partitions that were ever part of a transaction: only they can differ in read_committed.
   * `add` records partitions durably (the produce path, before a partition's first transactional
   * batch; txn-partitions.ts).
   */
  readonly partitions: { has(topic: string, partition: number): boolean; add(parts: ReadonlyArray<readonly [string, number]>): Promise<void> };
  /** The state of every transactional id coordinated here (DescribeTransactions, ListTransactions). */
  readonly txns: ReadonlyMap<string, TxnMetadata>;
  /**
   * NONE when the id is coordinated here; else NOT_COORDINATOR (its `__transaction_state`
   * partition is led elsewhere, or the broker is stopping) or COORDINATOR_LOAD_IN_PROGRESS.
   */
  coordinatorError(transactionalId: string): number;
  /** A `__transaction_state` partition is loading (ListTransactions answers COORDINATOR_LOAD_IN_PROGRESS). */
  readonly loading: boolean;
  initProducerId(transactionalId: string, timeoutMs: number, expected: { producerId: number; producerEpoch: number } | null): Promise<InitResult>;
  /**
   * AddPartitionsToTxn / AddOffsetsToTxn and the implicit adds of KIP-890 part 2 (`tv` 2): the
   * error code.
   */
  addPartitions(transactionalId: string, producerId: number, producerEpoch: number, parts: ReadonlyArray<readonly [string, number]>, tv?: number): Promise<number>;
  /** AddPartitionsToTxn v4+ verify_only: per partition (partitionKey) NONE or TRANSACTION_ABORTABLE, or one error for all. */
  verifyPartitions(transactionalId: string, producerId: number, producerEpoch: number, parts: ReadonlyArray<readonly [string, number]>): PartitionCodes | number;
  /** EndTxn, answered once the markers are written; `tv` 2 (v5+) bumps the epoch and names the id/epoch to use next. */
  endTxn(transactionalId: string, producerId: number, producerEpoch: number, commit: boolean, tv?: number): Promise<EndTxnResult>;
  /** WriteTxnMarkers: appends one marker and applies it; the error code. */
  appendMarker(topic: string, partition: number, producerId: number, producerEpoch: number, commit: boolean, coordinatorEpoch: number, checkEpoch: boolean): Promise<number>;
  /**
   * KIP-890 part 2: a transaction-version-2 client (Produce v12+, TxnOffsetCommit v5+) adds a
   * partition by writing to it. Null when the partition is in the producer's running transaction
   * already (nothing to do, synchronously), else a promise of the coordinator's error code for
   * adding it (NONE once added).
   */
  addImplicitly(transactionalId: string, producerId: number, producerEpoch: number, topic: string, partition: number): Promise<number> | null;
  /**
   * KIP-890 part 1 in a cluster: a transactional write (before transaction version 2) of an id
   * coordinated by another broker, verified there. Null when there is nothing to ask; else the
   * coordinator's code (NONE, TRANSACTION_ABORTABLE for a partition not in the transaction, ...).
   */
  verifyElsewhere(transactionalId: string, producerId: number, producerEpoch: number, topic: string, partition: number): Promise<number> | null;
  /** Whether a transactional batch of this producer may go to this partition: null, or the error. */
  verify(producerId: number, producerEpoch: number, topic: string, partition: number): { code: number; message: string } | null;
}
