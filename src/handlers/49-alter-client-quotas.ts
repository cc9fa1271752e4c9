/**
 * AlterClientQuotas (key 49), versions 0-1: sets or removes quota values per entity — what
 * `kafka-configs --alter --entity-type users|clients|ips --add-config producer_byte_rate=…`
 * sends. Each entry is validated as Kafka's controller validates it (entity combination, known
 * keys for the entity kind, value fits the key's type) and fails alone with INVALID_REQUEST and
 * Kafka's message; the valid entries are stored together (data dir file, or etcd in a cluster:
 * quotas/quota-store.ts) before the answer, and enforced from the next request on.
 * `validateOnly` validates and stores nothing. Authorization: ALTER_CONFIGS on the cluster.
 *
 * Version notes: v1 is flexible.
 */
import { newAlterClientQuotasResponse, type AlterClientQuotasRequest, type AlterClientQuotasResponse } from '../../protocol/generated/index.js';
import { ErrorCode } from '../../protocol/errors.js';
import { AclOperation, CLUSTER_AUTH_MESSAGE, canCluster } from './authz.js';
import { defineHandler } from './types.js';

function entryResults(req: AlterClientQuotasRequest, code: number, message: string | null, perEntry?: readonly { errorCode: number; errorMessage: string | null }[]): AlterClientQuotasResponse {
  return newAlterClientQuotasResponse({
    throttleTimeMs: 0,
    entries: req.entries.map((e, i) => ({
      errorCode: perEntry ? perEntry[i]!.errorCode : code,
      errorMessage: perEntry ? perEntry[i]!.errorMessage : message,
      entity: e.entity.map((c) => ({ entityType: c.entityType, entityName: c.entityName })),
    })),
  });
}

export default defineHandler<AlterClientQuotasRequest, AlterClientQuotasResponse>({
  key: 49,
  minVersion: 0,
  maxVersion: 1,
  async handle(ctx, req) {
    // Authorization: ALTER_CONFIGS on the cluster (Kafka's).
    if (!canCluster(ctx, AclOperation.ALTER_CONFIGS)) return entryResults(req, ErrorCode.CLUSTER_AUTHORIZATION_FAILED, CLUSTER_AUTH_MESSAGE);
    const results = await ctx.clientQuotas.alter(
      req.entries.map((e) => ({ entity: e.entity, ops: e.ops })),
      req.validateOnly,
    );
    return entryResults(req, 0, null, results);
  },
  errorResponse(_ctx, req, code, message) {
    return entryResults(req, code, message);
  },
});
