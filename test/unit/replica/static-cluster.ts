/**
 * An in-process cluster without etcd, for replication tests over real sockets: each node is a
 * LogManager in replicated mode (temp dir), cluster-mode Partitions (src/replica/partition.ts with
 * a ReplicationContext), the real follower fetchers (src/replica/replication.ts) and a real
 * listener serving the real handlers (server/listener.ts). What etcd, the metadata image and the
 * controller do is played by StaticCluster: it holds each partition's state, applies it to every
 * node (makeLeader / makeFollower + the fetchers, as ReplicaManager.applyAssignment does), answers
 * the leaders' ISR writes with a CAS on the partition epoch (refused for a stopped node, like the
 * etcd writer's registration compare), and elects leaders when a test says so.
 */
import { KafkaError, ErrorCode } from '../../../protocol/errors.js';
import { BrokerConnection } from '../../../src/client/connection.js';
import { BrokerConfig, optionsLayer, type RawConfig } from '../../../src/config/broker-config.js';
import { AppendOrder } from '../../../src/data/append-order.js';
import type * as port from '../../../src/data/partitions.js';
import { ApiRegistry } from '../../../src/handlers/registry.js';
import type { BrokerServices } from '../../../src/handlers/types.js';
import { silentLogger } from '../../../src/logger.js';
import type { Topic, TopicSettings, TopicsPort } from '../../../src/metadata/port.js';
import { Metrics } from '../../../src/metrics.js';
import type { AlterIsrRequest, AlterIsrResult, StoredPartitionState } from '../../../src/replica/isr-writer.js';
import { Partition } from '../../../src/replica/partition.js';
import { Replication } from '../../../src/replica/replication.js';
import { Listeners } from '../../../src/server/listener.js';
import { ProducerStateManager } from '../../../src/txn/producer-state-manager.js';
import { RequestMemoryPool } from '../../../src/server/request-memory.js';
import { LogManager } from '../../../storage/log-manager.js';
import { silentLogger as silentStorageLogger } from '../../../storage/logger.js';
import { DEFAULT_TOPIC_SETTINGS, fakeBroker } from '../handlers/fakes.js';
import { tempDir } from '../storage/helpers.js';
import { testLogConfig } from './helpers.js';

const key = (topic: string, p: number) => `${topic}\u0000${p}`;

/** The partitions port over the node's Partitions. */
class NodePartitions implements port.PartitionsPort {
  readonly map = new Map<string, Partition>();
  private readonly order = new AppendOrder<port.Partition>();
  readonly appendRefusal = null;
  constructor(readonly logDir: string) {}
  get(topic: string, p: number): Partition | undefined {
    return this.map.get(key(topic, p));
  }
  appendInOrder<T>(p: port.Partition, prepare: (() => Promise<void>) | null, append: () => T): T | Promise<T> {
    return this.order.run(p, prepare, append);
  }
  persistLogStartOffsets(): Promise<void> {
    return Promise.resolve();
  }
}

/** The topics port: get and settings are all Produce and Fetch use. */
class NodeTopics implements TopicsPort {
  readonly topics = new Map<string, Topic>();
  readonly settingsOf = new Map<string, TopicSettings>();
  get(name: string): Topic | undefined {
    return this.topics.get(name);
  }
  byId(id: Buffer): Topic | undefined {
    return [...this.topics.values()].find((t) => t.id.equals(id));
  }
  all(): IterableIterator<Topic> {
    return this.topics.values();
  }
  settings(topic: Topic): TopicSettings {
    return this.settingsOf.get(topic.name) ?? DEFAULT_TOPIC_SETTINGS;
  }
  createTopics(): never {
    throw new Error('not in this test cluster');
  }
  deleteTopics(): never {
    throw new Error('not in this test cluster');
  }
  createPartitions(): never {
    throw new Error('not in this test cluster');
  }
}

export class TestNode {
  logs!: LogManager;
  replication!: Replication;
  partitions!: NodePartitions;
  topics = new NodeTopics();
  /** The real producer state (rebuilt from the log), as the broker has it. */
  producers = new ProducerStateManager(silentLogger());
  listeners!: Listeners;
  port = 0;
  running = false;
  private readonly fake = fakeBroker();

  constructor(
    readonly id: number,
    readonly dataDir: string,
    private readonly cluster: StaticCluster,
    readonly raw: RawConfig,
  ) {}

  async start(): Promise<void> {
    const config = new BrokerConfig([optionsLayer({ 'node.id': String(this.id), listeners: 'PLAINTEXT://127.0.0.1:0', ...this.raw })]);
    this.logs = await LogManager.open({ dataDir: this.dataDir, logger: silentStorageLogger(), defaults: testLogConfig, retentionCheckIntervalMs: 0, cleanerBackoffMs: 0, recoveryPointCheckpointIntervalMs: 0, replicated: true });
    this.partitions = new NodePartitions(this.dataDir);
    this.replication = new Replication({
      brokerId: this.id,
      config,
      isrWriter: { alterIsr: (req) => this.cluster.alterIsr(this.id, req) },
      addresses: { addressOf: (id) => this.cluster.addressOf(id) },
      log: silentLogger(),
      maxPartitionSeries: 1000,
      now: () => this.cluster.now(),
      onBecameLeader: (p) => this.producers.forget(p),
    });
    const registry = new ApiRegistry();
    const metrics = new Metrics({ maxLabelValues: 100, maxPartitionSeries: 100 });
    const services: BrokerServices = { ...this.fake.services, config, partitions: this.partitions, topics: this.topics, producers: this.producers, apiVersions: registry };
    this.listeners = new Listeners(config, silentLogger(), { config, handlers: registry, requestMemory: new RequestMemoryPool(100 << 20), metrics, services });
    await this.listeners.open();
    this.port = this.listeners.advertised[0]!.port;
    this.replication.start(() => [...this.partitions.map.values()].filter((p) => p.isLeader));
    this.running = true;
  }

  /** Hosts the partition (its log created when missing), made leader or follower by the cluster. */
  async host(topic: Topic, index: number): Promise<Partition> {
    this.topics.topics.set(topic.name, topic);
    const log = this.logs.get(topic.name, index) ?? (await this.logs.create(topic.name, index, testLogConfig));
    let p = this.partitions.get(topic.name, index);
    if (p === undefined || p.log !== log) this.partitions.map.set(key(topic.name, index), (p = new Partition(log, topic.id, this.id, this.replication.context)));
    return p;
  }

  /** Applies the partition's state as the replica manager does. */
  apply(p: Partition, s: StoredPartitionState): void {
    const state = { leaderEpoch: s.leaderEpoch, partitionEpoch: s.partitionEpoch, replicas: s.replicas, isr: s.isr };
    if (s.leader === this.id) {
      this.replication.fetchers.removePartitions([p]);
      p.makeLeader(state);
    } else if (p.makeFollower(state, s.leader) && s.leader >= 0) {
      this.replication.fetchers.removePartitions([p]);
      this.replication.fetchers.addPartitions(s.leader, [p]);
    }
  }

  partition(topic: string, index = 0): Partition {
    const p = this.partitions.get(topic, index);
    if (!p) throw new Error(`node ${this.id} does not host ${topic}-${index}`);
    return p;
  }

  /** A connection to this node's listener (the bundled client's). */
  connect(): Promise<BrokerConnection> {
    return BrokerConnection.open('127.0.0.1', this.port, { clientId: 'test', connectTimeoutMs: 5000, requestTimeoutMs: 30000 });
  }

  /** Stops serving and fetching, closes the logs (cleanly, as a broker that shuts down). */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    await this.replication.close();
    this.listeners.closeConnections('node stopped');
    await this.listeners.stopAccepting();
    for (const p of this.partitions.map.values()) p.makeFollower({ leaderEpoch: p.leaderEpoch, partitionEpoch: p.partitionEpoch, replicas: p.replicas, isr: p.isr }, -1);
    await this.logs.close();
    this.fake.close();
  }
}

export class StaticCluster {
  readonly nodes = new Map<number, TestNode>();
  readonly states = new Map<string, StoredPartitionState>();
  private readonly topicsByName = new Map<string, Topic>();
  private readonly dirs: Array<() => void> = [];
  /** Milliseconds added to Date.now() (the nodes' clock: ISR lag). */
  clockOffset = 0;
  /** ISR writes answered (tests look at them). */
  readonly isrWrites: AlterIsrRequest[] = [];

  now(): number {
    return Date.now() + this.clockOffset;
  }

  static async start(ids: number[], raw: RawConfig = {}): Promise<StaticCluster> {
    const c = new StaticCluster();
    for (const id of ids) {
      const t = tempDir(`runnel-cluster-${id}-`);
      c.dirs.push(t.cleanup);
      const n = new TestNode(id, t.dir, c, raw);
      c.nodes.set(id, n);
      await n.start();
    }
    return c;
  }

  node(id: number): TestNode {
    return this.nodes.get(id)!;
  }

  addressOf(id: number): { host: string; port: number } | null {
    const n = this.nodes.get(id);
    return n?.running ? { host: '127.0.0.1', port: n.port } : null;
  }

  /** Creates a topic (one partition per replica list), leaders = first replica, ISR = all. */
  async createTopic(name: string, assignments: number[][], settings: Partial<TopicSettings> = {}): Promise<void> {
    const id = Buffer.alloc(16, this.topicsByName.size + 1);
    const topic: Topic = { name, id, partitions: assignments.length, configs: new Map(), internal: false };
    this.topicsByName.set(name, topic);
    for (const [i, replicas] of assignments.entries()) {
      this.states.set(key(name, i), { leader: replicas[0]!, leaderEpoch: 0, partitionEpoch: 0, replicas, isr: replicas });
      for (const r of replicas) {
        const n = this.node(r);
        n.topics.settingsOf.set(name, { ...DEFAULT_TOPIC_SETTINGS, ...settings });
        await n.host(topic, i);
      }
      this.publish(name, i);
    }
  }

  state(topic: string, p = 0): StoredPartitionState {
    return this.states.get(key(topic, p))!;
  }

  /** Delivers the partition's state to every running replica (the metadata image). */
  publish(topic: string, p: number): void {
    const s = this.state(topic, p);
    for (const r of s.replicas) {
      const n = this.node(r);
      if (!n.running) continue;
      const part = n.partitions.get(topic, p);
      if (part) n.apply(part, s);
    }
  }

  /** A controller's leader election: `leader`, new leader epoch, the ISR as given (default: kept). */
  elect(topic: string, p: number, leader: number, isr?: number[]): void {
    const s = this.state(topic, p);
    this.states.set(key(topic, p), { ...s, leader, leaderEpoch: s.leaderEpoch + 1, partitionEpoch: s.partitionEpoch + 1, isr: isr ?? (s.isr.includes(leader) ? s.isr : [...s.isr, leader]) });
    this.publish(topic, p);
  }

  /** The ISR writer: a CAS on leader, leader epoch and partition epoch; published like an image change. */
  async alterIsr(from: number, req: AlterIsrRequest): Promise<AlterIsrResult> {
    await new Promise((r) => setImmediate(r));
    const s = this.states.get(key(req.topic, req.partition)) ?? null;
    if (s === null) return { kind: 'stale', state: null };
    if (!this.nodes.get(from)?.running || s.leader !== req.leader || s.leaderEpoch !== req.leaderEpoch || s.partitionEpoch !== req.partitionEpoch || req.added.some((id) => !this.nodes.get(id)?.running)) {
      return { kind: 'stale', state: s };
    }
    this.isrWrites.push(req);
    const next = { ...s, isr: [...req.isr], partitionEpoch: s.partitionEpoch + 1 };
    this.states.set(key(req.topic, req.partition), next);
    setImmediate(() => this.publish(req.topic, req.partition));
    return { kind: 'ok', state: next };
  }

  /** Stops a node (its logs closed cleanly); its partitions' states are left to the test. */
  async stopNode(id: number): Promise<void> {
    await this.node(id).stop();
  }

  /** Starts a stopped node again on its data dir and re-hosts its partitions with the current states. */
  async restartNode(id: number): Promise<void> {
    const old = this.node(id);
    const n = new TestNode(id, old.dataDir, this, old.raw);
    this.nodes.set(id, n);
    await n.start();
    for (const [k, s] of this.states) {
      if (!s.replicas.includes(id)) continue;
      const [topic, p] = k.split('\u0000') as [string, string];
      const topicRec = this.topicsByName.get(topic)!;
      n.topics.settingsOf.set(topic, old.topics.settingsOf.get(topic) ?? DEFAULT_TOPIC_SETTINGS);
      n.apply(await n.host(topicRec, Number(p)), s);
    }
  }

  async close(): Promise<void> {
    for (const n of this.nodes.values()) await n.stop().catch(() => undefined);
    for (const d of this.dirs) d();
  }
}

/** Produces `values` as one batch to `topic`-`p` through `conn` (Produce v9); answers the partition's response. */
export async function produce(conn: BrokerConnection, topic: string, p: number, batch: Buffer, acks: number, timeoutMs = 10_000): Promise<{ errorCode: number; baseOffset: number; errorMessage: string | null }> {
  const res = await conn.send<{ responses: Array<{ partitionResponses: Array<{ errorCode: number; baseOffset: number; errorMessage: string | null }> }> }>(
    0,
    { transactionalId: null, acks, timeoutMs, topicData: [{ name: topic, partitionData: [{ index: p, records: batch }] }] },
    { version: 9, extraTimeoutMs: timeoutMs },
  );
  const r = res.responses[0]?.partitionResponses[0];
  if (!r) throw new KafkaError(ErrorCode.UNKNOWN_SERVER_ERROR, 'no partition in the produce response');
  return r;
}

/** Waits until `cond` holds (polling every 10 ms), or fails after `ms`. */
export async function until(cond: () => boolean, ms = 10_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
