/**
 * EndTxn (key 26), versions 0-3.
 *
 * Commits or aborts the producer's transaction: the transaction coordinator writes the Prepare
 * state, a COMMIT or ABORT marker to every partition of the transaction (and the group offsets of
 * TxnOffsetCommit become visible or are dropped), then the Complete state; the answer comes once
 * the markers are written. A retried EndTxn of a completed transaction with the same outcome is
 * answered NONE; the other outcome, or no transaction at all, INVALID_TXN_STATE; one that arrives
 * while the markers are written, CONCURRENT_TRANSACTIONS. Unknown id or another producer id →
 * INVALID_PRODUCER_ID_MAPPING; an older epoch → PRODUCER_FENCED (INVALID_PRODUCER_EPOCH before v2).
 *
 * Version notes: v1 same as v0; v2 PRODUCER_FENCED; v3 flexible. v4+ (KIP-890) is not served.
 *
 * Authorization (with an authorizer, Kafka's rules; handlers/authz.ts): WRITE on the transactional
 * id (TRANSACTIONAL_ID_AUTHORIZATION_FAILED).
 */
import { newEndTxnResponse, type EndTxnRequest, type EndTxnResponse } from '../../protocol/generated/index.js';
import { fencedFor } from './24-add-partitions-to-txn.js';
import { ErrorCode } from '../../protocol/errors.js';
import { defineHandler } from './types.js';
import { AclOperation, canTransactionalId } from './authz.js';

export default defineHandler<EndTxnRequest, EndTxnResponse>({
  key: 26,
  minVersion: 0,
  maxVersion: 3,
  async handle(ctx, req) {
    // Authorization: WRITE on the transactional id (Kafka's).
    if (!canTransactionalId(ctx, AclOperation.WRITE, req.transactionalId)) return newEndTxnResponse({ throttleTimeMs: 0, errorCode: ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED });
    const code = await ctx.txn.endTxn(req.transactionalId, req.producerId, req.producerEpoch, req.committed);
    return newEndTxnResponse({ throttleTimeMs: 0, errorCode: fencedFor(ctx.version, 2, code) });
  },
  errorResponse(_ctx, _req, code) {
    return newEndTxnResponse({ throttleTimeMs: 0, errorCode: code });
  },
});
