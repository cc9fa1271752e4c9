/**
 * DeleteRecords (key 21), versions 0-2.
 *
 * Moves each partition's log start offset to the given offset (-1: the high watermark); whole
 * segments below it are deleted in the background once the new log start offset is checkpointed
 * (renamed .deleted, removed after their readers finish; storage/log-maintenance.ts). Answers the new low watermark; an offset above the high watermark is
 * OFFSET_OUT_OF_RANGE. The broker's state topics answer INVALID_TOPIC_EXCEPTION, as Kafka's
 * internal topics do. Answers once the new log start offsets are checkpointed (one write for the
 * whole request), so an acknowledged deletion survives kill -9; if that write fails, the moved
 * partitions answer KAFKA_STORAGE_ERROR and the client's retry writes again. A partition named twice is answered once, for its last offset (Kafka's
 * answer).
 *
 * Cluster (Kafka's DelayedDeleteRecords): the leader moves its own log start, then the answer waits
 * until every replica on a live broker has moved its log start to the requested offset too
 * (followers take the leader's log start from their fetch responses and report theirs in the next
 * fetch); the low watermark answered is the smallest log start over those replicas. Partitions not
 * there within the request's timeout_ms (capped by runnel.delete.records.max.timeout.ms) answer
 * REQUEST_TIMED_OUT — their records are deleted on the leader all the same, as in Kafka — and a
 * partition whose leadership moved meanwhile NOT_LEADER_OR_FOLLOWER. One deadline for the whole
 * request; the partitions wait together. A single node answers at once (its log is the only one).
 *
 * Authorization (with an authorizer, Kafka's rules; handlers/authz.ts): DELETE on each topic
 * (TOPIC_AUTHORIZATION_FAILED).
 */
import type { Partition } from '../data/partitions.js';
import {
  newDeleteRecordsResponse,
  newDeleteRecordsResponsePartition,
  newDeleteRecordsResponseTopic,
  type DeleteRecordsRequest,
  type DeleteRecordsRequestPartition,
  type DeleteRecordsResponse,
} from '../../protocol/generated/index.js';
import { ErrorCode, KafkaError } from '../../protocol/errors.js';
import { isBrokerStateTopic } from '../data/internal-topic.js';
import { defineHandler } from './types.js';
import { AclOperation, topicDecisions } from './authz.js';

export default defineHandler<DeleteRecordsRequest, DeleteRecordsResponse>({
  key: 21,
  minVersion: 0,
  maxVersion: 2,
  async handle(ctx, req) {
    // Each partition once, with its last offset (Kafka collects them in a map).
    const wanted = new Map<string, Map<number, DeleteRecordsRequestPartition>>();
    for (const t of req.topics) {
      let parts = wanted.get(t.name);
      if (!parts) wanted.set(t.name, (parts = new Map()));
      for (const p of t.partitions) parts.set(p.partitionIndex, p);
    }
    const topics = [];
    /** Deleted on the leader: each waits for its low watermark to reach `required`. */
    const deleted: Array<{ res: ReturnType<typeof newDeleteRecordsResponsePartition>; log: Partition; required: number }> = [];
    // Authorization: DELETE on each topic (Kafka's), else TOPIC_AUTHORIZATION_FAILED.
    const deletable = topicDecisions(ctx, AclOperation.DELETE);
    for (const [name, parts] of wanted) {
      const partitions = [];
      for (const p of parts.values()) {
        if (!deletable(name)) {
          partitions.push(newDeleteRecordsResponsePartition({ partitionIndex: p.partitionIndex, lowWatermark: -1, errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED }));
          continue;
        }
        if (isBrokerStateTopic(name)) {
          // Kafka: "Cannot delete records of internal topic" (the response carries no message).
          partitions.push(newDeleteRecordsResponsePartition({ partitionIndex: p.partitionIndex, lowWatermark: -1, errorCode: ErrorCode.INVALID_TOPIC_EXCEPTION }));
          continue;
        }
        const log = ctx.partitions.get(name, p.partitionIndex);
        if (!log) {
          partitions.push(newDeleteRecordsResponsePartition({ partitionIndex: p.partitionIndex, lowWatermark: -1, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION }));
          continue;
        }
        try {
          const low = await log.deleteRecordsBefore(p.offset);
          ctx.producers.peek(log)?.truncateBefore(low);
          const res = newDeleteRecordsResponsePartition({ partitionIndex: p.partitionIndex, lowWatermark: low, errorCode: ErrorCode.NONE });
          partitions.push(res);
          // -1 asked for the high watermark, which the log start became (Kafka's converted offset).
          deleted.push({ res, log, required: p.offset === -1 ? low : p.offset });
        } catch (err) {
          if (!(err instanceof KafkaError)) throw err;
          partitions.push(newDeleteRecordsResponsePartition({ partitionIndex: p.partitionIndex, lowWatermark: -1, errorCode: err.code }));
        }
      }
      topics.push(newDeleteRecordsResponseTopic({ name, partitions }));
    }
    const done = topics.flatMap((t) => t.partitions.filter((p) => p.errorCode === ErrorCode.NONE));
    if (done.length > 0) {
      try {
        await ctx.partitions.persistLogStartOffsets();
      } catch (err) {
        ctx.log.error({ err }, 'DeleteRecords: checkpointing the log start offsets failed');
        for (const p of done) Object.assign(p, { errorCode: ErrorCode.KAFKA_STORAGE_ERROR, lowWatermark: -1 });
        return newDeleteRecordsResponse({ throttleTimeMs: 0, topics });
      }
    }
    const timeoutMs = Math.min(Math.max(req.timeoutMs, 0), ctx.config.int('runnel.delete.records.max.timeout.ms'));
    await Promise.all(
      deleted.map(async (d) => {
        const answer = await d.log.awaitLowWatermark(d.required, timeoutMs);
        d.res.errorCode = answer.errorCode;
        d.res.lowWatermark = answer.lowWatermark;
      }),
    );
    return newDeleteRecordsResponse({ throttleTimeMs: 0, topics });
  },
  errorResponse(_ctx, req, code) {
    return newDeleteRecordsResponse({
      topics: req.topics.map((t) =>
        newDeleteRecordsResponseTopic({ name: t.name, partitions: t.partitions.map((p) => newDeleteRecordsResponsePartition({ partitionIndex: p.partitionIndex, lowWatermark: -1, errorCode: code })) }),
      ),
    });
  },
});
