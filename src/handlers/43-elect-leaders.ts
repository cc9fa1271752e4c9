/**
 * ElectLeaders (key 43), versions 0-2.
 *
 * In a cluster the election is written to etcd (ctx.node.electLeaders: controller.ts electLeaders,
 * the controller's own rules): preferred (0) moves leadership to the first replica when it is alive
 * and in the ISR, else PREFERRED_LEADER_NOT_AVAILABLE, or ELECTION_NOT_NEEDED when it already
 * leads; unclean (1) elects a live replica for a partition without a leader (ELIGIBLE_LEADERS_NOT_
 * AVAILABLE / ELECTION_NOT_NEEDED otherwise). With a null topic list every partition is tried and,
 * as Kafka answers, only partitions where something happened are reported (ELECTION_NOT_NEEDED
 * left out). etcd unreachable: REQUEST_TIMED_OUT on every partition (retriable).
 *
 * On a single node every partition has one replica, this broker, which already leads it: as Kafka answers for a
 * single-replica partition, each requested partition gets ELECTION_NOT_NEEDED ("Leader election
 * not needed for topic partition."), for preferred (0) and unclean (1) elections alike. Unknown
 * topics and partitions get UNKNOWN_TOPIC_OR_PARTITION with Kafka's "No such topic as T" / "No
 * such partition as T-P". A null topic list (kafka-leader-election --all-topic-partitions) means
 * every partition; Kafka then reports only partitions where an election ran, so each topic comes
 * back with an empty result list and the tool prints nothing. Results follow the request order,
 * duplicates included. An unknown election type is INVALID_REQUEST, at the top (v1+) and on
 * every partition ("Unknown election type N").
 *
 * Version notes: v1 adds the election type and the top-level error code, v2 is flexible.
 *
 * Authorization (with an authorizer, Kafka's rules; handlers/authz.ts): ALTER on the cluster
 * (CLUSTER_AUTHORIZATION_FAILED).
 */
import {
  newElectLeadersResponse,
  newElectLeadersResponsePartitionResult,
  newElectLeadersResponseResult,
  type ElectLeadersRequest,
  type ElectLeadersResponse,
} from '../../protocol/generated/index.js';
import { ErrorCode } from '../../protocol/errors.js';
import { defineHandler, type RequestContext } from './types.js';
import { AclOperation, CLUSTER_AUTH_MESSAGE, canCluster } from './authz.js';

const PREFERRED = 0;
const UNCLEAN = 1;

function partitionResult(ctx: RequestContext, topic: string, partition: number): { code: number; message: string } {
  const t = ctx.topics.get(topic);
  if (!t) return { code: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, message: `No such topic as ${topic}` };
  if (partition < 0 || partition >= t.partitions) return { code: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, message: `No such partition as ${topic}-${partition}` };
  return { code: ErrorCode.ELECTION_NOT_NEEDED, message: 'Leader election not needed for topic partition.' };
}

function everyPartition(req: ElectLeadersRequest, code: number, message: string): ElectLeadersResponse {
  return newElectLeadersResponse({
    throttleTimeMs: 0,
    errorCode: code,
    replicaElectionResults: (req.topicPartitions ?? []).map((t) =>
      newElectLeadersResponseResult({
        topic: t.topic,
        partitionResult: t.partitions.map((partitionId) => newElectLeadersResponsePartitionResult({ partitionId, errorCode: code, errorMessage: message })),
      }),
    ),
  });
}

/** Cluster mode: the known partitions are elected through etcd, the unknown ones answered here. */
async function electInCluster(ctx: RequestContext, req: ElectLeadersRequest, type: 0 | 1): Promise<ElectLeadersResponse> {
  const all = req.topicPartitions === null;
  const requested: Array<{ topic: string; partitions: number[] }> = all
    ? [...ctx.topics.all()].map((t) => ({ topic: t.name, partitions: Array.from({ length: t.partitions }, (_, i) => i) }))
    : req.topicPartitions!.map((t) => ({ topic: t.topic, partitions: t.partitions }));
  const known: Array<{ topic: string; partition: number }> = [];
  const seen = new Set<string>();
  for (const t of requested) {
    for (const partition of t.partitions) {
      const key = `${t.topic}\u0000${partition}`;
      if (seen.has(key) || partitionResult(ctx, t.topic, partition).code !== ErrorCode.ELECTION_NOT_NEEDED) continue;
      seen.add(key);
      known.push({ topic: t.topic, partition });
    }
  }
  const outcomes = new Map<string, { code: number; message: string | null }>();
  for (const o of await ctx.node.electLeaders!(known, type)) outcomes.set(`${o.topic}\u0000${o.partition}`, { code: o.errorCode, message: o.message });
  return newElectLeadersResponse({
    throttleTimeMs: 0,
    errorCode: ErrorCode.NONE,
    replicaElectionResults: requested.map((t) =>
      newElectLeadersResponseResult({
        topic: t.topic,
        partitionResult: t.partitions
          .map((partitionId) => {
            const o = outcomes.get(`${t.topic}\u0000${partitionId}`) ?? partitionResult(ctx, t.topic, partitionId);
            return newElectLeadersResponsePartitionResult({ partitionId, errorCode: o.code, errorMessage: o.message });
          })
          .filter((r) => !(all && r.errorCode === ErrorCode.ELECTION_NOT_NEEDED)),
      }),
    ),
  });
}

export default defineHandler<ElectLeadersRequest, ElectLeadersResponse>({
  key: 43,
  minVersion: 0,
  maxVersion: 2,
  async handle(ctx, req) {
    // Authorization: ALTER on the cluster (Kafka's), else every partition CLUSTER_AUTHORIZATION_FAILED.
    if (!canCluster(ctx, AclOperation.ALTER)) return everyPartition(req, ErrorCode.CLUSTER_AUTHORIZATION_FAILED, CLUSTER_AUTH_MESSAGE);
    const type = ctx.version >= 1 ? req.electionType : PREFERRED;
    if (type !== PREFERRED && type !== UNCLEAN) return everyPartition(req, ErrorCode.INVALID_REQUEST, `Unknown election type ${type}`);
    if (ctx.node.electLeaders) return electInCluster(ctx, req, type);
    if (req.topicPartitions === null) {
      const all = [...ctx.topics.all()].map((t) => newElectLeadersResponseResult({ topic: t.name, partitionResult: [] }));
      return newElectLeadersResponse({ throttleTimeMs: 0, errorCode: ErrorCode.NONE, replicaElectionResults: all });
    }
    return newElectLeadersResponse({
      throttleTimeMs: 0,
      errorCode: ErrorCode.NONE,
      replicaElectionResults: req.topicPartitions.map((t) =>
        newElectLeadersResponseResult({
          topic: t.topic,
          partitionResult: t.partitions.map((partitionId) => {
            const { code, message } = partitionResult(ctx, t.topic, partitionId);
            return newElectLeadersResponsePartitionResult({ partitionId, errorCode: code, errorMessage: message });
          }),
        }),
      ),
    });
  },
  errorResponse(_ctx, req, code, message) {
    return everyPartition(req, code, message);
  },
});
