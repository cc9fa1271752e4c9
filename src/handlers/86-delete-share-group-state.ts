/**
 * DeleteShareGroupState (key 86), version 0 (KIP-932, group coordinator to share coordinator):
 * deletes share partitions' states — a tombstone in `__share_group_state` (none when there is no
 * state, which is no error, as Kafka), answered once durable (src/share/state-coordinator.ts
 * delete). The leader still holding the state is refused its next write (INVALID_REQUEST: no
 * state) and reloads, starting again from share.auto.offset.reset.
 *
 * Authorization: CLUSTER_ACTION on the cluster (Kafka's rule for its inter-broker APIs).
 * Bounds: at most runnel.request.max.entries partitions (handlers/entry-limit.ts counts them).
 */
import { newDeleteShareGroupStateResponse, type DeleteShareGroupStateRequest, type DeleteShareGroupStateResponse } from '../../protocol/generated/index.js';
import { defineHandler } from './types.js';
import { answerAll, servePartitions, type PartitionOutcome } from './share-state-requests.js';

const result = (p: { partition: number }, o: PartitionOutcome) => ({ partition: p.partition, ...o });

export default defineHandler<DeleteShareGroupStateRequest, DeleteShareGroupStateResponse>({
  key: 86,
  minVersion: 0,
  maxVersion: 0,
  async handle(ctx, req) {
    const results = await servePartitions(ctx, req, (c, topicId, p) => c.delete(req.groupId, topicId, p.partition), result);
    return newDeleteShareGroupStateResponse({ results });
  },
  errorResponse(_ctx, req, code, message) {
    return newDeleteShareGroupStateResponse({ results: answerAll(req, code, message, result) });
  },
});
