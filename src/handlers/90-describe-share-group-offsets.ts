/**
 * DescribeShareGroupOffsets (key 90), versions 0-1 (KIP-932): each share partition's start offset
 * and (v1) lag: high watermark - start offset - records already acknowledged or archived beyond it,
 * as Kafka 4.4 computes it. As Kafka: an unknown group is no error (requested partitions answer
 * start offset and lag -1, "all topics" answers none); a partition without share state answers -1.
 * Kafka 4.4 leaves a request naming an unknown topic or partition unanswered; Runnel answers it
 * UNKNOWN_TOPIC_OR_PARTITION for that partition. Two tagged fields Kafka's clients skip carry
 * Runnel's in-flight and acquired record counts (for `runnel group describe`).
 *
 * Authorization (Kafka's KafkaApis): DESCRIBE on the group (GROUP_AUTHORIZATION_FAILED for it),
 * DESCRIBE on each topic (TOPIC_AUTHORIZATION_FAILED for its partitions; left out of "all topics").
 */
import {
  newDescribeShareGroupOffsetsResponse,
  newDescribeShareGroupOffsetsResponseGroup,
  newDescribeShareGroupOffsetsResponsePartition,
  newDescribeShareGroupOffsetsResponseTopic,
  type DescribeShareGroupOffsetsRequest,
  type DescribeShareGroupOffsetsRequestGroup,
  type DescribeShareGroupOffsetsResponse,
  type DescribeShareGroupOffsetsResponseGroup,
} from '../../protocol/generated/index.js';
import { ErrorCode } from '../../protocol/errors.js';
import { EMPTY_UUID, UNKNOWN_PARTITION } from './share-common.js';
import { describedPartitions, partitionOffsets } from '../share/admin.js';
import { defineHandler, type RequestContext } from './types.js';
import { AclOperation, authorizationMessage, canGroup, canTopic } from './authz.js';
import { SHARE_GROUPS_DISABLED, shareGroupsEnabled } from './share-common.js';

/** Kafka answers the leader epoch its share coordinator keeps, 0 on a single broker. */
const LEADER_EPOCH = 0;

async function describeGroup(ctx: RequestContext, g: DescribeShareGroupOffsetsRequestGroup): Promise<DescribeShareGroupOffsetsResponseGroup> {
  const groupId = g.groupId;
  if (!shareGroupsEnabled(ctx)) return newDescribeShareGroupOffsetsResponseGroup({ groupId, errorCode: ErrorCode.UNSUPPORTED_VERSION, errorMessage: SHARE_GROUPS_DISABLED });
  if (!canGroup(ctx, AclOperation.DESCRIBE, groupId)) return newDescribeShareGroupOffsetsResponseGroup({ groupId, errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED });
  const admin = ctx.shareGroups.admin;
  const wanted: Array<{ name: string; partitions: number[] }> = [];
  if (g.topics === null) {
    for (const { topicId, partitions } of describedPartitions(admin, groupId).values()) {
      const t = ctx.topics.byId(topicId);
      if (t && canTopic(ctx, AclOperation.DESCRIBE, t.name, false)) wanted.push({ name: t.name, partitions: [...partitions].sort((a, b) => a - b) });
    }
  } else {
    for (const t of g.topics) wanted.push({ name: t.topicName, partitions: t.partitions });
  }
  const topics = await Promise.all(wanted.map(async ({ name, partitions }) => {
    const t = ctx.topics.get(name);
    const allowed = canTopic(ctx, AclOperation.DESCRIBE, name);
    return newDescribeShareGroupOffsetsResponseTopic({
      topicName: name,
      topicId: (allowed ? t?.id : undefined) ?? EMPTY_UUID,
      partitions: await Promise.all(partitions.map(async (partitionIndex) => {
        const base = { partitionIndex, startOffset: -1, leaderEpoch: LEADER_EPOCH, lag: -1 };
        if (!allowed) return newDescribeShareGroupOffsetsResponsePartition({ ...base, errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED, errorMessage: authorizationMessage(ErrorCode.TOPIC_AUTHORIZATION_FAILED) });
        if (!t || partitionIndex < 0 || partitionIndex >= t.partitions) return newDescribeShareGroupOffsetsResponsePartition({ ...base, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: UNKNOWN_PARTITION });
        const o = await partitionOffsets(admin, groupId, t.id, partitionIndex);
        return newDescribeShareGroupOffsetsResponsePartition({ ...base, startOffset: o.startOffset, lag: o.lag, inFlightRecords: o.inFlight, acquiredRecords: o.acquired });
      })),
    });
  }));
  return newDescribeShareGroupOffsetsResponseGroup({ groupId, topics });
}

export default defineHandler<DescribeShareGroupOffsetsRequest, DescribeShareGroupOffsetsResponse>({
  key: 90,
  minVersion: 0,
  maxVersion: 1,
  async handle(ctx, req) {
    return newDescribeShareGroupOffsetsResponse({ throttleTimeMs: 0, groups: await Promise.all(req.groups.map((g) => describeGroup(ctx, g))) });
  },
  errorResponse(_ctx, req, code, message) {
    return newDescribeShareGroupOffsetsResponse({ groups: req.groups.map((g) => newDescribeShareGroupOffsetsResponseGroup({ groupId: g.groupId, errorCode: code, errorMessage: message })) });
  },
});
