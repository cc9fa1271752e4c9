/**
 * DeleteAcls (key 31), versions 0-3.
 *
 * With an authorizer: every binding matching each filter is removed, in one durable change, and
 * listed in that filter's result (a binding matched by two filters is listed under both). Filters
 * use Kafka's ANY (1) codes and the MATCH pattern type; an invalid filter is INVALID_REQUEST.
 * Needs ALTER on the cluster (CLUSTER_AUTHORIZATION_FAILED per filter, as Kafka).
 * Without an authorizer every filter is answered SECURITY_DISABLED with Kafka's message "No
 * Authorizer is configured." and no matching ACLs (kafka-acls --remove fails with
 * SecurityDisabledException).
 *
 * Version notes: v1 adds pattern type filters (v0 means LITERAL), v2 is flexible, v3 the
 * USER_GROUP resource type. Kafka 4.x dropped v0; we keep it.
 */
import {
  newDeleteAclsResponse,
  newDeleteAclsResponseFilterResult,
  newDeleteAclsResponseMatchingAcl,
  type DeleteAclsRequest,
  type DeleteAclsResponse,
} from '../../protocol/generated/index.js';
import { ErrorCode } from '../../protocol/errors.js';
import { PatternType } from '../security/acl-model.js';
import { aclsToChange } from './authz.js';
import { defineHandler } from './types.js';

function rejected(req: DeleteAclsRequest, code: number, message: string): DeleteAclsResponse {
  return newDeleteAclsResponse({
    throttleTimeMs: 0,
    filterResults: req.filters.map(() => newDeleteAclsResponseFilterResult({ errorCode: code, errorMessage: message, matchingAcls: [] })),
  });
}

export default defineHandler<DeleteAclsRequest, DeleteAclsResponse>({
  key: 31,
  minVersion: 0,
  maxVersion: 3,
  async handle(ctx, req) {
    const target = aclsToChange(ctx);
    if (!('acls' in target)) return rejected(req, target.code, target.message);
    const results = await target.acls.delete(
      req.filters.map((f) => ({
        resourceType: f.resourceTypeFilter,
        resourceName: f.resourceNameFilter,
        patternType: ctx.version === 0 ? PatternType.LITERAL : f.patternTypeFilter,
        principal: f.principalFilter,
        host: f.hostFilter,
        operation: f.operation,
        permissionType: f.permissionType,
      })),
    );
    const deleted = results.reduce((n, r) => n + r.deleted.length, 0);
    if (deleted > 0) ctx.log.info({ audit: 'acl', principal: `${ctx.conn.principal.type}:${ctx.conn.principal.name}`, deleted }, 'ACLs deleted');
    return newDeleteAclsResponse({
      throttleTimeMs: 0,
      filterResults: results.map((r) =>
        newDeleteAclsResponseFilterResult({
          errorCode: r.error?.code ?? ErrorCode.NONE,
          errorMessage: r.error?.message ?? null,
          matchingAcls: r.deleted.map((b) =>
            newDeleteAclsResponseMatchingAcl({
              errorCode: ErrorCode.NONE,
              errorMessage: null,
              resourceType: b.resourceType,
              resourceName: b.resourceName,
              patternType: b.patternType,
              principal: b.principal,
              host: b.host,
              operation: b.operation,
              permissionType: b.permissionType,
            }),
          ),
        }),
      ),
    });
  },
  errorResponse(_ctx, req, code, message) {
    return rejected(req, code, message);
  },
});
