/**
 * AddOffsetsToTxn (key 25), versions 0-4.
 *
 * Adds the group's __consumer_offsets partition to the producer's transaction, before the
 * producer sends TxnOffsetCommit (consume-transform-produce: sendOffsetsToTransaction). The same
 * checks and errors as AddPartitionsToTxn; the offsets topic is created if it does not exist yet.
 *
 * Version notes: v1 same as v0; v2 PRODUCER_FENCED; v3 flexible; v4 may answer
 * TRANSACTION_ABORTABLE (KIP-890; never here). Transaction-version-2 clients skip this request:
 * TxnOffsetCommit v5 adds the partition itself.
 *
 * Authorization (with an authorizer, Kafka's rules; handlers/authz.ts): WRITE on the transactional
 * id, READ on the group.
 */
import { newAddOffsetsToTxnResponse, type AddOffsetsToTxnRequest, type AddOffsetsToTxnResponse } from '../../protocol/generated/index.js';
import { ErrorCode } from '../../protocol/errors.js';
import { CONSUMER_OFFSETS_TOPIC } from '../metadata/topic-manager.js';
import { fencedFor } from './24-add-partitions-to-txn.js';
import { defineHandler } from './types.js';
import { AclOperation, canGroup, canTransactionalId } from './authz.js';

export default defineHandler<AddOffsetsToTxnRequest, AddOffsetsToTxnResponse>({
  key: 25,
  minVersion: 0,
  maxVersion: 4,
  async handle(ctx, req) {
    // Authorization (Kafka's): WRITE on the transactional id, READ on the group.
    if (!canTransactionalId(ctx, AclOperation.WRITE, req.transactionalId)) return newAddOffsetsToTxnResponse({ throttleTimeMs: 0, errorCode: ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED });
    if (!canGroup(ctx, AclOperation.READ, req.groupId)) return newAddOffsetsToTxnResponse({ throttleTimeMs: 0, errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED });
    if (req.groupId === '') return newAddOffsetsToTxnResponse({ throttleTimeMs: 0, errorCode: ErrorCode.INVALID_GROUP_ID });
    try {
      await ctx.groups.ensureOffsetsTopic();
    } catch (err) {
      ctx.log.warn({ err: (err as Error).message }, 'cannot create the offsets topic');
      return newAddOffsetsToTxnResponse({ throttleTimeMs: 0, errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE });
    }
    const partition = ctx.groups.partitionFor(req.groupId);
    const code = await ctx.txn.addPartitions(req.transactionalId, req.producerId, req.producerEpoch, [[CONSUMER_OFFSETS_TOPIC, partition]]);
    return newAddOffsetsToTxnResponse({ throttleTimeMs: 0, errorCode: fencedFor(ctx.version, 2, code) });
  },
  errorResponse(_ctx, _req, code) {
    return newAddOffsetsToTxnResponse({ throttleTimeMs: 0, errorCode: code });
  },
});
