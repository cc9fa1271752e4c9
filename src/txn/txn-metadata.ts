/**
 * What the transaction coordinator knows of one transactional id (TxnMetadata), the results it
 * answers with, and the small rules every transaction request shares: the epoch ceiling, Kafka's
 * producer id/epoch check, and how a failed __transaction_state write is reported. Pure: no I/O,
 * no coordinator state.
 */
import { ErrorCode, KafkaError } from '../../protocol/errors.js';
import type { TxnState } from './records.js';

/** The largest producer epoch (int16); a producer id at it gets a new id on its next InitProducerId. */
export const MAX_EPOCH = 32767;

/** Kafka's "epoch exhausted": clients never get MAX_EPOCH, so the coordinator can always fence with it. */
export function epochExhausted(epoch: number): boolean {
  return epoch >= MAX_EPOCH - 1;
}

/** The transaction version (KIP-890) whose clients get an epoch bump at every transaction end. */
export const TV2 = 2;

export interface TxnMetadata {
  readonly transactionalId: string;
  producerId: number;
  producerEpoch: number;
  /** The epoch before the last bump (-1: none): a retried InitProducerId is recognised by it. */
  lastProducerEpoch: number;
  /** The producer id before an epoch overflow gave it a new one (-1: none): a retried EndTxn v5 is recognised by it. */
  previousProducerId: number;
  /** A producer id allocated by an EndTxn v5 at the epoch ceiling, taken on with the Complete state (-1: none). */
  nextProducerId: number;
  /** Transaction version of the client that drove the last change (0, or 2: KIP-890 part 2, an epoch bump per transaction). */
  clientTransactionVersion: number;
  timeoutMs: number;
  state: TxnState;
  /** topic → partitions of the running (or completing) transaction. */
  partitions: Map<string, Set<number>>;
  /** -1 when no transaction ran yet. */
  startTimestamp: number;
  lastUpdateTimestamp: number;
  /** Markers being written (Prepare states). */
  completion: Promise<void> | null;
}

export interface InitResult {
  errorCode: number;
  producerId: number;
  producerEpoch: number;
}

/** A request's outcome under its id's lock: an answer, or a completion to wait for before retrying. */
export type Step<T> = { kind: 'done'; value: T } | { kind: 'wait'; promise: Promise<void> };

export function partitionsToLog(parts: Map<string, Set<number>>): Map<string, number[]> {
  return new Map([...parts].map(([t, s]) => [t, [...s].sort((a, b) => a - b)]));
}

/** Maps a failed __transaction_state write to the (retriable) error Kafka answers. */
export function writeError(err: unknown): number {
  const code = err instanceof KafkaError ? err.code : ErrorCode.UNKNOWN_SERVER_ERROR;
  if (code === ErrorCode.KAFKA_STORAGE_ERROR || code === ErrorCode.NOT_COORDINATOR) return ErrorCode.NOT_COORDINATOR;
  return ErrorCode.COORDINATOR_NOT_AVAILABLE;
}

/** Kafka's producer id/epoch check for AddPartitionsToTxn, AddOffsetsToTxn and EndTxn. */
export function checkProducer(meta: TxnMetadata | undefined, producerId: number, producerEpoch: number): number {
  if (!meta || meta.state === 'Dead') return ErrorCode.INVALID_PRODUCER_ID_MAPPING;
  if (meta.producerId !== producerId) return ErrorCode.INVALID_PRODUCER_ID_MAPPING;
  if (meta.producerEpoch !== producerEpoch) return ErrorCode.PRODUCER_FENCED;
  return ErrorCode.NONE;
}
