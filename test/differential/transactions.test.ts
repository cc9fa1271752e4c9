/**
 * Differential tests, transactions over the raw protocol (and, in the second scenario, KIP-890
 * transaction version 2: EndTxn v5, AddPartitionsToTxn v4-5, TxnOffsetCommit v4-5, Produce v11-12): the coordinator's error codes
 * (INVALID_TRANSACTION_TIMEOUT, INVALID_TXN_STATE, INVALID_PRODUCER_ID_MAPPING, PRODUCER_FENCED /
 * INVALID_PRODUCER_EPOCH by version, unknown partitions), a transactional batch for a partition
 * not added, a commit and its retries, the last stable offset of an open transaction
 * (ListOffsets and Fetch), the aborted transactions a read_committed fetch reports, and
 * DescribeTransactions along the way — against Runnel and Apache Kafka.
 */
import { describe, it } from 'vitest';
import { apacheKafkaAvailable } from '../helpers/apache-kafka.js';
import type { RawClient } from '../helpers/raw-client.js';
import { err, expectSame, keyed, usePair, uniq, withRaw } from './harness.js';
import { buildBatchSync, createTopicsReady, listOffsets, req } from './requests.js';

const RETRIABLE = new Set([14, 15, 16, 51]); // COORDINATOR_LOAD_IN_PROGRESS, COORDINATOR_NOT_AVAILABLE, NOT_COORDINATOR, CONCURRENT_TRANSACTIONS

/** Sends until the error is not a retriable coordinator error (Kafka loads __transaction_state first). */
async function retrying(fn: () => Promise<any>, code: (r: any) => number, timeoutMs = 30_000): Promise<any> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const r = await fn();
    if (!RETRIABLE.has(code(r)) || Date.now() > deadline) return r;
    await new Promise((res) => setTimeout(res, 200));
  }
}

async function txnState(c: RawClient, id: string): Promise<string> {
  return (await req(c, 65, 0, { transactionalIds: [id] })).transactionStates[0].transactionState;
}

/** Waits until the transaction left its Prepare state (Kafka writes markers after answering EndTxn). */
async function settled(c: RawClient, id: string): Promise<string> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const s = await txnState(c, id);
    if (!s.startsWith('Prepare') || Date.now() > deadline) return s;
    await new Promise((r) => setTimeout(r, 100));
  }
}

function fetchCommitted(c: RawClient, topic: string, offset: number): Promise<any> {
  return req(c, 1, 11, {
    replicaId: -1,
    maxWaitMs: 0,
    minBytes: 0,
    maxBytes: 1 << 20,
    isolationLevel: 1,
    sessionId: 0,
    sessionEpoch: -1,
    topics: [{ topic, partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: offset, logStartOffset: -1, partitionMaxBytes: 1 << 20 }] }],
    forgottenTopicsData: [],
    rackId: '',
  });
}

describe.skipIf(!apacheKafkaAvailable())('differential: transactions', () => {
  const pair = usePair();

  it('coordinator errors, verification, commit retries, LSO and aborted transactions', async () => {
    const topic = uniq('txn');
    const id = uniq('txn-id');
    const obs = await pair.both((t) =>
      withRaw(t, async (c) => {
        const out: Record<string, unknown> = {};
        await createTopicsReady(c, [{ name: topic, partitions: 2, replicationFactor: 1 }]);
        const fc = await retrying(() => req(c, 10, 3, { key: id, keyType: 1 }), (r) => r.errorCode);
        out.findCoordinator = err(fc.errorCode);
        const init = (timeout: number, v = 4) =>
          retrying(() => req(c, 22, v, { transactionalId: id, transactionTimeoutMs: timeout, producerId: -1, producerEpoch: -1 }), (r) => r.errorCode);
        out.initTooLong = err((await init(900_001)).errorCode);
        out.initZero = err((await init(0)).errorCode);
        const first = await init(60_000);
        const second = await init(60_000);
        out.init = [err(first.errorCode), err(second.errorCode), second.producerId === first.producerId, second.producerEpoch - first.producerEpoch];
        const pid = second.producerId as number;
        const epoch = second.producerEpoch as number;
        out.stateAfterInit = await txnState(c, id);

        const end = (commit: boolean, p = pid, e = epoch, v = 3) => req(c, 26, v, { transactionalId: id, producerId: p, producerEpoch: e, committed: commit });
        out.endWithoutTxn = err((await end(true)).errorCode);
        out.endWrongPid = err((await end(true, pid + 1000)).errorCode);
        out.endStaleEpochV3 = err((await end(true, pid, epoch - 1)).errorCode);
        out.endStaleEpochV1 = err((await end(true, pid, epoch - 1, 1)).errorCode);

        const add = (parts: number[], opts: { id?: string; e?: number; v?: number } = {}) =>
          req(c, 24, opts.v ?? 3, { transactionalId: opts.id ?? id, producerId: pid, producerEpoch: opts.e ?? epoch, topics: [{ name: topic, partitions: parts }] }).then((r) =>
            // By partition: Kafka answers them in no particular order.
            keyed(r.resultsByTopicV3AndBelow[0].resultsByPartition, (p: any) => p.partitionIndex, (p: any) => err(p.partitionErrorCode)),
          );
        out.addStaleV3 = await add([0], { e: epoch - 1 });
        out.addStaleV1 = await add([0], { e: epoch - 1, v: 1 });
        out.addUnknownId = await add([0], { id: uniq('never') });
        out.addUnknownPartition = await add([0, 99]);

        const txnBatch = (seq: number, n: number) =>
          buildBatchSync(
            Array.from({ length: n }, (_, i) => ({ value: `v${seq + i}` })),
            { producerId: pid, producerEpoch: epoch, baseSequence: seq, transactional: true },
          );
        const produce = (partition: number, b: Buffer) =>
          req(c, 0, 9, { transactionalId: id, acks: -1, timeoutMs: 10_000, topicData: [{ name: topic, partitionData: [{ index: partition, records: b }] }] }).then((r) => err(r.responses[0].partitionResponses[0].errorCode));
        out.produceNotAdded = await produce(1, txnBatch(0, 2));

        // A committed transaction on partition 0, then its retries.
        out.addOk = await add([0]);
        out.stateOngoing = await txnState(c, id);
        out.produceAdded = await produce(0, txnBatch(0, 3));
        out.lsoOpen = (await listOffsets(c, topic, [{ partition: 0, timestamp: -1 }], 5, 1)).topics[0].partitions[0].offset;
        out.hwOpen = (await listOffsets(c, topic, [{ partition: 0, timestamp: -1 }], 5, 0)).topics[0].partitions[0].offset;
        const open = (await fetchCommitted(c, topic, 0)).responses[0].partitions[0];
        out.fetchOpen = { hw: open.highWatermark, lso: open.lastStableOffset, aborted: open.abortedTransactions, bytes: open.records?.length ?? 0 };
        out.commit = err((await retrying(() => end(true), (r) => r.errorCode)).errorCode);
        out.stateCommitted = await settled(c, id);
        out.commitRetry = err((await end(true)).errorCode);
        out.abortAfterCommit = err((await end(false)).errorCode);
        out.lsoCommitted = (await listOffsets(c, topic, [{ partition: 0, timestamp: -1 }], 5, 1)).topics[0].partitions[0].offset;

        // An aborted transaction: reported to read_committed fetches with its first offset.
        out.addAgain = await retrying(
          () => add([0]),
          (r) => (r[0] === 'CONCURRENT_TRANSACTIONS' ? 51 : 0),
        );
        out.produceAborted = await produce(0, txnBatch(3, 2));
        out.abort = err((await retrying(() => end(false), (r) => r.errorCode)).errorCode);
        out.stateAborted = await settled(c, id);
        const after = (await fetchCommitted(c, topic, 0)).responses[0].partitions[0];
        out.fetchAfterAbort = {
          hw: after.highWatermark,
          lso: after.lastStableOffset,
          aborted: after.abortedTransactions.map((a: any) => ({ samePid: a.producerId === pid, firstOffset: a.firstOffset })),
        };
        const describe = (await req(c, 65, 0, { transactionalIds: [id] })).transactionStates[0];
        out.describe = { state: describe.transactionState, timeout: describe.transactionTimeoutMs, epoch: describe.producerEpoch - epoch, topics: describe.topics };
        return out;
      }),
    );
    if (process.env.RUNNEL_DIFF_PRINT) console.log(JSON.stringify(obs, null, 1));
    expectSame('transactions', obs);
  }, 120_000);
});

/** Every stored batch of partition 0 (read_uncommitted), as [epoch relative to `base`, control?]. */
async function batchEpochs(c: RawClient, topic: string, base: number): Promise<Array<[number, boolean]>> {
  const r = await req(c, 1, 11, {
    replicaId: -1, maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 20, isolationLevel: 0, sessionId: 0, sessionEpoch: -1,
    topics: [{ topic, partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: 0, logStartOffset: -1, partitionMaxBytes: 1 << 20 }] }],
    forgottenTopicsData: [], rackId: '',
  });
  const bytes: Buffer = r.responses[0].partitions[0].records ?? Buffer.alloc(0);
  const out: Array<[number, boolean]> = [];
  for (let at = 0; at + 61 <= bytes.length; at += bytes.readInt32BE(at + 8) + 12) out.push([bytes.readInt16BE(at + 51) - base, (bytes.readInt16BE(at + 21) & 0x20) !== 0]);
  return out;
}

describe.skipIf(!apacheKafkaAvailable())('differential: transactions v2 (KIP-890)', () => {
  const pair = usePair();

  it('EndTxn v5 epoch bumps and retries, fencing of the old epoch, verify-only adds, TV2 offsets, Produce v11/v12', async () => {
    const topic = uniq('txn2');
    const id = uniq('txn2-id');
    const group = uniq('txn2-group');
    const obs = await pair.both((t) =>
      withRaw(t, async (c) => {
        const out: Record<string, unknown> = {};
        await createTopicsReady(c, [{ name: topic, partitions: 2, replicationFactor: 1 }]);
        await retrying(() => req(c, 10, 3, { key: id, keyType: 1 }), (r) => r.errorCode);
        await retrying(() => req(c, 10, 3, { key: group, keyType: 0 }), (r) => r.errorCode);
        const init = await retrying(() => req(c, 22, 5, { transactionalId: id, transactionTimeoutMs: 60_000, producerId: -1, producerEpoch: -1 }), (r) => r.errorCode);
        const pid = init.producerId as number;
        const e0 = init.producerEpoch as number;
        const end = async (commit: boolean, e: number, p = pid, v = 5) => {
          const r = await retrying(() => req(c, 26, v, { transactionalId: id, producerId: p, producerEpoch: e, committed: commit }), (x) => x.errorCode);
          return v >= 5 ? [err(r.errorCode), r.producerId === -1 ? -1 : r.producerId === pid ? 'same pid' : 'other pid', r.producerEpoch === -1 ? -1 : r.producerEpoch - e0] : err(r.errorCode);
        };
        const add = (e: number, parts: number[]) =>
          retrying(
            () => req(c, 24, 3, { transactionalId: id, producerId: pid, producerEpoch: e, topics: [{ name: topic, partitions: parts }] }),
            (r) => r.resultsByTopicV3AndBelow[0].resultsByPartition[0].partitionErrorCode,
          ).then((r) => err(r.resultsByTopicV3AndBelow[0].resultsByPartition[0].partitionErrorCode));
        const txnBatch = (e: number, seq: number, n: number) =>
          buildBatchSync(Array.from({ length: n }, (_, i) => ({ value: `v${seq + i}` })), { producerId: pid, producerEpoch: e, baseSequence: seq, transactional: true });
        const produce = (partition: number, b: Buffer, v = 9) =>
          req(c, 0, v, { transactionalId: id, acks: -1, timeoutMs: 10_000, topicData: [{ name: topic, partitionData: [{ index: partition, records: b }] }] }).then((r) => err(r.responses[0].partitionResponses[0].errorCode));

        out.produceV11NotAdded = await produce(1, txnBatch(e0, 0, 1), 11);
        out.add = await add(e0, [0]);
        out.produce = await produce(0, txnBatch(e0, 0, 2));
        out.commitV5 = await end(true, e0);
        out.stateAfterCommit = await settled(c, id);
        out.describeEpoch = (await req(c, 65, 0, { transactionalIds: [id] })).transactionStates[0].producerEpoch - e0;
        out.commitRetry = await end(true, e0);
        out.abortRetryOtherOutcome = await end(false, e0);
        out.commitCurrentNoTxn = await end(true, e0 + 1);
        out.lateWriteOldEpoch = await produce(0, txnBatch(e0, 2, 1));
        out.emptyAbort = await end(false, e0 + 1);
        out.stateAfterEmptyAbort = await settled(c, id);
        out.fencedTwoBehind = await end(false, e0);
        out.otherPid = await end(false, e0 + 2, pid + 1000);
        out.batches = await batchEpochs(c, topic, e0);

        // AddPartitionsToTxn v4: the broker form, verify-only and not.
        const e2 = e0 + 2;
        const brokerAdd = (v: number, verifyOnly: boolean, e = e2) =>
          req(c, 24, v, { transactions: [{ transactionalId: id, producerId: pid, producerEpoch: e, verifyOnly, topics: [{ name: topic, partitions: [0, 1] }] }] }).then((r) => ({
            error: err(r.errorCode),
            results: r.resultsByTransaction.map((x: any) => keyed(x.topicResults[0].resultsByPartition, (p: any) => p.partitionIndex, (p: any) => err(p.partitionErrorCode))),
          }));
        out.verifyOnlyEmpty = await brokerAdd(4, true);
        out.verifyOnlyStale = await brokerAdd(4, true, e0);
        out.add1 = await add(e2, [1]);
        out.verifyOnlyV5 = await brokerAdd(5, true);
        out.endAfterVerify = await end(false, e2);
        await settled(c, id);

        // TxnOffsetCommit: v4 without the offsets partition, v5 adding it.
        const e3 = e0 + 3;
        const commitOffsets = (v: number, e = e3) =>
          retrying(
            () =>
              req(c, 28, v, { transactionalId: id, groupId: group, producerId: pid, producerEpoch: e, generationId: -1, memberId: '', groupInstanceId: null, topics: [{ name: topic, partitions: [{ partitionIndex: 0, committedOffset: 2, committedLeaderEpoch: -1, committedMetadata: null }] }] }),
            (r) => r.topics[0].partitions[0].errorCode,
          ).then((r) => err(r.topics[0].partitions[0].errorCode));
        out.offsetsV3NotAdded = await commitOffsets(3);
        out.offsetsV4NotAdded = await commitOffsets(4);
        out.offsetsV5StaleEpoch = await commitOffsets(5, e0);
        out.offsetsV5 = await commitOffsets(5);
        out.stateAfterOffsets = (await req(c, 65, 0, { transactionalIds: [id] })).transactionStates[0].transactionState;
        out.commitOffsetsTxn = await end(true, e3);
        await settled(c, id);
        const fetched = await req(c, 9, 7, { groupId: group, topics: [{ name: topic, partitionIndexes: [0] }], requireStable: true });
        out.committedOffset = fetched.topics[0].partitions[0].committedOffset;

        // A new instance fences a running transaction (InitProducerId): the epochs it hands out.
        const e4 = e0 + 4;
        out.addBeforeFence = await add(e4, [0]);
        const fence = await retrying(() => req(c, 22, 5, { transactionalId: id, transactionTimeoutMs: 60_000, producerId: -1, producerEpoch: -1 }), (r) => r.errorCode);
        out.fenceInit = [err(fence.errorCode), fence.producerId === pid, fence.producerEpoch - e0];
        out.stateAfterFence = await settled(c, id);
        out.fenceMarkers = (await batchEpochs(c, topic, e0)).slice(-2);
        out.endFencedEpoch = await end(false, e4);

        // Produce v12: the write adds its partition (no AddPartitionsToTxn); a stale epoch is fenced.
        const e6 = fence.producerEpoch as number;
        out.produceV12 = await produce(1, txnBatch(e6, 0, 2), 12);
        const described = (await req(c, 65, 0, { transactionalIds: [id] })).transactionStates[0];
        out.afterImplicitAdd = { state: described.transactionState, topics: described.topics.map((t: any) => [t.topic === topic, t.partitions]) };
        out.produceV12Stale = await produce(0, txnBatch(e6 - 1, 0, 1), 12);
        out.commitImplicit = await end(true, e6);
        return out;
      }),
    );
    if (process.env.RUNNEL_DIFF_PRINT) console.log(JSON.stringify(obs, null, 1));
    expectSame('transactions-v2', obs);
  }, 120_000);
});
