/**
 * CreateAcls (key 30), versions 0-3.
 *
 * With an authorizer: each binding is validated (INVALID_REQUEST for unknown codes, an empty
 * name, a CLUSTER resource not named kafka-cluster, a principal without a type ...) and the valid
 * ones stored in one durable change (data dir or etcd; security/acl-store.ts); a binding that
 * exists already is success. Needs ALTER on the cluster (CLUSTER_AUTHORIZATION_FAILED per binding,
 * as Kafka). Past runnel.authorizer.max.acls: POLICY_VIOLATION.
 * Without an authorizer every creation is answered SECURITY_DISABLED with Kafka's message "No
 * Authorizer is configured." (kafka-acls --add and AdminClient.createAcls() fail per binding with
 * SecurityDisabledException).
 *
 * Version notes: v1 adds the resource pattern type (v0 means LITERAL), v2 is flexible, v3 the
 * USER_GROUP resource type. Kafka 4.x dropped v0; we keep it.
 */
import { newCreateAclsResponse, newCreateAclsResponseResult, type CreateAclsRequest, type CreateAclsResponse } from '../../protocol/generated/index.js';
import { ErrorCode } from '../../protocol/errors.js';
import { PatternType } from '../security/acl-model.js';
import { aclsToChange } from './authz.js';
import { defineHandler } from './types.js';

function rejected(req: CreateAclsRequest, code: number, message: string): CreateAclsResponse {
  return newCreateAclsResponse({ throttleTimeMs: 0, results: req.creations.map(() => newCreateAclsResponseResult({ errorCode: code, errorMessage: message })) });
}

export default defineHandler<CreateAclsRequest, CreateAclsResponse>({
  key: 30,
  minVersion: 0,
  maxVersion: 3,
  async handle(ctx, req) {
    const target = aclsToChange(ctx);
    if (!('acls' in target)) return rejected(req, target.code, target.message);
    const results = await target.acls.create(
      req.creations.map((c) => ({
        resourceType: c.resourceType,
        resourceName: c.resourceName,
        patternType: ctx.version === 0 ? PatternType.LITERAL : c.resourcePatternType,
        principal: c.principal,
        host: c.host,
        operation: c.operation,
        permissionType: c.permissionType,
      })),
    );
    for (const [i, r] of results.entries()) if (r === null) ctx.log.info({ audit: 'acl', principal: `${ctx.conn.principal.type}:${ctx.conn.principal.name}`, created: req.creations[i] }, 'ACL created');
    return newCreateAclsResponse({
      throttleTimeMs: 0,
      results: results.map((r) => newCreateAclsResponseResult({ errorCode: r?.code ?? ErrorCode.NONE, errorMessage: r?.message ?? null })),
    });
  },
  errorResponse(_ctx, req, code, message) {
    return rejected(req, code, message);
  },
});
