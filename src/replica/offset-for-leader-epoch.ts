/**
 * OffsetForLeaderEpoch (API 23) answered from the replica layer: the whole response for a request,
 * which the handler (src/handlers/23-offset-for-leader-epoch.ts) returns, from the hosted
 * partitions (ctx.partitions) and each one's leader-epoch cache.
 *
 * Per partition, Kafka's answers (ReplicaManager.lastOffsetForLeaderEpoch → Partition →
 * LeaderEpochFileCache.endOffsetFor), for a single-node topic (epoch 0 from its first offset):
 *  - unknown topic or partition: UNKNOWN_TOPIC_OR_PARTITION; an offline log: KAFKA_STORAGE_ERROR;
 *  - v2+ current leader epoch (-1: not checked): below ours FENCED_LEADER_EPOCH, above
 *    UNKNOWN_LEADER_EPOCH (epoch and offset -1);
 *  - requested epoch 0 (the current one): epoch 0 and the log end offset;
 *  - requested -1 or above the current epoch: NONE with epoch -1, end offset -1 — not an error;
 *  - requested below -1 (older than any epoch we have): that epoch and the log start offset.
 * The current epoch ends at the log end offset, as Kafka answers (the handler before this layer
 * answered the high watermark; they differ only while a write is in flight).
 *
 * Version notes: v0 has no epoch in the answer (the codec drops it), v2 adds the current leader
 * epoch, v3 the replica id (not checked: consumers and followers get the same answer), v4 is
 * flexible.
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
import { NO_CURRENT_LEADER_EPOCH, type PartitionLookup } from '../data/partitions.js';
import { epochAnswer } from './partition.js';

/**
 * One partition's answer (Kafka's ReplicaManager.lastOffsetForLeaderEpoch): an unknown partition
 * UNKNOWN_TOPIC_OR_PARTITION, else the Partition's answer (which checks an offline log, the
 * current leader epoch and leadership, in Kafka's order).
 */
export function offsetForLeaderEpochPartition(partitions: PartitionLookup, topic: string, p: OffsetForLeaderEpochRequestPartition, version: number): OffsetForLeaderEpochResponsePartition {
  const current = version >= 2 ? p.currentLeaderEpoch : NO_CURRENT_LEADER_EPOCH;
  const partition = partitions.get(topic, p.partition);
  const a = partition === undefined ? epochAnswer(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION) : partition.lastOffsetForLeaderEpoch(current, p.leaderEpoch);
  return newOffsetForLeaderEpochResponsePartition({ partition: p.partition, errorCode: a.errorCode, leaderEpoch: a.leaderEpoch, endOffset: a.endOffset });
}

/** The whole response, topics and partitions in request order. */
export function offsetForLeaderEpochResponse(partitions: PartitionLookup, req: OffsetForLeaderEpochRequest, version: number): OffsetForLeaderEpochResponse {
  return newOffsetForLeaderEpochResponse({
    throttleTimeMs: 0,
    topics: req.topics.map((t) => newOffsetForLeaderEpochResponseTopic({ topic: t.topic, partitions: t.partitions.map((p) => offsetForLeaderEpochPartition(partitions, t.topic, p, version)) })),
  });
}
