/**
 * FindCoordinator (key 10), versions 0-4.
 *
 * Single node: this broker coordinates every group (key type 0) and transactional id (key type 1).
 * The first group lookup creates `__consumer_offsets`, and the first transactional id lookup
 * `__transaction_state`, as Kafka does; if that fails the answer is COORDINATOR_NOT_AVAILABLE
 * (retriable). Other key types get INVALID_REQUEST.
 *
 * Version notes: advertised from v0 because librdkafka 2.0.2 enables its group support only when
 * FindCoordinator v0 is offered. v1 adds key type, throttle and error message; v3 is flexible;
 * v4 batches keys (`coordinatorKeys`, one result each) and drops the top-level fields.
 */
import {
  newFindCoordinatorResponse,
  newFindCoordinatorResponseCoordinator,
  type FindCoordinatorRequest,
  type FindCoordinatorResponse,
} from '../../protocol/generated/index.js';
import { ErrorCode, errorName } from '../../protocol/errors.js';
import { defineHandler } from './types.js';

const GROUP = 0;
const TRANSACTION = 1;

export default defineHandler<FindCoordinatorRequest, FindCoordinatorResponse>({
  key: 10,
  minVersion: 0,
  maxVersion: 4,
  async handle(ctx, req) {
    const keys = ctx.version >= 4 ? req.coordinatorKeys : [req.key];
    let errorCode: number = ErrorCode.NONE;
    if (req.keyType !== GROUP && req.keyType !== TRANSACTION) errorCode = ErrorCode.INVALID_REQUEST;
    else if (ctx.groups.stopping) errorCode = ErrorCode.COORDINATOR_NOT_AVAILABLE;
    else if (req.keyType === GROUP) {
      try {
        await ctx.groups.ensureOffsetsTopic();
      } catch (err) {
        ctx.log.warn({ err: (err as Error).message }, 'cannot create the offsets topic');
        errorCode = ErrorCode.COORDINATOR_NOT_AVAILABLE;
      }
    } else if (ctx.txn.stopping) errorCode = ErrorCode.COORDINATOR_NOT_AVAILABLE;
    else {
      try {
        await ctx.txn.stateLog.ensure();
      } catch (err) {
        ctx.log.warn({ err: (err as Error).message }, 'cannot create the transaction state topic');
        errorCode = ErrorCode.COORDINATOR_NOT_AVAILABLE;
      }
    }
    const addr = ctx.node.addressFor(ctx.conn.listener);
    const ok = errorCode === ErrorCode.NONE;
    const message = ok ? null : errorName(errorCode);
    if (ctx.version >= 4) {
      return newFindCoordinatorResponse({
        throttleTimeMs: 0,
        coordinators: keys.map((key) =>
          newFindCoordinatorResponseCoordinator({
            key,
            nodeId: ok ? ctx.node.nodeId : -1,
            host: ok ? addr.host : '',
            port: ok ? addr.port : -1,
            errorCode,
            errorMessage: message,
          }),
        ),
      });
    }
    return newFindCoordinatorResponse({
      throttleTimeMs: 0,
      errorCode,
      errorMessage: message,
      nodeId: ok ? ctx.node.nodeId : -1,
      host: ok ? addr.host : '',
      port: ok ? addr.port : -1,
    });
  },
  errorResponse(ctx, req, code, message) {
    if (ctx.version >= 4) {
      return newFindCoordinatorResponse({
        coordinators: req.coordinatorKeys.map((key) => newFindCoordinatorResponseCoordinator({ key, nodeId: -1, host: '', port: -1, errorCode: code, errorMessage: message })),
      });
    }
    return newFindCoordinatorResponse({ errorCode: code, errorMessage: message, nodeId: -1, host: '', port: -1 });
  },
});
