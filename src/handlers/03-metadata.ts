/**
 * Metadata (key 3), versions 0-13.
 *
 * Brokers (at the addresses of the listener the client used), the cluster id, the controller and,
 * for the requested topics, every partition with leader, leader epoch, replicas, ISR and offline
 * replicas. In a cluster all of it comes from the metadata image (ClusterNode: every registered
 * broker, the elected controller, the controller's partition states; no leader →
 * LEADER_NOT_AVAILABLE). On a single node from the replica state (src/replica/partition.ts: led
 * here at the newest epoch its log has, replicas = ISR = this broker); a partition not hosted (its
 * log is missing) is LEADER_NOT_AVAILABLE with no leader, this broker offline, as Kafka answers. Unknown topics are auto-created when `auto.create.topics.enable` is on and the request
 * allows it (v4+ flag; always allowed before v4), and are then returned ready to use — at most
 * runnel.max.auto.created.topics.per.request per request, the rest LEADER_NOT_AVAILABLE; never the
 * broker's state topics (__consumer_offsets, __transaction_state, _schemas). A name that
 * is not a valid topic name gets INVALID_TOPIC_EXCEPTION, any other unknown one
 * UNKNOWN_TOPIC_OR_PARTITION (Kafka's answers). A topic named twice is answered once, as Kafka does.
 *
 * Version notes: v0 — an empty topic list means all topics; v1+ — null means all, empty means none.
 * v1 rack/controller/internal, v2 cluster id, v3 throttle, v5 offline replicas, v7 leader epoch,
 * v8 authorized operations, v9 flexible, v10 topic ids (request topics may be named by id), v12
 * topic name nullable, v13 a top-level error code (KIP-1102's REBOOTSTRAP_REQUIRED; always NONE here).
 *
 * Authorization (with an authorizer, Kafka's rules): DESCRIBE on each topic. "All topics" lists
 * only the topics the principal may describe (not audited: it is a listing); a named topic (or
 * topic id) it may not describe is TOPIC_AUTHORIZATION_FAILED, whether it exists or not, so its
 * existence does not leak. Auto-creation needs CREATE on the cluster or on the topic, else
 * TOPIC_AUTHORIZATION_FAILED. topic_authorized_operations / cluster_authorized_operations carry
 * the principal's operations (the cluster's only with DESCRIBE on the cluster, else 0).
 */
import {
  newMetadataResponse,
  newMetadataResponseBroker,
  newMetadataResponsePartition,
  newMetadataResponseTopic,
  type MetadataRequest,
  type MetadataResponse,
  type MetadataResponseTopic,
} from '../../protocol/generated/index.js';
import { ErrorCode } from '../../protocol/errors.js';
import { ZERO_UUID } from '../../protocol/codec-support.js';
import type { Topic } from '../metadata/topic-store.js';
import { INTERNAL_TOPICS, topicNameProblem } from '../metadata/topic-manager.js';
import { isBrokerStateTopic } from '../data/internal-topic.js';
import type { Partition, PartitionLookup } from '../data/partitions.js';
import type { BrokerEndpoint, NodePort } from '../cluster/node.js';
import { defineHandler, type RequestContext } from './types.js';
import { AclOperation, authorizedOperations, canCluster, canTopic } from './authz.js';
import { AclResourceType, CLUSTER_NAME } from '../security/authorizer.js';

/** Every topic operation (bits 3..11 of Kafka's AclOperation), as an unsecured cluster allows. */
export const ALL_TOPIC_OPERATIONS = 0b1111_1111_1000;
const OPERATIONS_UNSET = -2147483648;

/** A partition's leadership as Metadata and DescribeTopicPartitions answer it. */
export interface PartitionLeadership {
  errorCode: number;
  leaderId: number;
  leaderEpoch: number;
  replicaNodes: readonly number[];
  isrNodes: readonly number[];
  offlineReplicas: readonly number[];
}

/**
 * From the hosted partition's replica state; a partition of a known topic that is not hosted (its
 * log is missing: creation under way, or it failed) has no leader and this broker offline.
 */
export function leadershipOf(partition: Partition | undefined, node: number): PartitionLeadership {
  if (partition === undefined) {
    return { errorCode: ErrorCode.LEADER_NOT_AVAILABLE, leaderId: -1, leaderEpoch: -1, replicaNodes: [node], isrNodes: [], offlineReplicas: [node] };
  }
  return {
    errorCode: partition.leaderId < 0 ? ErrorCode.LEADER_NOT_AVAILABLE : ErrorCode.NONE,
    leaderId: partition.leaderId,
    leaderEpoch: partition.leaderEpoch,
    replicaNodes: partition.replicas,
    isrNodes: partition.isr,
    offlineReplicas: partition.offlineReplicas,
  };
}

const NO_NODES: readonly number[] = Object.freeze([]);

/**
 * The partition's leadership: in a cluster as the metadata image has it (every broker answers the
 * same, whether it hosts the partition or not; no leader → LEADER_NOT_AVAILABLE), on a single node
 * from the hosted partition.
 */
export function leadershipIn(services: { node: NodePort; partitions: PartitionLookup }, topic: string, partition: number): PartitionLeadership {
  const node = services.node;
  if (node.partitionState === undefined) return leadershipOf(services.partitions.get(topic, partition), node.nodeId);
  const v = node.partitionState(topic, partition);
  if (v === undefined) return { errorCode: ErrorCode.LEADER_NOT_AVAILABLE, leaderId: -1, leaderEpoch: -1, replicaNodes: NO_NODES, isrNodes: NO_NODES, offlineReplicas: NO_NODES };
  return {
    errorCode: v.leader < 0 ? ErrorCode.LEADER_NOT_AVAILABLE : ErrorCode.NONE,
    leaderId: v.leader,
    leaderEpoch: v.leaderEpoch,
    replicaNodes: v.replicas,
    isrNodes: v.isr,
    offlineReplicas: v.offlineReplicas,
  };
}

/** The topic_authorized_operations field: the principal's operations on the topic, or unset when not asked for. */
function topicOperations(ctx: RequestContext, name: string, includeOps: boolean): number {
  if (!includeOps) return OPERATIONS_UNSET;
  return ctx.authorizer.enabled ? authorizedOperations(ctx, AclResourceType.TOPIC, name) : ALL_TOPIC_OPERATIONS;
}

/** The cluster_authorized_operations field (Kafka: only for a principal with DESCRIBE on the cluster, else 0). */
function clusterOperations(ctx: RequestContext, includeOps: boolean): number {
  if (!includeOps) return OPERATIONS_UNSET;
  if (!ctx.authorizer.enabled) return 0b1_1111_1111_1000;
  return canCluster(ctx, AclOperation.DESCRIBE, false) ? authorizedOperations(ctx, AclResourceType.CLUSTER, CLUSTER_NAME) : 0;
}

/** A known topic with each partition's leadership. */
export function describeTopic(services: { node: NodePort; partitions: PartitionLookup }, topic: Topic, ops: number): MetadataResponseTopic {
  const described = [];
  for (let p = 0; p < topic.partitions; p++) {
    const l = leadershipIn(services, topic.name, p);
    described.push(
      newMetadataResponsePartition({
        errorCode: l.errorCode,
        partitionIndex: p,
        leaderId: l.leaderId,
        leaderEpoch: l.leaderEpoch,
        // Copies: the response's lists are its own, never the partition's shared state.
        replicaNodes: l.replicaNodes.slice(),
        isrNodes: l.isrNodes.slice(),
        offlineReplicas: l.offlineReplicas.slice(),
      }),
    );
  }
  return newMetadataResponseTopic({
    errorCode: ErrorCode.NONE,
    name: topic.name,
    topicId: topic.id,
    isInternal: topic.internal,
    partitions: described,
    topicAuthorizedOperations: ops,
  });
}

/** A topic the principal may not describe: Kafka answers it as not internal, whatever its name. */
function notDescribable(name: string | null, topicId: Buffer): MetadataResponseTopic {
  return newMetadataResponseTopic({ errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED, name, topicId, isInternal: false, partitions: [] });
}

function topicError(name: string | null, topicId: Buffer, code: number): MetadataResponseTopic {
  // Kafka flags its internal topic names even when they do not exist (yet).
  return newMetadataResponseTopic({ errorCode: code, name, topicId, isInternal: name !== null && INTERNAL_TOPICS.has(name), partitions: [] });
}

/**
 * Creates the unknown, validly named topics of the request — at most
 * runnel.max.auto.created.topics.per.request of them, all in one metadata write. Returns the
 * answers for the topics it did not create: Kafka's error for a refused creation, and
 * LEADER_NOT_AVAILABLE (what Kafka answers while a creation is under way; clients retry) for the
 * topics beyond the cap, which the client's next request creates.
 */
async function autoCreateTopics(ctx: RequestContext, requested: MetadataRequest['topics'] & object, v: number): Promise<Map<string, MetadataResponseTopic>> {
  const answers = new Map<string, MetadataResponseTopic>();
  const wanted: string[] = [];
  const seen = new Set<string>();
  const max = ctx.config.int('runnel.max.auto.created.topics.per.request');
  for (const rt of requested) {
    const name = rt.name ?? '';
    if (v >= 10 && name === '' && !rt.topicId.equals(ZERO_UUID)) continue;
    // The broker creates its state topics itself, compacted; never as ordinary topics here.
    if (seen.has(name) || ctx.topics.get(name) || topicNameProblem(name) || isBrokerStateTopic(name)) continue;
    seen.add(name);
    // Creating needs CREATE on the cluster or the topic (a topic not describable is refused before).
    if (!canTopic(ctx, AclOperation.DESCRIBE, name, false)) continue;
    if (!canCluster(ctx, AclOperation.CREATE, false) && !canTopic(ctx, AclOperation.CREATE, name)) {
      answers.set(name, topicError(name, ZERO_UUID, ErrorCode.TOPIC_AUTHORIZATION_FAILED));
      continue;
    }
    if (wanted.length >= max) answers.set(name, topicError(name, ZERO_UUID, ErrorCode.LEADER_NOT_AVAILABLE));
    else wanted.push(name);
  }
  if (wanted.length === 0) return answers;
  const results = await ctx.topics.createTopics(
    wanted.map((name) => ({ name, partitions: -1, replicationFactor: -1, configs: [] })),
    false,
  );
  results.forEach((r, i) => {
    const name = wanted[i]!;
    // Another request may have created it meanwhile: then it is simply listed.
    if (r.error && !ctx.topics.get(name)) answers.set(name, topicError(name, ZERO_UUID, r.error.code));
  });
  return answers;
}

/**
 * The brokers to list: every registered one, plus, in cluster mode, a departed broker (lease
 * expired, the controller not yet done moving its leaderships) that a listed partition still names
 * leader. Clients look every leader up in the brokers list: kafkajs fails a consumer's fetch with
 * "Broker N not found in cached metadata", while an unreachable listed leader is only retried.
 */
function listedBrokers(ctx: RequestContext, topics: readonly MetadataResponseTopic[]): BrokerEndpoint[] {
  const brokers = ctx.node.brokers(ctx.conn.listener);
  if (!ctx.node.departedBroker) return brokers;
  const listed = new Set(brokers.map((b) => b.nodeId));
  let extra: BrokerEndpoint[] | null = null;
  for (const t of topics)
    for (const p of t.partitions) {
      const id = p.leaderId;
      if (id < 0 || listed.has(id)) continue;
      listed.add(id);
      const gone = ctx.node.departedBroker(id, ctx.conn.listener);
      if (gone) (extra ??= []).push(gone);
    }
  return extra ? [...brokers, ...extra].sort((a, b) => a.nodeId - b.nodeId) : brokers;
}

export default defineHandler<MetadataRequest, MetadataResponse>({
  key: 3,
  minVersion: 0,
  maxVersion: 13,
  async handle(ctx, req) {
    const v = ctx.version;
    const includeOps = v >= 8 && req.includeTopicAuthorizedOperations;
    const allTopics = req.topics === null || (v === 0 && req.topics.length === 0);
    const topics: MetadataResponseTopic[] = [];
    if (allTopics) {
      for (const t of ctx.topics.all()) if (canTopic(ctx, AclOperation.DESCRIBE, t.name, false)) topics.push(describeTopic(ctx, t, topicOperations(ctx, t.name, includeOps)));
    } else {
      const autoCreate = ctx.config.bool('auto.create.topics.enable') && (v < 4 || req.allowAutoTopicCreation);
      const created = autoCreate ? await autoCreateTopics(ctx, req.topics!, v) : new Map<string, MetadataResponseTopic>();
      // Each topic once, as Kafka answers (it collects the request's topics in a set).
      const seenNames = new Set<string>();
      const seenIds = new Set<string>();
      for (const rt of req.topics!) {
        if (v >= 10 && (rt.name === null || rt.name === '') && !rt.topicId.equals(ZERO_UUID)) {
          const id = rt.topicId.toString('hex');
          if (seenIds.has(id)) continue;
          seenIds.add(id);
          const byId = ctx.topics.byId(rt.topicId);
          if (byId && !canTopic(ctx, AclOperation.DESCRIBE, byId.name)) topics.push(notDescribable(null, rt.topicId));
          else topics.push(byId ? describeTopic(ctx, byId, topicOperations(ctx, byId.name, includeOps)) : topicError(null, rt.topicId, ErrorCode.UNKNOWN_TOPIC_ID));
          continue;
        }
        const name = rt.name ?? '';
        if (seenNames.has(name)) continue;
        seenNames.add(name);
        if (!canTopic(ctx, AclOperation.DESCRIBE, name)) {
          topics.push(notDescribable(name, ZERO_UUID));
          continue;
        }
        const topic = ctx.topics.get(name);
        if (topic) topics.push(describeTopic(ctx, topic, topicOperations(ctx, name, includeOps)));
        else topics.push(created.get(name) ?? topicError(name, ZERO_UUID, topicNameProblem(name) ? ErrorCode.INVALID_TOPIC_EXCEPTION : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION));
      }
    }
    return newMetadataResponse({
      throttleTimeMs: 0,
      brokers: listedBrokers(ctx, topics).map((b) => newMetadataResponseBroker({ nodeId: b.nodeId, host: b.host, port: b.port, rack: b.rack })),
      clusterId: ctx.node.clusterId,
      controllerId: ctx.node.controllerId,
      topics,
      clusterAuthorizedOperations: clusterOperations(ctx, v >= 8 && req.includeClusterAuthorizedOperations),
    });
  },
  errorResponse(ctx, req, code) {
    // Metadata has no top-level error: every requested topic carries it (all topics: none listed).
    return newMetadataResponse({
      brokers: [],
      clusterId: ctx.node.clusterId,
      controllerId: -1,
      topics: (req.topics ?? []).map((t) => topicError(t.name, t.topicId, code)),
    });
  },
});
