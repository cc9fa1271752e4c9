/**
 * FindCoordinator (key 10), versions 0-6.
 *
 * The coordinator of a group (key type 0) is the leader of its `__consumer_offsets` partition,
 * `abs(hash(group)) % partitions` (groups/offsets-partition.ts: Java's String.hashCode and Kafka's
 * Utils.abs); of a transactional id (key type 1) the leader of its `__transaction_state`
 * partition, the same way. On a single node that is always this broker. In a cluster the leader
 * comes from the metadata image; a partition without a leader (or a leader without the client's
 * listener) is COORDINATOR_NOT_AVAILABLE, retriable, as Kafka answers.
 *
 * The first group lookup creates `__consumer_offsets`, and the first transactional id lookup
 * `__transaction_state`, as Kafka does; if that fails the answer is COORDINATOR_NOT_AVAILABLE
 * (retriable). Other key types get INVALID_REQUEST.
 *
 * Version notes: advertised from v0 because librdkafka 2.0.2 enables its group support only when
 * FindCoordinator v0 is offered. v1 adds key type, throttle and error message; v3 is flexible;
 * v4 batches keys (`coordinatorKeys`, one result each) and drops the top-level fields. v5 (KIP-890)
 * may answer TRANSACTION_ABORTABLE (never here). v6 (KIP-932) adds key type 2, share partitions
 * (`group:topicId:partition`, asked by brokers): the share coordinator, the leader of the key's
 * `__share_group_state` partition (share/state-log.ts partitionFor, Kafka's hashing), created on
 * first need; CLUSTER_ACTION is required (CLUSTER_AUTHORIZATION_FAILED), a key not of that shape
 * is INVALID_REQUEST, and every version before v6 answers key type 2 INVALID_REQUEST.
 *
 * Authorization (with an authorizer, Kafka's rules; handlers/authz.ts): DESCRIBE on the group or
 * transactional id (GROUP_/TRANSACTIONAL_ID_AUTHORIZATION_FAILED per key).
 */
import {
  newFindCoordinatorResponse,
  newFindCoordinatorResponseCoordinator,
  type FindCoordinatorRequest,
  type FindCoordinatorResponse,
} from '../../protocol/generated/index.js';
import { ErrorCode, errorName } from '../../protocol/errors.js';
import { CONSUMER_OFFSETS_TOPIC, SHARE_GROUP_STATE_TOPIC, TRANSACTION_STATE_TOPIC } from '../data/internal-topic.js';
import { defineHandler, type RequestContext } from './types.js';
import { AclOperation, canCluster, canGroup, canTransactionalId } from './authz.js';

const GROUP = 0;
const TRANSACTION = 1;
const SHARE = 2;

interface Coordinator {
  nodeId: number;
  host: string;
  port: number;
  errorCode: number;
}

const NOT_AVAILABLE: Coordinator = { nodeId: -1, host: '', port: -1, errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE };

/** Creates the key type's state topic when missing: NONE, or why the coordinator cannot be found. */
async function ensureStateTopic(ctx: RequestContext, keyType: number): Promise<number> {
  if (keyType === SHARE && ctx.version >= 6) {
    const coordinator = ctx.shareGroups.stateCoordinator;
    if (coordinator === null) return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    return coordinator.ensureTopic().then(
      () => ErrorCode.NONE,
      (err: unknown) => {
        ctx.log.warn({ err: (err as Error).message }, 'cannot create the share group state topic');
        return ErrorCode.COORDINATOR_NOT_AVAILABLE;
      },
    );
  }
  if (keyType !== GROUP && keyType !== TRANSACTION) return ErrorCode.INVALID_REQUEST;
  if (ctx.groups.stopping || (keyType === TRANSACTION && ctx.txn.stopping)) {
    // A stopping broker creates nothing. In a cluster it still knows where the coordinators are
    // (its controlled shutdown moved its own away): it answers from the metadata image, as Kafka
    // answers from its metadata cache until the socket closes, instead of sending every client
    // that asks during a rolling restart into a retry.
    const topic = keyType === GROUP ? CONSUMER_OFFSETS_TOPIC : TRANSACTION_STATE_TOPIC;
    return ctx.node.partitionState?.(topic, 0) !== undefined ? ErrorCode.NONE : ErrorCode.COORDINATOR_NOT_AVAILABLE;
  }
  try {
    await (keyType === GROUP ? ctx.groups.ensureOffsetsTopic() : ctx.txn.stateLog.ensure());
    return ErrorCode.NONE;
  } catch (err) {
    ctx.log.warn({ err: (err as Error).message }, keyType === GROUP ? 'cannot create the offsets topic' : 'cannot create the transaction state topic');
    return ErrorCode.COORDINATOR_NOT_AVAILABLE;
  }
}

/** The leader of the key's state-topic partition, at the client's listener. */
function coordinatorFor(ctx: RequestContext, keyType: number, key: string): Coordinator {
  const listener = ctx.conn.listener;
  if (keyType === SHARE && !/^.+:[A-Za-z0-9_-]{22}:\d+$/.test(key)) return { ...NOT_AVAILABLE, errorCode: ErrorCode.INVALID_REQUEST };
  if (ctx.node.partitionState === undefined) {
    const a = ctx.node.addressFor(listener);
    return { nodeId: ctx.node.nodeId, host: a.host, port: a.port, errorCode: ErrorCode.NONE };
  }
  const topic = keyType === GROUP ? CONSUMER_OFFSETS_TOPIC : keyType === SHARE ? SHARE_GROUP_STATE_TOPIC : TRANSACTION_STATE_TOPIC;
  const partition =
    keyType === GROUP ? ctx.groups.partitionFor(key) : keyType === SHARE ? ctx.shareGroups.stateCoordinator!.stateLog.partitionFor(key) : (ctx.txn.stateLog.partitionFor?.(key) ?? 0);
  const leader = ctx.node.partitionState(topic, partition)?.leader ?? -1;
  if (leader < 0) return NOT_AVAILABLE;
  const b = ctx.node.brokers(listener).find((x) => x.nodeId === leader);
  return b ? { nodeId: leader, host: b.host, port: b.port, errorCode: ErrorCode.NONE } : NOT_AVAILABLE;
}

function authorizationError(ctx: RequestContext, keyType: number, key: string): number {
  if (keyType === GROUP) return canGroup(ctx, AclOperation.DESCRIBE, key) ? ErrorCode.NONE : ErrorCode.GROUP_AUTHORIZATION_FAILED;
  if (keyType === TRANSACTION) return canTransactionalId(ctx, AclOperation.DESCRIBE, key) ? ErrorCode.NONE : ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED;
  if (keyType === SHARE && ctx.version >= 6) return canCluster(ctx, AclOperation.CLUSTER_ACTION) ? ErrorCode.NONE : ErrorCode.CLUSTER_AUTHORIZATION_FAILED;
  return ErrorCode.NONE;
}

export default defineHandler<FindCoordinatorRequest, FindCoordinatorResponse>({
  key: 10,
  minVersion: 0,
  maxVersion: 6,
  async handle(ctx, req) {
    const keys = ctx.version >= 4 ? req.coordinatorKeys : [req.key];
    // Authorization per key (Kafka's): DESCRIBE on the group or the transactional id.
    const refused = keys.map((key) => authorizationError(ctx, req.keyType, key));
    const errorCode = refused.every((c) => c !== ErrorCode.NONE) ? ErrorCode.NONE : await ensureStateTopic(ctx, req.keyType);
    const found = keys.map((key, i) =>
      refused[i] !== ErrorCode.NONE ? { ...NOT_AVAILABLE, errorCode: refused[i]! } : errorCode === ErrorCode.NONE ? coordinatorFor(ctx, req.keyType, key) : { ...NOT_AVAILABLE, errorCode },
    );
    const messageOf = (c: Coordinator) => (c.errorCode === ErrorCode.NONE ? null : errorName(c.errorCode));
    if (ctx.version >= 4) {
      return newFindCoordinatorResponse({
        throttleTimeMs: 0,
        coordinators: found.map((c, i) =>
          newFindCoordinatorResponseCoordinator({ key: keys[i]!, nodeId: c.nodeId, host: c.host, port: c.port, errorCode: c.errorCode, errorMessage: messageOf(c) }),
        ),
      });
    }
    const c = found[0]!;
    return newFindCoordinatorResponse({ throttleTimeMs: 0, errorCode: c.errorCode, errorMessage: messageOf(c), nodeId: c.nodeId, host: c.host, port: c.port });
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
