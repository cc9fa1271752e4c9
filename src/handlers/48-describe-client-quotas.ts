/**
 * DescribeClientQuotas (key 48), versions 0-1.
 *
 * The quotas set by AlterClientQuotas (quotas/quota-store.ts) whose entity matches the filter, as
 * Kafka's ClientQuotasImage matches: every exact (0) / default (1) component must be in the entity
 * with that name (null for default), every "any" (2) component's type must be in it with any name
 * or the default; `strict` also requires the entity to have no other component. No match: errorCode
 * 0, an empty (not null) error message and no entries, as Kafka answers (kafka-configs --describe
 * prints nothing). Authorization: DESCRIBE_CONFIGS on the cluster. Filters are
 * validated the way Kafka's controller does, in this order per component, with its messages:
 * an empty entity type, a type given twice, a type other than user / client-id / ip
 * (UNSUPPORTED_VERSION), then the match type (0 exact needs a match string, 1 default and 2 any
 * must not have one, others are unknown); finally ip may not be combined with user or client-id.
 * A failed filter answers the error with null entries.
 *
 * Version notes: v1 is flexible.
 *
 * Authorization (with an authorizer, Kafka's rules; handlers/authz.ts): DESCRIBE_CONFIGS on the
 * cluster (CLUSTER_AUTHORIZATION_FAILED).
 */
import { newDescribeClientQuotasResponse, type DescribeClientQuotasRequest, type DescribeClientQuotasResponse } from '../../protocol/generated/index.js';
import { ErrorCode } from '../../protocol/errors.js';
import type { QuotaRecord } from '../quotas/quota-store.js';
import { defineHandler } from './types.js';
import { AclOperation, CLUSTER_AUTH_MESSAGE, canCluster } from './authz.js';

const MATCH_EXACT = 0;
const MATCH_DEFAULT = 1;
const MATCH_ANY = 2;
const ENTITY_TYPES = new Set(['user', 'client-id', 'ip']);

/** Kafka's validation of a quota filter: null when valid, else the error. */
function quotaFilterProblem(req: DescribeClientQuotasRequest): { code: number; message: string } | null {
  const seen = new Set<string>();
  const invalid = (message: string) => ({ code: ErrorCode.INVALID_REQUEST, message });
  for (const c of req.components) {
    if (c.entityType === '') return invalid('Invalid empty entity type.');
    if (seen.has(c.entityType)) return invalid(`Entity type ${c.entityType} cannot appear more than once in the filter.`);
    if (!ENTITY_TYPES.has(c.entityType)) return { code: ErrorCode.UNSUPPORTED_VERSION, message: `Unsupported entity type ${c.entityType}` };
    if (c.matchType === MATCH_EXACT) {
      if (c.match === null) return invalid('Request specified MATCH_TYPE_EXACT, but set match string to null.');
    } else if (c.matchType === MATCH_DEFAULT) {
      if (c.match !== null) return invalid('Request specified MATCH_TYPE_DEFAULT, but also specified a match string.');
    } else if (c.matchType === MATCH_ANY) {
      if (c.match !== null) return invalid('Request specified MATCH_TYPE_SPECIFIED, but also specified a match string.');
    } else {
      return invalid(`Unknown match type ${c.matchType}`);
    }
    seen.add(c.entityType);
  }
  if (seen.has('ip') && (seen.has('user') || seen.has('client-id'))) {
    return invalid('Invalid entity filter component combination. IP filter component should not be used with user or clientId filter component.');
  }
  return null;
}

function matches(record: QuotaRecord, req: DescribeClientQuotasRequest): boolean {
  const entity = record.entity;
  if (req.strict && entity.length !== req.components.length) return false;
  for (const c of req.components) {
    const e = entity.find((x) => x.entityType === c.entityType);
    if (e === undefined) return false;
    if (c.matchType === MATCH_EXACT && e.entityName !== c.match) return false;
    if (c.matchType === MATCH_DEFAULT && e.entityName !== null) return false;
  }
  return true;
}

export default defineHandler<DescribeClientQuotasRequest, DescribeClientQuotasResponse>({
  key: 48,
  minVersion: 0,
  maxVersion: 1,
  handle(ctx, req) {
    // Authorization: DESCRIBE_CONFIGS on the cluster (Kafka's).
    if (!canCluster(ctx, AclOperation.DESCRIBE_CONFIGS)) return newDescribeClientQuotasResponse({ throttleTimeMs: 0, errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, errorMessage: CLUSTER_AUTH_MESSAGE, entries: null });
    const problem = quotaFilterProblem(req);
    if (problem) return newDescribeClientQuotasResponse({ throttleTimeMs: 0, errorCode: problem.code, errorMessage: problem.message, entries: null });
    const entries = ctx.clientQuotas
      .all()
      .filter((r) => matches(r, req))
      .map((r) => ({
        entity: r.entity.map((c) => ({ entityType: c.entityType, entityName: c.entityName })),
        values: Object.entries(r.values).map(([key, value]) => ({ key, value })),
      }));
    return newDescribeClientQuotasResponse({ throttleTimeMs: 0, errorCode: ErrorCode.NONE, errorMessage: '', entries });
  },
  errorResponse(_ctx, _req, code, message) {
    return newDescribeClientQuotasResponse({ throttleTimeMs: 0, errorCode: code, errorMessage: message, entries: null });
  },
});
