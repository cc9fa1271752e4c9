/**
 * DescribeAcls (key 29), versions 0-3.
 *
 * Runnel has no authorizer, so like a Kafka broker without `authorizer.class.name` it answers
 * SECURITY_DISABLED with Kafka's message "No Authorizer is configured on the broker" and no
 * resources (kafka-acls --list and AdminClient.describeAcls() fail with SecurityDisabledException).
 *
 * Version notes: v1 adds pattern types (v0 means LITERAL), v2 is flexible, v3 adds the
 * USER_GROUP resource type. Kafka 4.x dropped v0; we keep it for old clients (kafka-python 2.0.2
 * reads the broker release from the max version: DescribeAcls v2 → 2.5).
 */
import { newDescribeAclsResponse, type DescribeAclsRequest, type DescribeAclsResponse } from '../../protocol/generated/index.js';
import { ErrorCode } from '../../protocol/errors.js';
import { defineHandler } from './types.js';

export const NO_AUTHORIZER_DESCRIBE = 'No Authorizer is configured on the broker';
/** Kafka's message for CreateAcls and DeleteAcls (a different one than DescribeAcls'). */
export const NO_AUTHORIZER = 'No Authorizer is configured.';

export default defineHandler<DescribeAclsRequest, DescribeAclsResponse>({
  key: 29,
  minVersion: 0,
  maxVersion: 3,
  handle() {
    return newDescribeAclsResponse({ throttleTimeMs: 0, errorCode: ErrorCode.SECURITY_DISABLED, errorMessage: NO_AUTHORIZER_DESCRIBE, resources: [] });
  },
  errorResponse(_ctx, _req, code, message) {
    return newDescribeAclsResponse({ errorCode: code, errorMessage: message, resources: [] });
  },
});
