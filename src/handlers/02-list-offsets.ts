/**
 * ListOffsets (key 2), versions 0-11.
 *
 * Per partition, by timestamp: -1 latest (the high watermark, or the last stable offset for
 * read_committed), -2 earliest (the log start offset), -3 the record with the largest timestamp
 * (v7+), -4 earliest local (v8+, KIP-405: the log start, as every log here is local), -5 latest
 * tiered (v9+, KIP-1005) and -6 earliest pending upload (v11+, KIP-1023): offset, timestamp and
 * epoch -1 with no error, as Kafka answers them for a log without remote storage (after the
 * partition's own checks). A special timestamp below the version that introduced it, and any other
 * negative value, is UNSUPPORTED_VERSION. Any other value the first offset whose timestamp is at
 * least that (time index), or -1 when none is.
 * A partition named twice in one request is answered once, with INVALID_REQUEST (as Kafka does).
 *
 * The lookups are the Partition's (src/replica/partition.ts, Kafka's fetchOffsetForTimestamp): each
 * answer carries the leader epoch of the offset found (latest: the current epoch; earliest: the
 * epoch of the log start), and a v4+ current_leader_epoch older than the partition's is
 * FENCED_LEADER_EPOCH, newer UNKNOWN_LEADER_EPOCH (-1: not checked). A consumer (replica id -1)
 * sees up to the high watermark (read_committed: the last stable offset); a replica or tool
 * (replica id ≥ 0, or -2) the log end offset, as Kafka answers them.
 *
 * Version notes: v0 returns a list of offsets (old style); v1 single offset + timestamp; v2
 * isolation level; v4 leader epoch and current leader epoch; v6 flexible; v7 max timestamp;
 * v8-v11 the tiered-storage timestamps above, v10 a timeout for remote lookups (none here).
 *
 * Authorization (with an authorizer, Kafka's rules; handlers/authz.ts): DESCRIBE on each topic
 * (TOPIC_AUTHORIZATION_FAILED).
 */
import {
  newListOffsetsResponse,
  newListOffsetsResponsePartition,
  newListOffsetsResponseTopic,
  type ListOffsetsRequest,
  type ListOffsetsResponse,
  type ListOffsetsResponsePartition,
} from '../../protocol/generated/index.js';
import { ErrorCode, KafkaError } from '../../protocol/errors.js';
import { EARLIEST_TIMESTAMP, LATEST_TIMESTAMP, MAX_TIMESTAMP, NO_CURRENT_LEADER_EPOCH, type Partition } from '../data/partitions.js';
import { defineHandler, type RequestContext } from './types.js';
import { AclOperation, topicDecisions } from './authz.js';

/** The replica id consumers send; brokers send their node id, tools -2 (Kafka's DEBUGGING_REPLICA_ID). */
const CONSUMER_REPLICA_ID = -1;
const READ_COMMITTED = 1;
/** KIP-405/1005/1023 timestamps (Kafka's ListOffsetsRequest constants). */
const EARLIEST_LOCAL_TIMESTAMP = -4;
const LATEST_TIERED_TIMESTAMP = -5;
const EARLIEST_PENDING_UPLOAD_TIMESTAMP = -6;

/** The first version that knows each special timestamp below -2. */
const TIMESTAMP_SINCE: ReadonlyMap<number, number> = new Map([
  [MAX_TIMESTAMP, 7],
  [EARLIEST_LOCAL_TIMESTAMP, 8],
  [LATEST_TIERED_TIMESTAMP, 9],
  [EARLIEST_PENDING_UPLOAD_TIMESTAMP, 11],
]);

/**
 * Where LATEST ends and what a lookup may find (Kafka's lastFetchableOffset): for a consumer the
 * high watermark, or for read_committed (v2+) the last stable offset — only partitions that were
 * ever part of a transaction can differ, so only they load producer state; null for a replica or
 * tool (the log end offset).
 */
async function lastFetchableOffset(ctx: RequestContext, req: ListOffsetsRequest, partition: Partition): Promise<number | null> {
  if (req.replicaId !== CONSUMER_REPLICA_ID) return null;
  const hw = partition.highWatermark;
  if (ctx.version < 2 || req.isolationLevel !== READ_COMMITTED || !ctx.txn.partitions.has(partition.topic, partition.partition)) return hw;
  const state = ctx.producers.peek(partition) ?? (await ctx.producers.get(partition));
  return state.lastStableOffset(hw);
}

export default defineHandler<ListOffsetsRequest, ListOffsetsResponse>({
  key: 2,
  minVersion: 0,
  maxVersion: 11,
  async handle(ctx, req) {
    const topics = [];
    // Authorization: DESCRIBE on each topic, asked once per topic (TOPIC_AUTHORIZATION_FAILED).
    const describable = topicDecisions(ctx, AclOperation.DESCRIBE);
    // A partition asked for twice gets one answer, INVALID_REQUEST (Kafka's rule).
    const seen = new Set<string>();
    const duplicates = new Set<string>();
    for (const t of req.topics) {
      for (const p of t.partitions) {
        const tp = `${p.partitionIndex}:${t.name}`;
        if (seen.has(tp)) duplicates.add(tp);
        seen.add(tp);
      }
    }
    for (const t of req.topics) {
      const partitions: ListOffsetsResponsePartition[] = [];
      for (const p of t.partitions) {
        const tp = `${p.partitionIndex}:${t.name}`;
        if (duplicates.has(tp)) {
          if (!seen.delete(tp)) continue; // answered at its first occurrence
          partitions.push(newListOffsetsResponsePartition({ partitionIndex: p.partitionIndex, errorCode: ErrorCode.INVALID_REQUEST, timestamp: -1, offset: -1, leaderEpoch: -1 }));
          continue;
        }
        const res = newListOffsetsResponsePartition({ partitionIndex: p.partitionIndex, errorCode: ErrorCode.NONE, timestamp: -1, offset: -1, leaderEpoch: -1 });
        partitions.push(res);
        if (!describable(t.name)) {
          res.errorCode = ErrorCode.TOPIC_AUTHORIZATION_FAILED;
          continue;
        }
        // Special timestamps below -2 need the version that introduced them; any other negative
        // value is unknown to every version.
        if (p.timestamp < EARLIEST_TIMESTAMP && !(ctx.version >= (TIMESTAMP_SINCE.get(p.timestamp) ?? Infinity))) {
          res.errorCode = ErrorCode.UNSUPPORTED_VERSION;
          continue;
        }
        const partition = ctx.partitions.get(t.name, p.partitionIndex);
        if (!partition) {
          res.errorCode = ctx.partitions.missingPartitionError?.(t.name, p.partitionIndex) ?? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
          continue;
        }
        try {
          // No remote storage: the earliest local offset is the earliest; the tiered answers are
          // "none", given once the partition's checks (leadership, epoch) passed.
          const remote = p.timestamp === LATEST_TIERED_TIMESTAMP || p.timestamp === EARLIEST_PENDING_UPLOAD_TIMESTAMP;
          const timestamp = p.timestamp === EARLIEST_LOCAL_TIMESTAMP || remote ? EARLIEST_TIMESTAMP : p.timestamp;
          const found = await partition.fetchOffsetForTimestamp(timestamp, ctx.version >= 4 ? p.currentLeaderEpoch : NO_CURRENT_LEADER_EPOCH, await lastFetchableOffset(ctx, req, partition));
          if (found && !remote) {
            res.offset = found.offset;
            res.timestamp = found.timestamp;
            res.leaderEpoch = found.leaderEpoch;
          }
          if (ctx.version === 0) res.oldStyleOffsets = found ? [found.offset].slice(0, Math.max(p.maxNumOffsets, 0)) : [];
        } catch (err) {
          if (!(err instanceof KafkaError)) throw err;
          res.errorCode = err.code;
        }
      }
      topics.push(newListOffsetsResponseTopic({ name: t.name, partitions }));
    }
    return newListOffsetsResponse({ throttleTimeMs: 0, topics });
  },
  errorResponse(_ctx, req, code) {
    return newListOffsetsResponse({
      topics: req.topics.map((t) =>
        newListOffsetsResponseTopic({ name: t.name, partitions: t.partitions.map((p) => newListOffsetsResponsePartition({ partitionIndex: p.partitionIndex, errorCode: code, timestamp: -1, offset: -1 })) }),
      ),
    });
  },
});
