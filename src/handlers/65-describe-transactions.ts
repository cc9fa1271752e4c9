/**
 * DescribeTransactions (key 65), version 0.
 *
 * The state of each transactional id, as its coordinator (this broker) knows it. Transactions are
 * not served yet, so an id that InitProducerId registered is in Kafka's "Empty" state: its
 * producer id and epoch, the timeout it asked for, start time -1 and no partitions. An unknown id
 * is TRANSACTIONAL_ID_NOT_FOUND and an empty one INVALID_REQUEST, as Kafka answers. Results
 * follow the request order, duplicates included.
 */
import {
  newDescribeTransactionsResponse,
  newDescribeTransactionsResponseTransactionState,
  type DescribeTransactionsRequest,
  type DescribeTransactionsResponse,
} from '../../protocol/generated/index.js';
import { ErrorCode } from '../../protocol/errors.js';
import { EMPTY_STATE } from './66-list-transactions.js';
import { defineHandler } from './types.js';

export default defineHandler<DescribeTransactionsRequest, DescribeTransactionsResponse>({
  key: 65,
  minVersion: 0,
  maxVersion: 0,
  handle(ctx, req) {
    const known = ctx.broker.transactionalIds.list();
    return newDescribeTransactionsResponse({
      throttleTimeMs: 0,
      transactionStates: req.transactionalIds.map((transactionalId) => {
        if (transactionalId === '') return newDescribeTransactionsResponseTransactionState({ transactionalId, errorCode: ErrorCode.INVALID_REQUEST });
        const e = known.get(transactionalId);
        if (!e) return newDescribeTransactionsResponseTransactionState({ transactionalId, errorCode: ErrorCode.TRANSACTIONAL_ID_NOT_FOUND });
        return newDescribeTransactionsResponseTransactionState({
          errorCode: ErrorCode.NONE,
          transactionalId,
          transactionState: EMPTY_STATE,
          transactionTimeoutMs: e.transactionTimeoutMs,
          transactionStartTimeMs: -1,
          producerId: e.producerId,
          producerEpoch: e.producerEpoch,
          topics: [],
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
