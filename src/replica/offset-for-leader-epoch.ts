/**
 * OffsetForLeaderEpoch (API 23) answered from the replica layer: the whole response for a request,
 * ready for the handler (src/handlers/23-offset-for-leader-epoch.ts) to return once the partition
 * port is wired in, and for a differential test against Apache Kafka to compare.
 *
 * Per partition, Kafka's answers (ReplicaManager.lastOffsetForLeaderEpoch → Partition →
 * LeaderEpochFileCache.endOffsetFor), for a single-node topic (epoch 0 from its first offset):
 *  - unknown topic or partition: UNKNOWN_TOPIC_OR_PARTITION; an offline log: KAFKA_STORAGE_ERROR;
 *  - v2+ current leader epoch (-1: not checked): below ours FENCED_LEADER_EPOCH, above
 *    UNKNOWN_LEADER_EPOCH (epoch and offset -1);
 *  - requested epoch 0 (the current one): epoch 0 and the log end offset;
 *  - requested -1 or above the current epoch: NONE with epoch -1, end offset -1 — not an error;
 *  - requested below -1 (older than any epoch we have): that epoch and the log start offset.
 * The handler before this layer answered the high watermark for the current epoch; the log end
 * offset differs from it only while a write is in flight, and never by a consumer's position.
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
import { NO_CURRENT_LEADER_EPOCH } from './partition.js';
import type { ReplicaManager } from './replica-manager.js';

/** One partition's answer. */
export function offsetForLeaderEpochPartition(rm: ReplicaManager, topic: string, p: OffsetForLeaderEpochRequestPartition, version: number): OffsetForLeaderEpochResponsePartition {
  const current = version >= 2 ? p.currentLeaderEpoch : NO_CURRENT_LEADER_EPOCH;
  const a = rm.lastOffsetForLeaderEpoch(topic, p.partition, current, p.leaderEpoch);
  return newOffsetForLeaderEpochResponsePartition({ partition: p.partition, errorCode: a.errorCode, leaderEpoch: a.leaderEpoch, endOffset: a.endOffset });
}

/** The whole response, topics and partitions in request order. */
export function offsetForLeaderEpochResponse(rm: ReplicaManager, req: OffsetForLeaderEpochRequest, version: number): OffsetForLeaderEpochResponse {
  return newOffsetForLeaderEpochResponse({
    throttleTimeMs: 0,
    topics: req.topics.map((t) => newOffsetForLeaderEpochResponseTopic({ topic: t.topic, partitions: t.partitions.map((p) => offsetForLeaderEpochPartition(rm, t.topic, p, version)) })),
  });
}
