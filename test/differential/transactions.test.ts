/**
 * Differential tests, transactions over the raw protocol: the coordinator's error codes
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
