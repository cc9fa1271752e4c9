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

export interface TxnMetadata {
  readonly transactionalId: string;
  producerId: number;
  producerEpoch: number;
  /** The epoch before the last bump (-1: none): a retried InitProducerId is recognised by it. */
  lastProducerEpoch: number;
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
