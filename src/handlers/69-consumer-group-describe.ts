/**
 * ConsumerGroupDescribe (key 69), versions 0-1: consumer groups of the KIP-848 protocol — state,
 * group epoch, assignment epoch, assignor, and each member's subscription, current and target
 * assignment (groups/consumer/describe.ts). A classic or unknown group is GROUP_ID_NOT_FOUND.
 *
 * Version notes: v1 adds the member type (KIP-1099): every member here is a consumer member (1).
 *
 * Authorization (with an authorizer, Kafka's rules; handlers/authz.ts): DESCRIBE on each group
 * (GROUP_AUTHORIZATION_FAILED); authorized_operations is the principal's when asked for.
 */
import {
  newConsumerGroupDescribeResponse,
  newConsumerGroupDescribeResponseAssignment,
  newConsumerGroupDescribeResponseDescribedGroup,
  newConsumerGroupDescribeResponseMember,
  newConsumerGroupDescribeResponseTargetAssignment,
  newConsumerGroupDescribeResponseTargetTopicPartitions,
  newConsumerGroupDescribeResponseTopicPartitions,
  type ConsumerGroupDescribeRequest,
  type ConsumerGroupDescribeResponse,
  type ConsumerGroupDescribeResponseDescribedGroup,
} from '../../protocol/generated/index.js';
import { ErrorCode } from '../../protocol/errors.js';
import { AclResourceType } from '../security/authorizer.js';
import { GROUP_VERSION } from '../features/definitions.js';
import { describedOnce } from './described-once.js';
import { defineHandler } from './types.js';
import { isShareGroup, notConsumerGroup } from './group-type.js';
import { AclOperation, authorizedOperations, canGroup } from './authz.js';

/** READ, DELETE and DESCRIBE (Kafka's AclOperation codes 3, 6, 8): what a group supports. */
const ALL_GROUP_OPERATIONS = (1 << 3) | (1 << 6) | (1 << 8);
const OPERATIONS_UNSET = -2147483648;
const CONSUMER_MEMBER = 1;
const CLASSIC_MEMBER = 0;

export default defineHandler<ConsumerGroupDescribeRequest, ConsumerGroupDescribeResponse>({
  key: 69,
  minVersion: 0,
  maxVersion: 1,
  handle(ctx, req) {
    // Kafka serves the consumer group protocol only once group.version >= 1 is finalized (before ACLs).
    const enabled = ctx.features.finalizedLevel(GROUP_VERSION) >= 1;
    const describeOne = (groupId: string): ConsumerGroupDescribeResponseDescribedGroup => {
      if (!enabled) return newConsumerGroupDescribeResponseDescribedGroup({ groupId, errorCode: ErrorCode.UNSUPPORTED_VERSION, errorMessage: null, groupState: '', assignorName: '', members: [] });
      if (!canGroup(ctx, AclOperation.DESCRIBE, groupId)) {
        // Kafka answers a refused group with no message.
        return newConsumerGroupDescribeResponseDescribedGroup({ groupId, errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED, errorMessage: null, groupState: '', assignorName: '', members: [] });
      }
      if (isShareGroup(ctx, groupId)) {
        return newConsumerGroupDescribeResponseDescribedGroup({ groupId, errorCode: ErrorCode.GROUP_ID_NOT_FOUND, errorMessage: notConsumerGroup(groupId), groupState: '', assignorName: '', members: [] });
      }
      const d = ctx.groups.describeConsumerGroup(groupId);
      const ops = !req.includeAuthorizedOperations || d.errorCode !== ErrorCode.NONE ? OPERATIONS_UNSET : ctx.authorizer.enabled ? authorizedOperations(ctx, AclResourceType.GROUP, groupId) : ALL_GROUP_OPERATIONS;
      return newConsumerGroupDescribeResponseDescribedGroup({
        errorCode: d.errorCode,
        errorMessage: d.errorMessage,
        groupId,
        groupState: d.groupState,
        groupEpoch: d.groupEpoch,
        assignmentEpoch: d.assignmentEpoch,
        assignorName: d.assignorName,
        members: d.members.map((m) =>
          newConsumerGroupDescribeResponseMember({
            memberId: m.memberId,
            instanceId: m.instanceId,
            rackId: m.rackId,
            memberEpoch: m.memberEpoch,
            clientId: m.clientId,
            clientHost: m.clientHost,
            subscribedTopicNames: m.subscribedTopicNames,
            subscribedTopicRegex: m.subscribedTopicRegex,
            assignment: newConsumerGroupDescribeResponseAssignment({ topicPartitions: m.assignment.topicPartitions.map((t) => newConsumerGroupDescribeResponseTopicPartitions(t)) }),
            targetAssignment: newConsumerGroupDescribeResponseTargetAssignment({ topicPartitions: m.targetAssignment.topicPartitions.map((t) => newConsumerGroupDescribeResponseTargetTopicPartitions(t)) }),
            memberType: m.classic ? CLASSIC_MEMBER : CONSUMER_MEMBER,
          }),
        ),
        authorizedOperations: ops,
      });
    };
    return newConsumerGroupDescribeResponse({ throttleTimeMs: 0, groups: describedOnce(req.groupIds, {
        describe: describeOne,
        members: (g) => g.members.length,
        refuse: (groupId, errorMessage) => newConsumerGroupDescribeResponseDescribedGroup({ groupId, errorCode: ErrorCode.INVALID_REQUEST, errorMessage, groupState: '', assignorName: '', members: [] }),
        maxRepeatedMembers: ctx.config.int('runnel.request.max.entries'),
      }),
    });
  },
  errorResponse(_ctx, req, code, message) {
    return newConsumerGroupDescribeResponse({
      groups: req.groupIds.map((groupId) => newConsumerGroupDescribeResponseDescribedGroup({ groupId, errorCode: code, errorMessage: message, groupState: '', assignorName: '', members: [] })),
    });
  },
});
