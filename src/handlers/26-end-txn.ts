/**
 * EndTxn (key 26), versions 0-5.
 *
 * Commits or aborts the producer's transaction: the transaction coordinator writes the Prepare
 * state, a COMMIT or ABORT marker to every partition of the transaction (and the group offsets of
 * TxnOffsetCommit become visible or are dropped), then the Complete state; the answer comes once
 * the markers are written. Unknown id or another producer id → INVALID_PRODUCER_ID_MAPPING; an
 * older epoch → PRODUCER_FENCED (INVALID_PRODUCER_EPOCH before v2). One that arrives while the
 * markers are written: CONCURRENT_TRANSACTIONS.
 *
 * v0-4 (transaction version 0/1): a retried EndTxn of a completed transaction with the same
 * outcome is answered NONE; the other outcome, or no transaction at all, INVALID_TXN_STATE.
 * v5 (KIP-890 part 2, a transaction.version 2 client): every end bumps the producer epoch — the
 * markers carry the bumped epoch, so a late write of the ended transaction is fenced at every
 * partition — and the answer carries the producer id and epoch for the next transaction (a new
 * producer id at epoch 0 when the epoch overflows). The retry and empty-abort rules are
 * txn-requests.ts's.
 *
 * Version notes: v1 same as v0; v2 PRODUCER_FENCED; v3 flexible; v4 TRANSACTION_ABORTABLE; v5
 * producer id and epoch in the answer.
 *
 * Authorization (with an authorizer, Kafka's rules; handlers/authz.ts): WRITE on the transactional
 * id (TRANSACTIONAL_ID_AUTHORIZATION_FAILED).
 */
import { newEndTxnResponse, type EndTxnRequest, type EndTxnResponse } from '../../protocol/generated/index.js';
import { fencedFor } from './24-add-partitions-to-txn.js';
import { ErrorCode } from '../../protocol/errors.js';
import { defineHandler } from './types.js';
import { AclOperation, canTransactionalId } from './authz.js';

/** The first EndTxn version of transaction version 2 (Kafka's TransactionVersion.transactionVersionForEndTxn). */
const TV2_VERSION = 5;

export default defineHandler<EndTxnRequest, EndTxnResponse>({
  key: 26,
  minVersion: 0,
  maxVersion: 5,
  async handle(ctx, req) {
    // Authorization: WRITE on the transactional id (Kafka's).
    if (!canTransactionalId(ctx, AclOperation.WRITE, req.transactionalId)) return this.errorResponse!(ctx, req, ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED, '');
    const tv = ctx.version >= TV2_VERSION ? 2 : 0;
    const r = await ctx.txn.endTxn(req.transactionalId, req.producerId, req.producerEpoch, req.committed, tv);
    if (r.errorCode !== ErrorCode.NONE) ctx.log.debug({ transactionalId: req.transactionalId, code: r.errorCode }, 'EndTxn refused');
    return newEndTxnResponse({ throttleTimeMs: 0, errorCode: fencedFor(ctx.version, 2, r.errorCode), producerId: r.producerId, producerEpoch: r.producerEpoch });
  },
  errorResponse(_ctx, _req, code) {
    return newEndTxnResponse({ throttleTimeMs: 0, errorCode: code, producerId: -1, producerEpoch: -1 });
  },
});
