/**
 * ShareGroupDescribe (key 77), version 1: share groups' epochs, assignor ('simple') and members
 * with their subscriptions and assignments. An unknown group is GROUP_ID_NOT_FOUND, as Kafka.
 * In a cluster only the group's coordinator answers it (NOT_COORDINATOR elsewhere).
 * Authorization: DESCRIBE on the group (GROUP_AUTHORIZATION_FAILED, no message).
 */
import {
  newShareGroupDescribeResponse,
  newShareGroupDescribeResponseAssignment,
  newShareGroupDescribeResponseDescribedGroup,
  newShareGroupDescribeResponseMember,
  newShareGroupDescribeResponseTopicPartitions,
  type ShareGroupDescribeRequest,
  type ShareGroupDescribeResponse,
} from '../../protocol/generated/index.js';
import { ErrorCode } from '../../protocol/errors.js';
import { AclResourceType } from '../security/authorizer.js';
import { defineHandler } from './types.js';
import { AclOperation, authorizedOperations, canGroup } from './authz.js';
import { describedOnce } from './described-once.js';
import { SHARE_GROUPS_DISABLED, shareCoordinatorRefusal, shareGroupsEnabled } from './share-common.js';

const ALL_GROUP_OPERATIONS = (1 << 3) | (1 << 6) | (1 << 8);
const OPERATIONS_UNSET = -2147483648;

export default defineHandler<ShareGroupDescribeRequest, ShareGroupDescribeResponse>({
  key: 77,
  minVersion: 1,
  maxVersion: 1,
  async handle(ctx, req) {
    const enabled = shareGroupsEnabled(ctx);
    // Where each distinct group is coordinated (a repeated id is looked up once).
    const ids = [...new Set(req.groupIds)];
    const refusals = new Map(enabled ? await Promise.all(ids.map(async (g) => [g, await shareCoordinatorRefusal(ctx, g)] as const)) : []);
    const describeOne = (groupId: string) => {
      const base = { groupId, groupState: '', groupEpoch: 0, assignmentEpoch: 0, assignorName: '' };
      if (!enabled) return newShareGroupDescribeResponseDescribedGroup({ ...base, errorCode: ErrorCode.UNSUPPORTED_VERSION, errorMessage: SHARE_GROUPS_DISABLED });
      if (!canGroup(ctx, AclOperation.DESCRIBE, groupId)) return newShareGroupDescribeResponseDescribedGroup({ ...base, errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED });
      const refused = refusals.get(groupId) ?? ErrorCode.NONE;
      if (refused !== ErrorCode.NONE) return newShareGroupDescribeResponseDescribedGroup({ ...base, errorCode: refused });
      const d = ctx.shareGroups.describe(groupId);
      if (!d) return newShareGroupDescribeResponseDescribedGroup({ ...base, errorCode: ErrorCode.GROUP_ID_NOT_FOUND, errorMessage: `Group ${groupId} not found.` });
      const g = d.group;
      return newShareGroupDescribeResponseDescribedGroup({
        errorCode: 0,
        groupId,
        groupState: g.stateName,
        groupEpoch: g.groupEpoch,
        assignmentEpoch: g.assignmentEpoch,
        assignorName: 'simple',
        members: [...g.members.values()].map((m) =>
          newShareGroupDescribeResponseMember({
            memberId: m.memberId,
            rackId: m.rackId,
            memberEpoch: m.memberEpoch,
            clientId: m.clientId,
            clientHost: m.clientHost,
            subscribedTopicNames: m.subscribedTopicNames,
            assignment: newShareGroupDescribeResponseAssignment({
              topicPartitions: [...m.assignment].map(([hex, ps]) => newShareGroupDescribeResponseTopicPartitions({ topicId: Buffer.from(hex, 'hex'), topicName: d.topicName(hex), partitions: [...ps].sort((a, b) => a - b) })),
            }),
          }),
        ),
        authorizedOperations: !req.includeAuthorizedOperations ? OPERATIONS_UNSET : ctx.authorizer.enabled ? authorizedOperations(ctx, AclResourceType.GROUP, groupId) : ALL_GROUP_OPERATIONS,
      });
    };
    return newShareGroupDescribeResponse({ throttleTimeMs: 0, groups: describedOnce(req.groupIds, {
        describe: describeOne,
        members: (g) => g.members.length,
        refuse: (groupId, errorMessage) => newShareGroupDescribeResponseDescribedGroup({ groupId, errorCode: ErrorCode.INVALID_REQUEST, errorMessage, groupState: '', groupEpoch: 0, assignmentEpoch: 0, assignorName: '' }),
        maxRepeatedMembers: ctx.config.int('runnel.request.max.entries'),
      }),
    });
  },
  errorResponse(_ctx, req, code, message) {
    return newShareGroupDescribeResponse({ throttleTimeMs: 0, groups: req.groupIds.map((groupId) => newShareGroupDescribeResponseDescribedGroup({ groupId, errorCode: code, errorMessage: message, groupState: '', assignorName: '' })) });
  },
});
