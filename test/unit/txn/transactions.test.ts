/**
 * Transaction building blocks without a broker: __transaction_state records (Kafka's format, v0
 * written, v0 and flexible v1 read), the partition producer state's open transactions, last stable
 * offset and aborted-transaction index, and its rebuild from stored batches (transactional batches
 * and COMMIT/ABORT markers).
 */
import { describe, expect, it } from 'vitest';
import { Writer } from '../../../protocol/primitives.js';
import { buildBatchSync, buildControlBatch } from '../../../protocol/records/builder.js';
import { ControlRecordType } from '../../../protocol/records/records.js';
import { PartitionProducerState } from '../../../src/txn/producer-state.js';
import { applyBatch, controlType } from '../../../src/txn/producer-state-manager.js';
import { decodeTxnKey, decodeTxnValue, encodeTxnKey, encodeTxnValue, type TxnLogValue } from '../../../src/txn/records.js';

describe('__transaction_state records', () => {
  it('round-trip key and value (v0), byte for byte as Kafka lays them out', () => {
    const key = encodeTxnKey('my-txn');
    expect(key.toString('hex')).toBe('0000' + '0006' + Buffer.from('my-txn').toString('hex'));
    expect(decodeTxnKey(key)).toBe('my-txn');
    const v: TxnLogValue = { producerId: 42, producerEpoch: 3, timeoutMs: 60000, state: 'PrepareCommit', partitions: new Map([['t', [0, 2]]]), lastUpdateTimestamp: 1700000000123, startTimestamp: 1700000000000 };
    const bytes = encodeTxnValue(v);
    // version, producer id, epoch, timeout, status 2, 1 topic "t" with [0, 2], timestamps
    expect(bytes.subarray(0, 17).toString('hex')).toBe('0000' + '000000000000002a' + '0003' + '0000ea60' + '02');
    expect(decodeTxnValue(bytes)).toEqual({ ...v, previousProducerId: -1, nextProducerId: -1, clientTransactionVersion: 0 });
  });

  it('writes value v1 with the TV2 tagged fields for a transaction-version-2 client, and reads them back', () => {
    const v: TxnLogValue = { producerId: 42, producerEpoch: 32767, timeoutMs: 60000, state: 'PrepareCommit', partitions: new Map([['t', [0]]]), lastUpdateTimestamp: 2, startTimestamp: 1, previousProducerId: 41, nextProducerId: 43, clientTransactionVersion: 2 };
    const bytes = encodeTxnValue(v);
    expect(bytes.readInt16BE(0)).toBe(1);
    expect(decodeTxnValue(bytes)).toEqual(v);
  });

  it('reads the flexible v1 value and its tagged fields', () => {
    const w = new Writer(200);
    w.int16(1);
    w.int64(7);
    w.int16(1);
    w.int32(30000);
    w.int8(1); // Ongoing
    w.uvarint(2); // one topic
    w.compactString('orders');
    w.uvarint(2);
    w.int32(5);
    w.uvarint(0); // topic tags
    w.int64(10);
    w.int64(5);
    w.uvarint(1); // one tagged field: PreviousProducerId
    w.uvarint(0);
    w.uvarint(8);
    w.int64(6);
    const v = decodeTxnValue(w.buf.subarray(0, w.offset));
    expect(v).toEqual({ producerId: 7, producerEpoch: 1, timeoutMs: 30000, state: 'Ongoing', partitions: new Map([['orders', [5]]]), lastUpdateTimestamp: 10, startTimestamp: 5, previousProducerId: 6, nextProducerId: -1, clientTransactionVersion: 0 });
  });
});

describe('partition producer state with transactions', () => {
  const meta = (base: number, n: number, seq: number) => ({ firstSeq: seq, lastSeq: seq + n - 1, baseOffset: base, lastOffset: base + n - 1, timestamp: 1 });

  it('tracks open transactions for the LSO and remembers aborted ones', () => {
    const s = new PartitionProducerState();
    expect(s.lastStableOffset(10)).toBe(10);
    s.record(1, 0, meta(10, 5, 0), true);
    s.record(2, 0, meta(15, 5, 0), true);
    s.record(1, 0, meta(20, 5, 5), true);
    expect(s.lastStableOffset(25)).toBe(10);
    let woken = 0;
    s.onTxnComplete(() => woken++);
    s.completeTxn(1, 0, 25, true, 2);
    expect(s.lastStableOffset(26)).toBe(15);
    s.completeTxn(2, 0, 26, false, 2);
    expect(s.lastStableOffset(27)).toBe(27);
    expect(s.aborted).toEqual([{ producerId: 1, firstOffset: 10, lastOffset: 25 }]);
    expect(s.abortedBetween(0, 27)).toEqual([{ producerId: 1, firstOffset: 10, lastOffset: 25 }]);
    expect(s.abortedBetween(26, 27)).toEqual([]);
    expect(s.abortedBetween(0, 10)).toEqual([]);
    // A marker with a newer epoch fences the producer's older epoch.
    s.completeTxn(2, 1, 27, true, 3);
    expect(s.check(2, 0, 5, 5).kind).toBe('error');
    return Promise.resolve().then(() => expect(woken).toBe(1));
  });

  it('is rebuilt from stored batches: transactional data, markers, sequence-less offset commits', () => {
    const s = new PartitionProducerState();
    const data = buildBatchSync([{ value: 'a' }, { value: 'b' }], { baseOffset: 0, producerId: 9, producerEpoch: 0, baseSequence: 0, transactional: true });
    const abort = buildControlBatch(ControlRecordType.Abort, { producerId: 9, producerEpoch: 0, coordinatorEpoch: 0, baseOffset: 2 });
    const offsets = buildBatchSync([{ key: 'k', value: 'v' }], { baseOffset: 3, producerId: 9, producerEpoch: 0, transactional: true });
    expect(controlType(abort)).toBe(ControlRecordType.Abort);
    applyBatch(s, data);
    expect(s.ongoing.get(9)).toBe(0);
    applyBatch(s, abort);
    expect(s.aborted).toEqual([{ producerId: 9, firstOffset: 0, lastOffset: 2 }]);
    applyBatch(s, offsets);
    expect(s.lastStableOffset(4)).toBe(3);
    applyBatch(s, buildControlBatch(ControlRecordType.Commit, { producerId: 9, producerEpoch: 0, coordinatorEpoch: 0, baseOffset: 4 }));
    expect(s.lastStableOffset(5)).toBe(5);
    expect(s.aborted.length).toBe(1);
    const copy = PartitionProducerState.fromJSON(s.toJSON(), [...s.ongoing], s.aborted);
    expect(copy.aborted).toEqual(s.aborted);
  });
});
