/**
 * OffsetForLeaderEpoch (key 23), versions 0-4.
 *
 * The end offset of a leader epoch, which consumers use to validate their position after a
 * leader change or when resuming from a committed offset (KIP-320: the Java consumer, and
 * librdkafka from 2.1) and followers use for truncation. Runnel is always the leader with epoch 0
 * (Metadata reports leaderEpoch 0 and every stored batch carries partitionLeaderEpoch 0), so the
 * epoch cache is the single entry "epoch 0 starts at the log start offset", and Kafka's rules
 * reduce to:
 *  - requested epoch 0 (the current one): epoch 0, end offset = the high watermark. (Kafka answers
 *    the log end offset; ours can run ahead of the high watermark only while a write is in
 *    flight, and a consumer's position is never past the high watermark.)
 *  - requested epoch -1 (undefined) or above 0 (unknown): no error, epoch -1, end offset -1.
 *  - requested epoch below -1 (older than any we know): that epoch and the log start offset.
 *  - v2+ currentLeaderEpoch (-1 = not checked): below 0 is FENCED_LEADER_EPOCH (the client is
 *    behind), above 0 UNKNOWN_LEADER_EPOCH (the client is ahead), as Kafka checks it.
 *  - an unknown topic or partition: UNKNOWN_TOPIC_OR_PARTITION; an offline log (checked before
 *    the current epoch, as in Kafka) KAFKA_STORAGE_ERROR.
 * The replica id (v3+) is not checked: consumers send -1, followers their id, both get the same.
 *
 * Version notes: v1 adds the epoch to the answer, v2 currentLeaderEpoch and throttle, v3 the
 * replica id (the Java consumer validates positions only against v3+), v4 is flexible. Kafka 4.x
 * serves 2-4; we keep 0-1 for old clients.
 */
import {
  newOffsetForLeaderEpochResponse,
  newOffsetForLeaderEpochResponsePartition,
  newOffsetForLeaderEpochResponseTopic,
  type OffsetForLeaderEpochRequest,
  type OffsetForLeaderEpochRequestPartition,
  type OffsetForLeaderEpochResponse,
  type OffsetForLeaderEpochResponsePartition,
} from '../../protocol/generated/index.js';
import { ErrorCode } from '../../protocol/errors.js';
import { defineHandler, type RequestContext } from './types.js';

/** The one leader epoch of every partition (see Metadata's leaderEpoch). */
const LEADER_EPOCH = 0;
const UNDEFINED_EPOCH = -1;
const NO_CURRENT_EPOCH = -1;

function failed(partition: number, errorCode: number): OffsetForLeaderEpochResponsePartition {
  return newOffsetForLeaderEpochResponsePartition({ partition, errorCode, leaderEpoch: -1, endOffset: -1 });
}

function endOffsetFor(ctx: RequestContext, topic: string, p: OffsetForLeaderEpochRequestPartition, version: number): OffsetForLeaderEpochResponsePartition {
  const log = ctx.partitions.get(topic, p.partition);
  if (!log) return failed(p.partition, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  if (log.isOffline) return failed(p.partition, ErrorCode.KAFKA_STORAGE_ERROR);
  if (version >= 2 && p.currentLeaderEpoch !== NO_CURRENT_EPOCH) {
    if (p.currentLeaderEpoch < LEADER_EPOCH) return failed(p.partition, ErrorCode.FENCED_LEADER_EPOCH);
    if (p.currentLeaderEpoch > LEADER_EPOCH) return failed(p.partition, ErrorCode.UNKNOWN_LEADER_EPOCH);
  }
  const ok = (leaderEpoch: number, endOffset: number) => newOffsetForLeaderEpochResponsePartition({ partition: p.partition, errorCode: ErrorCode.NONE, leaderEpoch, endOffset });
  if (p.leaderEpoch === LEADER_EPOCH) return ok(LEADER_EPOCH, log.highWatermark);
  if (p.leaderEpoch < UNDEFINED_EPOCH) return ok(p.leaderEpoch, log.logStartOffset);
  return ok(UNDEFINED_EPOCH, -1);
}

export default defineHandler<OffsetForLeaderEpochRequest, OffsetForLeaderEpochResponse>({
  key: 23,
  minVersion: 0,
  maxVersion: 4,
  handle(ctx, req) {
    return newOffsetForLeaderEpochResponse({
      throttleTimeMs: 0,
      topics: req.topics.map((t) =>
        newOffsetForLeaderEpochResponseTopic({ topic: t.topic, partitions: t.partitions.map((p) => endOffsetFor(ctx, t.topic, p, ctx.version)) }),
      ),
    });
  },
  errorResponse(_ctx, req, code) {
    return newOffsetForLeaderEpochResponse({
      throttleTimeMs: 0,
      topics: req.topics.map((t) => newOffsetForLeaderEpochResponseTopic({ topic: t.topic, partitions: t.partitions.map((p) => failed(p.partition, code)) })),
    });
  },
});
