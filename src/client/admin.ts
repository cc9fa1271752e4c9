/**
 * Admin operations over the Kafka protocol, each sent where Kafka expects it: topic changes to
 * the controller, list-offsets to partition leaders, group calls to the group's coordinator,
 * ListGroups to every broker. Per-item errors are returned (callers decide what is fatal, e.g.
 * `--if-not-exists`); request-level failures throw.
 */
import { ErrorCode } from '../../protocol/errors.js';
import { newCreatePartitionsRequestTopic, newCreateTopicsRequestConfig, newCreateTopicsRequestTopic, newDeleteTopicsRequestTopic, newDescribeConfigsRequestResource, newIncrementalAlterConfigsRequestConfig, newIncrementalAlterConfigsRequestResource, newListOffsetsRequestPartition, newListOffsetsRequestTopic, newOffsetCommitRequestPartition, newOffsetCommitRequestTopic, newOffsetFetchRequestTopic } from '../../protocol/generated/index.js';
import type {
  CreatePartitionsResponse,
  CreateTopicsResponse,
  DeleteGroupsResponse,
  DeleteTopicsResponse,
  DescribeConfigsResponse,
  DescribeGroupsResponse,
  DescribeShareGroupOffsetsResponse,
  ShareGroupDescribeResponse,
  IncrementalAlterConfigsResponse,
  ListGroupsResponse,
  ListOffsetsResponse,
  OffsetCommitResponse,
  OffsetFetchResponse,
} from '../../protocol/generated/index.js';
import { ApiKey } from './api-keys.js';
import { isCoordinatorError, type ClusterInfo, type KafkaClient, type TopicInfo } from './cluster.js';
import { KafkaResponseError } from './errors.js';
import type { BrokerConnection } from './connection.js';

export interface ItemResult {
  name: string;
  errorCode: number;
  errorMessage: string | null;
}

export interface NewTopic {
  name: string;
  /** -1: the broker's num.partitions. */
  partitions?: number;
  /** -1: the broker's default.replication.factor. */
  replicationFactor?: number;
  configs?: Record<string, string>;
}

export const ResourceType = { TOPIC: 2, BROKER: 4, BROKER_LOGGER: 8, GROUP: 32 } as const;

export const CONFIG_SOURCES: Record<number, string> = {
  0: 'UNKNOWN',
  1: 'DYNAMIC_TOPIC_CONFIG',
  2: 'DYNAMIC_BROKER_CONFIG',
  3: 'DYNAMIC_DEFAULT_BROKER_CONFIG',
  4: 'STATIC_BROKER_CONFIG',
  5: 'DEFAULT_CONFIG',
  6: 'DYNAMIC_BROKER_LOGGER_CONFIG',
  7: 'CLIENT_METRICS_CONFIG',
  8: 'GROUP_CONFIG',
};

export interface ConfigEntry {
  name: string;
  value: string | null;
  source: string;
  readOnly: boolean;
  sensitive: boolean;
  isDefault: boolean;
  synonyms: Array<{ name: string; value: string | null; source: string }>;
  documentation: string | null;
}

export interface ConfigResource {
  type: number;
  name: string;
}

export type AlterOp = { op: 'set'; name: string; value: string } | { op: 'delete'; name: string } | { op: 'append' | 'subtract'; name: string; value: string };

/** Special ListOffsets timestamps. */
export const OffsetSpec = { LATEST: -1, EARLIEST: -2, MAX_TIMESTAMP: -3 } as const;

export interface TopicPartition {
  topic: string;
  partition: number;
}

export interface OffsetAtTime {
  topic: string;
  partition: number;
  errorCode: number;
  /** -1 when no record has a timestamp at or after the one asked. */
  offset: number;
  timestamp: number;
}

export interface GroupListing {
  groupId: string;
  protocolType: string;
  state: string;
}

/** A share group (KIP-932) as ShareGroupDescribe answers it. */
export interface ShareGroupDescription {
  groupId: string;
  errorCode: number;
  state: string;
  groupEpoch: number;
  assignorName: string;
  members: Array<{ memberId: string; clientId: string; clientHost: string; assignment: Array<{ topic: string; partitions: number[] }> }>;
}

/** One share partition of a share group (DescribeShareGroupOffsets; counts are Runnel's, -1 from other brokers). */
export interface SharePartitionOffset {
  topic: string;
  partition: number;
  /** -1: no share state yet. */
  startOffset: number;
  /** -1: unknown. */
  lag: number;
  inFlight: number;
  acquired: number;
  errorCode: number;
}

export interface GroupMemberDescription {
  memberId: string;
  groupInstanceId: string | null;
  clientId: string;
  clientHost: string;
  metadata: Buffer;
  assignment: Buffer;
}

export interface GroupDescription {
  groupId: string;
  errorCode: number;
  state: string;
  protocolType: string;
  protocol: string;
  members: GroupMemberDescription[];
}

export interface CommittedOffset {
  topic: string;
  partition: number;
  /** -1: nothing committed. */
  offset: number;
  metadata: string | null;
  errorCode: number;
}

export const tpKey = (topic: string, partition: number): string => `${topic}\u0000${partition}`;

export class Admin {
  constructor(readonly client: KafkaClient) {}

  async cluster(): Promise<ClusterInfo> {
    return this.client.refreshMetadata([]);
  }

  /** Every topic (internal ones too), sorted by name. */
  async listTopics(): Promise<TopicInfo[]> {
    const meta = await this.client.refreshMetadata(null);
    return meta.topics.filter((t) => t.errorCode === ErrorCode.NONE).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /** The named topics; unknown ones come back with their error code. */
  async describeTopics(names: string[]): Promise<TopicInfo[]> {
    const meta = await this.client.refreshMetadata(names);
    return names.map((n) => meta.topics.find((t) => t.name === n) ?? { name: n, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, topicId: Buffer.alloc(16), internal: false, partitions: [] });
  }

  async createTopics(topics: NewTopic[], opts: { validateOnly?: boolean; timeoutMs?: number } = {}): Promise<ItemResult[]> {
    const conn = await this.client.controllerConnection();
    // Before v4 the broker has no "use the default" (-1) for partitions and replication factor.
    const defaults = conn.versionFor(ApiKey.CreateTopics) >= 4;
    const res = await conn.send<CreateTopicsResponse>(ApiKey.CreateTopics, {
      topics: topics.map((t) =>
        newCreateTopicsRequestTopic({
          name: t.name,
        numPartitions: t.partitions ?? (defaults ? -1 : 1),
        replicationFactor: t.replicationFactor ?? (defaults ? -1 : 1),
          configs: Object.entries(t.configs ?? {}).map(([name, value]) => newCreateTopicsRequestConfig({ name, value })),
        }),
      ),
      timeoutMs: opts.timeoutMs ?? 30_000,
      validateOnly: opts.validateOnly ?? false,
    });
    return res.topics.map((t) => ({ name: t.name, errorCode: t.errorCode, errorMessage: t.errorMessage }));
  }

  async deleteTopics(names: string[], timeoutMs = 30_000): Promise<ItemResult[]> {
    const conn = await this.client.controllerConnection();
    const byName = conn.versionFor(ApiKey.DeleteTopics) >= 6;
    const res = await conn.send<DeleteTopicsResponse>(ApiKey.DeleteTopics, byName ? { topics: names.map((name) => newDeleteTopicsRequestTopic({ name })), timeoutMs } : { topicNames: names, timeoutMs });
    for (const n of names) this.client.forgetTopic(n);
    return res.responses.map((r) => ({ name: r.name ?? '', errorCode: r.errorCode, errorMessage: r.errorMessage }));
  }

  /** Grows `topic` to `count` partitions in total (kafka-topics --alter --partitions). */
  async createPartitions(topic: string, count: number, opts: { validateOnly?: boolean; timeoutMs?: number } = {}): Promise<ItemResult> {
    const conn = await this.client.controllerConnection();
    const res = await conn.send<CreatePartitionsResponse>(ApiKey.CreatePartitions, {
      topics: [newCreatePartitionsRequestTopic({ name: topic, count, assignments: null })],
      timeoutMs: opts.timeoutMs ?? 30_000,
      validateOnly: opts.validateOnly ?? false,
    });
    this.client.forgetTopic(topic);
    const r = res.results[0]!;
    return { name: r.name, errorCode: r.errorCode, errorMessage: r.errorMessage };
  }

  /** Configs of one resource (all of them, or `keys`), with sources and synonyms. */
  async describeConfigs(resource: ConfigResource, keys: string[] | null = null, documentation = false): Promise<ConfigEntry[]> {
    const conn = resource.type === ResourceType.BROKER && /^\d+$/.test(resource.name) ? await this.client.connectionToNode(Number(resource.name)) : await this.client.anyConnection();
    const res = await conn.send<DescribeConfigsResponse>(ApiKey.DescribeConfigs, {
      resources: [newDescribeConfigsRequestResource({ resourceType: resource.type, resourceName: resource.name, configurationKeys: keys })],
      includeSynonyms: true,
      includeDocumentation: documentation,
    });
    const r = res.results[0]!;
    if (r.errorCode !== ErrorCode.NONE) throw new KafkaResponseError(r.errorCode, `DescribeConfigs ${resource.name}`, r.errorMessage);
    return r.configs
      .map((c) => ({
        name: c.name,
        value: c.value,
        source: CONFIG_SOURCES[c.configSource] ?? String(c.configSource),
        readOnly: c.readOnly,
        sensitive: c.isSensitive,
        isDefault: c.configSource === 5 || (c.configSource < 0 && c.isDefault),
        synonyms: c.synonyms.map((s) => ({ name: s.name, value: s.value, source: CONFIG_SOURCES[s.source] ?? String(s.source) })),
        documentation: c.documentation,
      }))
      .sort((a, b) => (a.name < b.name ? -1 : 1));
  }

  /** IncrementalAlterConfigs on one resource. */
  async alterConfigs(resource: ConfigResource, ops: AlterOp[], validateOnly = false): Promise<ItemResult> {
    const conn = resource.type === ResourceType.BROKER && /^\d+$/.test(resource.name) ? await this.client.connectionToNode(Number(resource.name)) : await this.client.controllerConnection();
    const code = { set: 0, delete: 1, append: 2, subtract: 3 } as const;
    const res = await conn.send<IncrementalAlterConfigsResponse>(ApiKey.IncrementalAlterConfigs, {
      resources: [
        newIncrementalAlterConfigsRequestResource({
          resourceType: resource.type,
          resourceName: resource.name,
          configs: ops.map((o) => newIncrementalAlterConfigsRequestConfig({ name: o.name, configOperation: code[o.op], value: 'value' in o ? o.value : null })),
        }),
      ],
      validateOnly,
    });
    const r = res.responses[0]!;
    return { name: r.resourceName, errorCode: r.errorCode, errorMessage: r.errorMessage };
  }

  /**
   * ListOffsets for each partition at `timestamp` (OffsetSpec.LATEST / EARLIEST or epoch ms),
   * asked of each partition's leader.
   */
  async listOffsets(partitions: Array<TopicPartition & { timestamp: number }>, isolationLevel = 0): Promise<OffsetAtTime[]> {
    const byLeader = new Map<number, Array<TopicPartition & { timestamp: number }>>();
    const out: OffsetAtTime[] = [];
    for (const tp of partitions) {
      const t = await this.client.topic(tp.topic).catch(() => null);
      const p = t?.partitions.find((x) => x.partition === tp.partition);
      if (!p) {
        out.push({ topic: tp.topic, partition: tp.partition, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, offset: -1, timestamp: -1 });
        continue;
      }
      let list = byLeader.get(p.leader);
      if (!list) byLeader.set(p.leader, (list = []));
      list.push(tp);
    }
    await Promise.all(
      [...byLeader].map(async ([leader, tps]) => {
        const conn = await this.client.connectionToNode(leader);
        const topics = new Map<string, Array<{ partitionIndex: number; timestamp: number; currentLeaderEpoch: number }>>();
        for (const tp of tps) {
          let l = topics.get(tp.topic);
          if (!l) topics.set(tp.topic, (l = []));
          l.push({ partitionIndex: tp.partition, timestamp: tp.timestamp, currentLeaderEpoch: -1 });
        }
        const res = await conn.send<ListOffsetsResponse>(ApiKey.ListOffsets, {
          replicaId: -1,
          isolationLevel,
          topics: [...topics].map(([name, ps]) => newListOffsetsRequestTopic({ name, partitions: ps.map((p) => newListOffsetsRequestPartition({ ...p, maxNumOffsets: 1 })) })),
        });
        for (const t of res.topics) {
          for (const p of t.partitions) {
            const offset = conn.versionFor(ApiKey.ListOffsets) === 0 ? (p.oldStyleOffsets[0] ?? -1) : p.offset;
            out.push({ topic: t.name, partition: p.partitionIndex, errorCode: p.errorCode, offset, timestamp: p.timestamp });
          }
        }
      }),
    );
    return out.sort((a, b) => (a.topic === b.topic ? a.partition - b.partition : a.topic < b.topic ? -1 : 1));
  }

  /** Log start and end offsets of every partition of the topics. */
  async offsetRange(topics: string[]): Promise<Array<TopicPartition & { start: number; end: number; errorCode: number }>> {
    const tps: TopicPartition[] = [];
    for (const name of topics) {
      const t = await this.client.topic(name, { refresh: true });
      for (const p of t.partitions) tps.push({ topic: name, partition: p.partition });
    }
    const [starts, ends] = await Promise.all([
      this.listOffsets(tps.map((tp) => ({ ...tp, timestamp: OffsetSpec.EARLIEST }))),
      this.listOffsets(tps.map((tp) => ({ ...tp, timestamp: OffsetSpec.LATEST }))),
    ]);
    const endBy = new Map(ends.map((e) => [tpKey(e.topic, e.partition), e]));
    return starts.map((s) => {
      const e = endBy.get(tpKey(s.topic, s.partition))!;
      return { topic: s.topic, partition: s.partition, start: s.offset, end: e.offset, errorCode: s.errorCode || e.errorCode };
    });
  }

  /** Groups known to any broker (ListGroups is answered per coordinator, so every broker is asked). */
  async listGroups(states: string[] = []): Promise<GroupListing[]> {
    await this.client.refreshMetadata([]);
    const brokers = this.client.knownBrokers();
    const seen = new Map<string, GroupListing>();
    await Promise.all(
      brokers.map(async (b) => {
        const conn = await this.client.connectionToNode(b.nodeId);
        const res = await conn.send<ListGroupsResponse>(ApiKey.ListGroups, { statesFilter: states });
        if (res.errorCode !== ErrorCode.NONE) throw new KafkaResponseError(res.errorCode, `ListGroups on broker ${b.nodeId}`);
        for (const g of res.groups) seen.set(g.groupId, { groupId: g.groupId, protocolType: g.protocolType, state: g.groupState || 'Unknown' });
      }),
    );
    return [...seen.values()].sort((a, b) => (a.groupId < b.groupId ? -1 : 1));
  }

  async describeGroup(groupId: string): Promise<GroupDescription> {
    const res = await this.withCoordinator(groupId, (conn) => conn.send<DescribeGroupsResponse>(ApiKey.DescribeGroups, { groups: [groupId] }), (r) => r.groups[0]?.errorCode ?? 0);
    const g = res.groups[0]!;
    return {
      groupId: g.groupId,
      errorCode: g.errorCode,
      state: g.groupState,
      protocolType: g.protocolType,
      protocol: g.protocolData,
      members: g.members.map((m) => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId, clientId: m.clientId, clientHost: m.clientHost, metadata: m.memberMetadata, assignment: m.memberAssignment })),
    };
  }

  async deleteGroups(groupIds: string[]): Promise<ItemResult[]> {
    const out: ItemResult[] = [];
    for (const id of groupIds) {
      const res = await this.withCoordinator(id, (conn) => conn.send<DeleteGroupsResponse>(ApiKey.DeleteGroups, { groupsNames: [id] }), (r) => r.results[0]?.errorCode ?? 0);
      const r = res.results[0]!;
      out.push({ name: r.groupId, errorCode: r.errorCode, errorMessage: null });
    }
    return out;
  }

  async describeShareGroup(groupId: string): Promise<ShareGroupDescription> {
    const res = await this.withCoordinator(groupId, (conn) => conn.send<ShareGroupDescribeResponse>(ApiKey.ShareGroupDescribe, { groupIds: [groupId], includeAuthorizedOperations: false }), (r) => r.groups[0]?.errorCode ?? 0);
    const g = res.groups[0]!;
    return {
      groupId: g.groupId,
      errorCode: g.errorCode,
      state: g.groupState,
      groupEpoch: g.groupEpoch,
      assignorName: g.assignorName,
      members: g.members.map((m) => ({ memberId: m.memberId, clientId: m.clientId, clientHost: m.clientHost, assignment: m.assignment.topicPartitions.map((t) => ({ topic: t.topicName, partitions: t.partitions })) })),
    };
  }

  /** Every share partition a share group has state for or is subscribed to. */
  async shareGroupOffsets(groupId: string): Promise<SharePartitionOffset[]> {
    const res = await this.withCoordinator(groupId, (conn) => conn.send<DescribeShareGroupOffsetsResponse>(ApiKey.DescribeShareGroupOffsets, { groups: [{ groupId, topics: null }] }), (r) => r.groups[0]?.errorCode ?? 0);
    const g = res.groups[0]!;
    if (g.errorCode !== ErrorCode.NONE) throw new KafkaResponseError(g.errorCode, `DescribeShareGroupOffsets for group ${groupId}`);
    const out: SharePartitionOffset[] = [];
    for (const t of g.topics) for (const p of t.partitions) out.push({ topic: t.topicName, partition: p.partitionIndex, startOffset: p.startOffset, lag: p.lag, inFlight: p.inFlightRecords, acquired: p.acquiredRecords, errorCode: p.errorCode });
    return out.sort((a, b) => (a.topic === b.topic ? a.partition - b.partition : a.topic < b.topic ? -1 : 1));
  }

  /** Committed offsets of a group (all partitions with a commit when `partitions` is null). */
  async committedOffsets(groupId: string, partitions: TopicPartition[] | null = null): Promise<CommittedOffset[]> {
    let topics: Array<{ name: string; partitionIndexes: number[] }> | null = null;
    if (partitions) {
      const m = new Map<string, number[]>();
      for (const tp of partitions) {
        let l = m.get(tp.topic);
        if (!l) m.set(tp.topic, (l = []));
        l.push(tp.partition);
      }
      topics = [...m].map(([name, partitionIndexes]) => newOffsetFetchRequestTopic({ name, partitionIndexes }));
    }
    const res = await this.withCoordinator(groupId, (conn) => conn.send<OffsetFetchResponse>(ApiKey.OffsetFetch, { groupId, topics, requireStable: false }), (r) => r.errorCode);
    if (res.errorCode !== ErrorCode.NONE) throw new KafkaResponseError(res.errorCode, `OffsetFetch for group ${groupId}`);
    const out: CommittedOffset[] = [];
    for (const t of res.topics) for (const p of t.partitions) out.push({ topic: t.name, partition: p.partitionIndex, offset: p.committedOffset, metadata: p.metadata, errorCode: p.errorCode });
    return out.sort((a, b) => (a.topic === b.topic ? a.partition - b.partition : a.topic < b.topic ? -1 : 1));
  }

  /**
   * Commits offsets for a group from outside it (generation -1, no member id): Kafka accepts
   * this only while the group has no active members, which is what reset-offsets needs.
   */
  async commitOffsets(groupId: string, offsets: Array<TopicPartition & { offset: number; metadata?: string | null }>, member: { generationId: number; memberId: string } = { generationId: -1, memberId: '' }): Promise<Array<TopicPartition & { errorCode: number }>> {
    const m = new Map<string, Array<{ partitionIndex: number; committedOffset: number; committedLeaderEpoch: number; committedMetadata: string | null; commitTimestamp: number }>>();
    for (const o of offsets) {
      let l = m.get(o.topic);
      if (!l) m.set(o.topic, (l = []));
      l.push(newOffsetCommitRequestPartition({ partitionIndex: o.partition, committedOffset: o.offset, committedLeaderEpoch: -1, committedMetadata: o.metadata ?? '', commitTimestamp: -1 }));
    }
    const res = await this.withCoordinator(
      groupId,
      (conn) =>
        conn.send<OffsetCommitResponse>(ApiKey.OffsetCommit, {
          groupId,
          generationIdOrMemberEpoch: member.generationId,
          memberId: member.memberId,
          groupInstanceId: null,
          retentionTimeMs: -1,
          topics: [...m].map(([name, partitions]) => newOffsetCommitRequestTopic({ name, partitions })),
        }),
      (r) => r.topics[0]?.partitions[0]?.errorCode ?? 0,
    );
    const out: Array<TopicPartition & { errorCode: number }> = [];
    for (const t of res.topics) for (const p of t.partitions) out.push({ topic: t.name, partition: p.partitionIndex, errorCode: p.errorCode });
    return out;
  }

  /** Sends to the group's coordinator, looking it up again once if it moved or was loading. */
  private async withCoordinator<T>(groupId: string, fn: (conn: BrokerConnection) => Promise<T>, errorOf: (r: T) => number): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      const conn = await this.client.coordinator(groupId);
      const res = await fn(conn);
      const code = errorOf(res);
      if (!isCoordinatorError(code) || attempt >= 5) return res;
      this.client.forgetCoordinator(groupId);
      await new Promise((r) => setTimeout(r, 200 * (attempt + 1)));
    }
  }
}
