/**
 * Produce (key 0), versions 0-13 (v0-v2 with message format v0/v1 are converted on the way in; v12,
 * KIP-890: the same as v11 on the wire; a transactional batch adds its partition to the
 * transaction, stages/append.ts; v13 names topics by id).
 *
 * Every partition's batch goes through the produce pipeline (src/produce/pipeline.ts), which holds
 * the stages and their order; this handler decodes, builds one ProducedBatch per partition, runs
 * the pipeline, and collects the answers into the response. In short, per partition: acks; WRITE
 * authorization (allow-all until ACLs exist); the broker's state topics (__consumer_offsets,
 * __transaction_state, _schemas) refuse client appends with INVALID_TOPIC_EXCEPTION, as Kafka does
 * for its internal topics; while the data dir has less free space than
 * runnel.log.dir.min.free.bytes every partition gets KAFKA_STORAGE_ERROR (retriable) until space
 * returns; version and partition; one RecordBatch v2 checked from its header and CRC
 * (data/batch-validation); every record walked as Kafka's LogValidator does
 * (data/record-validation: INVALID_RECORD for records that do not add up, INVALID_TIMESTAMP per
 * record, keyless records on compacted topics; the header's maxTimestamp repaired on CreateTime
 * topics), a compressed batch decompressed once for this and the later steps; for topics with
 * schema validation every record against the registry (INVALID_RECORD with record_errors); the
 * topic's compression.type (the batch is stored as sent — records never re-encoded — unless the
 * topic asks for another codec); for idempotent producers the sequence check against the last five
 * batches (a duplicate gets its original offsets back without a second append); for transactional
 * batches that the partition is in the producer's running transaction (INVALID_TXN_STATE, or
 * INVALID_PRODUCER_EPOCH for a fenced producer); then the append, which assigns offsets. The
 * response waits per acks: 0 none; 1 and -1 the write, which by default (flush.messages = 1)
 * includes the fsync, so acks=-1 means on disk; a topic with flush.messages > 1 answers after the
 * write without waiting for a later fsync. Bounded by timeout_ms (REQUEST_TIMED_OUT).
 *
 * Pipelinable: several Produce requests of one connection may be in flight; offsets are assigned in
 * arrival order because each batch is appended, or takes its place in its partition's append
 * order, synchronously while this handler runs (src/produce/stages/append.ts). An uncompressed
 * batch on a topic without recompression appends before the handler returns, with no promise made
 * on the way; compressed batches wait for their decompression in that order.
 *
 * Client traps: librdkafka enables compression only when Produce v0 is advertised. v0-v2 (removed
 * by Kafka 4.0, KIP-896; sarama 1.22 sends v0 with its default config) carry message format v0/v1,
 * converted to a RecordBatch v2 before the stages above (produce/legacy-produce.ts); Kafka 4
 * closes the connection on them. sarama 1.22 writes maxTimestamp -1 (repaired, see above). With acks=0 no response is
 * sent: a failed partition closes the connection so the client notices, as Kafka does.
 *
 * Version notes: v2+ log_append_time, v5+ log_start_offset, v7+ zstd, v8+ record errors and error
 * message, v9+ flexible, v10+ KIP-951's tagged current leader and node endpoints: a partition
 * refused with NOT_LEADER_OR_FOLLOWER or FENCED_LEADER_EPOCH names the leader and epoch the cluster
 * has (ctx.node.partitionState; a single node never refuses so), and the response lists those
 * leaders' endpoints on the client's listener, so the client retries there without a Metadata
 * round trip (leader-hints.ts). v12 is v11 sent by a KIP-890 (transaction.version 2) producer:
 * served as v11 — transactional batches still need their partition added (INVALID_TXN_STATE)
 * until transactions v2 is served. v13 names topics by id (KIP-516): each topic entry's id is
 * resolved once (a map read; topic-ids.ts), an unknown id is UNKNOWN_TOPIC_ID for its partitions,
 * and the response names topics by id.
 *
 * The partition-level half (leadership, min.insync.replicas against the ISR, the leader epoch
 * stamped into the batch, what acks wait for) is the Partition's (src/replica/partition.ts).
 */
import {
  newProduceResponse,
  newProduceResponseBatchIndexAndErrorMessage,
  newProduceResponseLeaderIdAndEpoch,
  newProduceResponseNodeEndpoint,
  newProduceResponsePartition,
  newProduceResponseTopic,
  type ProduceRequest,
  type ProduceResponse,
  type ProduceResponsePartition,
} from '../../protocol/generated/index.js';
import { errorName } from '../../protocol/errors.js';
import { ProducedBatch } from '../produce/produced-batch.js';
import { ProduceScope } from '../produce/produce-scope.js';
import { runPipeline } from '../produce/pipeline.js';
import { whenAnswered } from '../produce/stages/acks.js';
import { defineHandler, type RequestContext } from './types.js';
import { LeaderHints } from './leader-hints.js';
import { resolveTopicIds } from './topic-ids.js';

export default defineHandler<ProduceRequest, ProduceResponse>({
  key: 0,
  minVersion: 0,
  maxVersion: 13,
  pipelinable: true,
  handle(ctx, req) {
    const scope = new ProduceScope(ctx, ctx.version, req);
    const batches: ProducedBatch[] = [];
    const unknownIds = ctx.version >= 13 ? resolveTopicIds(ctx, req.topicData) : null;
    for (const t of req.topicData) {
      const topic = unknownIds?.has(t) ? scope.unknownTopicId(t.topicId) : scope.topic(t.name, t.topicId);
      for (const p of t.partitionData) {
        const b = new ProducedBatch(topic, p.index, p.records as Buffer | null);
        runPipeline(scope, b);
        batches.push(b);
      }
    }
    const answered = Promise.all(batches.map((b) => whenAnswered(b, req.acks === 0 ? 0 : req.timeoutMs)));
    if (req.acks === 0) {
      // No response is sent; a failed partition closes the connection so the client notices (as Kafka does).
      void answered.then(() => {
        const bad = batches.find((b) => b.failed);
        if (bad) ctx.conn.close(`acks=0 produce failed: ${errorName(bad.errorCode)} ${bad.errorMessage ?? ''}`);
      });
      return null;
    }
    return answered.then(() => response(ctx, batches));
  },
  errorResponse(_ctx, req, code, message) {
    return newProduceResponse({
      responses: req.topicData.map((t) =>
        newProduceResponseTopic({
          name: t.name,
          topicId: t.topicId,
          partitionResponses: t.partitionData.map((p) => newProduceResponsePartition({ index: p.index, errorCode: code, baseOffset: -1, errorMessage: message })),
        }),
      ),
    });
  },
});

function response(ctx: RequestContext, batches: readonly ProducedBatch[]): ProduceResponse {
  // By name; v13+ by request topic entry (an unknown id has no name; no per-batch key is built).
  const byTopic = new Map<unknown, { name: string; id: Buffer; list: ProduceResponsePartition[] }>();
  const byId = ctx.version >= 13;
  const hints = ctx.version >= 10 ? new LeaderHints(ctx) : null;
  for (const b of batches) {
    const topic = b.topic.name;
    if (b.failed) ctx.log.debug({ topic, partition: b.partition, error: errorName(b.errorCode), reason: b.errorMessage }, 'produce rejected');
    const key = byId ? b.topic : topic;
    let list = byTopic.get(key)?.list;
    if (!list) byTopic.set(key, { name: byId ? '' : topic, id: b.topic.id, list: (list = []) });
    list.push(
      newProduceResponsePartition({
        index: b.partition,
        errorCode: b.errorCode,
        baseOffset: b.baseOffset,
        logAppendTimeMs: b.logAppendTime,
        // Kafka answers a failed partition with log_start_offset -1, except when single records
        // were rejected (record_errors).
        logStartOffset: b.log !== null && (!b.failed || b.recordErrors !== null) ? b.log.logStartOffset : -1,
        errorMessage: b.failed ? b.errorMessage : null,
        recordErrors: b.recordErrors === null ? [] : b.recordErrors.map((e) => newProduceResponseBatchIndexAndErrorMessage({ batchIndex: e.index, batchIndexErrorMessage: e.message })),
        currentLeader: newProduceResponseLeaderIdAndEpoch(hints?.forError(topic, b.partition, b.errorCode) ?? {}),
      }),
    );
  }
  return newProduceResponse({
    responses: [...byTopic.values()].map(({ name, id, list }) => newProduceResponseTopic({ name, topicId: id, partitionResponses: list })),
    throttleTimeMs: 0,
    nodeEndpoints: hints?.endpoints().map((e) => newProduceResponseNodeEndpoint(e)) ?? [],
  });
}
