/**
 * AlterPartitionReassignments (key 45), version 0.
 *
 * In a cluster every entry goes to ctx.node.alterPartitionReassignments (src/cluster/reassign.ts):
 * a target list starts (or, when the ISR already allows, completes) the reassignment in etcd,
 * null replicas cancel it, each with Kafka's per-partition answer; the controller completes it
 * once every target replica is in the ISR. etcd unreachable: REQUEST_TIMED_OUT (retriable) on the
 * partition it failed on and every one after it; those written before keep NONE.
 *
 * One broker, one replica per partition: the only assignment a partition can have is
 * [node.id], which it already has, so that target is accepted as a no-op (Kafka answers NONE and
 * the reassignment completes at once). Everything else gets Kafka's per-partition answer:
 *  - unknown topic: UNKNOWN_TOPIC_OR_PARTITION "Unable to find a topic named T."
 *  - unknown partition: UNKNOWN_TOPIC_OR_PARTITION "Unable to find partition T:P."
 *  - null replicas (cancel): NO_REASSIGNMENT_IN_PROGRESS
 *  - an empty list, a broker that is not registered or a broker listed twice:
 *    INVALID_REPLICA_ASSIGNMENT with the controller's message; the ids are checked in sorted
 *    order, as Kafka's controller does.
 * Results follow the request order, duplicates included. An empty request carries an empty
 * (not null) top-level error message, as Kafka's does.
 *
 * Authorization (with an authorizer, Kafka's rules; handlers/authz.ts): ALTER on the cluster
 * (CLUSTER_AUTHORIZATION_FAILED).
 */
import {
  newAlterPartitionReassignmentsResponse,
  newAlterPartitionReassignmentsResponsePartition,
  newAlterPartitionReassignmentsResponseTopic,
  type AlterPartitionReassignmentsRequest,
  type AlterPartitionReassignmentsResponse,
} from '../../protocol/generated/index.js';
import { ErrorCode } from '../../protocol/errors.js';
import { defineHandler, type RequestContext } from './types.js';
import { AclOperation, CLUSTER_AUTH_MESSAGE, canCluster } from './authz.js';

function check(ctx: RequestContext, topic: string, partition: number, replicas: number[] | null): { code: number; message: string | null } {
  const t = ctx.topics.get(topic);
  if (!t) return { code: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, message: `Unable to find a topic named ${topic}.` };
  if (partition < 0 || partition >= t.partitions) return { code: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, message: `Unable to find partition ${topic}:${partition}.` };
  if (replicas === null) return { code: ErrorCode.NO_REASSIGNMENT_IN_PROGRESS, message: null };
  if (replicas.length === 0) return { code: ErrorCode.INVALID_REPLICA_ASSIGNMENT, message: 'The manual partition assignment includes an empty replica list.' };
  let prev: number | null = null;
  for (const id of [...replicas].sort((a, b) => a - b)) {
    if (id !== ctx.node.nodeId) {
      return { code: ErrorCode.INVALID_REPLICA_ASSIGNMENT, message: `The manual partition assignment includes broker ${id}, but no such broker is registered.` };
    }
    if (id === prev) return { code: ErrorCode.INVALID_REPLICA_ASSIGNMENT, message: `The manual partition assignment includes the broker ${prev} more than once.` };
    prev = id;
  }
  return { code: ErrorCode.NONE, message: null };
}

/** Cluster mode: every entry through etcd, answered in request order (duplicates included). */
async function alterInCluster(ctx: RequestContext, req: AlterPartitionReassignmentsRequest): Promise<AlterPartitionReassignmentsResponse> {
  const moves = req.topics.flatMap((t) => t.partitions.map((p) => ({ topic: t.name, partition: p.partitionIndex, replicas: p.replicas })));
  const outcomes = await ctx.node.alterPartitionReassignments!(moves);
  let i = 0;
  const responses = req.topics.map((t) =>
    newAlterPartitionReassignmentsResponseTopic({
      name: t.name,
      partitions: t.partitions.map((p) => {
        const o = outcomes[i++]!;
        return newAlterPartitionReassignmentsResponsePartition({ partitionIndex: p.partitionIndex, errorCode: o.errorCode, errorMessage: o.message });
      }),
    }),
  );
  return newAlterPartitionReassignmentsResponse({ throttleTimeMs: 0, errorCode: ErrorCode.NONE, errorMessage: responses.length === 0 ? '' : null, responses });
}

export default defineHandler<AlterPartitionReassignmentsRequest, AlterPartitionReassignmentsResponse>({
  key: 45,
  minVersion: 0,
  maxVersion: 0,
  async handle(ctx, req) {
    // Authorization: ALTER on the cluster (Kafka's).
    if (!canCluster(ctx, AclOperation.ALTER)) return this.errorResponse!(ctx, req, ErrorCode.CLUSTER_AUTHORIZATION_FAILED, CLUSTER_AUTH_MESSAGE);
    if (ctx.node.alterPartitionReassignments) return alterInCluster(ctx, req);
    const responses = req.topics.map((t) =>
      newAlterPartitionReassignmentsResponseTopic({
        name: t.name,
        partitions: t.partitions.map((p) => {
          const { code, message } = check(ctx, t.name, p.partitionIndex, p.replicas);
          return newAlterPartitionReassignmentsResponsePartition({ partitionIndex: p.partitionIndex, errorCode: code, errorMessage: message });
        }),
      }),
    );
    return newAlterPartitionReassignmentsResponse({ throttleTimeMs: 0, errorCode: ErrorCode.NONE, errorMessage: responses.length === 0 ? '' : null, responses });
  },
  errorResponse(_ctx, req, code, message) {
    return newAlterPartitionReassignmentsResponse({
      throttleTimeMs: 0,
      errorCode: code,
      errorMessage: message,
      responses: req.topics.map((t) =>
        newAlterPartitionReassignmentsResponseTopic({
          name: t.name,
          partitions: t.partitions.map((p) => newAlterPartitionReassignmentsResponsePartition({ partitionIndex: p.partitionIndex, errorCode: code, errorMessage: message })),
        }),
      ),
    });
  },
});
