/**
 * ReadShareGroupStateSummary (key 87), versions 0-1 (KIP-932; v1 KIP-1226's
 * DeliveryCompleteCount), group coordinator to share coordinator: per share partition its state
 * epoch, leader epoch and start offset without the batches (DescribeShareGroupOffsets' source),
 * and from v1 the records at or past the start offset already acknowledged or archived. A share
 * partition without state answers start offset -1, state and leader epoch 0, as Kafka.
 *
 * Authorization: CLUSTER_ACTION on the cluster (Kafka's rule for its inter-broker APIs).
 * Bounds: at most runnel.request.max.entries partitions (handlers/entry-limit.ts counts them).
 */
import { newReadShareGroupStateSummaryResponse, type ReadShareGroupStateSummaryRequest, type ReadShareGroupStateSummaryResponse } from '../../protocol/generated/index.js';
import type { ShareStateSummary } from '../share/state-coordinator.js';
import { defineHandler } from './types.js';
import { answerAll, servePartitions, type PartitionOutcome } from './share-state-requests.js';

/** Kafka's answer without state (PartitionFactory's defaults). */
const NO_STATE: ShareStateSummary = { stateEpoch: 0, leaderEpoch: 0, startOffset: -1, deliveryCompleteCount: -1 };
/** With an error: the fields as Kafka's error response leaves them. */
const FAILED: ShareStateSummary = { stateEpoch: 0, leaderEpoch: 0, startOffset: 0, deliveryCompleteCount: -1 };

const result = (p: { partition: number }, o: PartitionOutcome, s: ShareStateSummary | null) => ({ partition: p.partition, ...o, ...(s ?? (o.errorCode === 0 ? NO_STATE : FAILED)) });

export default defineHandler<ReadShareGroupStateSummaryRequest, ReadShareGroupStateSummaryResponse>({
  key: 87,
  minVersion: 0,
  maxVersion: 1,
  async handle(ctx, req) {
    const results = await servePartitions(ctx, req, (c, topicId, p) => c.summary(req.groupId, topicId, p.partition), result);
    return newReadShareGroupStateSummaryResponse({ results });
  },
  errorResponse(_ctx, req, code, message) {
    return newReadShareGroupStateSummaryResponse({ results: answerAll(req, code, message, (p, o) => result(p, o, null)) });
  },
});
