/**
 * DescribeTopicPartitions (key 75), version 0.
 *
 * The partitions of the requested topics (an empty list means all topics), sorted by topic name
 * and paged: at most min(ResponsePartitionLimit, 2000 — Kafka's `max.request.partition.size.limit`
 * default) partitions per response, starting at the request's cursor; when the limit cuts the
 * answer short, NextCursor names the first topic/partition left out. Unknown requested topics get
 * UNKNOWN_TOPIC_OR_PARTITION (INVALID_TOPIC_EXCEPTION for illegal names); with "all topics" only
 * existing ones are listed. A cursor whose topic is not in a non-empty request list is an invalid
 * request: every requested topic gets INVALID_REQUEST, as Kafka answers it.
 *
 * Kafka 3.8+ admin clients use this for describeTopics() (kafka-topics --describe, Streams'
 * internal-topic checks) when the broker advertises it, and fall back to Metadata otherwise. Leader,
 * leader epoch, replicas and ISR are as Metadata answers them (leadershipIn: the metadata image in a
 * cluster; one broker: led here, itself the only replica and ISR), and an empty ELR / last-known ELR (what
 * kafka-topics prints as "Elr: " and "LastKnownElr: ").
 *
 * Authorization (with an authorizer): DESCRIBE on each topic; "all topics" lists only the
 * describable ones, a named topic the principal may not describe is TOPIC_AUTHORIZATION_FAILED
 * (whether it exists or not) and is listed after the described topics, as Kafka lists them; and
 * topic_authorized_operations is the principal's set, for a missing topic it may describe too.
 */
import {
  newDescribeTopicPartitionsResponse,
  newDescribeTopicPartitionsResponseCursor,
  newDescribeTopicPartitionsResponsePartition,
  newDescribeTopicPartitionsResponseTopic,
  type DescribeTopicPartitionsRequest,
  type DescribeTopicPartitionsResponse,
  type DescribeTopicPartitionsResponseTopic,
} from '../../protocol/generated/index.js';
import { ErrorCode } from '../../protocol/errors.js';
import { ZERO_UUID } from '../../protocol/codec-support.js';
import { topicNameProblem } from '../metadata/topic-manager.js';
import { ALL_TOPIC_OPERATIONS, leadershipIn } from './03-metadata.js';
import { defineHandler } from './types.js';
import { AclOperation, authorizedOperations, canTopic } from './authz.js';
import { AclResourceType } from '../security/authorizer.js';

/** topic_authorized_operations: the principal's operations on the topic (all of them without an authorizer). */
function topicOperations(ctx: Parameters<typeof authorizedOperations>[0], name: string): number {
  return ctx.authorizer.enabled ? authorizedOperations(ctx, AclResourceType.TOPIC, name) : ALL_TOPIC_OPERATIONS;
}

/** Kafka's `max.request.partition.size.limit` default: the most partitions one response carries. */
const MAX_PARTITIONS_PER_RESPONSE = 2000;

export default defineHandler<DescribeTopicPartitionsRequest, DescribeTopicPartitionsResponse>({
  key: 75,
  minVersion: 0,
  maxVersion: 0,
  handle(ctx, req) {
    const fetchAll = req.topics.length === 0;
    const cursorTopic = req.cursor?.topicName ?? '';
    const names = new Set<string>();
    if (fetchAll) {
      for (const t of ctx.topics.all()) if (t.name >= cursorTopic && canTopic(ctx, AclOperation.DESCRIBE, t.name, false)) names.add(t.name);
    } else {
      for (const t of req.topics) if (t.name >= cursorTopic) names.add(t.name);
      if (req.cursor !== null && !names.has(req.cursor.topicName)) {
        return this.errorResponse!(ctx, req, ErrorCode.INVALID_REQUEST, `the topic list should contain the cursor topic ${req.cursor.topicName}`);
      }
    }
    const sorted = [...names].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    const res = newDescribeTopicPartitionsResponse({ throttleTimeMs: 0, topics: [], nextCursor: null });
    // Kafka lists the topics the principal may not describe after the described ones.
    const refused: DescribeTopicPartitionsResponseTopic[] = [];
    let remaining = Math.min(MAX_PARTITIONS_PER_RESPONSE, req.responsePartitionLimit);
    for (const name of sorted) {
      if (remaining <= 0) {
        // The limit was reached exactly at the end of the previous topic (a limit below 1 returns
        // nothing, and no cursor, as Kafka does).
        if (remaining === 0) res.nextCursor = newDescribeTopicPartitionsResponseCursor({ topicName: name, partitionIndex: 0 });
        break;
      }
      if (!fetchAll && !canTopic(ctx, AclOperation.DESCRIBE, name)) {
        refused.push(newDescribeTopicPartitionsResponseTopic({ errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED, name, topicId: ZERO_UUID, isInternal: false, partitions: [] }));
        continue;
      }
      const topic = ctx.topics.get(name);
      if (!topic) {
        if (!fetchAll) {
          const code = topicNameProblem(name) ? ErrorCode.INVALID_TOPIC_EXCEPTION : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
          // Kafka fills the operations in for a missing topic the principal may describe too.
          res.topics.push(newDescribeTopicPartitionsResponseTopic({ errorCode: code, name, topicId: ZERO_UUID, isInternal: false, partitions: [], topicAuthorizedOperations: topicOperations(ctx, name) }));
        }
        continue;
      }
      const start = name === cursorTopic ? Math.max(0, req.cursor!.partitionIndex) : 0;
      const end = Math.min(topic.partitions, start + remaining);
      const partitions = [];
      for (let p = start; p < end; p++) {
        const l = leadershipIn(ctx, name, p);
        partitions.push(
          newDescribeTopicPartitionsResponsePartition({
            errorCode: l.errorCode,
            partitionIndex: p,
            leaderId: l.leaderId,
            leaderEpoch: l.leaderEpoch,
            replicaNodes: l.replicaNodes.slice(),
            isrNodes: l.isrNodes.slice(),
            eligibleLeaderReplicas: [],
            lastKnownElr: [],
            offlineReplicas: l.offlineReplicas.slice(),
          }),
        );
      }
      res.topics.push(
        newDescribeTopicPartitionsResponseTopic({
          errorCode: ErrorCode.NONE,
          name,
          topicId: topic.id,
          isInternal: topic.internal,
          partitions,
          topicAuthorizedOperations: topicOperations(ctx, name),
        }),
      );
      if (end < topic.partitions) {
        res.nextCursor = newDescribeTopicPartitionsResponseCursor({ topicName: name, partitionIndex: end });
        break;
      }
      remaining -= partitions.length;
    }
    for (const t of refused) res.topics.push(t);
    return res;
  },
  errorResponse(_ctx, req, code) {
    const topics: DescribeTopicPartitionsResponseTopic[] = req.topics.map((t) =>
      newDescribeTopicPartitionsResponseTopic({ errorCode: code, name: t.name, topicId: ZERO_UUID, partitions: [] }),
    );
    return newDescribeTopicPartitionsResponse({ throttleTimeMs: 0, topics, nextCursor: null });
  },
});
