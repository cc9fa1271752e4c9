/**
 * ReadShareGroupState (key 84), version 0 (KIP-932, broker to broker): a share-partition leader
 * reads a share partition's state from its share coordinator, the leader of the key's
 * `__share_group_state` partition (src/share/state-coordinator.ts). Per partition: the state with
 * its state epoch (start offset -1 when initialised without one; start offset and state epoch -1
 * when there is no state, where Kafka answers INVALID_REQUEST), or NOT_COORDINATOR /
 * COORDINATOR_LOAD_IN_PROGRESS while the state partition is led elsewhere or still loading.
 *
 * Authorization: CLUSTER_ACTION on the cluster (Kafka's rule for its inter-broker APIs).
 * Bounds: at most runnel.request.max.entries partitions (handlers/entry-limit.ts counts them).
 */
import { newReadShareGroupStateResponse, type ReadShareGroupStateRequest, type ReadShareGroupStateResponse } from '../../protocol/generated/index.js';
import { ErrorCode, KafkaError } from '../../protocol/errors.js';
import { defineHandler } from './types.js';
import { AclOperation, authorizationMessage, canCluster } from './authz.js';

/** An error for every partition; startOffset 0 as Kafka's getErrorResponse leaves it (-1 means never written, and only with NONE). */
const answer = (req: ReadShareGroupStateRequest, code: number, message: string | null) =>
  newReadShareGroupStateResponse({
    results: req.topics.map((t) => ({ topicId: t.topicId, partitions: t.partitions.map((p) => ({ partition: p.partition, errorCode: code, errorMessage: message, stateEpoch: 0, startOffset: 0, stateBatches: [] })) })),
  });

export default defineHandler<ReadShareGroupStateRequest, ReadShareGroupStateResponse>({
  key: 84,
  minVersion: 0,
  maxVersion: 0,
  handle(ctx, req) {
    if (!canCluster(ctx, AclOperation.CLUSTER_ACTION)) return answer(req, ErrorCode.CLUSTER_AUTHORIZATION_FAILED, authorizationMessage(ErrorCode.CLUSTER_AUTHORIZATION_FAILED));
    const coordinator = ctx.shareGroups.stateCoordinator;
    if (coordinator === null) return answer(req, ErrorCode.COORDINATOR_NOT_AVAILABLE, null);
    return newReadShareGroupStateResponse({
      results: req.topics.map((t) => ({
        topicId: t.topicId,
        partitions: t.partitions.map((p) => {
          try {
            const s = coordinator.read(req.groupId, t.topicId, p.partition, p.leaderEpoch);
            // No state: start offset -1 at state epoch -1 (Kafka answers INVALID_REQUEST; a Runnel leader then creates it).
            if (s === null) return { partition: p.partition, errorCode: 0, errorMessage: null, stateEpoch: -1, startOffset: -1, stateBatches: [] };
            return { partition: p.partition, errorCode: 0, errorMessage: null, stateEpoch: s.stateEpoch ?? 0, startOffset: s.startOffset, stateBatches: s.batches };
          } catch (err) {
            const code = err instanceof KafkaError ? err.code : ErrorCode.UNKNOWN_SERVER_ERROR;
            return { partition: p.partition, errorCode: code, errorMessage: (err as Error).message, stateEpoch: 0, startOffset: 0, stateBatches: [] };
          }
        }),
      })),
    });
  },
  errorResponse(_ctx, req, code, message) {
    return answer(req, code, message);
  },
});
