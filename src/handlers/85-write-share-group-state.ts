/**
 * WriteShareGroupState (key 85), versions 0-1 (KIP-932, broker to broker; v1's DeliveryCompleteCount is
 * not needed: the share coordinator counts it from the batches): a share-partition leader
 * writes a share partition's state to its share coordinator (src/share/state-coordinator.ts),
 * which appends a ShareSnapshot record to `__share_group_state` and answers once it is durable
 * (acks=all). Per partition: NONE, NOT_COORDINATOR / COORDINATOR_LOAD_IN_PROGRESS (led elsewhere,
 * loading), FENCED_LEADER_EPOCH (an older share-partition leader), FENCED_STATE_EPOCH (the state
 * was initialised anew since: an offsets reset), INVALID_REQUEST (no state: deleted since; state
 * epoch -1 is a Runnel leader's creation of a missing state), or the append's error.
 *
 * Authorization: CLUSTER_ACTION on the cluster (Kafka's rule for its inter-broker APIs).
 * Bounds: at most runnel.request.max.entries partitions (handlers/entry-limit.ts counts them).
 */
import { newWriteShareGroupStateResponse, type WriteShareGroupStateRequest, type WriteShareGroupStateResponse } from '../../protocol/generated/index.js';
import { ErrorCode, KafkaError } from '../../protocol/errors.js';
import { defineHandler } from './types.js';
import { AclOperation, authorizationMessage, canCluster } from './authz.js';

const answer = (req: WriteShareGroupStateRequest, code: number, message: string | null) =>
  newWriteShareGroupStateResponse({ results: req.topics.map((t) => ({ topicId: t.topicId, partitions: t.partitions.map((p) => ({ partition: p.partition, errorCode: code, errorMessage: message })) })) });

export default defineHandler<WriteShareGroupStateRequest, WriteShareGroupStateResponse>({
  key: 85,
  minVersion: 0,
  maxVersion: 1,
  async handle(ctx, req) {
    if (!canCluster(ctx, AclOperation.CLUSTER_ACTION)) return answer(req, ErrorCode.CLUSTER_AUTHORIZATION_FAILED, authorizationMessage(ErrorCode.CLUSTER_AUTHORIZATION_FAILED));
    const coordinator = ctx.shareGroups.stateCoordinator;
    if (coordinator === null) return answer(req, ErrorCode.COORDINATOR_NOT_AVAILABLE, null);
    const results = await Promise.all(
      req.topics.map(async (t) => ({
        topicId: t.topicId,
        partitions: await Promise.all(
          t.partitions.map(async (p) => {
            try {
              const batches = p.stateBatches.map((b) => ({ firstOffset: b.firstOffset, lastOffset: b.lastOffset, deliveryState: b.deliveryState, deliveryCount: b.deliveryCount }));
              await coordinator.write(req.groupId, t.topicId, p.partition, { startOffset: p.startOffset, leaderEpoch: p.leaderEpoch, stateEpoch: p.stateEpoch, batches });
              return { partition: p.partition, errorCode: 0, errorMessage: null };
            } catch (err) {
              const code = err instanceof KafkaError ? err.code : ErrorCode.UNKNOWN_SERVER_ERROR;
              return { partition: p.partition, errorCode: code, errorMessage: (err as Error).message };
            }
          }),
        ),
      })),
    );
    return newWriteShareGroupStateResponse({ results });
  },
  errorResponse(_ctx, req, code, message) {
    return answer(req, code, message);
  },
});
