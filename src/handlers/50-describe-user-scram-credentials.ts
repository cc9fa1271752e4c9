/**
 * DescribeUserScramCredentials (key 50), version 0.
 *
 * The SCRAM mechanisms and iteration counts stored for users (security/sasl/scram-store.ts), never
 * the credentials. A null or empty user list describes every user that has a credential; each
 * named user without one gets RESOURCE_NOT_FOUND "Attempt to describe a user credential that does
 * not exist: U", and a user named more than once gets one DUPLICATE_RESOURCE result "Cannot
 * describe SCRAM credentials for the same user twice in a single request: U" (listed first, as
 * Kafka does), with Kafka's messages. The top-level error message is empty, not null, as in
 * Kafka's answer.
 *
 * Authorization (with an authorizer, Kafka's rules; handlers/authz.ts): DESCRIBE on the cluster
 * (CLUSTER_AUTHORIZATION_FAILED).
 */
import {
  newDescribeUserScramCredentialsResponse,
  newDescribeUserScramCredentialsResponseCredentialInfo,
  newDescribeUserScramCredentialsResponseResult,
  type DescribeUserScramCredentialsRequest,
  type DescribeUserScramCredentialsResponse,
} from '../../protocol/generated/index.js';
import { ErrorCode } from '../../protocol/errors.js';
import { SCRAM_MECHANISM_CODES } from '../security/sasl/scram-formulas.js';
import { defineHandler } from './types.js';
import { AclOperation, CLUSTER_AUTH_MESSAGE, canCluster } from './authz.js';

export default defineHandler<DescribeUserScramCredentialsRequest, DescribeUserScramCredentialsResponse>({
  key: 50,
  minVersion: 0,
  maxVersion: 0,
  async handle(ctx, req) {
    // Authorization: DESCRIBE on the cluster (Kafka's).
    if (!canCluster(ctx, AclOperation.DESCRIBE)) return newDescribeUserScramCredentialsResponse({ throttleTimeMs: 0, errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, errorMessage: CLUSTER_AUTH_MESSAGE, results: [] });
    const all = req.users === null || req.users.length === 0;
    const names = (req.users ?? []).map((u) => u.name);
    const counts = new Map<string, number>();
    for (const n of names) counts.set(n, (counts.get(n) ?? 0) + 1);
    const duplicates = [...counts].filter(([, c]) => c > 1).map(([n]) => n);
    const unique = [...counts].filter(([, c]) => c === 1).map(([n]) => n);
    const stored = await ctx.scramCredentials.describe(all ? null : unique);
    const results = [
      ...duplicates.map((user) =>
        newDescribeUserScramCredentialsResponseResult({
          user,
          errorCode: ErrorCode.DUPLICATE_RESOURCE,
          errorMessage: `Cannot describe SCRAM credentials for the same user twice in a single request: ${user}`,
          credentialInfos: [],
        }),
      ),
      ...(all ? [...stored.keys()].sort() : unique).map((user) => {
        const creds = stored.get(user);
        if (!creds) {
          return newDescribeUserScramCredentialsResponseResult({
            user,
            errorCode: ErrorCode.RESOURCE_NOT_FOUND,
            errorMessage: `Attempt to describe a user credential that does not exist: ${user}`,
            credentialInfos: [],
          });
        }
        const credentialInfos = [...creds].map(([m, c]) => newDescribeUserScramCredentialsResponseCredentialInfo({ mechanism: SCRAM_MECHANISM_CODES[m], iterations: c.iterations }));
        return newDescribeUserScramCredentialsResponseResult({ user, errorCode: ErrorCode.NONE, errorMessage: '', credentialInfos });
      }),
    ];
    return newDescribeUserScramCredentialsResponse({ throttleTimeMs: 0, errorCode: ErrorCode.NONE, errorMessage: '', results });
  },
  errorResponse(_ctx, _req, code, message) {
    return newDescribeUserScramCredentialsResponse({ throttleTimeMs: 0, errorCode: code, errorMessage: message, results: [] });
  },
});
