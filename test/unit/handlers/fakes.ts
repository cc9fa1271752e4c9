/**
 * Fakes for handler unit tests: every port of a RequestContext (src/handlers/types.ts) in memory,
 * so a handler runs in microseconds with no socket, file or broker. In the way Tansu tests its
 * services against an in-memory storage engine.
 *
 *   const b = fakeBroker();
 *   b.topics.add('t', 2);                       // topic with partitions t-0, t-1
 *   const res = await b.handle(0, 9, produceRequest);
 *
 * The group coordinator is the real one (GroupService over GroupCoordinator) on an in-memory
 * offsets log. Partitions are the real replica layer (ReplicaManager, Partition: leader epochs,
 * fencing) over logs that keep their batches in memory and hand out file slices whose `position`
 * points into the log's bytes (`bytesOf` turns a fetched record set back into bytes).
 */
import { ShareGroupService } from '../../../src/share/service.js';
import { MemberMemoryBudget, heldByGroups } from '../../../src/groups/member-memory.js';
import { ErrorCode, KafkaError } from '../../../protocol/errors.js';
import type { RequestHeader } from '../../../protocol/headers.js';
import type { FileSlice, Records } from '../../../protocol/primitives.js';
import { batch } from '../../../protocol/records/batch.js';
import { buildBatchSync, type BatchOptions, type RecordInput } from '../../../protocol/records/builder.js';
import type { ConfigsPort } from '../../../src/admin/port.js';
import { LocalNode } from '../../../src/cluster/node.js';
import { BrokerConfig, optionsLayer, type RawConfig } from '../../../src/config/broker-config.js';
import { AppendOrder } from '../../../src/data/append-order.js';
import { CONSUMER_OFFSETS_TOPIC } from '../../../src/data/internal-topic.js';
import type { AppendResult, Partition, PartitionConfig, PartitionsPort, ReadOptions, ReadResult } from '../../../src/data/partitions.js';
import { Partition as ReplicaPartition, type ReplicaLog } from '../../../src/replica/partition.js';
import { type HostedTopic, ReplicaManager } from '../../../src/replica/replica-manager.js';
import { realFs } from '../../../storage/fs.js';
import { LeaderEpochCache } from '../../../storage/leader-epoch-cache.js';
import { LeaderEpochCheckpointFile } from '../../../storage/leader-epoch-checkpoint.js';
import { silentLogger as silentStorageLogger } from '../../../storage/logger.js';
import { DEFAULT_GROUP_CONFIG, type GroupConfig } from '../../../src/groups/config.js';
import { GroupCoordinator } from '../../../src/groups/coordinator.js';
import { MemoryOffsetsLog } from '../../../src/groups/offsets-log.js';
import { GroupService } from '../../../src/groups/service.js';
import { ApiRegistry } from '../../../src/handlers/registry.js';
import { FeatureLevels } from '../../../src/features/feature-levels.js';
import type { BrokerServices, ConnectionInfo, RequestContext } from '../../../src/handlers/types.js';
import { silentLogger } from '../../../src/logger.js';
import type { CreationResult, Topic, TopicCreation, TopicSettings, TopicsPort } from '../../../src/metadata/port.js';
import type { DataMetrics } from '../../../src/metrics.js';
import { ClientQuotaStore, memoryQuotaBackend } from '../../../src/quotas/quota-store.js';
import type { SchemaValidationPort } from '../../../src/schema/port.js';
import { AllowAll, ANONYMOUS } from '../../../src/security/authorizer.js';
import { requestContext } from '../../../src/server/request-context.js';
import type { ProducerIdsPort, ProducerStatesPort, TransactionsPort } from '../../../src/txn/port.js';
import { PartitionProducerState } from '../../../src/txn/producer-state.js';
import { FakeLeadership } from '../../helpers/fake-leadership.js';

// ---- partitions ---------------------------------------------------------------------------------

interface StoredBatch {
  base: number;
  last: number;
  maxTimestamp: number;
  /** Byte position in the log's bytes. */
  position: number;
  length: number;
}

/**
 * One partition's log in memory (what a Partition needs of its log, src/replica/partition.ts's
 * ReplicaLog): appends are visible (high watermark) at once and stamped with the leader epoch, which
 * a leader-epoch cache records as the real log does (the cache's file is never written).
 */
export class MemoryLog implements ReplicaLog {
  readonly batches: StoredBatch[] = [];
  /** Every appended batch, back to back (what file slices point into). */
  bytes = Buffer.alloc(0);
  logStartOffset = 0;
  logEndOffset = 0;
  isOffline = false;
  isClosed = false;
  config: PartitionConfig = { messageTimestampType: 'CreateTime', cleanupPolicy: { delete: true, compact: false } };
  readonly leaderEpochs: LeaderEpochCache;
  private readonly waiters = new Set<{ offset: number; cb: () => void }>();

  constructor(
    readonly topic: string,
    readonly partition: number,
  ) {
    this.leaderEpochs = new LeaderEpochCache(new LeaderEpochCheckpointFile(realFs, this.dir), silentStorageLogger, this);
  }

  get dir(): string {
    return `/memory/${this.topic}-${this.partition}`;
  }

  get highWatermark(): number {
    return this.logEndOffset;
  }

  get size(): number {
    return this.bytes.length;
  }

  append(b: Buffer, leaderEpoch?: number): AppendResult {
    if (this.isOffline) throw new KafkaError(ErrorCode.KAFKA_STORAGE_ERROR, `log ${this.topic}-${this.partition} is offline`);
    const base = this.logEndOffset;
    const epoch = leaderEpoch ?? Math.max(this.leaderEpochs.latestEpoch, 0);
    if (epoch !== this.leaderEpochs.latestEpoch) this.leaderEpochs.assignFromLog(epoch, base);
    batch.setBaseOffset(b, base);
    batch.setPartitionLeaderEpoch(b, epoch);
    const last = base + batch.lastOffsetDelta(b);
    this.batches.push({ base, last, maxTimestamp: batch.maxTimestamp(b), position: this.bytes.length, length: b.length });
    this.bytes = Buffer.concat([this.bytes, b]);
    this.logEndOffset = last + 1;
    for (const w of [...this.waiters]) {
      if (this.highWatermark > w.offset) {
        this.waiters.delete(w);
        w.cb();
      }
    }
    const done = Promise.resolve();
    return { baseOffset: base, lastOffset: last, logAppendTime: -1, written: done, durable: done };
  }

  private readable(offset: number, end: number): StoredBatch[] {
    return this.batches.filter((s) => s.last >= offset && s.base < end && s.last >= this.logStartOffset);
  }

  async read(offset: number, maxBytes: number, opts: ReadOptions = {}): Promise<ReadResult> {
    if (offset < this.logStartOffset || offset > this.highWatermark) throw new KafkaError(ErrorCode.OFFSET_OUT_OF_RANGE, `offset ${offset} out of range`);
    const end = opts.maxOffset ?? this.highWatermark;
    const candidates = this.readable(offset, end).filter((s) => s.last < end);
    const slices: FileSlice[] = [];
    let size = 0;
    for (const s of candidates) {
      if (size + s.length > maxBytes && !(size === 0 && (opts.minOneBatch ?? true))) break;
      slices.push({ fd: -1, position: s.position, length: s.length });
      size += s.length;
    }
    return { slices, size, highWatermark: this.highWatermark, logStartOffset: this.logStartOffset, more: slices.length < candidates.length };
  }

  async readBatches(fromOffset: number): Promise<Buffer[]> {
    return this.readable(fromOffset, this.highWatermark).map((s) => this.bytes.subarray(s.position, s.position + s.length));
  }

  waitForData(offset: number, cb: () => void): () => void {
    if (this.highWatermark > offset) {
      queueMicrotask(cb);
      return () => undefined;
    }
    const w = { offset, cb };
    this.waiters.add(w);
    return () => this.waiters.delete(w);
  }

  async offsetForTimestamp(timestamp: number): Promise<{ offset: number; timestamp: number } | null> {
    const s = this.readable(this.logStartOffset, this.highWatermark).find((x) => x.maxTimestamp >= timestamp);
    return s ? { offset: s.base, timestamp: s.maxTimestamp } : null;
  }

  async maxTimestampOffset(): Promise<{ offset: number; timestamp: number } | null> {
    let best: StoredBatch | null = null;
    for (const s of this.readable(this.logStartOffset, this.highWatermark)) if (best === null || s.maxTimestamp > best.maxTimestamp) best = s;
    return best ? { offset: best.last, timestamp: best.maxTimestamp } : null;
  }

  async deleteRecordsBefore(offset: number): Promise<number> {
    const to = offset === -1 ? this.highWatermark : offset;
    if (to > this.highWatermark) throw new KafkaError(ErrorCode.OFFSET_OUT_OF_RANGE, `offset ${to} is above the high watermark`);
    if (to > this.logStartOffset) {
      this.logStartOffset = to;
      this.leaderEpochs.truncateFromStart(to);
    }
    return this.logStartOffset;
  }
}

/**
 * The partitions port as the broker builds it — the real ReplicaManager hosting a real Partition
 * per partition (led by this broker at epoch 0) — over logs kept in memory. `log()` reaches a
 * partition's MemoryLog (its bytes and batches); `appendRefusal` is settable.
 */
export class MemoryPartitions implements PartitionsPort {
  private readonly topicDir = new Map<string, HostedTopic>();
  private readonly logs = new Map<string, MemoryLog[]>();
  private readonly order = new AppendOrder<Partition>();
  readonly replicas: ReplicaManager;
  appendRefusal: string | null = null;
  readonly logDir = '/memory';
  /** Memory has nothing to make durable. */
  persistLogStartOffsets(): Promise<void> {
    return Promise.resolve();
  }

  constructor(brokerId: number) {
    this.replicas = new ReplicaManager({
      brokerId,
      topics: { get: (name) => this.topicDir.get(name) },
      logs: { get: (topic, partition) => this.logs.get(topic)?.[partition] },
    });
  }

  get(topic: string, partition: number): Partition | undefined {
    return this.replicas.get(topic, partition);
  }

  appendInOrder<T>(partition: Partition, prepare: (() => Promise<void>) | null, append: () => T): T | Promise<T> {
    return this.order.run(partition, prepare, append);
  }

  /** The in-memory log under a hosted partition. */
  log(topic: string, partition: number): MemoryLog {
    const log = this.logs.get(topic)?.[partition];
    if (!log) throw new Error(`no partition ${topic}-${partition}`);
    return log;
  }

  /**
   * What the controller will decide in a cluster, done by hand: this broker leads the partition at
   * `leaderEpoch`, which begins at the log end offset.
   */
  setLeaderEpoch(topic: string, partition: number, leaderEpoch: number): void {
    const p = this.replicas.get(topic, partition);
    if (!p) throw new Error(`no partition ${topic}-${partition}`);
    p.makeLeader({ leaderEpoch, partitionEpoch: p.partitionEpoch + 1, replicas: p.replicas, isr: p.isr });
  }

  /** Creates the topic, or grows it to `partitions`, and hosts the new partitions (TopicManager's order: logs, then the event). */
  ensure(topic: HostedTopic): void {
    const list = this.logs.get(topic.name) ?? [];
    for (let p = list.length; p < topic.partitions; p++) list.push(new MemoryLog(topic.name, p));
    this.logs.set(topic.name, list);
    const known = this.topicDir.has(topic.name);
    const hosted = { name: topic.name, id: topic.id, partitions: topic.partitions };
    this.topicDir.set(topic.name, hosted);
    this.replicas.onTopicChange(known ? 'partitions' : 'created', hosted);
  }

  drop(topic: string): void {
    const hosted = this.topicDir.get(topic);
    this.topicDir.delete(topic);
    this.logs.delete(topic);
    if (hosted) this.replicas.onTopicChange('deleted', hosted);
  }
}

// ---- topics ---------------------------------------------------------------------------------------

/** What Produce reads per batch, with the broker defaults. */
export const DEFAULT_TOPIC_SETTINGS: TopicSettings = {
  maxMessageBytes: 1048588,
  maxTimestampDiffMs: Number.MAX_SAFE_INTEGER,
  maxTimestampBeforeMs: Number.MAX_SAFE_INTEGER,
  maxTimestampAfterMs: Number.MAX_SAFE_INTEGER,
  minInsyncReplicas: 1,
  compressionType: 'producer',
  maxDecompressedBytes: 64 * 1024 * 1024,
  schemaValidation: null,
};

/** Topics in a Map; creating one gives it memory partitions. Creation keeps Kafka's outline only (name and count). */
export class MemoryTopics implements TopicsPort {
  private readonly topics = new Map<string, Topic>();
  readonly settingsOf = new Map<string, TopicSettings>();
  private nextId = 1;

  constructor(
    private readonly partitions: MemoryPartitions,
    private readonly defaultPartitions = 1,
  ) {}

  /** Adds a topic with `partitions` partitions; returns it. */
  add(name: string, partitions = 1, internal = false): Topic {
    const id = Buffer.alloc(16);
    id.writeUInt32BE(this.nextId++, 12);
    const topic: Topic = { name, id, partitions, configs: new Map(), internal };
    this.topics.set(name, topic);
    this.partitions.ensure(topic);
    return topic;
  }

  get(name: string): Topic | undefined {
    return this.topics.get(name);
  }

  byId(id: Buffer): Topic | undefined {
    for (const t of this.topics.values()) if (t.id.equals(id)) return t;
    return undefined;
  }

  all(): IterableIterator<Topic> {
    return this.topics.values();
  }

  settings(topic: Topic): TopicSettings {
    return this.settingsOf.get(topic.name) ?? DEFAULT_TOPIC_SETTINGS;
  }

  async createTopics(requests: ReadonlyArray<TopicCreation>, validateOnly: boolean): Promise<CreationResult[]> {
    return requests.map((r) => {
      if (this.topics.has(r.name)) return { topic: null, partitions: 0, replicationFactor: 0, error: new KafkaError(ErrorCode.TOPIC_ALREADY_EXISTS, `Topic '${r.name}' already exists.`) };
      const partitions = r.partitions === -1 ? this.defaultPartitions : r.partitions;
      return { topic: validateOnly ? null : this.add(r.name, partitions, r.internal ?? false), partitions, replicationFactor: 1, error: null };
    });
  }

  async deleteTopics(names: readonly string[]): Promise<Array<KafkaError | null>> {
    return names.map((name) => {
      if (!this.topics.delete(name)) return new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, 'This server does not host this topic-partition.');
      this.partitions.drop(name);
      return null;
    });
  }

  async createPartitions(name: string, count: number): Promise<void> {
    const t = this.topics.get(name);
    if (!t) throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, 'This server does not host this topic-partition.');
    t.partitions = count;
    this.partitions.ensure(t);
  }
}

// ---- producer state, transactions, the rest ---------------------------------------------------------

export class MemoryProducerStates implements ProducerStatesPort, ProducerIdsPort {
  private readonly states = new WeakMap<Partition, PartitionProducerState>();
  private nextId = 1000;

  peek(partition: Partition): PartitionProducerState | undefined {
    return this.states.get(partition);
  }

  async get(partition: Partition): Promise<PartitionProducerState> {
    let s = this.states.get(partition);
    if (!s) this.states.set(partition, (s = new PartitionProducerState()));
    return s;
  }

  async allocate(): Promise<number> {
    return this.nextId++;
  }
}

/** No transactions: nothing is transactional, transactional requests are refused. */
export function noTransactions(): TransactionsPort {
  const refuse = async () => ErrorCode.INVALID_TXN_STATE;
  return {
    stopping: false,
    stateLog: { ensure: async () => undefined },
    partitions: { has: () => false, add: async () => undefined },
    txns: new Map(),
    coordinatorError: () => ErrorCode.NONE,
    loading: false,
    initProducerId: async () => ({ errorCode: ErrorCode.INVALID_TXN_STATE, producerId: -1, producerEpoch: -1 }),
    addPartitions: refuse,
    endTxn: async () => ({ errorCode: ErrorCode.INVALID_TXN_STATE, producerId: -1, producerEpoch: -1 }),
    verifyPartitions: () => ErrorCode.INVALID_TXN_STATE,
    appendMarker: refuse,
    verify: () => ({ code: ErrorCode.INVALID_TXN_STATE, message: 'no transactions here' }),
    addImplicitly: async () => ErrorCode.INVALID_TXN_STATE,
    verifyElsewhere: () => null,
  };
}

/** Records what the data path counted. */
export class RecordingMetrics implements DataMetrics {
  readonly messages = new Map<string, number>();
  readonly bytesIn = new Map<string, number>();
  readonly bytesOutByTopic = new Map<string, number>();

  messagesIn(topic: string, records: number, bytes: number): void {
    this.messages.set(topic, (this.messages.get(topic) ?? 0) + records);
    this.bytesIn.set(topic, (this.bytesIn.get(topic) ?? 0) + bytes);
  }

  bytesOut(topic: string, bytes: number): void {
    this.bytesOutByTopic.set(topic, (this.bytesOutByTopic.get(topic) ?? 0) + bytes);
  }

  readonly conversions = new Map<string, number>();
  produceMessageConversions(topic: string, records: number): void {
    this.conversions.set(topic, (this.conversions.get(topic) ?? 0) + records);
  }
}

const notUsed = (what: string) => () => {
  throw new Error(`${what} is not faked`);
};

export class FakeConnection implements ConnectionInfo {
  readonly id = 1;
  readonly remoteAddress = '127.0.0.1';
  readonly remotePort = 50000;
  readonly listener = 'PLAINTEXT';
  readonly principal = { type: 'User', name: ANONYMOUS, host: '127.0.0.1' };
  closed = false;
  closeReason: string | null = null;
  private readonly hooks = new Set<() => void>();

  close(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.closeReason = reason;
    for (const fn of this.hooks) fn();
  }

  onClose(fn: () => void): () => void {
    this.hooks.add(fn);
    return () => this.hooks.delete(fn);
  }
}

export interface FakeBrokerOptions {
  /** Broker configs by Kafka name (defaults otherwise). */
  config?: RawConfig;
  /** The group coordinator's settings (defaults: Kafka's, no initial rebalance delay). */
  groups?: Partial<GroupConfig>;
}

/** Every port faked, plus helpers to build a context and run a handler. */
export function fakeBroker(opts: FakeBrokerOptions = {}) {
  const config = new BrokerConfig([optionsLayer(opts.config ?? {})]);
  const node = new LocalNode(1);
  node.clusterId = 'fake-cluster';
  node.advertised = [{ name: 'PLAINTEXT', host: 'broker.test', port: 9092 }];
  const partitions = new MemoryPartitions(node.nodeId);
  const topics = new MemoryTopics(partitions, config.int('num.partitions'));
  const producers = new MemoryProducerStates();
  const groupConfig: GroupConfig = { ...DEFAULT_GROUP_CONFIG, initialRebalanceDelayMs: 0, ...opts.groups };
  const offsetsLog = new MemoryOffsetsLog(4);
  const coordinator = new GroupCoordinator({
    log: offsetsLog,
    config: () => groupConfig,
    logger: silentLogger(),
    leadership: new FakeLeadership().ledFromStart(CONSUMER_OFFSETS_TOPIC, offsetsLog.count),
    partitionExists: (topic, partition) => partitions.get(topic, partition) !== undefined,
    logEndOffset: (topic, partition) => partitions.get(topic, partition)?.highWatermark ?? null,
  });
  // Nothing to read yet: every partition is owned before start() returns.
  void coordinator.start();
  const metrics = new RecordingMetrics();
  const registry = new ApiRegistry();
  const schemas: SchemaValidationPort = { checkBlock: () => null };
  const configs: ConfigsPort = { describe: notUsed('configs'), describeTopic: notUsed('configs'), alter: notUsed('configs'), configuredGroups: () => [] };
  const services: BrokerServices = {
    node,
    config,
    topics,
    partitions,
    producers,
    producerIds: producers,
    groups: new GroupService(coordinator),
    txn: noTransactions(),
    schemas,
    configs,
    metrics,
    authorizer: new AllowAll(),
    apiVersions: registry,
    scramCredentials: { get: async () => null, describe: async () => new Map(), apply: notUsed('scramCredentials') },
    clientQuotas: Object.assign(new ClientQuotaStore(memoryQuotaBackend()), { fetchWindowBytes: () => Infinity }),
    features: FeatureLevels.inMemory(node.nodeId),
    shareGroups: new ShareGroupService(config, topics, partitions, silentLogger()),
    memberMemory: new MemberMemoryBudget(() => config.int('runnel.group.members.max.bytes'), () => heldByGroups(coordinator.groups.values())),
  };
  const conn = new FakeConnection();
  let correlationId = 0;
  const ctx = (apiKey: number, version: number, over: Partial<BrokerServices> = {}): RequestContext => {
    const header: RequestHeader = { apiKey, apiVersion: version, correlationId: ++correlationId, clientId: 'unit' };
    return requestContext({ ...services, ...over }, header, conn, silentLogger());
  };
  return {
    config,
    node,
    partitions,
    topics,
    producers,
    coordinator,
    offsetsLog,
    metrics,
    services,
    conn,
    ctx,
    /** Runs the registered handler of `apiKey` (behind its entry cap, as the connection does). */
    async handle<Res = any>(apiKey: number, version: number, req: object, over: Partial<BrokerServices> = {}): Promise<Res> {
      const h = registry.get(apiKey);
      if (!h) throw new Error(`no handler for key ${apiKey}`);
      return (await h.handle(ctx(apiKey, version, over), req)) as Res;
    },
    /** Stops the coordinator's timers. */
    close(): void {
      coordinator.shutdown();
    },
  };
}

export type FakeBroker = ReturnType<typeof fakeBroker>;

/** One RecordBatch of `values` (keys null), timestamps from `timestamp` on. */
export function records(values: string[], options: BatchOptions & { timestamp?: number } = {}): Buffer {
  const t = options.timestamp ?? 1_700_000_000_000;
  const input: RecordInput[] = values.map((v, i) => ({ key: null, value: Buffer.from(v), timestamp: t + i }));
  return buildBatchSync(input, options);
}

/** The bytes a fetched record set stands for (its slices point into the partition's in-memory log). */
export function bytesOf(partition: Partition, r: Records | null): Buffer {
  if (r === null) return Buffer.alloc(0);
  if (Buffer.isBuffer(r)) return r;
  const log = partition instanceof ReplicaPartition ? partition.log : null;
  if (!(log instanceof MemoryLog)) throw new Error('not a partition over a MemoryLog');
  return Buffer.concat(r.slices.map((s) => log.bytes.subarray(s.position, s.position + s.length)));
}
