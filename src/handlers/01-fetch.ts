/**
 * Fetch (key 1), versions 4-12.
 *
 * For each partition: the record batches from the one holding fetch_offset, bounded by the high
 * watermark, partition_max_bytes and the request's max_bytes — except that the first partition
 * with data always gets at least one whole batch, even when it is larger than both limits (KIP-74).
 * The bytes go from the segment files to the socket as file slices, never decoded or copied
 * through JS objects (see server/response-writer.ts).
 *
 * Long poll: with fewer than min_bytes available, the request parks on the partitions' data
 * waiters — woken by appends, no polling — and re-reads when woken, until min_bytes or
 * max_wait_ms. A partition with an error answers at once.
 *
 * Fetch sessions (v7+, KIP-227): we decline to create sessions (session id 0 in every response),
 * which the protocol allows; clients then send full fetch requests. A request naming a session
 * id gets FETCH_SESSION_ID_NOT_FOUND, as it would after a broker restart.
 *
 * read_committed (isolation_level 1): data only below the last stable offset (the first offset of
 * the oldest open transaction, else the high watermark), and the aborted transactions (producer
 * id, first offset) that overlap the range, from the partition's producer state; the consumer
 * drops their records and skips the control batches (markers), which are served like any batch.
 * Only partitions that were ever part of a transaction (txn/txn-partitions.ts) have anything to
 * filter: others are read exactly as read_uncommitted. A read_committed fetch parked at the LSO is
 * woken when a transaction ends, not by every append.
 *
 * A partition that fails (OFFSET_OUT_OF_RANGE, a storage error) is answered, as Kafka does, with
 * high watermark, last stable offset and log start offset -1.
 * An empty record set is sent as empty bytes, never null (librdkafka 2.15 rejects null).
 * Version notes: v4 isolation level, LSO and aborted transactions; v5 log start offset; v7
 * sessions; v9 current leader epoch; v11 rack id / preferred read replica; v12 flexible.
 */
import {
  newFetchResponse,
  newFetchResponsePartition,
  newFetchResponseTopic,
  type FetchRequest,
  type FetchResponse,
  type FetchResponsePartition,
} from '../../protocol/generated/index.js';
import { ErrorCode, KafkaError } from '../../protocol/errors.js';
import { EMPTY } from '../../protocol/codec-support.js';
import type { FileSlice, RecordSlices } from '../../protocol/primitives.js';
import type { PartitionLog } from '../../storage/partition-log.js';
import type { PartitionProducerState } from '../txn/producer-state.js';
import { defineHandler, type RequestContext } from './types.js';

interface PartitionRead {
  topic: string;
  res: FetchResponsePartition;
  slices: FileSlice[];
  size: number;
}

interface ReadPass {
  reads: PartitionRead[];
  bytes: number;
  error: boolean;
}

const READ_COMMITTED = 1;

/** The producer state of a partition that may hold transactions (read_committed), else null. */
function txnState(ctx: RequestContext, log: PartitionLog): PartitionProducerState | Promise<PartitionProducerState> | null {
  const broker = ctx.broker;
  if (!broker.txn.partitions.has(log.topic, log.partition)) return null;
  return broker.producerStates.peek(log) ?? broker.producerStates.get(log);
}

async function readPartitions(ctx: RequestContext, req: FetchRequest): Promise<ReadPass> {
  const broker = ctx.broker;
  const readCommitted = ctx.version >= 4 && req.isolationLevel === READ_COMMITTED;
  let remaining = ctx.version >= 3 ? req.maxBytes : 0x7fffffff;
  let bytes = 0;
  let error = false;
  const reads: PartitionRead[] = [];
  for (const t of req.topics) {
    for (const p of t.partitions) {
      const res = newFetchResponsePartition({ partitionIndex: p.partition, highWatermark: -1, lastStableOffset: -1, logStartOffset: -1, abortedTransactions: null, records: EMPTY });
      const read: PartitionRead = { topic: t.topic, res, slices: [], size: 0 };
      reads.push(read);
      const log = broker.topics.partitionLog(t.topic, p.partition);
      if (!log) {
        res.errorCode = ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
        res.abortedTransactions = []; // as Kafka answers an unknown partition
        error = true;
        continue;
      }
      let state: PartitionProducerState | null = null;
      if (readCommitted) {
        res.abortedTransactions = [];
        const s = txnState(ctx, log);
        try {
          state = s instanceof Promise ? await s : s;
        } catch (err) {
          res.errorCode = err instanceof KafkaError ? err.code : ErrorCode.KAFKA_STORAGE_ERROR;
          res.highWatermark = res.lastStableOffset = res.logStartOffset = -1;
          error = true;
          continue;
        }
      } else state = broker.producerStates.peek(log) ?? null;
      const hw = log.highWatermark;
      const lso = state ? state.lastStableOffset(hw) : hw;
      res.highWatermark = hw;
      res.lastStableOffset = lso;
      res.logStartOffset = log.logStartOffset;
      // A fetch at the very end (including an empty partition after DeleteRecords) is not out of range.
      if (p.fetchOffset === hw && p.fetchOffset >= log.logStartOffset) continue;
      const limit = Math.min(p.partitionMaxBytes, remaining);
      if (limit <= 0 && bytes > 0) continue;
      try {
        const stable = readCommitted && state !== null;
        const r = await log.read(p.fetchOffset, Math.max(limit, 0), stable ? { minOneBatch: bytes === 0, maxOffset: lso } : { minOneBatch: bytes === 0 });
        res.highWatermark = r.highWatermark;
        res.lastStableOffset = state ? state.lastStableOffset(r.highWatermark) : r.highWatermark;
        res.logStartOffset = r.logStartOffset;
        if (stable && r.size > 0) {
          res.abortedTransactions = state!.abortedBetween(p.fetchOffset, lso, r.logStartOffset).map((a) => ({ producerId: a.producerId, firstOffset: a.firstOffset }));
        }
        read.slices = r.slices;
        read.size = r.size;
        bytes += r.size;
        remaining -= r.size;
      } catch (err) {
        res.errorCode = err instanceof KafkaError ? err.code : ErrorCode.UNKNOWN_SERVER_ERROR;
        // Kafka answers a failed read (OFFSET_OUT_OF_RANGE ...) without watermarks.
        res.highWatermark = -1;
        res.lastStableOffset = -1;
        res.logStartOffset = -1;
        if (!(err instanceof KafkaError)) ctx.log.error({ err, topic: t.topic, partition: p.partition }, 'fetch read failed');
        error = true;
      }
    }
  }
  return { reads, bytes, error };
}

function release(pass: ReadPass): void {
  for (const r of pass.reads) for (const s of r.slices) s.release?.();
}

/**
 * Registers `cb` for when data past `offset` becomes readable: for read_committed on a partition
 * with transactions, when the LSO passes it (a transaction ending, or appends while none is open).
 */
function waitReadable(ctx: RequestContext, log: PartitionLog, offset: number, readCommitted: boolean, cb: () => void): () => void {
  const state = readCommitted && ctx.broker.txn.partitions.has(log.topic, log.partition) ? ctx.broker.producerStates.peek(log) : undefined;
  if (!state) return log.waitForData(offset, cb);
  const hw = log.highWatermark;
  if (state.lastStableOffset(hw) > offset) {
    queueMicrotask(cb);
    return () => undefined;
  }
  if (hw <= offset) return log.waitForData(offset, cb);
  return state.onTxnComplete(cb);
}

/** Waits until any requested partition gets data past its fetch offset, or `ms` passes. */
function waitForAnyData(ctx: RequestContext, req: FetchRequest, ms: number): Promise<void> {
  const readCommitted = ctx.version >= 4 && req.isolationLevel === READ_COMMITTED;
  return new Promise((resolve) => {
    const cancels: Array<() => void> = [];
    let done = false;
    const finish = (): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      for (const c of cancels) c();
      offClose();
      resolve();
    };
    const timer = setTimeout(finish, ms);
    let offClose: () => void = () => undefined;
    for (const t of req.topics) {
      for (const p of t.partitions) {
        const log: PartitionLog | undefined = ctx.broker.topics.partitionLog(t.topic, p.partition);
        if (log) cancels.push(waitReadable(ctx, log, p.fetchOffset, readCommitted, finish));
      }
    }
    offClose = ctx.conn.onClose(finish);
  });
}

function respond(ctx: RequestContext, pass: ReadPass): FetchResponse {
  const byTopic = new Map<string, FetchResponsePartition[]>();
  for (const r of pass.reads) {
    if (r.size > 0) {
      const records: RecordSlices = { slices: r.slices, size: r.size };
      r.res.records = records;
      ctx.broker.metrics.bytesOut(r.topic, r.size);
    }
    let list = byTopic.get(r.topic);
    if (!list) byTopic.set(r.topic, (list = []));
    list.push(r.res);
  }
  return newFetchResponse({
    throttleTimeMs: 0,
    errorCode: ErrorCode.NONE,
    sessionId: 0,
    responses: [...byTopic].map(([topic, partitions]) => newFetchResponseTopic({ topic, partitions })),
  });
}

export default defineHandler<FetchRequest, FetchResponse>({
  key: 1,
  minVersion: 4,
  maxVersion: 12,
  async handle(ctx, req) {
    if (ctx.version >= 7) {
      if (req.sessionId !== 0) return newFetchResponse({ errorCode: ErrorCode.FETCH_SESSION_ID_NOT_FOUND, sessionId: 0, responses: [] });
      if (req.sessionEpoch !== 0 && req.sessionEpoch !== -1) return newFetchResponse({ errorCode: ErrorCode.INVALID_FETCH_SESSION_EPOCH, sessionId: 0, responses: [] });
    }
    const deadline = Date.now() + Math.max(req.maxWaitMs, 0);
    let pass = await readPartitions(ctx, req);
    while (!pass.error && pass.bytes < req.minBytes && Date.now() < deadline && !ctx.conn.closed) {
      release(pass);
      await waitForAnyData(ctx, req, deadline - Date.now());
      pass = await readPartitions(ctx, req);
    }
    return respond(ctx, pass);
  },
  externalBytes(res) {
    let n = 0;
    for (const t of res.responses) for (const p of t.partitions) if (p.records !== null && !Buffer.isBuffer(p.records)) n += p.records.size;
    return n;
  },
  errorResponse(_ctx, _req, code) {
    return newFetchResponse({ errorCode: code, sessionId: 0, responses: [] });
  },
});
