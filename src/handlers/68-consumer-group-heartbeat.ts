/**
 * ConsumerGroupHeartbeat (key 68), versions 0-1: the next-generation consumer group protocol
 * (KIP-848). Members join with epoch 0, heartbeat with their epoch, leave with -1 (or -2: a static
 * member that will come back); the coordinator assigns partitions server-side and hands them out
 * incrementally (groups/consumer/heartbeat.ts).
 *
 * Version notes: v1 adds SubscribedTopicRegex and requires the client to choose its member id
 * (KIP-1082); v0 members that send an empty id on joining get one generated here.
 *
 * Authorization (with an authorizer, Kafka's rules; handlers/authz.ts): READ on the group
 * (GROUP_AUTHORIZATION_FAILED), DESCRIBE on every subscribed topic name
 * (TOPIC_AUTHORIZATION_FAILED). A regex subscription is not filtered by topic ACLs (Kafka filters it).
 */
import { randomUUID } from 'node:crypto';
import {
  newConsumerGroupHeartbeatResponse,
  newConsumerGroupHeartbeatResponseAssignment,
  newConsumerGroupHeartbeatResponseTopicPartitions,
  type ConsumerGroupHeartbeatRequest,
  type ConsumerGroupHeartbeatResponse,
} from '../../protocol/generated/index.js';
import { ErrorCode } from '../../protocol/errors.js';
import { clientHostOf } from '../groups/index.js';
import { GROUP_VERSION } from '../features/definitions.js';
import { subscriptionBytes } from '../groups/member-memory.js';
import { defineHandler } from './types.js';
import { isShareGroup, notConsumerGroup } from './group-type.js';
import { AclOperation, authorizationMessage, canGroup, canTopic } from './authz.js';

const failure = (errorCode: number, errorMessage: string | null = null) => newConsumerGroupHeartbeatResponse({ throttleTimeMs: 0, errorCode, errorMessage, memberEpoch: 0, heartbeatIntervalMs: 0 });

export default defineHandler<ConsumerGroupHeartbeatRequest, ConsumerGroupHeartbeatResponse>({
  key: 68,
  minVersion: 0,
  maxVersion: 1,
  async handle(ctx, req) {
    // Kafka serves the consumer group protocol only once group.version >= 1 is finalized (before ACLs).
    if (ctx.features.finalizedLevel(GROUP_VERSION) < 1) return failure(ErrorCode.UNSUPPORTED_VERSION);
    // Kafka answers a refused group with no message (KafkaApis: getErrorResponse of a bare exception).
    if (!canGroup(ctx, AclOperation.READ, req.groupId)) return failure(ErrorCode.GROUP_AUTHORIZATION_FAILED);
    if (req.subscribedTopicNames !== null && ctx.authorizer.enabled) {
      for (const t of req.subscribedTopicNames) if (!canTopic(ctx, AclOperation.DESCRIBE, t)) return failure(ErrorCode.TOPIC_AUTHORIZATION_FAILED, authorizationMessage(ErrorCode.TOPIC_AUTHORIZATION_FAILED));
    }
    if (isShareGroup(ctx, req.groupId)) return failure(ErrorCode.GROUP_ID_NOT_FOUND, notConsumerGroup(req.groupId));
    // v0: the coordinator names a joining member that did not name itself.
    const memberId = ctx.version === 0 && req.memberEpoch === 0 && req.memberId === '' ? randomUUID() : req.memberId;
    // Names and a regex may come together (librdkafka sends an empty regex beside its names, an
    // empty name list beside its regex): the member subscribes to both, an empty one is none.
    const regex = ctx.version >= 1 ? req.subscribedTopicRegex : null;
    const names = req.subscribedTopicNames;
    const kept = names === null && regex === null ? 0 : subscriptionBytes(names, regex);
    if (kept > 0 && !ctx.memberMemory.admit(kept)) return failure(ErrorCode.GROUP_MAX_SIZE_REACHED, ctx.memberMemory.refusal(kept));
    const r = await ctx.groups.consumerGroupHeartbeat({
      version: ctx.version,
      groupId: req.groupId,
      memberId,
      memberEpoch: req.memberEpoch,
      instanceId: req.instanceId,
      rackId: req.rackId,
      rebalanceTimeoutMs: req.rebalanceTimeoutMs,
      subscribedTopicNames: names,
      subscribedTopicRegex: regex,
      serverAssignor: req.serverAssignor,
      ownedTopicPartitions: req.topicPartitions,
      clientId: ctx.header.clientId ?? '',
      clientHost: clientHostOf(ctx.conn.remoteAddress),
    });
    return newConsumerGroupHeartbeatResponse({
      throttleTimeMs: 0,
      errorCode: r.errorCode,
      errorMessage: r.errorMessage,
      memberId: r.memberId,
      memberEpoch: r.memberEpoch,
      heartbeatIntervalMs: r.heartbeatIntervalMs,
      assignment:
        r.assignment === null
          ? null
          : newConsumerGroupHeartbeatResponseAssignment({ topicPartitions: r.assignment.map((t) => newConsumerGroupHeartbeatResponseTopicPartitions({ topicId: t.topicId, partitions: t.partitions })) }),
    });
  },
  errorResponse(_ctx, _req, code, message) {
    return failure(code, message);
  },
});
