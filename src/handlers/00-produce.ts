/**
 * Produce (key 0), versions advertised 0-11, served 3-11.
 *
 * librdkafka enables compression only when Produce v0 is advertised, so v0-2 are advertised and
 * answered with UNSUPPORTED_VERSION per partition (they would carry the old message formats).
 *
 * Per partition: one RecordBatch v2, checked from its header and CRC (data/batch-validation),
 * then every record walked as Kafka's LogValidator does (data/record-validation: INVALID_RECORD
 * for records that do not add up, INVALID_TIMESTAMP per record, keyless records on compacted
 * topics; a compressed batch is decompressed once for this and the later steps; the header's
 * maxTimestamp is repaired on CreateTime topics), then — for topics with schema validation only —
 * every record against the schema registry (schema/validation.ts; a bad record fails the batch
 * with INVALID_RECORD and record_errors),
 * then — for idempotent producers — the sequence check against the last five batches of that
 * producer (a duplicate gets its original offsets back without a second append), then — for
 * transactional batches only — that the partition was added to the producer's running
 * transaction with its current epoch (INVALID_TXN_STATE, or INVALID_PRODUCER_EPOCH for a fenced
 * producer; the producer state then tracks the open transaction for the LSO), then the append,
 * which assigns offsets synchronously. The batch is stored as sent (records never re-encoded)
 * unless the topic's compression.type asks for another codec. The response waits per acks: 0
 * none; 1 and -1 the write, which by default (flush.messages = 1) includes the fsync, so acks=-1
 * means on disk; a topic with flush.messages > 1 answers after the write without waiting for a
 * later fsync.
 * Bounded by timeout_ms (REQUEST_TIMED_OUT).
 *
 * The broker's state topics (__consumer_offsets, __transaction_state, _schemas) refuse client
 * appends with INVALID_TOPIC_EXCEPTION, as Kafka does for its internal topics. While the data dir
 * has less free space than runnel.log.dir.min.free.bytes every partition gets KAFKA_STORAGE_ERROR
 * (retriable) until space returns.
 *
 * Pipelinable: several Produce requests of one connection may be in flight; offsets are assigned in
 * arrival order because the append happens synchronously when the handler starts (or in the
 * partition's append chain, see data/append-order.ts).
 *
 * Version notes: v2+ log_append_time, v5+ log_start_offset, v7+ zstd, v8+ record errors and error
 * message, v9+ flexible, v10+ current-leader tags (not sent: on one broker we lead every partition).
 *
 * The partition-level half (leadership, min.insync.replicas against the ISR, the leader epoch
 * stamped into the batch, what acks wait for) is the Partition's (src/replica/partition.ts).
 */
import {
  newProduceResponse,
  newProduceResponseBatchIndexAndErrorMessage,
  newProduceResponsePartition,
  newProduceResponseTopic,
  type ProduceRequest,
  type ProduceResponse,
  type ProduceResponseBatchIndexAndErrorMessage,
  type ProduceResponsePartition,
} from '../../protocol/generated/index.js';
import { ErrorCode, KafkaError, errorName } from '../../protocol/errors.js';
import { batch } from '../../protocol/records/batch.js';
import { validateProducedBatch } from '../data/batch-validation.js';
import { withDecompressionSlot } from '../data/decompression-slots.js';
import { checkRecordsInPlace, decompressAndCheckRecords, recordsOf, type RecordPolicy, type RecordsCheck, type RecordsRejection } from '../data/record-validation.js';
import { compressionFor, recompressForTopic } from '../data/topic-compression.js';
import { isBrokerStateTopic } from '../data/internal-topic.js';
import type { AppendResult, Partition } from '../data/partitions.js';
import { lastSequence } from '../txn/producer-state.js';
import type { Topic } from '../metadata/topic-store.js';
import type { RecordRejection } from '../schema/validation.js';
import { defineHandler, type RequestContext } from './types.js';

const MIN_SERVED_VERSION = 3;

interface Outcome {
  errorCode: number;
  errorMessage: string | null;
  baseOffset: number;
  logAppendTime: number;
  /** Resolves when the acks are satisfied. */
  wait: Promise<void> | null;
  /**
   * Records refused by the record walk or schema validation (Produce v8+ record_errors). Set, even
   * empty, when the failure came from the records: Kafka then answers with the log start offset.
   */
  recordErrors?: ProduceResponseBatchIndexAndErrorMessage[];
}

function failed(code: number, message: string | null): Outcome {
  return { errorCode: code, errorMessage: message, baseOffset: -1, logAppendTime: -1, wait: null };
}

/** A batch refused by the record walk: Kafka reports the log start offset and each refused record. */
function rejectedBatch(r: RecordsRejection): Outcome {
  const out = failed(r.code, r.message);
  out.recordErrors = r.records.map((e) => newProduceResponseBatchIndexAndErrorMessage({ batchIndex: e.index, batchIndexErrorMessage: e.message }));
  return out;
}

function rejectedRecords(r: RecordRejection): Outcome {
  const message = r.code === ErrorCode.INVALID_RECORD ? `One or more records have been rejected: ${r.message}` : r.message;
  const out = failed(r.code, message);
  if (r.index >= 0) out.recordErrors = [newProduceResponseBatchIndexAndErrorMessage({ batchIndex: r.index, batchIndexErrorMessage: r.message })];
  return out;
}

/**
 * Appends one validated batch as the partition's leader (stamped with its leader epoch), applying
 * the idempotence check first. Runs synchronously.
 */
function appendBatch(ctx: RequestContext, log: Partition, b: Buffer, acks: number, minInsyncReplicas: number): Outcome {
  const producerId = batch.producerId(b);
  const firstSeq = batch.baseSequence(b);
  const idempotent = producerId >= 0 && firstSeq >= 0;
  const epoch = batch.producerEpoch(b);
  const state = idempotent ? ctx.producers.peek(log)! : undefined;
  let lastSeq = 0;
  if (state) {
    lastSeq = lastSequence(firstSeq, batch.recordCount(b));
    const check = state.check(producerId, epoch, firstSeq, lastSeq);
    if (check.kind === 'error') return failed(check.code, check.message);
    if (check.kind === 'duplicate') {
      // Already appended: answer with the original offsets once that append is durable.
      return { errorCode: ErrorCode.NONE, errorMessage: null, baseOffset: check.batch.baseOffset, logAppendTime: -1, wait: acks === 0 ? null : waitVisible(log, check.batch.lastOffset) };
    }
  }
  const transactional = state !== undefined && batch.isTransactional(b);
  if (transactional) {
    const denied = ctx.txn.verify(producerId, epoch, log.topic, log.partition);
    if (denied) return failed(denied.code, denied.message);
  }
  let res: AppendResult;
  try {
    res = log.append(b, acks, minInsyncReplicas);
  } catch (err) {
    if (err instanceof KafkaError) return failed(err.code, err.message);
    throw err;
  }
  if (state) state.record(producerId, epoch, { firstSeq, lastSeq, baseOffset: res.baseOffset, lastOffset: res.lastOffset, timestamp: res.logAppendTime >= 0 ? res.logAppendTime : batch.maxTimestamp(b) }, transactional);
  ctx.metrics.messagesIn(log.topic, batch.recordCount(b), b.length);
  // acks=1 and acks=-1 both wait for the write (Partition.acknowledgement); with the default
  // flush.messages=1 the write includes its fsync (storage makes an append visible only once
  // fsynced), so acks=-1 means "on disk". A topic configured with a relaxed fsync policy
  // (flush.messages > 1) has chosen not to fsync each append: acks=-1 must not wait for the next
  // fsync, which may never come when flush.ms is unset (Kafka's acks never waits for fsync either).
  const wait = log.acknowledgement(res, acks);
  return { errorCode: ErrorCode.NONE, errorMessage: null, baseOffset: res.baseOffset, logAppendTime: res.logAppendTime, wait };
}

/** Resolves once `offset` is visible (a duplicate's original append may still be in flight). */
function waitVisible(log: Partition, offset: number): Promise<void> {
  if (log.highWatermark > offset) return Promise.resolve();
  return new Promise((resolve) => log.waitForData(offset, resolve));
}

function producePartition(ctx: RequestContext, topic: Topic | undefined, index: number, records: Buffer | null, acks: number): Outcome | Promise<Outcome> {
  const log = topic ? ctx.partitions.get(topic.name, index) : undefined;
  if (ctx.version < MIN_SERVED_VERSION) return failed(ErrorCode.UNSUPPORTED_VERSION, `Produce v${ctx.version} is not supported; use v3 or later`);
  if (!topic) return failed(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, 'This server does not host this topic-partition.');
  if (!log) {
    // Cluster: a partition whose replicas are elsewhere is NOT_LEADER_OR_FOLLOWER (stale metadata), as Kafka answers.
    const code = ctx.partitions.missingPartitionError?.(topic.name, index) ?? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
    return failed(code, code === ErrorCode.NOT_LEADER_OR_FOLLOWER ? 'This server is not the leader for that topic-partition.' : 'This server does not host this topic-partition.');
  }
  const settings = ctx.topics.settings(topic);
  const logAppendTime = log.config.messageTimestampType === 'LogAppendTime';
  const problem = validateProducedBatch(records, { maxMessageBytes: settings.maxMessageBytes, produceVersion: ctx.version });
  if (problem) return failed(problem.code, problem.message);
  // Refused before the records are walked; the append checks again (the ISR may change meanwhile).
  if (!log.hasEnoughReplicas(acks, settings.minInsyncReplicas)) {
    return failed(ErrorCode.NOT_ENOUGH_REPLICAS, 'Messages are rejected since there are fewer in-sync replicas than required.');
  }
  let b = records!;
  const targetCodec = compressionFor(settings.compressionType, batch.compression(b));
  // Every record is walked as Kafka's LogValidator does (compressed batches decompressed once,
  // here): malformed records, bad timestamps and keyless records on compacted topics refuse the
  // batch; a wrong header maxTimestamp is repaired. The schema check and recompression use the
  // same decompressed records right after the walk, so a request waiting for its turn to append
  // holds its batch, never a decompressed block (up to runnel.produce.max.decompressed.bytes).
  const policy: RecordPolicy = {
    topic: topic.name,
    partition: index,
    logAppendTime,
    compacted: log.config.cleanupPolicy.compact,
    maxTimestampBeforeMs: settings.maxTimestampBeforeMs,
    maxTimestampAfterMs: settings.maxTimestampAfterMs,
    maxTimestampDiffMs: settings.maxTimestampDiffMs,
    maxDecompressedBytes: settings.maxDecompressedBytes,
    now: Date.now(),
  };
  const afterRecords = (r: RecordsCheck): Outcome | null | Promise<Outcome | null> => {
    if (!r.ok) return rejectedBatch(r);
    if (settings.schemaValidation !== null) {
      const s = ctx.schemas.checkBlock(recordsOf(b, r), batch.recordCount(b), settings.schemaValidation);
      if (s !== null) return rejectedRecords(s);
    }
    if (targetCodec === null) return null;
    return recompressForTopic(b, targetCodec, recordsOf(b, r)).then((converted) => {
      b = converted;
      return null;
    });
  };
  let recordsCheck: Promise<Outcome | null> | null = null;
  // Uncompressed: walked right here, in place. Compressed: decompressed, walked, checked and
  // recompressed within one of a few process-wide slots (data/decompression-slots.ts).
  const first =
    batch.compression(b) === 0
      ? afterRecords(checkRecordsInPlace(b, policy))
      : withDecompressionSlot(async () => afterRecords(await decompressAndCheckRecords(b, policy)));
  if (first instanceof Promise) {
    recordsCheck = first;
    // Awaited in `prepare`, which may run after earlier appends of the partition: a failure must
    // not count as unhandled in the meantime (it still reaches prepare, and the client).
    recordsCheck.catch(() => undefined);
  } else if (first !== null) {
    return first;
  }
  const idempotent = batch.producerId(b) >= 0 && batch.baseSequence(b) >= 0;
  const needsState = idempotent && ctx.producers.peek(log) === undefined;
  let rejected: Outcome | null = null;
  const prepare =
    needsState || recordsCheck !== null
      ? async () => {
          if (recordsCheck !== null) {
            rejected = await recordsCheck;
            if (rejected !== null) return;
          }
          if (needsState) await ctx.producers.get(log);
        }
      : null;
  return ctx.partitions.appendInOrder(log, prepare, () => rejected ?? appendBatch(ctx, log, b, acks, settings.minInsyncReplicas));
}

function withTimeout(p: Promise<void>, ms: number): Promise<'ok' | 'timeout'> {
  if (ms <= 0) return p.then(() => 'ok' as const);
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => resolve('timeout'), ms);
    p.then(
      () => {
        clearTimeout(t);
        resolve('ok');
      },
      (err) => {
        clearTimeout(t);
        reject(err);
      },
    );
  });
}

async function settle(o: Outcome | Promise<Outcome>, timeoutMs: number): Promise<Outcome> {
  let out: Outcome;
  try {
    out = await o;
  } catch (err) {
    return err instanceof KafkaError ? failed(err.code, err.message) : failed(ErrorCode.UNKNOWN_SERVER_ERROR, (err as Error).message);
  }
  if (!out.wait) return out;
  try {
    if ((await withTimeout(out.wait, timeoutMs)) === 'timeout') return failed(ErrorCode.REQUEST_TIMED_OUT, `Append not acknowledged within ${timeoutMs} ms`);
    return out;
  } catch (err) {
    return err instanceof KafkaError ? failed(err.code, err.message) : failed(ErrorCode.KAFKA_STORAGE_ERROR, (err as Error).message);
  }
}

export default defineHandler<ProduceRequest, ProduceResponse>({
  key: 0,
  minVersion: 0,
  maxVersion: 11,
  pipelinable: true,
  handle(ctx, req) {
    const acks = req.acks;
    const outcomes: Array<{ topic: string; index: number; outcome: Outcome | Promise<Outcome> }> = [];
    const diskLow = ctx.partitions.appendRefusal;
    for (const t of req.topicData) {
      const topic = ctx.topics.get(t.name);
      // Only the broker writes its state topics (data/internal-topic.ts), as Kafka refuses clients;
      // nothing is written while the disk is below its free-space threshold (data/free-space.ts).
      const refused = isBrokerStateTopic(t.name)
        ? failed(ErrorCode.INVALID_TOPIC_EXCEPTION, `Cannot append to internal topic ${t.name}`)
        : diskLow !== null
          ? failed(ErrorCode.KAFKA_STORAGE_ERROR, diskLow)
          : null;
      for (const p of t.partitionData) {
        const outcome = acks !== 0 && acks !== 1 && acks !== -1 ? failed(ErrorCode.INVALID_REQUIRED_ACKS, `Invalid required acks ${acks}`) : (refused ?? producePartition(ctx, topic, p.index, p.records as Buffer | null, acks));
        outcomes.push({ topic: t.name, index: p.index, outcome });
      }
    }
    if (acks === 0) {
      // No response is sent; a failed partition closes the connection so the client notices (as Kafka does).
      void Promise.all(outcomes.map((o) => settle(o.outcome, 0))).then((results) => {
        const bad = results.find((r) => r.errorCode !== ErrorCode.NONE);
        if (bad) ctx.conn.close(`acks=0 produce failed: ${errorName(bad.errorCode)} ${bad.errorMessage ?? ''}`);
      });
      return null;
    }
    return Promise.all(outcomes.map((o) => settle(o.outcome, req.timeoutMs))).then((results) => {
      const byTopic = new Map<string, ProduceResponsePartition[]>();
      results.forEach((r, i) => {
        const { topic, index } = outcomes[i]!;
        const log = ctx.partitions.get(topic, index);
        if (r.errorCode !== ErrorCode.NONE) ctx.log.debug({ topic, partition: index, error: errorName(r.errorCode), reason: r.errorMessage }, 'produce rejected');
        let list = byTopic.get(topic);
        if (!list) byTopic.set(topic, (list = []));
        list.push(
          newProduceResponsePartition({
            index,
            errorCode: r.errorCode,
            baseOffset: r.baseOffset,
            logAppendTimeMs: r.logAppendTime,
            // Kafka answers a failed partition with log_start_offset -1, except when single
            // records were rejected (record_errors).
            logStartOffset: log && (r.errorCode === ErrorCode.NONE || r.recordErrors !== undefined) ? log.logStartOffset : -1,
            errorMessage: r.errorCode === ErrorCode.NONE ? null : r.errorMessage,
            recordErrors: r.recordErrors ?? [],
          }),
        );
      });
      return newProduceResponse({
        responses: [...byTopic].map(([name, partitionResponses]) => newProduceResponseTopic({ name, partitionResponses })),
        throttleTimeMs: 0,
      });
    });
  },
  errorResponse(_ctx, req, code, message) {
    return newProduceResponse({
      responses: req.topicData.map((t) =>
        newProduceResponseTopic({
          name: t.name,
          partitionResponses: t.partitionData.map((p) => newProduceResponsePartition({ index: p.index, errorCode: code, baseOffset: -1, errorMessage: message })),
        }),
      ),
    });
  },
});
