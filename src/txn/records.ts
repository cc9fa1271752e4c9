/**
 * The record formats of `__transaction_state`, byte for byte Kafka's (apache/kafka
 * `transaction-coordinator/src/main/resources/common/message/TransactionLogKey.json` and
 * `TransactionLogValue.json`), so Kafka's tools (kafka-dump-log --transaction-log-decoder) read
 * our topic.
 *
 *   key   int16 version (0) | transactional_id string
 *   value int16 version | producer_id int64 | producer_epoch int16 | transaction_timeout_ms int32 |
 *         transaction_status int8 | transaction_partitions [topic string, partition_ids []int32]
 *         (nullable) | transaction_last_update_timestamp_ms int64 |
 *         transaction_start_timestamp_ms int64          — v1 is flexible (compact + tagged fields)
 * A null value is a tombstone (the transactional id expired).
 *
 * We write value version 0; we read 0 and 1 (tagged fields of v1 are skipped).
 */
import { Reader, Writer, stringSize } from '../../protocol/primitives.js';

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
}

export function encodeTxnKey(transactionalId: string): Buffer {
  const w = new Writer(2 + stringSize(transactionalId));
  w.int16(0);
  w.string(transactionalId);
  return w.finish();
}

export function decodeTxnKey(b: Buffer): string | null {
  const r = new Reader(b);
  const version = r.int16();
  if (version !== 0) return null;
  const id = r.string();
  return r.error === null ? id : null;
}

export function encodeTxnValue(v: TxnLogValue): Buffer {
  let size = 2 + 8 + 2 + 4 + 1 + 4 + 8 + 8;
  for (const [topic, parts] of v.partitions) size += stringSize(topic) + 4 + 4 * parts.length;
  const w = new Writer(size);
  w.int16(0);
  w.int64(v.producerId);
  w.int16(v.producerEpoch);
  w.int32(v.timeoutMs);
  w.int8(TXN_STATUS[v.state]);
  w.int32(v.partitions.size);
  for (const [topic, parts] of v.partitions) {
    w.string(topic);
    w.int32(parts.length);
    for (const p of parts) w.int32(p);
  }
  w.int64(v.lastUpdateTimestamp);
  w.int64(v.startTimestamp);
  return w.finish();
}

export function decodeTxnValue(b: Buffer): TxnLogValue | null {
  const r = new Reader(b);
  const version = r.int16();
  if (version < 0 || version > 1) return null;
  const flex = version >= 1;
  const producerId = r.int64();
  const producerEpoch = r.int16();
  const timeoutMs = r.int32();
  const state = STATE_BY_ID.get(r.int8());
  const partitions = new Map<string, number[]>();
  const n = flex ? r.compactArrayLength() : r.arrayLength();
  for (let i = 0; i < n && r.error === null; i++) {
    const topic = flex ? r.compactString() : r.string();
    const m = flex ? r.compactArrayLength() : r.arrayLength();
    const parts: number[] = [];
    for (let j = 0; j < m && r.error === null; j++) parts.push(r.int32());
    if (flex) r.taggedFields();
    partitions.set(topic, parts);
  }
  const lastUpdateTimestamp = r.int64();
  const startTimestamp = r.int64();
  if (flex) r.taggedFields();
  if (r.error !== null || state === undefined) return null;
  return { producerId, producerEpoch, timeoutMs, state, partitions, lastUpdateTimestamp, startTimestamp };
}
