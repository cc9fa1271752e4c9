/**
 * The records of `__transaction_state`, byte for byte Kafka's, so Kafka's tools (kafka-dump-log
 * --transaction-log-decoder) read our topic. The codecs are generated from protocol/data
 * (TransactionLogKey/Value); this module maps them to the coordinator's view (state names, a map
 * of topic → partitions). A null value is a tombstone (the transactional id expired).
 *
 * We write key version 0. Values: version 0 for transactions of clients before KIP-890 part 2
 * (byte for byte what Kafka writes for them), version 1 once a transaction-version-2 client drove
 * the id (or one of its transactions rotated the producer id) (EndTxn v5+, or a partition added implicitly by Produce v12+ /
 * TxnOffsetCommit v5+): its tagged fields carry the previous and next producer ids (the epoch
 * overflow of an epoch bump per transaction) and the client's transaction version, so a restart
 * resumes the transaction with the same rules. Both versions are read.
 */
import { newTransactionLogValue, readTransactionLogKey, readTransactionLogValue, writeTransactionLogKey, writeTransactionLogValue } from '../../protocol/generated/data/index.js';

const KEY_VERSION = 0;

/** Kafka's TransactionState ids (transaction_status). */
export const TXN_STATUS = {
  Empty: 0,
  Ongoing: 1,
  PrepareCommit: 2,
  PrepareAbort: 3,
  CompleteCommit: 4,
  CompleteAbort: 5,
  Dead: 6,
  PrepareEpochFence: 7,
} as const;

export type TxnState = keyof typeof TXN_STATUS;

const STATE_BY_ID = new Map<number, TxnState>(Object.entries(TXN_STATUS).map(([k, v]) => [v, k as TxnState]));

export interface TxnLogValue {
  producerId: number;
  producerEpoch: number;
  timeoutMs: number;
  state: TxnState;
  /** topic → partitions. */
  partitions: Map<string, number[]>;
  lastUpdateTimestamp: number;
  startTimestamp: number;
  /** Producer id before an epoch overflow rotated it (-1: none); TV2 only. */
  previousProducerId?: number;
  /** Producer id allocated for an epoch overflow, taken on at the Complete state (-1: none); TV2 only. */
  nextProducerId?: number;
  /** The client's transaction version (0 before KIP-890 part 2, 2 with it). */
  clientTransactionVersion?: number;
  /** Not written: the epoch before the last bump, when the caller knows it better than "the previous value" (an overflow). */
  lastProducerEpoch?: number;
}

export function encodeTxnKey(transactionalId: string): Buffer {
  return writeTransactionLogKey(KEY_VERSION, { transactionalId });
}

export function decodeTxnKey(b: Buffer): string | null {
  return readTransactionLogKey(b)?.message.transactionalId ?? null;
}

export function encodeTxnValue(v: TxnLogValue): Buffer {
  const tv = v.clientTransactionVersion ?? 0;
  const flexible = tv >= 2 || (v.previousProducerId ?? -1) >= 0 || (v.nextProducerId ?? -1) >= 0;
  return writeTransactionLogValue(
    flexible ? 1 : 0,
    newTransactionLogValue({
      producerId: v.producerId,
      previousProducerId: v.previousProducerId ?? -1,
      nextProducerId: v.nextProducerId ?? -1,
      clientTransactionVersion: tv,
      producerEpoch: v.producerEpoch,
      transactionTimeoutMs: v.timeoutMs,
      transactionStatus: TXN_STATUS[v.state],
      transactionPartitions: Array.from(v.partitions, ([topic, partitionIds]) => ({ topic, partitionIds })),
      transactionLastUpdateTimestampMs: v.lastUpdateTimestamp,
      transactionStartTimestampMs: v.startTimestamp,
    }),
  );
}

export function decodeTxnValue(b: Buffer): TxnLogValue | null {
  const m = readTransactionLogValue(b)?.message;
  const state = m && STATE_BY_ID.get(m.transactionStatus);
  if (m === undefined || state === undefined) return null;
  const partitions = new Map<string, number[]>();
  // Kafka writes a null partition list for a transaction in state Empty.
  for (const p of m.transactionPartitions ?? []) partitions.set(p.topic, p.partitionIds);
  return {
    producerId: m.producerId,
    producerEpoch: m.producerEpoch,
    timeoutMs: m.transactionTimeoutMs,
    state,
    partitions,
    lastUpdateTimestamp: m.transactionLastUpdateTimestampMs,
    startTimestamp: m.transactionStartTimestampMs,
    previousProducerId: m.previousProducerId,
    nextProducerId: m.nextProducerId,
    clientTransactionVersion: m.clientTransactionVersion,
  };
}
