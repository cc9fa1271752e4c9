/**
 * ListTransactions (key 66), versions 0-2.
 *
 * The transactional ids this broker coordinates (on one node, all of them), with their state
 * (txn/coordinator.ts). Filters as Kafka applies them: state names (unknown names are echoed in
 * unknownStateFilters; a non-empty state filter that names no known state matches nothing),
 * producer ids, and (v1+) durationFilter ≥ 0 keeps transactions running longer than that — one
 * that never started has start time -1, so Kafka's now - start test always keeps it.
 *
 * Version notes: v1 adds durationFilter. v2 (KIP-1152) adds transactionalIdPattern: only ids the
 * regular expression matches as a whole (null or empty: all). The pattern runs on a linear-time
 * engine (regex/linear-regex.ts; backreferences and lookaround are refused) and is at most
 * runnel.transactional.id.pattern.max.length characters; a pattern that does not parse is
 * INVALID_REGULAR_EXPRESSION with no states, as Kafka answers it.
 *
 * Authorization (with an authorizer, Kafka's rules; handlers/authz.ts): only the transactional ids
 * the principal may describe are listed.
 */
import {
  newListTransactionsResponse,
  newListTransactionsResponseTransactionState,
  type ListTransactionsRequest,
  type ListTransactionsResponse,
} from '../../protocol/generated/index.js';
import { ErrorCode } from '../../protocol/errors.js';
import { defineHandler } from './types.js';
import { AclOperation, canTransactionalId } from './authz.js';
import { InvalidRegexError, wholeMatchRegex } from '../regex/linear-regex.js';

/** Kafka's transaction state names. */
export const TRANSACTION_STATES = new Set(['Empty', 'Ongoing', 'PrepareCommit', 'PrepareAbort', 'CompleteCommit', 'CompleteAbort', 'PrepareEpochFence', 'Dead']);

export default defineHandler<ListTransactionsRequest, ListTransactionsResponse>({
  key: 66,
  minVersion: 0,
  maxVersion: 2,
  handle(ctx, req) {
    const unknownStateFilters = req.stateFilters.filter((s) => !TRANSACTION_STATES.has(s));
    let pattern: RegExp | null = null;
    if (ctx.version >= 2 && req.transactionalIdPattern) {
      try {
        pattern = wholeMatchRegex(req.transactionalIdPattern, ctx.config.int('runnel.transactional.id.pattern.max.length'));
      } catch (err) {
        if (!(err instanceof InvalidRegexError)) throw err;
        ctx.log.debug({ reason: err.message }, 'ListTransactions pattern refused');
        return newListTransactionsResponse({ throttleTimeMs: 0, errorCode: ErrorCode.INVALID_REGULAR_EXPRESSION, unknownStateFilters, transactionStates: [] });
      }
    }
    const states = new Set(req.stateFilters.filter((s) => TRANSACTION_STATES.has(s)));
    const producerIds = new Set(req.producerIdFilters);
    // Kafka answers COORDINATOR_LOAD_IN_PROGRESS (and no states) while a partition loads.
    if (ctx.txn.loading) return newListTransactionsResponse({ throttleTimeMs: 0, errorCode: ErrorCode.COORDINATOR_LOAD_IN_PROGRESS, unknownStateFilters, transactionStates: [] });
    const now = Date.now();
    const transactionStates = [];
    for (const [transactionalId, e] of ctx.txn.txns) {
      if (req.stateFilters.length > 0 && !states.has(e.state)) continue;
      if (producerIds.size > 0 && !producerIds.has(e.producerId)) continue;
      if (pattern !== null && !pattern.test(transactionalId)) continue;
      // Authorization: only the ids the principal may describe are listed (Kafka's; not audited).
      if (!canTransactionalId(ctx, AclOperation.DESCRIBE, transactionalId, false)) continue;
      if (ctx.version >= 1 && req.durationFilter >= 0 && now - e.startTimestamp <= req.durationFilter) continue;
      transactionStates.push(newListTransactionsResponseTransactionState({ transactionalId, producerId: e.producerId, transactionState: e.state }));
    }
    return newListTransactionsResponse({ throttleTimeMs: 0, errorCode: ErrorCode.NONE, unknownStateFilters, transactionStates });
  },
  errorResponse(_ctx, _req, code) {
    return newListTransactionsResponse({ throttleTimeMs: 0, errorCode: code, unknownStateFilters: [], transactionStates: [] });
  },
});
