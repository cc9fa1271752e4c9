/**
 * DescribeAcls (key 29), versions 0-3.
 *
 * With an authorizer (authorizer.class.name): the ACL bindings matching the filter, grouped by
 * resource pattern, for a principal with DESCRIBE on the cluster (else
 * CLUSTER_AUTHORIZATION_FAILED, as Kafka). An invalid filter (unknown codes) is INVALID_REQUEST.
 * Without one, like a Kafka broker without `authorizer.class.name`, it answers SECURITY_DISABLED
 * with Kafka's message "No Authorizer is configured on the broker" and no resources
 * (kafka-acls --list and AdminClient.describeAcls() fail with SecurityDisabledException).
 *
 * Version notes: v1 adds pattern types (v0 means LITERAL, and only LITERAL bindings are listed to
 * a v0 client), v2 is flexible, v3 adds the USER_GROUP resource type. Kafka 4.x dropped v0; we
 * keep it for old clients (kafka-python 2.0.2 reads the broker release from the max version:
 * DescribeAcls v2 → 2.5).
 */
import {
  newDescribeAclsResponse,
  newDescribeAclsResponseAcl,
  newDescribeAclsResponseResource,
  type DescribeAclsRequest,
  type DescribeAclsResponse,
  type DescribeAclsResponseResource,
} from '../../protocol/generated/index.js';
import { ErrorCode } from '../../protocol/errors.js';
import { type AclFilter, filterProblem, PatternType } from '../security/acl-model.js';
import { AclOperation, CLUSTER_RESOURCE } from '../security/authorizer.js';
import { defineHandler } from './types.js';

export const NO_AUTHORIZER_DESCRIBE = 'No Authorizer is configured on the broker';
/** Kafka's message for CreateAcls and DeleteAcls (a different one than DescribeAcls'). */

const failed = (errorCode: number, errorMessage: string) => newDescribeAclsResponse({ throttleTimeMs: 0, errorCode, errorMessage, resources: [] });

export default defineHandler<DescribeAclsRequest, DescribeAclsResponse>({
  key: 29,
  minVersion: 0,
  maxVersion: 3,
  handle(ctx, req) {
    const acls = ctx.authorizer.acls;
    if (acls === null) return failed(ErrorCode.SECURITY_DISABLED, NO_AUTHORIZER_DESCRIBE);
    if (!ctx.authorizer.authorize(ctx.conn.principal, AclOperation.DESCRIBE, CLUSTER_RESOURCE)) return failed(ErrorCode.CLUSTER_AUTHORIZATION_FAILED, 'Cluster authorization failed.');
    const filter: AclFilter = {
      resourceType: req.resourceTypeFilter,
      resourceName: req.resourceNameFilter,
      patternType: ctx.version === 0 ? PatternType.LITERAL : req.patternTypeFilter,
      principal: req.principalFilter,
      host: req.hostFilter,
      operation: req.operation,
      permissionType: req.permissionType,
    };
    const problem = filterProblem(filter);
    if (problem !== null) return failed(ErrorCode.INVALID_REQUEST, problem);
    const byPattern = new Map<string, DescribeAclsResponseResource>();
    for (const b of acls.describe(filter)) {
      const key = `${b.resourceType}\0${b.patternType}\0${b.resourceName}`;
      let r = byPattern.get(key);
      if (!r) byPattern.set(key, (r = newDescribeAclsResponseResource({ resourceType: b.resourceType, resourceName: b.resourceName, patternType: b.patternType, acls: [] })));
      r.acls.push(newDescribeAclsResponseAcl({ principal: b.principal, host: b.host, operation: b.operation, permissionType: b.permissionType }));
    }
    return newDescribeAclsResponse({ throttleTimeMs: 0, errorCode: ErrorCode.NONE, errorMessage: null, resources: [...byPattern.values()] });
  },
  errorResponse(_ctx, _req, code, message) {
    return newDescribeAclsResponse({ errorCode: code, errorMessage: message, resources: [] });
  },
});
