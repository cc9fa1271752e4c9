/**
 * InitializeShareGroupState (key 83), version 0 (KIP-932, group coordinator to share coordinator):
 * a share partition's state anew — a new state epoch and start offset (-1: the partition leader
 * starts from share.auto.offset.reset), nothing in flight — written to `__share_group_state` as a
 * ShareSnapshot and answered once durable (src/share/state-coordinator.ts initialize). The leader
 * still holding the old state is fenced on its next write (FENCED_STATE_EPOCH) and reloads.
 * FENCED_STATE_EPOCH here too when the state already has a newer state epoch.
 *
 * Authorization: CLUSTER_ACTION on the cluster (Kafka's rule for its inter-broker APIs).
 * Bounds: at most runnel.request.max.entries partitions (handlers/entry-limit.ts counts them).
 */
import { newInitializeShareGroupStateResponse, type InitializeShareGroupStateRequest, type InitializeShareGroupStateResponse } from '../../protocol/generated/index.js';
import { defineHandler } from './types.js';
import { answerAll, servePartitions, type PartitionOutcome } from './share-state-requests.js';

const result = (p: { partition: number }, o: PartitionOutcome) => ({ partition: p.partition, ...o });

export default defineHandler<InitializeShareGroupStateRequest, InitializeShareGroupStateResponse>({
  key: 83,
  minVersion: 0,
  maxVersion: 0,
  async handle(ctx, req) {
    const results = await servePartitions(ctx, req, (c, topicId, p) => c.initialize(req.groupId, topicId, p.partition, p.stateEpoch, p.startOffset), result);
    return newInitializeShareGroupStateResponse({ results });
  },
  errorResponse(_ctx, req, code, message) {
    return newInitializeShareGroupStateResponse({ results: answerAll(req, code, message, result) });
  },
});
