/**
 * DescribeGroups (key 15), versions 0-6.
 *
 * State, protocol type, selected protocol and members (id, instance id, client id, host) of each
 * group. As in Kafka, member metadata and assignments are filled only for a Stable group, and an
 * unknown group is described as Dead with no members and no error.
 *
 * Version notes: v1 throttle, v3 authorized operations (every group operation: no ACLs yet),
 * v4 group.instance.id, v5 flexible, v6 GROUP_ID_NOT_FOUND and a message for an unknown group or a
 * consumer group (KIP-848; older versions describe those as Dead, as Kafka).
 *
 * Authorization (with an authorizer, Kafka's rules; handlers/authz.ts): DESCRIBE on each group
 * (GROUP_AUTHORIZATION_FAILED); authorized_operations is the principal's.
 */
import {
  newDescribeGroupsResponse,
  newDescribeGroupsResponseGroup,
  newDescribeGroupsResponseMember,
  type DescribeGroupsRequest,
  type DescribeGroupsResponse,
  type DescribeGroupsResponseGroup,
} from '../../protocol/generated/index.js';
import { ErrorCode } from '../../protocol/errors.js';
import { AclResourceType } from '../security/authorizer.js';
import { describedOnce } from './described-once.js';
import { defineHandler } from './types.js';
import { AclOperation, authorizedOperations, canGroup } from './authz.js';

/** READ, DELETE and DESCRIBE (Kafka's AclOperation codes 3, 6, 8): what a group supports. */
const ALL_GROUP_OPERATIONS = (1 << 3) | (1 << 6) | (1 << 8);
const OPERATIONS_UNSET = -2147483648;

export default defineHandler<DescribeGroupsRequest, DescribeGroupsResponse>({
  key: 15,
  minVersion: 0,
  maxVersion: 6,
  handle(ctx, req) {
    const includeOps = ctx.version >= 3 && req.includeAuthorizedOperations;
    const describeOne = (id: string): DescribeGroupsResponseGroup => {
      // Authorization: DESCRIBE on each group (Kafka's), else GROUP_AUTHORIZATION_FAILED for it.
      if (!canGroup(ctx, AclOperation.DESCRIBE, id)) {
        return newDescribeGroupsResponseGroup({ errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED, groupId: id, groupState: '', protocolType: '', protocolData: '', members: [] });
      }
      const ops = !includeOps ? OPERATIONS_UNSET : ctx.authorizer.enabled ? authorizedOperations(ctx, AclResourceType.GROUP, id) : ALL_GROUP_OPERATIONS;
      const d = ctx.groups.describeGroup(id);
      if (ctx.version >= 6 && d.notFound !== null) {
        // A share group (KIP-932) is not a classic group: Kafka answers it as not found.
        const notFound = ctx.shareGroups.hasGroup(id) ? `Group ${id} is not a classic group.` : d.notFound;
        return newDescribeGroupsResponseGroup({ errorCode: ErrorCode.GROUP_ID_NOT_FOUND, errorMessage: notFound, groupId: id, groupState: 'Dead', protocolType: '', protocolData: '', members: [], authorizedOperations: ops });
      }
      return newDescribeGroupsResponseGroup({
        errorCode: d.errorCode,
        groupId: d.groupId,
        groupState: d.state,
        protocolType: d.protocolType,
        protocolData: d.protocol,
        members: d.members.map((m) =>
          newDescribeGroupsResponseMember({
            memberId: m.memberId,
            groupInstanceId: m.groupInstanceId,
            clientId: m.clientId,
            clientHost: m.clientHost,
            memberMetadata: m.metadata,
            memberAssignment: m.assignment,
          }),
        ),
        authorizedOperations: ops,
      });
    };
    return newDescribeGroupsResponse({ throttleTimeMs: 0, groups: describedOnce(req.groups, {
        describe: describeOne,
        members: (g) => g.members.length,
        refuse: (groupId, errorMessage) => newDescribeGroupsResponseGroup({ errorCode: ErrorCode.INVALID_REQUEST, errorMessage, groupId, groupState: '', protocolType: '', protocolData: '', members: [] }),
        maxRepeatedMembers: ctx.config.int('runnel.request.max.entries'),
      }),
    });
  },
  errorResponse(_ctx, req, code) {
    return newDescribeGroupsResponse({ groups: req.groups.map((id) => newDescribeGroupsResponseGroup({ errorCode: code, groupId: id, groupState: '', protocolType: '', protocolData: '', members: [] })) });
  },
});
