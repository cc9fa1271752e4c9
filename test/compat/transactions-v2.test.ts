/**
 * Transactions v2 (KIP-890) over raw sockets, against an in-process broker: EndTxn v5 bumps the
 * producer epoch at every transaction end and answers the id and epoch to use next, its retries
 * and the empty abort a TV2 client may send; the markers carry the bumped epoch, so a late write
 * of the ended transaction is fenced (INVALID_PRODUCER_EPOCH) while a read_committed fetch sees the
 * committed records and reports the aborted ones; AddPartitionsToTxn v4's broker form (several
 * transactions, verify_only) and its v5; TxnOffsetCommit v5 adding the group's offsets partition
 * itself (no AddOffsetsToTxn), v4's TRANSACTION_ABORTABLE; Produce v11's TRANSACTION_ABORTABLE for
 * a partition not in the transaction; Produce v12+ adding the partition itself (once the broker
 * serves Produce v12); and the TV2 state surviving a restart.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../protocol/errors.js';
import { API_CODECS } from '../../protocol/generated/index.js';
import { batch as batchView } from '../../protocol/records/batch.js';
import { removeDir, startTestBroker, tempDir, type TestBroker } from '../helpers/broker.js';
import { RawClient } from '../helpers/raw-client.js';
import { buildBatchSync, createTopicsReady, req } from '../differential/requests.js';

const CONFIG = { 'group.initial.rebalance.delay.ms': 0 };
let broker: TestBroker;
let c: RawClient;
let n = 0;
const dataDir = tempDir('txn-v2');

beforeAll(async () => {
  broker = await startTestBroker({ dataDir, keepData: true, config: CONFIG });
  c = await RawClient.connect(broker.host, broker.port);
});
afterAll(async () => {
  c?.close();
  await broker?.cleanup();
  removeDir(dataDir);
});

const uniq = (base: string): string => `${base}-${process.pid}-${++n}`;

async function init(id: string): Promise<{ pid: number; epoch: number }> {
  await req(c, 10, 3, { key: id, keyType: 1 });
  const r = await req(c, 22, 5, { transactionalId: id, transactionTimeoutMs: 60_000, producerId: -1, producerEpoch: -1 });
  expect(r.errorCode).toBe(ErrorCode.NONE);
  return { pid: Number(r.producerId), epoch: r.producerEpoch };
}

const endTxn = (id: string, pid: number, epoch: number, commit: boolean, v = 5) => req(c, 26, v, { transactionalId: id, producerId: pid, producerEpoch: epoch, committed: commit });

const addV3 = (id: string, pid: number, epoch: number, topic: string, parts: number[]) =>
  req(c, 24, 3, { transactionalId: id, producerId: pid, producerEpoch: epoch, topics: [{ name: topic, partitions: parts }] }).then((r) => r.resultsByTopicV3AndBelow[0].resultsByPartition.map((p: any) => p.partitionErrorCode));

function txnBatch(pid: number, epoch: number, seq: number, values: string[]): Buffer {
  return buildBatchSync(values.map((value) => ({ value })), { producerId: pid, producerEpoch: epoch, baseSequence: seq, transactional: true });
}

async function produce(id: string, topic: string, partition: number, b: Buffer, v = 9): Promise<number> {
  const r = await req(c, 0, v, { transactionalId: id, acks: -1, timeoutMs: 10_000, topicData: [{ name: topic, partitionData: [{ index: partition, records: b }] }] });
  return r.responses[0].partitionResponses[0].errorCode;
}

async function describeTxn(id: string): Promise<any> {
  return (await req(c, 65, 0, { transactionalIds: [id] })).transactionStates[0];
}

/** Every stored batch of the partition (read_uncommitted), as [producerEpoch, isControl, records]. */
async function batches(topic: string): Promise<Array<[number, boolean]>> {
  const r = await req(c, 1, 11, {
    replicaId: -1, maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 20, isolationLevel: 0, sessionId: 0, sessionEpoch: -1,
    topics: [{ topic, partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: 0, logStartOffset: -1, partitionMaxBytes: 1 << 20 }] }],
    forgottenTopicsData: [], rackId: '',
  });
  const bytes: Buffer = r.responses[0].partitions[0].records ?? Buffer.alloc(0);
  const out: Array<[number, boolean]> = [];
  for (let at = 0; at + 61 <= bytes.length; at += batchView.totalSize(bytes, at)) out.push([batchView.producerEpoch(bytes, at), batchView.isControl(bytes, at)]);
  return out;
}

async function fetchCommitted(topic: string): Promise<{ lso: number; aborted: Array<{ producerId: number; firstOffset: number }> }> {
  const r = await req(c, 1, 11, {
    replicaId: -1, maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 20, isolationLevel: 1, sessionId: 0, sessionEpoch: -1,
    topics: [{ topic, partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: 0, logStartOffset: -1, partitionMaxBytes: 1 << 20 }] }],
    forgottenTopicsData: [], rackId: '',
  });
  const p = r.responses[0].partitions[0];
  return { lso: Number(p.lastStableOffset), aborted: (p.abortedTransactions ?? []).map((a: any) => ({ producerId: Number(a.producerId), firstOffset: Number(a.firstOffset) })) };
}

describe('EndTxn v5: an epoch bump per transaction', () => {
  it('answers the bumped epoch, writes the markers with it, recognises retries and ends empty transactions', async () => {
    const topic = uniq('tv2-end');
    const id = uniq('tv2-end-id');
    await createTopicsReady(c, [{ name: topic, partitions: 1, replicationFactor: 1 }]);
    const { pid, epoch } = await init(id);
    expect(await addV3(id, pid, epoch, topic, [0])).toEqual([ErrorCode.NONE]);
    expect(await produce(id, topic, 0, txnBatch(pid, epoch, 0, ['a', 'b']))).toBe(ErrorCode.NONE);

    const commit = await endTxn(id, pid, epoch, true);
    expect({ code: commit.errorCode, pid: Number(commit.producerId), epoch: commit.producerEpoch }).toEqual({ code: ErrorCode.NONE, pid, epoch: epoch + 1 });
    expect(await describeTxn(id)).toMatchObject({ transactionState: 'CompleteCommit', producerEpoch: epoch + 1 });
    // The data batch has the old epoch, the COMMIT marker the bumped one.
    expect(await batches(topic)).toEqual([[epoch, false], [epoch + 1, true]]);
    expect((await fetchCommitted(topic)).lso).toBe(3);

    // A retry (the old epoch) is answered as the commit was; the other outcome is not.
    const retry = await endTxn(id, pid, epoch, true);
    expect({ code: retry.errorCode, pid: Number(retry.producerId), epoch: retry.producerEpoch }).toEqual({ code: ErrorCode.NONE, pid, epoch: epoch + 1 });
    expect((await endTxn(id, pid, epoch, false)).errorCode).toBe(ErrorCode.INVALID_TXN_STATE);
    // The current epoch means the next transaction: nothing to commit, but an empty abort is fine (and bumps).
    expect((await endTxn(id, pid, epoch + 1, true)).errorCode).toBe(ErrorCode.INVALID_TXN_STATE);
    const emptyAbort = await endTxn(id, pid, epoch + 1, false);
    expect({ code: emptyAbort.errorCode, epoch: emptyAbort.producerEpoch }).toEqual({ code: ErrorCode.NONE, epoch: epoch + 2 });
    // Two behind: fenced. Another producer id: INVALID_PRODUCER_ID_MAPPING. Errors carry no id.
    const fenced = await endTxn(id, pid, epoch, false);
    expect({ code: fenced.errorCode, pid: Number(fenced.producerId), epoch: fenced.producerEpoch }).toEqual({ code: ErrorCode.PRODUCER_FENCED, pid: -1, epoch: -1 });
    expect((await endTxn(id, pid + 1000, epoch + 2, false)).errorCode).toBe(ErrorCode.INVALID_PRODUCER_ID_MAPPING);
    // EndTxn v4 keeps the old rules: no bump, and the answer has no producer id field.
    expect(await addV3(id, pid, epoch + 2, topic, [0])).toEqual([ErrorCode.NONE]);
    const v4 = await endTxn(id, pid, epoch + 2, false, 4);
    expect(v4.errorCode).toBe(ErrorCode.NONE);
    expect(await describeTxn(id)).toMatchObject({ transactionState: 'CompleteAbort', producerEpoch: epoch + 2 });
  });

  it('fences a late write of the ended transaction; read_committed sees the commit and reports the abort', async () => {
    const topic = uniq('tv2-fence');
    const id = uniq('tv2-fence-id');
    await createTopicsReady(c, [{ name: topic, partitions: 1, replicationFactor: 1 }]);
    const { pid, epoch } = await init(id);
    expect(await addV3(id, pid, epoch, topic, [0])).toEqual([ErrorCode.NONE]);
    expect(await produce(id, topic, 0, txnBatch(pid, epoch, 0, ['c1']))).toBe(ErrorCode.NONE);
    expect((await endTxn(id, pid, epoch, true)).errorCode).toBe(ErrorCode.NONE);
    // A write of the committed transaction arriving late (its epoch) is fenced at the partition.
    expect(await produce(id, topic, 0, txnBatch(pid, epoch, 1, ['late']))).toBe(ErrorCode.INVALID_PRODUCER_EPOCH);

    // The next transaction runs with the bumped epoch, sequences from 0, and is aborted.
    const e1 = epoch + 1;
    expect(await addV3(id, pid, e1, topic, [0])).toEqual([ErrorCode.NONE]);
    expect(await produce(id, topic, 0, txnBatch(pid, e1, 0, ['x1', 'x2']))).toBe(ErrorCode.NONE);
    const abort = await endTxn(id, pid, e1, false);
    expect({ code: abort.errorCode, epoch: abort.producerEpoch }).toEqual({ code: ErrorCode.NONE, epoch: e1 + 1 });
    expect(await produce(id, topic, 0, txnBatch(pid, e1, 2, ['late2']))).toBe(ErrorCode.INVALID_PRODUCER_EPOCH);
    const rc = await fetchCommitted(topic);
    // c1, COMMIT, x1 x2, ABORT: everything stable; the aborted transaction starts at offset 2.
    expect(rc).toEqual({ lso: 5, aborted: [{ producerId: pid, firstOffset: 2 }] });
    expect(await batches(topic)).toEqual([[epoch, false], [e1, true], [e1, false], [e1 + 1, true]]);
  });
});

describe('AddPartitionsToTxn v4-5 (the broker-to-broker form)', () => {
  it('verify_only answers per partition without adding; without it the partitions are added; errors per transaction', async () => {
    const topic = uniq('tv2-add');
    const id = uniq('tv2-add-id');
    const other = uniq('tv2-add-other');
    await createTopicsReady(c, [{ name: topic, partitions: 3, replicationFactor: 1 }]);
    const { pid, epoch } = await init(id);
    const o = await init(other);
    const txn = (tid: string, p: number, e: number, parts: number[], verifyOnly: boolean) => ({ transactionalId: tid, producerId: p, producerEpoch: e, verifyOnly, topics: [{ name: topic, partitions: parts }] });
    const codes = (r: any) =>
      Object.fromEntries(r.resultsByTransaction.map((t: any) => [t.transactionalId === id ? 'id' : 'other', Object.fromEntries(t.topicResults[0].resultsByPartition.map((p: any) => [p.partitionIndex, p.partitionErrorCode]))]));

    for (const v of [4, 5]) {
      const verify = await req(c, 24, v, { transactions: [txn(id, pid, epoch, [0, 1], true)] });
      expect(verify.errorCode).toBe(ErrorCode.NONE);
      expect(codes(verify)).toEqual({ id: { 0: ErrorCode.TRANSACTION_ABORTABLE, 1: ErrorCode.TRANSACTION_ABORTABLE } });
    }
    const add = await req(c, 24, 5, { transactions: [txn(id, pid, epoch, [0], false), txn(other, o.pid, o.epoch - 1 < 0 ? 99 : o.epoch - 1, [2], false)] });
    expect(codes(add)).toEqual({ id: { 0: ErrorCode.NONE }, other: { 2: ErrorCode.PRODUCER_FENCED } });
    const after = await req(c, 24, 4, { transactions: [txn(id, pid, epoch, [0, 1], true), txn(other, o.pid, o.epoch, [2], true), txn(uniq('never'), 1, 0, [0], true)] });
    expect(after.resultsByTransaction).toHaveLength(3);
    expect(codes({ resultsByTransaction: after.resultsByTransaction.slice(0, 2) })).toEqual({ id: { 0: ErrorCode.NONE, 1: ErrorCode.TRANSACTION_ABORTABLE }, other: { 2: ErrorCode.TRANSACTION_ABORTABLE } });
    expect(after.resultsByTransaction[2].topicResults[0].resultsByPartition[0].partitionErrorCode).toBe(ErrorCode.INVALID_PRODUCER_ID_MAPPING);
    expect(await describeTxn(id)).toMatchObject({ transactionState: 'Ongoing', topics: [{ topic, partitions: [0] }] });
    expect((await endTxn(id, pid, epoch, false)).errorCode).toBe(ErrorCode.NONE);
  });
});

describe('Produce and TxnOffsetCommit of transaction version 2', () => {
  it('Produce v11 answers TRANSACTION_ABORTABLE for a partition not in the transaction (v9: INVALID_TXN_STATE)', async () => {
    const topic = uniq('tv2-v11');
    const id = uniq('tv2-v11-id');
    await createTopicsReady(c, [{ name: topic, partitions: 1, replicationFactor: 1 }]);
    const { pid, epoch } = await init(id);
    expect(await produce(id, topic, 0, txnBatch(pid, epoch, 0, ['no']), 9)).toBe(ErrorCode.INVALID_TXN_STATE);
    expect(await produce(id, topic, 0, txnBatch(pid, epoch, 0, ['no']), 11)).toBe(ErrorCode.TRANSACTION_ABORTABLE);
  });

  it.skipIf(API_CODECS.get(0)!.maxVersion < 12)('Produce v12+ adds the partition to the transaction itself', async () => {
    const topic = uniq('tv2-v12');
    const id = uniq('tv2-v12-id');
    await createTopicsReady(c, [{ name: topic, partitions: 2, replicationFactor: 1 }]);
    const { pid, epoch } = await init(id);
    expect(await produce(id, topic, 0, txnBatch(pid, epoch, 0, ['i1']), 12)).toBe(ErrorCode.NONE);
    expect(await produce(id, topic, 1, txnBatch(pid, epoch, 0, ['i2']), 12)).toBe(ErrorCode.NONE);
    expect(await describeTxn(id)).toMatchObject({ transactionState: 'Ongoing', topics: [{ topic, partitions: [0, 1] }] });
    expect((await fetchCommitted(topic)).lso).toBe(0);
    const commit = await endTxn(id, pid, epoch, true);
    expect(commit.producerEpoch).toBe(epoch + 1);
    expect((await fetchCommitted(topic)).lso).toBe(2);
    // A stale epoch is fenced before anything is added.
    expect(await produce(id, topic, 0, txnBatch(pid, epoch, 1, ['late']), 12)).toBe(ErrorCode.INVALID_PRODUCER_EPOCH);
    expect(await describeTxn(id)).toMatchObject({ transactionState: 'CompleteCommit', topics: [] });
  });

  it('TxnOffsetCommit v5 adds the offsets partition itself; v4 answers TRANSACTION_ABORTABLE without it', async () => {
    const id = uniq('tv2-toc-id');
    const group = uniq('tv2-toc-group');
    const topic = uniq('tv2-toc');
    await createTopicsReady(c, [{ name: topic, partitions: 1, replicationFactor: 1 }]);
    await req(c, 10, 3, { key: group, keyType: 0 });
    const { pid, epoch } = await init(id);
    const commitOffsets = (v: number, e = epoch) =>
      req(c, 28, v, { transactionalId: id, groupId: group, producerId: pid, producerEpoch: e, generationId: -1, memberId: '', groupInstanceId: null, topics: [{ name: topic, partitions: [{ partitionIndex: 0, committedOffset: 7, committedLeaderEpoch: -1, committedMetadata: null }] }] }).then(
        (r) => r.topics[0].partitions[0].errorCode,
      );
    expect(await commitOffsets(3)).toBe(ErrorCode.INVALID_TXN_STATE);
    expect(await commitOffsets(4)).toBe(ErrorCode.TRANSACTION_ABORTABLE);
    expect(await commitOffsets(5, epoch + 5)).toBe(ErrorCode.INVALID_PRODUCER_EPOCH);
    expect(await commitOffsets(5)).toBe(ErrorCode.NONE);
    const described = await describeTxn(id);
    expect(described.transactionState).toBe('Ongoing');
    expect(described.topics.map((t: any) => t.topic)).toEqual(['__consumer_offsets']);
    expect((await endTxn(id, pid, epoch, true)).errorCode).toBe(ErrorCode.NONE);
    const fetched = await req(c, 9, 7, { groupId: group, topics: [{ name: topic, partitionIndexes: [0] }], requireStable: true });
    expect(Number(fetched.topics[0].partitions[0].committedOffset)).toBe(7);
  });
});

describe('restart', () => {
  it('a TV2 transaction ended before a restart keeps its bumped epoch and transaction version after it', async () => {
    const topic = uniq('tv2-restart');
    const id = uniq('tv2-restart-id');
    await createTopicsReady(c, [{ name: topic, partitions: 1, replicationFactor: 1 }]);
    const { pid, epoch } = await init(id);
    expect(await addV3(id, pid, epoch, topic, [0])).toEqual([ErrorCode.NONE]);
    expect((await endTxn(id, pid, epoch, true)).errorCode).toBe(ErrorCode.NONE);
    c.close();
    await broker.cleanup();
    broker = await startTestBroker({ dataDir, keepData: true, config: CONFIG });
    c = await RawClient.connect(broker.host, broker.port);
    expect(await describeTxn(id)).toMatchObject({ transactionState: 'CompleteCommit', producerEpoch: epoch + 1 });
    // Still known as a TV2 transaction: the retry of its EndTxn is recognised.
    const retry = await endTxn(id, pid, epoch, true);
    expect({ code: retry.errorCode, epoch: retry.producerEpoch }).toEqual({ code: ErrorCode.NONE, epoch: epoch + 1 });
  });
});
