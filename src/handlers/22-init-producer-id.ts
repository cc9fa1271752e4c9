/**
 * InitProducerId (key 22), versions 0-5.
 *
 * Idempotent producers (no transactional id) get a fresh producer id with epoch 0 from a block
 * persisted before use, so ids never repeat across restarts. v3+ (KIP-360): a producer that sends
 * its current id and epoch gets the same id with the epoch bumped (a new id when the epoch would
 * overflow), which lets it reset sequences after an error without losing its identity.
 * Transactional producers go to the transaction coordinator (txn/coordinator.ts): an id per
 * transactional.id with the epoch bumped on every call, so an older instance is fenced; a
 * transaction the previous instance left running is aborted first (its markers carry a bumped
 * epoch too). transaction.timeout.ms above transaction.max.timeout.ms (or ≤ 0) is
 * INVALID_TRANSACTION_TIMEOUT. v3+ callers that pass their current id and epoch (KIP-360) must
 * hold the current epoch (a retry of the previous call is recognised), else PRODUCER_FENCED
 * (INVALID_PRODUCER_EPOCH before v4).
 *
 * v5 may answer TRANSACTION_ABORTABLE (KIP-890; never here). v6 (KIP-939 two-phase commit:
 * enable2Pc, keepPreparedTxn) is not served: Kafka 4.4 marks it unstable and does not advertise it
 * by default either, and transaction version 2 clients do not need it.
 *
 * Authorization (with an authorizer, Kafka's rules; handlers/authz.ts): WRITE on the transactional
 * id (TRANSACTIONAL_ID_AUTHORIZATION_FAILED); idempotent producers IDEMPOTENT_WRITE on the cluster
 * or WRITE on some topic (CLUSTER_AUTHORIZATION_FAILED).
 */
import { newInitProducerIdResponse, type InitProducerIdRequest, type InitProducerIdResponse } from '../../protocol/generated/index.js';
import { ErrorCode } from '../../protocol/errors.js';
import { defineHandler } from './types.js';
import { AclOperation, canCluster, canTransactionalId } from './authz.js';
import { AclResourceType } from '../security/authorizer.js';

const MAX_EPOCH = 32767;

export default defineHandler<InitProducerIdRequest, InitProducerIdResponse>({
  key: 22,
  minVersion: 0,
  maxVersion: 5,
  async handle(ctx, req) {
    if (req.transactionalId !== null && req.transactionalId !== '') {
      // Authorization: WRITE on the transactional id (Kafka's).
      if (!canTransactionalId(ctx, AclOperation.WRITE, req.transactionalId)) return this.errorResponse!(ctx, req, ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED, '');
      const maxTimeout = ctx.config.int('transaction.max.timeout.ms');
      if (req.transactionTimeoutMs <= 0 || req.transactionTimeoutMs > maxTimeout) {
        return newInitProducerIdResponse({ errorCode: ErrorCode.INVALID_TRANSACTION_TIMEOUT, producerId: -1, producerEpoch: -1 });
      }
      const expected = ctx.version >= 3 && req.producerId >= 0 ? { producerId: req.producerId, producerEpoch: req.producerEpoch } : null;
      const r = await ctx.txn.initProducerId(req.transactionalId, req.transactionTimeoutMs, expected);
      const errorCode = r.errorCode === ErrorCode.PRODUCER_FENCED && ctx.version < 4 ? ErrorCode.INVALID_PRODUCER_EPOCH : r.errorCode;
      return newInitProducerIdResponse({ errorCode, producerId: r.producerId, producerEpoch: r.producerEpoch });
    }
    // Idempotent producer: IDEMPOTENT_WRITE on the cluster, or WRITE on some topic (Kafka 3.0+, KIP-679).
    if (ctx.authorizer.enabled && !canCluster(ctx, AclOperation.IDEMPOTENT_WRITE, false) && !ctx.authorizer.authorizeAny(ctx.conn.principal, AclOperation.WRITE, AclResourceType.TOPIC)) {
      return this.errorResponse!(ctx, req, ErrorCode.CLUSTER_AUTHORIZATION_FAILED, '');
    }
    if (ctx.version >= 3 && req.producerId >= 0 && req.producerEpoch >= 0 && req.producerEpoch < MAX_EPOCH - 1) {
      return newInitProducerIdResponse({ errorCode: ErrorCode.NONE, producerId: req.producerId, producerEpoch: req.producerEpoch + 1 });
    }
    const producerId = await ctx.producerIds.allocate();
    return newInitProducerIdResponse({ errorCode: ErrorCode.NONE, producerId, producerEpoch: 0 });
  },
  errorResponse(_ctx, _req, code) {
    return newInitProducerIdResponse({ errorCode: code, producerId: -1, producerEpoch: -1 });
  },
});
