/**
 * What the share coordinator's administrative handlers (83 InitializeShareGroupState, 86
 * DeleteShareGroupState, 87 ReadShareGroupStateSummary) share, in Kafka's ShareCoordinatorService
 * order: CLUSTER_ACTION on the cluster (an inter-broker API), COORDINATOR_NOT_AVAILABLE without a
 * share coordinator, an empty answer for an empty group id, then per partition INVALID_REQUEST
 * for a negative partition, UNKNOWN_TOPIC_OR_PARTITION for a topic or partition that does not
 * exist, and the share coordinator's own errors (NOT_COORDINATOR, COORDINATOR_LOAD_IN_PROGRESS,
 * FENCED_STATE_EPOCH ...). Every partition is answered on its own; their writes run concurrently
 * (the count is bounded by runnel.request.max.entries before the handler runs, entry-limit.ts).
 */
import { ErrorCode, KafkaError } from '../../protocol/errors.js';
import type { ShareStateCoordinator } from '../share/state-coordinator.js';
import { AclOperation, authorizationMessage, canCluster } from './authz.js';
import type { RequestContext } from './types.js';

interface StateRequest<P extends { partition: number }> {
  groupId: string;
  topics: Array<{ topicId: Buffer; partitions: P[] }>;
}

export interface PartitionOutcome {
  errorCode: number;
  errorMessage: string | null;
}

/** Every partition of the request answered with `code` (the handlers' errorResponse and refusals). */
export function answerAll<P extends { partition: number }, R>(req: StateRequest<P>, code: number, message: string | null, build: (p: P, o: PartitionOutcome) => R): Array<{ topicId: Buffer; partitions: R[] }> {
  return req.topics.map((t) => ({ topicId: t.topicId, partitions: t.partitions.map((p) => build(p, { errorCode: code, errorMessage: message })) }));
}

/**
 * Runs `op` for each partition of the request at the share coordinator and builds its result:
 * the refusals above first. `op` resolves with the partition's result fields beyond the error.
 */
export async function servePartitions<P extends { partition: number }, V, R>(
  ctx: RequestContext,
  req: StateRequest<P>,
  op: (coordinator: ShareStateCoordinator, topicId: Buffer, p: P) => V | null | Promise<V | null>,
  build: (p: P, o: PartitionOutcome, value: V | null) => R,
): Promise<Array<{ topicId: Buffer; partitions: R[] }>> {
  if (!canCluster(ctx, AclOperation.CLUSTER_ACTION)) {
    return answerAll(req, ErrorCode.CLUSTER_AUTHORIZATION_FAILED, authorizationMessage(ErrorCode.CLUSTER_AUTHORIZATION_FAILED), (p, o) => build(p, o, null));
  }
  const coordinator = ctx.shareGroups.stateCoordinator;
  if (coordinator === null) return answerAll(req, ErrorCode.COORDINATOR_NOT_AVAILABLE, 'Share coordinator is not available.', (p, o) => build(p, o, null));
  if (req.groupId === '') return []; // Kafka: an empty answer
  return Promise.all(
    req.topics.map(async (t) => {
      const topic = ctx.topics.byId(t.topicId);
      return {
        topicId: t.topicId,
        partitions: await Promise.all(
          t.partitions.map(async (p) => {
            if (p.partition < 0) return build(p, { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: 'The partition id cannot be a negative number.' }, null);
            if (!topic || p.partition >= topic.partitions) {
              return build(p, { errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: 'This server does not host this topic-partition.' }, null);
            }
            try {
              return build(p, { errorCode: ErrorCode.NONE, errorMessage: null }, await op(coordinator, t.topicId, p));
            } catch (err) {
              const code = err instanceof KafkaError ? err.code : ErrorCode.UNKNOWN_SERVER_ERROR;
              return build(p, { errorCode: code, errorMessage: (err as Error).message }, null);
            }
          }),
        ),
      };
    }),
  );
}
