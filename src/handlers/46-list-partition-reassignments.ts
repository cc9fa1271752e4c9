/**
 * ListPartitionReassignments (key 46), version 0.
 *
 * In a cluster the answer comes from the metadata image (ctx.node.partitionReassignments):
 * every partition whose `adding` or `removing` set is not empty, with its replicas (the target
 * first, then the replicas being removed), adding and removing — for all topics (a null list) or
 * the named partitions; unknown topics and partitions, and partitions not in reassignment, are left
 * out, and so are topics left with none, as Kafka answers.
 *
 * A single node never moves replicas, so no reassignment is ever in progress: the answer is an
 * empty list, whatever topics are asked for (unknown ones included, as Kafka answers).
 * kafka-reassign-partitions --list prints "No partition reassignments found.".
 *
 * Authorization (with an authorizer, Kafka's rules; handlers/authz.ts): DESCRIBE on the cluster
 * (CLUSTER_AUTHORIZATION_FAILED).
 */
import {
  newListPartitionReassignmentsResponse,
  newListPartitionReassignmentsResponsePartition,
  newListPartitionReassignmentsResponseTopic,
  type ListPartitionReassignmentsRequest,
  type ListPartitionReassignmentsResponse,
  type ListPartitionReassignmentsResponseTopic,
} from '../../protocol/generated/index.js';
import { ErrorCode } from '../../protocol/errors.js';
import { defineHandler } from './types.js';
import { AclOperation, CLUSTER_AUTH_MESSAGE, canCluster } from './authz.js';

export default defineHandler<ListPartitionReassignmentsRequest, ListPartitionReassignmentsResponse>({
  key: 46,
  minVersion: 0,
  maxVersion: 0,
  handle(ctx, req) {
    // Authorization: DESCRIBE on the cluster (Kafka's).
    if (!canCluster(ctx, AclOperation.DESCRIBE)) return this.errorResponse!(ctx, req, ErrorCode.CLUSTER_AUTHORIZATION_FAILED, CLUSTER_AUTH_MESSAGE);
    const topics: ListPartitionReassignmentsResponseTopic[] = [];
    if (ctx.node.partitionReassignments) {
      const asked = req.topics === null ? null : req.topics.map((t) => ({ name: t.name, partitions: t.partitionIndexes }));
      const byTopic = new Map<string, ListPartitionReassignmentsResponseTopic>();
      for (const r of ctx.node.partitionReassignments(asked)) {
        let t = byTopic.get(r.topic);
        if (!t) {
          byTopic.set(r.topic, (t = newListPartitionReassignmentsResponseTopic({ name: r.topic, partitions: [] })));
          topics.push(t);
        }
        t.partitions.push(newListPartitionReassignmentsResponsePartition({ partitionIndex: r.partition, replicas: [...r.replicas], addingReplicas: [...r.adding], removingReplicas: [...r.removing] }));
      }
    }
    return newListPartitionReassignmentsResponse({ throttleTimeMs: 0, errorCode: ErrorCode.NONE, errorMessage: null, topics });
  },
  errorResponse(_ctx, _req, code, message) {
    return newListPartitionReassignmentsResponse({ throttleTimeMs: 0, errorCode: code, errorMessage: message, topics: [] });
  },
});
