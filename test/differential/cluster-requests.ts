/**
 * The raw requests of the cluster scenario (cluster-scenario.ts) and the normalisation of their
 * answers: broker ports become `<broker N>`, cluster and topic ids `<set>`, error codes names,
 * error messages `<set>`/null, ISR and offline-replica lists sorted (their order carries no
 * meaning; the replica list's order does: its head is the preferred leader, so it stays).
 */
import { newElectLeadersRequestTopic } from '../../protocol/generated/43-elect-leaders.js';
import { newAlterPartitionReassignmentsRequestPartition, newAlterPartitionReassignmentsRequestTopic } from '../../protocol/generated/45-alter-partition-reassignments.js';
import { newListPartitionReassignmentsRequestTopic } from '../../protocol/generated/46-list-partition-reassignments.js';
import { newFetchRequestPartition, newFetchRequestTopic } from '../../protocol/generated/01-fetch.js';
import { newProduceRequestPartition, newProduceRequestTopic } from '../../protocol/generated/00-produce.js';
import type { RawClient } from '../helpers/raw-client.js';
import type { ClusterTarget } from '../helpers/cluster-target.js';
import { err, msg, placeholder } from './harness.js';
import { metadata, req } from './requests.js';

/** ElectLeaders election types. */
export const PREFERRED = 0;
export const UNCLEAN = 1;

/** Maps broker ports to `<broker N>` and a controller id that names a running broker to `<a broker>`. */
export class Normaliser {
  constructor(private readonly cluster: ClusterTarget) {}

  port(p: number): string | number {
    const id = this.cluster.brokerIds.find((b) => this.cluster.endpoint(b).port === p);
    return id === undefined ? p : `<broker ${id}>`;
  }

  /** KRaft brokers answer with a random live broker as the "controller" (clients send admin requests to it). */
  controller(id: number): string | number {
    return this.cluster.brokerIds.includes(id) ? '<a broker>' : id;
  }

  brokers(list: Array<{ nodeId?: number; brokerId?: number; host: string; port: number; rack: string | null }>): unknown[] {
    return list
      .map((b) => ({ id: b.nodeId ?? b.brokerId, host: b.host, port: this.port(b.port), rack: b.rack }))
      .sort((a, b) => (a.id ?? 0) - (b.id ?? 0));
  }
}

const sorted = (xs: number[]): number[] => [...xs].sort((a, b) => a - b);

/** Metadata v12 as a user reads it: brokers, controller, and per partition its leadership. */
export async function metadataAnswer(c: RawClient, n: Normaliser, topics: string[]): Promise<unknown> {
  const m = await metadata(c, topics);
  return {
    brokers: n.brokers(m.brokers),
    clusterId: placeholder(m.clusterId),
    controllerId: n.controller(m.controllerId),
    topics: Object.fromEntries(
      m.topics.map((t: any) => [
        t.name,
        {
          errorCode: err(t.errorCode),
          topicId: placeholder(t.topicId.toString('hex') === '0'.repeat(32) ? '' : 'set'),
          isInternal: t.isInternal,
          partitions: Object.fromEntries(
            [...t.partitions]
              .sort((a: any, b: any) => a.partitionIndex - b.partitionIndex)
              .map((p: any) => [p.partitionIndex, { errorCode: err(p.errorCode), leader: p.leaderId, leaderEpoch: p.leaderEpoch, replicas: p.replicaNodes, isr: sorted(p.isrNodes), offline: sorted(p.offlineReplicas) }]),
          ),
        },
      ]),
    ),
  };
}

/** Produce of one batch to one partition; KIP-951's current leader and endpoints at v10+. */
export async function produceAnswer(c: RawClient, n: Normaliser, topic: string, partition: number, records: Buffer, opts: { version: number; acks?: number; timeoutMs?: number }): Promise<unknown> {
  const r = await req(c, 0, opts.version, {
    transactionalId: null,
    acks: opts.acks ?? -1,
    timeoutMs: opts.timeoutMs ?? 10_000,
    topicData: [newProduceRequestTopic({ name: topic, partitionData: [newProduceRequestPartition({ index: partition, records })] })],
  });
  const p = r.responses[0].partitionResponses[0];
  const out: Record<string, unknown> = { errorCode: err(p.errorCode), baseOffset: Number(p.baseOffset), errorMessage: msg(p.errorMessage) };
  if (opts.version >= 10) {
    out.currentLeader = { leaderId: p.currentLeader.leaderId, leaderEpoch: p.currentLeader.leaderEpoch };
    out.nodeEndpoints = n.brokers(r.nodeEndpoints);
  }
  return out;
}

/** Fetch v12 as a consumer (replica id -1, no rack) with a current leader epoch (-1: unchecked). */
export async function fetchAnswer(c: RawClient, topic: string, partition: number, opts: { currentLeaderEpoch?: number; offset?: number; version?: number } = {}): Promise<unknown> {
  const r = await req(c, 1, opts.version ?? 12, {
    replicaId: -1,
    maxWaitMs: 0,
    minBytes: 0,
    maxBytes: 1 << 20,
    isolationLevel: 0,
    sessionId: 0,
    sessionEpoch: -1,
    topics: [newFetchRequestTopic({ topic, partitions: [newFetchRequestPartition({ partition, fetchOffset: opts.offset ?? 0, currentLeaderEpoch: opts.currentLeaderEpoch ?? -1, partitionMaxBytes: 1 << 20 })] })],
    forgottenTopicsData: [],
    rackId: '',
  });
  const p = r.responses[0].partitions[0];
  return {
    topLevelError: err(r.errorCode),
    errorCode: err(p.errorCode),
    highWatermark: Number(p.highWatermark),
    currentLeader: { leaderId: p.currentLeader.leaderId, leaderEpoch: p.currentLeader.leaderEpoch },
    preferredReadReplica: p.preferredReadReplica,
    records: p.records === null ? null : p.records.length > 0 ? '<records>' : '<none>',
  };
}

/** ElectLeaders v2; `partitions` null elects every partition. */
export async function electAnswer(c: RawClient, type: number, partitions: Array<{ topic: string; partitions: number[] }> | null): Promise<unknown> {
  const r = await req(c, 43, 2, {
    electionType: type,
    topicPartitions: partitions === null ? null : partitions.map((p) => newElectLeadersRequestTopic(p)),
    timeoutMs: 30_000,
  });
  return {
    errorCode: err(r.errorCode),
    results: Object.fromEntries(
      r.replicaElectionResults.flatMap((t: any) => t.partitionResult.map((p: any) => [`${t.topic}-${p.partitionId}`, { errorCode: err(p.errorCode), errorMessage: msg(p.errorMessage) }])),
    ),
  };
}

/** AlterPartitionReassignments v0; a null replica list cancels the partition's reassignment. */
export async function reassignAnswer(c: RawClient, topic: string, moves: Array<{ partition: number; replicas: number[] | null }>): Promise<unknown> {
  const r = await req(c, 45, 0, {
    timeoutMs: 30_000,
    topics: [newAlterPartitionReassignmentsRequestTopic({ name: topic, partitions: moves.map((m) => newAlterPartitionReassignmentsRequestPartition({ partitionIndex: m.partition, replicas: m.replicas })) })],
  });
  return {
    errorCode: err(r.errorCode),
    errorMessage: msg(r.errorMessage),
    partitions: Object.fromEntries(r.responses.flatMap((t: any) => t.partitions.map((p: any) => [`${t.name}-${p.partitionIndex}`, { errorCode: err(p.errorCode), errorMessage: msg(p.errorMessage) }]))),
  };
}

/** ListPartitionReassignments v0 for the topics' partitions (null: every reassignment in progress). */
export async function listReassignmentsAnswer(c: RawClient, topics: Array<{ name: string; partitions: number[] }> | null): Promise<unknown> {
  const r = await req(c, 46, 0, { timeoutMs: 30_000, topics: topics === null ? null : topics.map((t) => newListPartitionReassignmentsRequestTopic({ name: t.name, partitionIndexes: t.partitions })) });
  return {
    errorCode: err(r.errorCode),
    errorMessage: msg(r.errorMessage),
    reassignments: Object.fromEntries(
      r.topics.flatMap((t: any) => t.partitions.map((p: any) => [`${t.name}-${p.partitionIndex}`, { replicas: p.replicas, adding: sorted(p.addingReplicas), removing: sorted(p.removingReplicas) }])),
    ),
  };
}

/** DescribeCluster v0, or v1 with an endpoint type (1 brokers, 2 controllers). */
export async function describeClusterAnswer(c: RawClient, n: Normaliser, version = 0, endpointType = 1): Promise<unknown> {
  const r = await req(c, 60, version, { includeClusterAuthorizedOperations: false, endpointType });
  return {
    errorCode: err(r.errorCode),
    errorMessage: msg(r.errorMessage),
    ...(version >= 1 ? { endpointType: r.endpointType } : {}),
    clusterId: placeholder(r.clusterId),
    controllerId: n.controller(r.controllerId),
    brokers: n.brokers(r.brokers),
  };
}
