/**
 * OffsetForLeaderEpoch (key 23), versions 0-4.
 *
 * The end offset of a leader epoch, which consumers use to validate their position after a
 * leader change or when resuming from a committed offset (KIP-320: the Java consumer, and
 * librdkafka from 2.1) and followers use for truncation. Answered from each hosted partition's
 * replica state and leader-epoch cache (src/replica/offset-for-leader-epoch.ts has Kafka's rules).
 * On one broker every partition is led here at the newest epoch its log has (0 for every log so
 * far), so the answers are:
 *  - requested epoch = the current one: that epoch and the log end offset;
 *  - requested epoch -1 (undefined) or above the current one: no error, epoch -1, end offset -1;
 *  - requested epoch below every epoch we have: that epoch and the log start offset;
 *  - v2+ currentLeaderEpoch (-1 = not checked): below ours FENCED_LEADER_EPOCH (the client is
 *    behind), above UNKNOWN_LEADER_EPOCH (the client is ahead), as Kafka checks it;
 *  - an unknown topic or partition: UNKNOWN_TOPIC_OR_PARTITION; an offline log (checked before
 *    the current epoch, as in Kafka) KAFKA_STORAGE_ERROR.
 * The replica id (v3+) is not checked: consumers send -1, followers their id, both get the same.
 *
 * Version notes: v1 adds the epoch to the answer, v2 currentLeaderEpoch and throttle, v3 the
 * replica id (the Java consumer validates positions only against v3+), v4 is flexible. Kafka 4.x
 * serves 2-4; we keep 0-1 for old clients.
 *
 * Authorization (with an authorizer, Kafka's rules; handlers/authz.ts): CLUSTER_ACTION on the
 * cluster allows every topic (brokers), else DESCRIBE on each topic (TOPIC_AUTHORIZATION_FAILED),
 * whatever the replica id.
 */
import {
  newOffsetForLeaderEpochResponse,
  newOffsetForLeaderEpochResponsePartition,
  newOffsetForLeaderEpochResponseTopic,
  type OffsetForLeaderEpochRequest,
  type OffsetForLeaderEpochResponse,
} from '../../protocol/generated/index.js';
import { offsetForLeaderEpochResponse } from '../replica/offset-for-leader-epoch.js';
import { ErrorCode } from '../../protocol/errors.js';
import { defineHandler } from './types.js';
import { AclOperation, canCluster, topicDecisions } from './authz.js';

export default defineHandler<OffsetForLeaderEpochRequest, OffsetForLeaderEpochResponse>({
  key: 23,
  minVersion: 0,
  maxVersion: 4,
  handle(ctx, req) {
    // Authorization (Kafka's, whatever the replica id): CLUSTER_ACTION on the cluster (brokers)
    // allows every topic, else DESCRIBE on each topic (TOPIC_AUTHORIZATION_FAILED).
    if (!ctx.authorizer.enabled || canCluster(ctx, AclOperation.CLUSTER_ACTION, false)) return offsetForLeaderEpochResponse(ctx.partitions, req, ctx.version);
    const describable = topicDecisions(ctx, AclOperation.DESCRIBE);
    const allowed = { ...req, topics: req.topics.filter((t) => describable(t.topic)) };
    const res = offsetForLeaderEpochResponse(ctx.partitions, allowed, ctx.version);
    const refused = this.errorResponse!(ctx, { ...req, topics: req.topics.filter((t) => !describable(t.topic)) }, ErrorCode.TOPIC_AUTHORIZATION_FAILED, '');
    res.topics.push(...refused.topics);
    return res;
  },
  errorResponse(_ctx, req, code) {
    return newOffsetForLeaderEpochResponse({
      throttleTimeMs: 0,
      topics: req.topics.map((t) =>
        newOffsetForLeaderEpochResponseTopic({
          topic: t.topic,
          partitions: t.partitions.map((p) => newOffsetForLeaderEpochResponsePartition({ partition: p.partition, errorCode: code, leaderEpoch: -1, endOffset: -1 })),
        }),
      ),
    });
  },
});
