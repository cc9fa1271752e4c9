/**
 * DescribeTransactions (key 65), version 0.
 *
 * The state of each transactional id, as its coordinator (this broker, txn/coordinator.ts; an id
 * coordinated elsewhere is NOT_COORDINATOR, one still loading COORDINATOR_LOAD_IN_PROGRESS) knows it: state (Empty, Ongoing, PrepareCommit, PrepareAbort, CompleteCommit, CompleteAbort),
 * producer id and epoch, timeout, start time of the transaction (-1 before the first one) and
 * the partitions of the running one. An unknown id is TRANSACTIONAL_ID_NOT_FOUND and an empty one
 * INVALID_REQUEST, as Kafka answers. Results follow the request order, duplicates included.
 *
 * Authorization (with an authorizer, Kafka's rules; handlers/authz.ts): DESCRIBE on each
 * transactional id (TRANSACTIONAL_ID_AUTHORIZATION_FAILED); only describable topics listed.
 */
import {
  newDescribeTransactionsResponse,
  newDescribeTransactionsResponseTopic,
  newDescribeTransactionsResponseTransactionState,
  type DescribeTransactionsRequest,
  type DescribeTransactionsResponse,
} from '../../protocol/generated/index.js';
import { ErrorCode } from '../../protocol/errors.js';
import { defineHandler } from './types.js';
import { AclOperation, canTopic, canTransactionalId } from './authz.js';

export default defineHandler<DescribeTransactionsRequest, DescribeTransactionsResponse>({
  key: 65,
  minVersion: 0,
  maxVersion: 0,
  handle(ctx, req) {
    const known = ctx.txn.txns;
    return newDescribeTransactionsResponse({
      throttleTimeMs: 0,
      transactionStates: req.transactionalIds.map((transactionalId) => {
        if (transactionalId === '') return newDescribeTransactionsResponseTransactionState({ transactionalId, errorCode: ErrorCode.INVALID_REQUEST });
        // Authorization: DESCRIBE on the transactional id (Kafka's); only describable topics are listed.
        if (!canTransactionalId(ctx, AclOperation.DESCRIBE, transactionalId)) return newDescribeTransactionsResponseTransactionState({ transactionalId, errorCode: ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED });
        const refused = ctx.txn.coordinatorError(transactionalId);
        if (refused !== ErrorCode.NONE) return newDescribeTransactionsResponseTransactionState({ transactionalId, errorCode: refused });
        const e = known.get(transactionalId);
        if (!e) return newDescribeTransactionsResponseTransactionState({ transactionalId, errorCode: ErrorCode.TRANSACTIONAL_ID_NOT_FOUND });
        return newDescribeTransactionsResponseTransactionState({
          errorCode: ErrorCode.NONE,
          transactionalId,
          transactionState: e.state,
          transactionTimeoutMs: e.timeoutMs,
          transactionStartTimeMs: e.startTimestamp,
          producerId: e.producerId,
          producerEpoch: e.producerEpoch,
          topics: [...e.partitions].filter(([topic]) => canTopic(ctx, AclOperation.DESCRIBE, topic, false)).map(([topic, parts]) => newDescribeTransactionsResponseTopic({ topic, partitions: [...parts].sort((a, b) => a - b) })),
        });
      }),
    });
  },
  errorResponse(_ctx, req, code) {
    return newDescribeTransactionsResponse({
      throttleTimeMs: 0,
      transactionStates: req.transactionalIds.map((transactionalId) => newDescribeTransactionsResponseTransactionState({ transactionalId, errorCode: code })),
    });
  },
});
