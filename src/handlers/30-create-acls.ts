/**
 * CreateAcls (key 30), versions 0-3.
 *
 * No authorizer: every creation is answered SECURITY_DISABLED with Kafka's message "No Authorizer
 * is configured." (kafka-acls --add and AdminClient.createAcls() fail per binding with
 * SecurityDisabledException).
 *
 * Version notes: v1 adds the resource pattern type, v2 is flexible, v3 the USER_GROUP resource
 * type. Kafka 4.x dropped v0; we keep it.
 */
import { newCreateAclsResponse, newCreateAclsResponseResult, type CreateAclsRequest, type CreateAclsResponse } from '../../protocol/generated/index.js';
import { ErrorCode } from '../../protocol/errors.js';
import { NO_AUTHORIZER } from './29-describe-acls.js';
import { defineHandler } from './types.js';

function rejected(req: CreateAclsRequest, code: number, message: string): CreateAclsResponse {
  return newCreateAclsResponse({ throttleTimeMs: 0, results: req.creations.map(() => newCreateAclsResponseResult({ errorCode: code, errorMessage: message })) });
}

export default defineHandler<CreateAclsRequest, CreateAclsResponse>({
  key: 30,
  minVersion: 0,
  maxVersion: 3,
  handle(_ctx, req) {
    return rejected(req, ErrorCode.SECURITY_DISABLED, NO_AUTHORIZER);
  },
  errorResponse(_ctx, req, code, message) {
    return rejected(req, code, message);
  },
});
