/**
 * Topic lifecycle on one broker: validation (Kafka's rules and messages), the durable topic list
 * (TopicStore) and the partition logs (LogManager) kept in step, topic configs resolved into the
 * storage engine's LogConfig.
 *
 * Crash safety: a topic is recorded before its logs are created and forgotten before its logs are
 * deleted; `reconcile()` at startup finishes whichever half a crash interrupted. The store changes
 * memory only after its write succeeded, so a failed write (disk full, I/O error) is answered with
 * KAFKA_STORAGE_ERROR and changes nothing.
 *
 * Topic changes run one at a time (`exclusive`): the checks (exists? collides?) and the change
 * they allow must not interleave with another change while the store writes.
 *
 * Cluster mode (`cluster` given, docs/cluster.md): the same checks, then the change is written to
 * etcd (cluster-topics.ts); the store is an in-memory mirror of the metadata image, which
 * `applyClusterImage` keeps current, and partition logs follow the image in the replica manager.
 */
import type { BrokerConfig } from '../config/broker-config.js';
import type { Logger } from '../logger.js';
import type { ConfigValue } from '../config/definitions.js';
import { parseTopicConfigs, topicValue } from '../config/topic-config.js';
import { ConfigError } from '../config/values.js';
import { ErrorCode, KafkaError } from '../../protocol/errors.js';
import type { LogConfig } from '../../storage/log-config.js';
import type { LogManager } from '../../storage/log-manager.js';
import type { PartitionLog } from '../../storage/partition-log.js';
import type { ClusterImage } from '../cluster/metadata-image.js';
import type { Topic, TopicStore } from './topic-store.js';
import { collisionKey, formatConfigs } from './topic-store.js';
import { validateBrokerOverrides } from '../config/broker-overrides.js';
import { topicSchemaPolicy, type TopicSchemaPolicy } from './topic-schema-policy.js';
import { CONSUMER_OFFSETS_TOPIC, TRANSACTION_STATE_TOPIC, isBrokerStateTopic } from '../data/internal-topic.js';
import type { TopicChanges, TopicConfigs, TopicCreator, TopicListener, TopicsPort } from './port.js';
import { checkConfigSizes, checkPartitionsOnBroker, checkPartitionsPerRequest, checkPartitionsPerTopic, requestedPartitions } from './topic-limits.js';
import { type TopicCreation, type ValidatedTopic, checkStateTopicConfigs, validateNewTopic } from './new-topic.js';
import type { ClusterTopics } from './cluster-topics.js';

export { INTERNAL_TOPICS, MAX_TOPIC_NAME_LENGTH, topicNameProblem } from './new-topic.js';
export type { TopicCreation };
export { CONSUMER_OFFSETS_TOPIC, TRANSACTION_STATE_TOPIC };


function num(v: ConfigValue): number {
  return typeof v === 'number' ? v : Number(v);
}

export interface CreateTopicOptions {
  partitions: number;
  replicationFactor: number;
  /** Manual assignment: partition index → broker ids. */
  assignments?: Array<{ partitionIndex: number; brokerIds: number[] }>;
  configs: Array<[string, string | null]>;
  validateOnly?: boolean;
  internal?: boolean;
}

export interface CreationResult {
  /** The created topic; null when refused or validateOnly. */
  topic: Topic | null;
  /** The partition count it has (or would have). */
  partitions: number;
  /** The replication factor it has (or would have). */
  replicationFactor: number;
  error: KafkaError | null;
}

/** Topic configs the produce path reads per batch, resolved once per config change. */
export interface TopicSettings {
  maxMessageBytes: number;
  maxTimestampDiffMs: number;
  maxTimestampBeforeMs: number;
  maxTimestampAfterMs: number;
  minInsyncReplicas: number;
  compressionType: ConfigValue;
  /** runnel.produce.max.decompressed.bytes (a broker key, kept here to be read once). */
  maxDecompressedBytes: number;
  /** Schema validation of produced records (confluent.*.schema.validation); null: none, and no cost. */
  schemaValidation: TopicSchemaPolicy | null;
}

export class TopicManager implements TopicsPort, TopicChanges, TopicCreator, TopicConfigs {
  private readonly listeners: TopicListener[] = [];
  private readonly settingsCache = new Map<string, TopicSettings>();
  private changes: Promise<unknown> = Promise.resolve();
  /** The partition logs; attached once storage is open (the dynamic broker configs load before). */
  private logs!: LogManager;

  constructor(
    private readonly store: TopicStore,
    /** The broker config: topic configs resolve through it, and dynamic broker overrides change it. */
    private readonly config: BrokerConfig,
    /** The broker's root logger (its level follows a dynamic logger.level). */
    private readonly log: Logger,
    private readonly nodeId: number,
    /** Cluster mode: changes go to etcd and `store` mirrors the metadata image (see the header). */
    private readonly cluster: ClusterTopics | null = null,
  ) {}

  /** Attaches the partition logs once storage is open; before that only broker configs are used. */
  attachLogs(logs: LogManager): void {
    this.logs = logs;
  }

  /** Runs topic changes one after another (see the header). */
  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.changes.then(fn, fn);
    this.changes = run.catch(() => undefined);
    return run;
  }

  /** Storage defaults from the broker's log.* keys (used for logs discovered before their topic). */
  static brokerLogDefaults(config: BrokerConfig): LogConfig {
    return toLogConfig((key) => topicValue(key, new Map(), config));
  }

  onChange(fn: TopicListener): void {
    this.listeners.push(fn);
  }

  private emit(event: Parameters<TopicListener>[0], topic: Topic): void {
    this.settingsCache.clear();
    for (const fn of this.listeners) fn(event, topic);
  }

  get(name: string): Topic | undefined {
    return this.store.get(name);
  }

  byId(id: Buffer): Topic | undefined {
    return this.store.byId(id);
  }

  all(): IterableIterator<Topic> {
    return this.store.all();
  }

  partitionLog(topic: string, partition: number): PartitionLog | undefined {
    const t = this.store.get(topic);
    if (!t || partition < 0 || partition >= t.partitions) return undefined;
    return this.logs.get(topic, partition);
  }

  logConfig(topic: Topic): LogConfig {
    return toLogConfig((key) => topicValue(key, topic.configs, this.config));
  }

  settings(topic: Topic): TopicSettings {
    let s = this.settingsCache.get(topic.name);
    if (!s) {
      s = {
        maxMessageBytes: num(this.configValue(topic, 'max.message.bytes')),
        maxTimestampDiffMs: num(this.configValue(topic, 'message.timestamp.difference.max.ms')),
        maxTimestampBeforeMs: num(this.configValue(topic, 'message.timestamp.before.max.ms')),
        maxTimestampAfterMs: num(this.configValue(topic, 'message.timestamp.after.max.ms')),
        minInsyncReplicas: num(this.configValue(topic, 'min.insync.replicas')),
        compressionType: this.configValue(topic, 'compression.type'),
        maxDecompressedBytes: this.config.int('runnel.produce.max.decompressed.bytes'),
        schemaValidation: topicSchemaPolicy(topic.name, (key) => this.configValue(topic, key)),
      };
      this.settingsCache.set(topic.name, s);
    }
    return s;
  }

  configValue(topic: Topic, key: string): ConfigValue {
    return topicValue(key, topic.configs, this.config);
  }

  /** Creates missing logs of known topics and removes logs of topics that no longer exist. */
  async reconcile(): Promise<void> {
    const known = new Set<string>();
    for (const t of this.store.all()) {
      known.add(t.name);
      const cfg = this.logConfig(t);
      for (let p = 0; p < t.partitions; p++) {
        const existing = this.logs.get(t.name, p);
        if (existing) existing.updateConfig(cfg);
        else await this.logs.create(t.name, p, cfg);
      }
    }
    const orphans = new Set<string>();
    for (const log of this.logs.partitions()) if (!known.has(log.topic)) orphans.add(log.topic);
    for (const name of orphans) {
      this.log.warn({ topic: name }, 'removing partition logs of a topic that no longer exists');
      try {
        await this.logs.deleteTopic(name);
      } catch (err) {
        // Not a reason to stay down: the topic is gone from the metadata, a re-created topic of
        // that name moves leftovers aside (LogManager.createFresh), and the next start retries.
        this.log.warn({ topic: name, err: (err as Error).message }, 'could not remove the partition logs of a deleted topic; will retry at the next start');
      }
    }
  }

  /** Validates and (unless validateOnly) creates a topic. Throws KafkaError with Kafka's code and message. */
  async create(name: string, opts: CreateTopicOptions): Promise<Topic | null> {
    const [result] = await this.createTopics([{ name, ...opts }], opts.validateOnly ?? false);
    if (result!.error) throw result!.error;
    return result!.topic;
  }

  /**
   * Validates every topic of one request, then (unless validateOnly) records all valid ones in one
   * metadata write and creates their logs. One result per topic, in order: the topic (null when
   * validateOnly), its partition count, or the KafkaError (Kafka's code and message) refusing it.
   * More partitions than runnel.max.partitions.per.request in all refuses every topic.
   */
  createTopics(requests: ReadonlyArray<TopicCreation>, validateOnly: boolean): Promise<CreationResult[]> {
    return this.exclusive(() => this.createTopicsNow(requests, validateOnly));
  }

  private async createTopicsNow(requests: ReadonlyArray<TopicCreation>, validateOnly: boolean): Promise<CreationResult[]> {
    const results: CreationResult[] = requests.map(() => ({ topic: null, partitions: 0, replicationFactor: 0, error: null }));
    const defaultPartitions = this.config.int('num.partitions');
    const total = requests.reduce((n, r) => n + (r.internal ? 0 : requestedPartitions(r.partitions, r.assignments?.length ?? 0, defaultPartitions)), 0);
    try {
      checkPartitionsPerRequest(this.config, total);
      checkPartitionsOnBroker(this.config, this.store.partitionCount(), total);
    } catch (err) {
      for (const r of results) r.error = err as KafkaError;
      return results;
    }
    // Names taken by the topics accepted earlier in this request, by collision key ('.' and '_'
    // are the same in metric names); the store answers for existing topics.
    const taken = new Map<string, string>();
    const accepted: Array<ValidatedTopic & { index: number; name: string; internal: boolean; configCount: number }> = [];
    const context = { store: this.store, config: this.config, nodeId: this.nodeId, cluster: this.cluster !== null, taken };
    requests.forEach((r, index) => {
      try {
        const v = validateNewTopic(r, context);
        if (r.internal && this.cluster) v.replicationFactor = this.cluster.internalReplicationFactor(r.name, this.config);
        taken.set(collisionKey(r.name), r.name);
        results[index]!.partitions = v.partitions;
        results[index]!.replicationFactor = v.replicationFactor;
        accepted.push({ ...v, index, name: r.name, internal: r.internal ?? false, configCount: r.configs.length });
      } catch (err) {
        if (!(err instanceof KafkaError)) throw err;
        results[index]!.error = err;
      }
    });
    if (this.cluster) {
      // One etcd transaction per topic (each checked against the live brokers, validateOnly too).
      const cluster = this.cluster;
      await Promise.all(
        accepted.map(async (a) => {
          const result = results[a.index]!;
          try {
            const spec = { name: a.name, partitions: a.partitions, replicationFactor: a.replicationFactor, assignments: a.assignments, configs: formatConfigs(a.configs) };
            await cluster.create(spec, validateOnly, this.store);
            if (!validateOnly) this.log.info({ topic: a.name, partitions: a.partitions, replicationFactor: a.replicationFactor, configs: a.configCount }, 'topic created in the cluster');
            result.topic = validateOnly ? null : (this.store.get(a.name) ?? null);
          } catch (err) {
            if (!(err instanceof KafkaError)) throw err;
            result.error = err;
          }
        }),
      );
      return results;
    }
    if (validateOnly || accepted.length === 0) return results;

    let topics: Topic[];
    try {
      topics = await persisted('Recording the new topics', this.store.createMany(accepted));
    } catch (err) {
      for (const a of accepted) results[a.index]!.error = err as KafkaError;
      return results;
    }
    // All their logs at once (one directory fsync). After a failure, a topic whose logs all exist
    // is fine; the others are recorded and get their missing logs at the next start (reconcile).
    let logsFailure: Error | null = null;
    try {
      await this.logs.createFresh(topics.flatMap((topic) => Array.from({ length: topic.partitions }, (_, p) => ({ topic: topic.name, partition: p, config: this.logConfig(topic) }))));
    } catch (err) {
      logsFailure = err as Error;
    }
    topics.forEach((topic, i) => {
      const a = accepted[i]!;
      if (logsFailure && !Array.from({ length: topic.partitions }, (_, p) => this.logs.get(topic.name, p)).every(Boolean)) {
        results[a.index]!.error = new KafkaError(ErrorCode.KAFKA_STORAGE_ERROR, `Creating the logs of ${topic.name} failed: ${logsFailure.message}`);
      } else {
        results[a.index]!.topic = topic;
      }
      this.log.info({ topic: topic.name, partitions: topic.partitions, configs: a.configCount }, 'topic created');
      this.emit('created', topic);
    });
    return results;
  }

  async delete(name: string): Promise<void> {
    const [error] = await this.deleteTopics([name]);
    if (error) throw error;
  }

  /**
   * Deletes the named topics with one metadata write; one result per name, in order: null, or the
   * KafkaError refusing it (a name repeated in the list is unknown the second time).
   */
  deleteTopics(names: readonly string[]): Promise<Array<KafkaError | null>> {
    return this.exclusive(() => this.deleteTopicsNow(names));
  }

  private async deleteTopicsNow(names: readonly string[]): Promise<Array<KafkaError | null>> {
    const results: Array<KafkaError | null> = names.map(() => null);
    const victims: Array<{ index: number; topic: Topic }> = [];
    const chosen = new Set<string>();
    names.forEach((name, index) => {
      const topic = this.store.get(name);
      if (!topic || chosen.has(name)) results[index] = new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, 'This server does not host this topic-partition.');
      else if (!this.config.bool('delete.topic.enable')) results[index] = new KafkaError(ErrorCode.TOPIC_DELETION_DISABLED, 'Topic deletion is disabled.');
      else if (isBrokerStateTopic(name)) results[index] = new KafkaError(ErrorCode.INVALID_TOPIC_EXCEPTION, `Topic ${name} is an internal topic holding broker state and is not allowed to be deleted.`);
      else {
        chosen.add(name);
        victims.push({ index, topic });
      }
    });
    if (victims.length === 0) return results;
    if (this.cluster) {
      // Every broker deletes its replicas' logs when its metadata image loses the topic.
      const cluster = this.cluster;
      await Promise.all(
        victims.map(async (v) => {
          try {
            await cluster.delete(v.topic.name, this.store);
            this.log.info({ topic: v.topic.name }, 'topic deleted from the cluster');
          } catch (err) {
            if (!(err instanceof KafkaError)) throw err;
            results[v.index] = err;
          }
        }),
      );
      return results;
    }
    try {
      await persisted('Deleting the topics', this.store.deleteMany(victims.map((v) => v.topic.name)));
    } catch (err) {
      for (const v of victims) results[v.index] = err as KafkaError;
      return results;
    }
    for (const { topic } of victims) {
      try {
        await this.logs.deleteTopic(topic.name);
      } catch (err) {
        // The deletion is durable and its logs are out of service; a directory left behind is
        // removed at the next start or moved aside when the name is created again.
        this.log.error({ topic: topic.name, err: (err as Error).message }, 'topic deleted, but moving its partition directories aside failed');
      }
      this.log.info({ topic: topic.name }, 'topic deleted');
      this.emit('deleted', topic);
    }
    return results;
  }

  createPartitions(name: string, count: number, assignments: number[][] | null, validateOnly: boolean): Promise<void> {
    return this.exclusive(() => this.createPartitionsNow(name, count, assignments, validateOnly));
  }

  private async createPartitionsNow(name: string, count: number, assignments: number[][] | null, validateOnly: boolean): Promise<void> {
    const topic = this.store.get(name);
    if (!topic) throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, 'This server does not host this topic-partition.');
    if (isBrokerStateTopic(name)) throw new KafkaError(ErrorCode.INVALID_TOPIC_EXCEPTION, `Cannot change the partition count of internal topic ${name}: its records are placed by partition count.`);
    if (count < topic.partitions) {
      throw new KafkaError(ErrorCode.INVALID_PARTITIONS, `The topic ${name} currently has ${topic.partitions} partition(s); ${count} would not be an increase.`);
    }
    if (count === topic.partitions) throw new KafkaError(ErrorCode.INVALID_PARTITIONS, `Topic already has ${topic.partitions} partition(s).`);
    if (!topic.internal) {
      checkPartitionsPerTopic(this.config, count);
      checkPartitionsOnBroker(this.config, this.store.partitionCount(), count - topic.partitions);
    }
    if (assignments) {
      if (assignments.length !== count - topic.partitions) {
        throw new KafkaError(ErrorCode.INVALID_REPLICA_ASSIGNMENT, `Increasing the number of partitions by ${count - topic.partitions} but ${assignments.length} assignments provided.`);
      }
      // A cluster checks the brokers against the registered ones (cluster/topic-store.ts).
      if (!this.cluster) for (const a of assignments) for (const b of a) if (b !== this.nodeId) throw new KafkaError(ErrorCode.INVALID_REPLICA_ASSIGNMENT, `Unknown broker ${b} in replica assignment`);
    }
    if (this.cluster) return this.cluster.createPartitions(name, count, assignments, validateOnly, this.store);
    if (validateOnly) return;
    const cfg = this.logConfig(topic);
    try {
      await this.logs.createFresh(Array.from({ length: count - topic.partitions }, (_, i) => ({ topic: name, partition: topic.partitions + i, config: cfg })));
    } catch (err) {
      throw new KafkaError(ErrorCode.KAFKA_STORAGE_ERROR, `Creating the logs of ${name} failed: ${(err as Error).message}`);
    }
    await persisted(`Recording the partitions of ${name}`, this.store.setPartitions(name, count));
    this.emit('partitions', topic);
  }

  /** Replaces the topic's overrides (AlterConfigs) — validation first, nothing applied on error. */
  setConfigs(name: string, raw: Array<[string, string | null]>, validateOnly: boolean): Promise<void> {
    return this.exclusive(() => this.setConfigsNow(name, raw, validateOnly));
  }

  private async setConfigsNow(name: string, raw: Array<[string, string | null]>, validateOnly: boolean): Promise<void> {
    const topic = this.store.get(name);
    if (!topic) throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, 'This server does not host this topic-partition.');
    checkConfigSizes(this.config, raw);
    let configs: Map<string, ConfigValue>;
    try {
      configs = parseTopicConfigs(raw.filter(([, v]) => v !== null));
    } catch (err) {
      if (err instanceof ConfigError) throw new KafkaError(ErrorCode.INVALID_CONFIG, err.message);
      throw err;
    }
    checkStateTopicConfigs(name, configs, this.config);
    if (validateOnly) return;
    // A cluster applies the new configs (logs, events) when the metadata image brings them back.
    if (this.cluster) return this.cluster.setConfigs(name, formatConfigs(configs));
    await persisted(`Recording the configs of ${name}`, this.store.setConfigs(name, configs));
    this.applyLogConfig(topic);
    this.emit('configs', topic);
  }

  /** Applies the dynamic broker overrides stored by an earlier run (at startup). */
  loadBrokerConfigs(): void {
    for (const perBroker of [false, true]) {
      const stored = perBroker ? this.store.brokerConfigs.node : this.store.brokerConfigs.default;
      for (const [k, v] of Object.entries(stored)) {
        try {
          this.config.setDynamic(k, v, perBroker);
        } catch (err) {
          this.log.warn({ key: k, err: (err as Error).message }, 'ignoring a stored dynamic broker config');
        }
      }
    }
  }

  /** Replaces the dynamic broker overrides (cluster default or this node), validated first. */
  setBrokerConfigs(perBroker: boolean, values: ReadonlyMap<string, string>, validateOnly: boolean): Promise<void> {
    return this.exclusive(() => this.setBrokerConfigsNow(perBroker, values, validateOnly));
  }

  private async setBrokerConfigsNow(perBroker: boolean, values: ReadonlyMap<string, string>, validateOnly: boolean): Promise<void> {
    checkConfigSizes(this.config, values);
    validateBrokerOverrides(values);
    if (validateOnly) return;
    // A cluster applies them on every broker when the metadata image brings them back.
    if (this.cluster) {
      await this.cluster.setBrokerConfigs(perBroker, Object.fromEntries(values));
      return;
    }
    // Stored first: a failed write leaves the running config as it was.
    await persisted('Recording the broker configs', this.store.setBrokerConfigs(perBroker, Object.fromEntries(values)));
    this.applyBrokerConfigs(perBroker, values);
  }

  /** One group's config overrides (GROUP resources; a cluster's in etcd); undefined when none. */
  groupConfigs(group: string): ReadonlyMap<string, string> | undefined {
    return this.cluster ? this.cluster.groupConfigs(group) : this.store.groupConfigs.get(group);
  }

  groupConfigCount(): number {
    return this.cluster ? this.cluster.groupConfigCount() : this.store.groupConfigs.size;
  }

  groupConfigIds(): string[] {
    return this.cluster ? this.cluster.groupConfigIds() : [...this.store.groupConfigs.keys()];
  }

  /**
   * Replaces a group's config overrides with what `next` (admin/group-configs.ts) makes of the
   * current ones, in the exclusive section (two alters never compute from the same state). A cluster
   * writes etcd by compare-and-swap (other brokers write too); one node, its metadata file.
   */
  updateGroupConfigs(group: string, next: (current: ReadonlyMap<string, string> | undefined) => ReadonlyMap<string, string> | null): Promise<void> {
    const cluster = this.cluster;
    if (cluster) return this.exclusive(() => cluster.updateGroupConfigs(group, next));
    return this.exclusive(async () => {
      const values = next(this.store.groupConfigs.get(group));
      if (values === null) return;
      await persisted('Recording the group configs', this.store.setGroupConfigs(group, Object.fromEntries(values)));
    });
  }

  /** Makes the running config's dynamic overrides (cluster default or this node) equal to `values`. */
  private applyBrokerConfigs(perBroker: boolean, values: ReadonlyMap<string, string>): void {
    const config = this.config;
    const current = config.dynamicOverrides(perBroker);
    if (current.size === values.size && [...values].every(([k, v]) => String(current.get(k)) === v)) return;
    for (const key of [...current.keys()]) if (!values.has(key)) config.setDynamic(key, null, perBroker);
    for (const [key, value] of values) {
      try {
        config.setDynamic(key, value, perBroker);
      } catch (err) {
        this.log.warn({ key, err: (err as Error).message }, 'ignoring a dynamic broker config');
      }
    }
    this.log.level = config.string('logger.level') ?? 'info';
    this.settingsCache.clear();
    for (const t of this.store.all()) this.applyLogConfig(t);
  }

  /**
   * Cluster mode: makes the topic list (and the dynamic broker configs) equal to the metadata
   * image. Returns a function that emits the topic events the change implies: the broker calls it
   * once the replica manager has applied the same image, so listeners see the partitions too.
   */
  applyClusterImage(image: ClusterImage): () => void {
    const cluster = this.cluster!;
    const events = cluster.mirror(this.store, image);
    const dynamic = cluster.brokerConfigs(image);
    this.applyBrokerConfigs(false, new Map(Object.entries(dynamic.default)));
    this.applyBrokerConfigs(true, new Map(Object.entries(dynamic.node)));
    if (events.length > 0) this.settingsCache.clear();
    // Logs already here (loaded at startup with the broker's defaults) get their topic's configs.
    for (const [event, topic] of events) if (event === 'configs' || event === 'created') this.applyLogConfig(topic);
    return () => {
      for (const [event, topic] of events) this.emit(event, topic);
    };
  }

  /** Pushes the topic's resolved configs to its partition logs (after topic or broker changes). */
  applyLogConfig(topic: Topic): void {
    const cfg = this.logConfig(topic);
    for (let p = 0; p < topic.partitions; p++) this.logs.get(topic.name, p)?.updateConfig(cfg);
  }
}

/** Awaits a topic-store write; a failure (ENOSPC, EIO...) becomes KAFKA_STORAGE_ERROR, nothing changed. */
async function persisted<T>(what: string, write: Promise<T>): Promise<T> {
  try {
    return await write;
  } catch (err) {
    throw new KafkaError(ErrorCode.KAFKA_STORAGE_ERROR, `${what} failed: ${(err as Error).message}`);
  }
}

function toLogConfig(get: (key: string) => ConfigValue): LogConfig {
  const policy = get('cleanup.policy');
  const list = Array.isArray(policy) ? policy : [String(policy)];
  return {
    segmentBytes: num(get('segment.bytes')),
    segmentMs: num(get('segment.ms')),
    segmentIndexBytes: num(get('segment.index.bytes')),
    indexIntervalBytes: num(get('index.interval.bytes')),
    retentionMs: num(get('retention.ms')),
    retentionBytes: num(get('retention.bytes')),
    cleanupPolicy: { delete: list.includes('delete'), compact: list.includes('compact') },
    flushMessages: num(get('flush.messages')),
    flushMs: num(get('flush.ms')),
    deleteRetentionMs: num(get('delete.retention.ms')),
    minCompactionLagMs: num(get('min.compaction.lag.ms')),
    maxCompactionLagMs: num(get('max.compaction.lag.ms')),
    minCleanableDirtyRatio: num(get('min.cleanable.dirty.ratio')),
    fileDeleteDelayMs: num(get('file.delete.delay.ms')),
    messageTimestampType: get('message.timestamp.type') === 'LogAppendTime' ? 'LogAppendTime' : 'CreateTime',
  };
}
