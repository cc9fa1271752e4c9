/**
 * OffsetCommit (key 8), versions 0-10.
 *
 * Stores a group's committed offsets in __consumer_offsets and answers once they are durable.
 * Members commit with their generation (UNKNOWN_MEMBER_ID / ILLEGAL_GENERATION /
 * REBALANCE_IN_PROGRESS / FENCED_INSTANCE_ID as Kafka); generation -1 with an empty member id is
 * a simple commit, allowed only while the group has no members. Unknown partitions get
 * UNKNOWN_TOPIC_OR_PARTITION, metadata over offset.metadata.max.bytes OFFSET_METADATA_TOO_LARGE.
 *
 * Version notes: v0-v1 were removed by Kafka 4.0 (KIP-896) but are served here because clients
 * still shipped by distributions send them (sarama 1.22 commits with v1 whatever its
 * config.Version; docs/compatibility.md). v0 has no generation or member id: a simple commit
 * (Kafka 2.x wrote v0 commits to ZooKeeper; with no ZooKeeper they go to __consumer_offsets like
 * every other commit, and OffsetFetch v0 reads them from there). v1 adds generation, member id and
 * a per-partition commit timestamp: -1 means "now", anything else is stored as the commit time,
 * as Kafka 2.1-2.8 did (value version 3, no expire timestamp). v2-v4 carry a retention time
 * (stored as an expire timestamp, value version 1, as Kafka). v3 throttle, v5 drops retention, v6
 * leader epoch, v7 group.instance.id, v8 flexible, v9 (KIP-848 member epoch) is the generation
 * for classic groups, v10 names topics by id (KIP-516; topic-ids.ts): an unknown id is
 * UNKNOWN_TOPIC_ID for its partitions, and the response names topics by id.
 *
 * Authorization (with an authorizer, Kafka's rules; handlers/authz.ts): READ on the group
 * (GROUP_AUTHORIZATION_FAILED for every partition), then READ on each topic
 * (TOPIC_AUTHORIZATION_FAILED).
 */
import {
  newOffsetCommitResponse,
  newOffsetCommitResponsePartition,
  newOffsetCommitResponseTopic,
  type OffsetCommitRequest,
  type OffsetCommitResponse,
} from '../../protocol/generated/index.js';
import { ErrorCode } from '../../protocol/errors.js';
import { defineHandler } from './types.js';
import { isShareGroup } from './group-type.js';
import { AclOperation, canGroup, topicDecisions } from './authz.js';
import { resolveTopicIds } from './topic-ids.js';

export default defineHandler<OffsetCommitRequest, OffsetCommitResponse>({
  key: 8,
  minVersion: 0,
  maxVersion: 10,
  async handle(ctx, req) {
    const v = ctx.version;
    // v10: topic ids resolved to names once per topic entry; unknown ids are UNKNOWN_TOPIC_ID.
    const unknownIds = v >= 10 ? resolveTopicIds(ctx, req.topics) : null;
    // Authorization (Kafka's): READ on the group, else every partition GROUP_AUTHORIZATION_FAILED;
    // then READ on each topic, else its partitions TOPIC_AUTHORIZATION_FAILED (the others commit).
    if (!canGroup(ctx, AclOperation.READ, req.groupId)) return this.errorResponse!(ctx, req, ErrorCode.GROUP_AUTHORIZATION_FAILED, '');
    if (isShareGroup(ctx, req.groupId)) return this.errorResponse!(ctx, req, ErrorCode.GROUP_ID_NOT_FOUND, '');
    const readable = topicDecisions(ctx, AclOperation.READ);
    const offsets = [];
    for (const t of req.topics) {
      if (unknownIds?.has(t) || !readable(t.name)) continue;
      for (const p of t.partitions) {
        offsets.push({
          topic: t.name,
          partition: p.partitionIndex,
          offset: p.committedOffset,
          leaderEpoch: v >= 6 ? p.committedLeaderEpoch : -1,
          metadata: p.committedMetadata,
          commitTimestamp: v === 1 ? p.commitTimestamp : -1,
        });
      }
    }
    const codes = offsets.length === 0 && req.topics.length > 0 ? [] : await ctx.groups.commitOffsets({
      groupId: req.groupId,
      generationId: req.generationIdOrMemberEpoch,
      memberId: req.memberId,
      groupInstanceId: v >= 7 ? req.groupInstanceId : null,
      retentionTimeMs: v <= 4 ? req.retentionTimeMs : -1,
      apiVersion: v,
      offsets,
    });
    let i = 0;
    return newOffsetCommitResponse({
      throttleTimeMs: 0,
      topics: req.topics.map((t) =>
        newOffsetCommitResponseTopic({
          name: t.name,
          topicId: t.topicId,
          partitions: t.partitions.map((p) =>
            newOffsetCommitResponsePartition({
              partitionIndex: p.partitionIndex,
              errorCode: unknownIds?.has(t) ? ErrorCode.UNKNOWN_TOPIC_ID : readable(t.name) ? codes[i++]! : ErrorCode.TOPIC_AUTHORIZATION_FAILED,
            }),
          ),
        }),
      ),
    });
  },
  errorResponse(_ctx, req, code) {
    return newOffsetCommitResponse({
      topics: req.topics.map((t) =>
        newOffsetCommitResponseTopic({ name: t.name, topicId: t.topicId, partitions: t.partitions.map((p) => newOffsetCommitResponsePartition({ partitionIndex: p.partitionIndex, errorCode: code })) }),
      ),
    });
  },
});
