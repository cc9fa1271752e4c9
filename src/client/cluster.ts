/**
 * The shared core of the client: bootstrap, one connection per broker (pooled by address), the
 * metadata cache (brokers, topics, partition leaders) and group coordinator lookup. Producer,
 * consumer, admin and group member all talk to brokers through one `KafkaClient`.
 */
import { ErrorCode } from '../../protocol/errors.js';
import { newMetadataRequestTopic } from '../../protocol/generated/index.js';
import type { FindCoordinatorResponse, MetadataResponse } from '../../protocol/generated/index.js';
import { BrokerConnection, type ConnectionOptions } from './connection.js';
import { ConnectionError, KafkaResponseError } from './errors.js';
import { ApiKey } from './api-keys.js';

export interface ClientOptions {
  /** "host:port" or "host1:port1,host2:port2", or a list of them. */
  bootstrap: string | string[];
  clientId?: string;
  connectTimeoutMs?: number;
  requestTimeoutMs?: number;
}

export interface BrokerInfo {
  nodeId: number;
  host: string;
  port: number;
  rack: string | null;
}

export interface PartitionInfo {
  partition: number;
  errorCode: number;
  leader: number;
  leaderEpoch: number;
  replicas: number[];
  isr: number[];
  offline: number[];
}

export interface TopicInfo {
  name: string;
  errorCode: number;
  topicId: Buffer;
  internal: boolean;
  partitions: PartitionInfo[];
}

export interface ClusterInfo {
  clusterId: string | null;
  controllerId: number;
  brokers: BrokerInfo[];
  topics: TopicInfo[];
}

export function parseBootstrap(bootstrap: string | string[]): Array<{ host: string; port: number }> {
  const list = (Array.isArray(bootstrap) ? bootstrap : [bootstrap]).flatMap((s) => s.split(',')).map((s) => s.trim()).filter(Boolean);
  if (list.length === 0) throw new Error('no bootstrap server given');
  return list.map((s) => {
    const m = /^(?:[A-Za-z0-9_]+:\/\/)?(\[[^\]]+\]|[^:]+):(\d+)$/.exec(s);
    if (!m) throw new Error(`bootstrap server '${s}' is not host:port`);
    return { host: m[1]!.replace(/^\[|\]$/g, ''), port: Number(m[2]) };
  });
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export class KafkaClient {
  readonly seeds: Array<{ host: string; port: number }>;
  readonly options: ConnectionOptions;
  private readonly pool = new Map<string, Promise<BrokerConnection>>();
  private readonly brokers = new Map<number, BrokerInfo>();
  private readonly topics = new Map<string, TopicInfo>();
  private readonly coordinators = new Map<string, number>();
  private controllerId = -1;
  clusterId: string | null = null;
  private closed = false;

  constructor(opts: ClientOptions) {
    this.seeds = parseBootstrap(opts.bootstrap);
    this.options = {
      clientId: opts.clientId ?? 'runnel',
      connectTimeoutMs: opts.connectTimeoutMs ?? 10_000,
      requestTimeoutMs: opts.requestTimeoutMs ?? 30_000,
    };
  }

  /**
   * A pooled connection to host:port (opened and negotiated on first use). `lane` opens a second
   * connection to the same broker: group coordination gets its own, as in the Java client, so a
   * heartbeat never waits behind a fetch long poll (a broker answers one request at a time).
   */
  connectionTo(host: string, port: number, lane = ''): Promise<BrokerConnection> {
    if (this.closed) return Promise.reject(new ConnectionError('client closed'));
    const key = `${host}:${port}${lane ? `#${lane}` : ''}`;
    let p = this.pool.get(key);
    if (!p) {
      p = BrokerConnection.open(host, port, this.options);
      this.pool.set(key, p);
      p.then(
        (c) => c.onClose(() => this.pool.get(key) === p && this.pool.delete(key)),
        () => this.pool.get(key) === p && this.pool.delete(key),
      );
    }
    return p;
  }

  /** A connection to any reachable broker: known brokers first, then the bootstrap list. */
  async anyConnection(): Promise<BrokerConnection> {
    const candidates = [...this.brokers.values(), ...this.seeds];
    let lastError: unknown = null;
    for (const c of candidates) {
      try {
        return await this.connectionTo(c.host, c.port);
      } catch (err) {
        lastError = err;
      }
    }
    throw lastError instanceof Error ? lastError : new ConnectionError('no broker reachable');
  }

  async connectionToNode(nodeId: number): Promise<BrokerConnection> {
    let b = this.brokers.get(nodeId);
    if (!b) {
      await this.refreshMetadata([]);
      b = this.brokers.get(nodeId);
    }
    if (!b) throw new ConnectionError(`broker ${nodeId} is not in the cluster metadata`);
    return this.connectionTo(b.host, b.port);
  }

  /** The controller when the cluster names one we can reach, else any broker (KRaft forwards). */
  async controllerConnection(): Promise<BrokerConnection> {
    if (this.controllerId < 0) await this.refreshMetadata([]);
    if (this.brokers.has(this.controllerId)) return this.connectionToNode(this.controllerId);
    return this.anyConnection();
  }

  knownBrokers(): BrokerInfo[] {
    return [...this.brokers.values()].sort((a, b) => a.nodeId - b.nodeId);
  }

  /**
   * Metadata for `topics` (null: every topic; []: brokers only), refreshing the cache. With
   * `autoCreate`, unknown topics are created where the broker allows it (as producers do).
   */
  async refreshMetadata(topics: string[] | null, autoCreate = false): Promise<ClusterInfo> {
    const conn = await this.anyConnection();
    const version = conn.versionFor(ApiKey.Metadata);
    // v0 has no null list: there an empty list means "all topics".
    const list = topics === null ? (version === 0 ? [] : null) : topics.map((name) => newMetadataRequestTopic({ name }));
    const res = await conn.send<MetadataResponse>(ApiKey.Metadata, { topics: list, allowAutoTopicCreation: autoCreate });
    this.clusterId = res.clusterId;
    this.controllerId = res.controllerId;
    for (const b of res.brokers) this.brokers.set(b.nodeId, { nodeId: b.nodeId, host: b.host, port: b.port, rack: b.rack });
    const out: TopicInfo[] = [];
    for (const t of res.topics) {
      const info: TopicInfo = {
        name: t.name ?? '',
        errorCode: t.errorCode,
        topicId: t.topicId,
        internal: t.isInternal,
        partitions: t.partitions
          .map((p) => ({ partition: p.partitionIndex, errorCode: p.errorCode, leader: p.leaderId, leaderEpoch: p.leaderEpoch, replicas: p.replicaNodes, isr: p.isrNodes, offline: p.offlineReplicas }))
          .sort((a, b) => a.partition - b.partition),
      };
      if (info.errorCode === ErrorCode.NONE) this.topics.set(info.name, info);
      else this.topics.delete(info.name);
      out.push(info);
    }
    return { clusterId: res.clusterId, controllerId: res.controllerId, brokers: this.knownBrokers(), topics: out };
  }

  /**
   * One topic's metadata from the cache, or fetched. A topic that is still being created
   * (LEADER_NOT_AVAILABLE, or partitions without a leader yet) is asked again for a few seconds.
   */
  async topic(name: string, opts: { autoCreate?: boolean; refresh?: boolean } = {}): Promise<TopicInfo> {
    const cached = this.topics.get(name);
    if (cached && !opts.refresh) return cached;
    const deadline = Date.now() + 10_000;
    for (let attempt = 0; ; attempt++) {
      const meta = await this.refreshMetadata([name], opts.autoCreate ?? false);
      const t = meta.topics.find((x) => x.name === name);
      const code = t?.errorCode ?? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
      const settling = code === ErrorCode.LEADER_NOT_AVAILABLE || (code === ErrorCode.NONE && (t!.partitions.length === 0 || t!.partitions.some((p) => p.leader < 0)));
      const creating = code === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION && opts.autoCreate === true && attempt < 3;
      if ((settling || creating) && Date.now() < deadline) {
        await sleep(Math.min(50 * 2 ** attempt, 500));
        continue;
      }
      if (code !== ErrorCode.NONE) throw new KafkaResponseError(code, `topic ${name}`);
      return t!;
    }
  }

  forgetTopic(name: string): void {
    this.topics.delete(name);
  }

  async leaderConnection(topic: string, partition: number): Promise<BrokerConnection> {
    const t = await this.topic(topic);
    const p = t.partitions.find((x) => x.partition === partition);
    if (!p) throw new KafkaResponseError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `${topic}-${partition}`);
    if (p.leader < 0) throw new KafkaResponseError(ErrorCode.LEADER_NOT_AVAILABLE, `${topic}-${partition}`);
    return this.connectionToNode(p.leader);
  }

  /** The group coordinator's connection (FindCoordinator, cached; retried while it loads). */
  async coordinator(groupId: string): Promise<BrokerConnection> {
    const known = this.coordinators.get(groupId);
    const b = known === undefined ? undefined : this.brokers.get(known);
    if (b) return this.connectionTo(b.host, b.port, 'group');
    const deadline = Date.now() + 15_000;
    for (let attempt = 0; ; attempt++) {
      const conn = await this.anyConnection();
      const batched = conn.versionFor(ApiKey.FindCoordinator) >= 4;
      const res = await conn.send<FindCoordinatorResponse>(ApiKey.FindCoordinator, batched ? { keyType: 0, coordinatorKeys: [groupId] } : { key: groupId, keyType: 0 });
      const c = batched ? res.coordinators[0] : { errorCode: res.errorCode, errorMessage: res.errorMessage, nodeId: res.nodeId, host: res.host, port: res.port };
      if (!c) throw new ConnectionError('FindCoordinator returned no coordinator');
      if (c.errorCode === ErrorCode.NONE) {
        this.brokers.set(c.nodeId, { nodeId: c.nodeId, host: c.host, port: c.port, rack: this.brokers.get(c.nodeId)?.rack ?? null });
        this.coordinators.set(groupId, c.nodeId);
        return this.connectionTo(c.host, c.port, 'group');
      }
      const retriable = c.errorCode === ErrorCode.COORDINATOR_NOT_AVAILABLE || c.errorCode === ErrorCode.COORDINATOR_LOAD_IN_PROGRESS || c.errorCode === ErrorCode.NOT_COORDINATOR;
      if (!retriable || Date.now() > deadline) throw new KafkaResponseError(c.errorCode, `FindCoordinator for group ${groupId}`, c.errorMessage);
      await sleep(Math.min(100 * 2 ** attempt, 1000));
    }
  }

  forgetCoordinator(groupId: string): void {
    this.coordinators.delete(groupId);
  }

  async close(): Promise<void> {
    this.closed = true;
    const conns = await Promise.allSettled([...this.pool.values()]);
    this.pool.clear();
    for (const c of conns) if (c.status === 'fulfilled') c.value.close();
  }
}

/** Whether an error code means "ask the coordinator again" (it moved or is loading). */
export function isCoordinatorError(code: number): boolean {
  return code === ErrorCode.NOT_COORDINATOR || code === ErrorCode.COORDINATOR_NOT_AVAILABLE || code === ErrorCode.COORDINATOR_LOAD_IN_PROGRESS;
}
