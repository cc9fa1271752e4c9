/**
 * DeleteAcls (key 31), versions 0-3.
 *
 * No authorizer: every filter is answered SECURITY_DISABLED with Kafka's message "No Authorizer
 * is configured." and no matching ACLs (kafka-acls --remove fails with SecurityDisabledException).
 *
 * Version notes: v1 adds pattern type filters, v2 is flexible, v3 the USER_GROUP resource type.
 * Kafka 4.x dropped v0; we keep it.
 */
import { newDeleteAclsResponse, newDeleteAclsResponseFilterResult, type DeleteAclsRequest, type DeleteAclsResponse } from '../../protocol/generated/index.js';
import { ErrorCode } from '../../protocol/errors.js';
import { NO_AUTHORIZER } from './29-describe-acls.js';
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
  handle(_ctx, req) {
    return rejected(req, ErrorCode.SECURITY_DISABLED, NO_AUTHORIZER);
  },
  errorResponse(_ctx, req, code, message) {
    return rejected(req, code, message);
  },
});
