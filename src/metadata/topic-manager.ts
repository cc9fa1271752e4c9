/**
 * Topic lifecycle on one broker: validation (Kafka's rules and messages), the durable topic list
 * (TopicStore) and the partition logs (LogManager) kept in step, topic configs resolved into the
 * storage engine's LogConfig.
 *
 * Crash safety: a topic is recorded before its logs are created and forgotten before its logs are
 * deleted; `reconcile()` at startup finishes whichever half a crash interrupted.
 */
import type { Broker } from '../broker.js';
import type { BrokerConfig } from '../config/broker-config.js';
import type { ConfigValue } from '../config/definitions.js';
import { parseTopicConfigs, topicValue } from '../config/topic-config.js';
import { ConfigError } from '../config/values.js';
import { ErrorCode, KafkaError } from '../../protocol/errors.js';
import type { LogConfig } from '../../storage/log-config.js';
import type { PartitionLog } from '../../storage/partition-log.js';
import type { Topic, TopicStore } from './topic-store.js';
import { validateBrokerOverrides } from '../admin/configs.js';
import { topicSchemaPolicy, type TopicSchemaPolicy } from '../schema/validation.js';

export const MAX_TOPIC_NAME_LENGTH = 249;
export const CONSUMER_OFFSETS_TOPIC = '__consumer_offsets';
export const TRANSACTION_STATE_TOPIC = '__transaction_state';
export const INTERNAL_TOPICS = new Set([CONSUMER_OFFSETS_TOPIC, TRANSACTION_STATE_TOPIC]);

/** Kafka's topic name rules, with its messages. Returns null when valid. */
export function topicNameProblem(name: string): string | null {
  if (name.length === 0) return "Topic name is illegal, it can't be empty";
  if (name === '.' || name === '..') return 'Topic name cannot be "." or ".."';
  if (name.length > MAX_TOPIC_NAME_LENGTH) return `Topic name is illegal, it can't be longer than ${MAX_TOPIC_NAME_LENGTH} characters, topic name: ${name}`;
  if (!/^[a-zA-Z0-9._-]+$/.test(name)) return `Topic name "${name}" is illegal, it contains a character other than ASCII alphanumerics, '.', '_' and '-'`;
  return null;
}

function collisionKey(name: string): string {
  return name.replace(/\./g, '_');
}

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

type TopicListener = (event: 'created' | 'deleted' | 'partitions' | 'configs', topic: Topic) => void;

export class TopicManager {
  private readonly listeners: TopicListener[] = [];
  private readonly settingsCache = new Map<string, TopicSettings>();

  constructor(
    private readonly broker: Broker,
    private readonly store: TopicStore,
  ) {}

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
    return this.broker.logs.get(topic, partition);
  }

  logConfig(topic: Topic): LogConfig {
    return toLogConfig((key) => topicValue(key, topic.configs, this.broker.config));
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
        maxDecompressedBytes: this.broker.config.int('runnel.produce.max.decompressed.bytes'),
        schemaValidation: topicSchemaPolicy(topic.name, (key) => this.configValue(topic, key)),
      };
      this.settingsCache.set(topic.name, s);
    }
    return s;
  }

  configValue(topic: Topic, key: string): ConfigValue {
    return topicValue(key, topic.configs, this.broker.config);
  }

  /** Creates missing logs of known topics and removes logs of topics that no longer exist. */
  async reconcile(): Promise<void> {
    const known = new Set<string>();
    for (const t of this.store.all()) {
      known.add(t.name);
      const cfg = this.logConfig(t);
      for (let p = 0; p < t.partitions; p++) {
        const existing = this.broker.logs.get(t.name, p);
        if (existing) existing.updateConfig(cfg);
        else await this.broker.logs.create(t.name, p, cfg);
      }
    }
    const orphans = new Set<string>();
    for (const log of this.broker.logs.partitions()) if (!known.has(log.topic)) orphans.add(log.topic);
    for (const name of orphans) {
      this.broker.log.warn({ topic: name }, 'removing partition logs of a topic that no longer exists');
      await this.broker.logs.deleteTopic(name);
    }
  }

  /** Validates and (unless validateOnly) creates a topic. Throws KafkaError with Kafka's code and message. */
  async create(name: string, opts: CreateTopicOptions): Promise<Topic | null> {
    const problem = topicNameProblem(name);
    if (problem) throw new KafkaError(ErrorCode.INVALID_TOPIC_EXCEPTION, problem);
    if (this.store.get(name)) throw new KafkaError(ErrorCode.TOPIC_ALREADY_EXISTS, `Topic '${name}' already exists.`);
    if (INTERNAL_TOPICS.has(name) && !opts.internal) throw new KafkaError(ErrorCode.INVALID_REQUEST, `Creation of internal topic ${name} is prohibited.`);
    const clash = [...this.store.all()].find((t) => collisionKey(t.name) === collisionKey(name));
    if (clash) throw new KafkaError(ErrorCode.INVALID_TOPIC_EXCEPTION, `Topic '${name}' collides with existing topic: ${clash.name}`);

    let partitions = opts.partitions;
    let replication = opts.replicationFactor;
    if (opts.assignments && opts.assignments.length > 0) {
      if (partitions !== -1 || replication !== -1) {
        throw new KafkaError(ErrorCode.INVALID_REQUEST, 'Both numPartitions or replicationFactor and replicasAssignments were set. Both cannot be used at the same time.');
      }
      const sorted = [...opts.assignments].sort((a, b) => a.partitionIndex - b.partitionIndex);
      sorted.forEach((a, i) => {
        if (a.partitionIndex !== i) throw new KafkaError(ErrorCode.INVALID_REPLICA_ASSIGNMENT, 'Partitions should be a consecutive 0-based integer sequence');
        if (a.brokerIds.length === 0) throw new KafkaError(ErrorCode.INVALID_REPLICA_ASSIGNMENT, `Replica assignment for partition ${i} is empty`);
        for (const b of a.brokerIds) {
          if (b !== this.broker.nodeId) throw new KafkaError(ErrorCode.INVALID_REPLICA_ASSIGNMENT, `Unknown broker ${b} in replica assignment for partition ${i}`);
        }
        if (new Set(a.brokerIds).size !== a.brokerIds.length) throw new KafkaError(ErrorCode.INVALID_REPLICA_ASSIGNMENT, `Duplicate brokers in replica assignment for partition ${i}`);
      });
      partitions = sorted.length;
      replication = sorted[0]!.brokerIds.length;
    }
    if (partitions === -1) partitions = this.broker.config.int('num.partitions');
    if (replication === -1) replication = this.broker.config.int('default.replication.factor');
    if (partitions <= 0) throw new KafkaError(ErrorCode.INVALID_PARTITIONS, 'Number of partitions must be larger than 0.');
    if (replication <= 0) throw new KafkaError(ErrorCode.INVALID_REPLICATION_FACTOR, 'Replication factor must be larger than 0.');
    if (replication > 1) {
      throw new KafkaError(
        ErrorCode.INVALID_REPLICATION_FACTOR,
        `Unable to replicate the partition ${replication} time(s): The target replication factor of ${replication} cannot be reached because only 1 broker(s) are registered or some brokers have all their log directories cordoned.`,
      );
    }
    let configs: Map<string, ConfigValue>;
    try {
      configs = parseTopicConfigs(opts.configs);
    } catch (err) {
      if (err instanceof ConfigError) throw new KafkaError(ErrorCode.INVALID_CONFIG, err.message);
      throw err;
    }
    if (opts.validateOnly) return null;
    const topic = await this.store.create(name, partitions, configs, opts.internal ?? false);
    const cfg = this.logConfig(topic);
    try {
      for (let p = 0; p < partitions; p++) await this.broker.logs.create(name, p, cfg);
    } catch (err) {
      throw new KafkaError(ErrorCode.KAFKA_STORAGE_ERROR, `Creating the logs of ${name} failed: ${(err as Error).message}`);
    }
    this.broker.log.info({ topic: name, partitions, configs: opts.configs.length }, 'topic created');
    this.emit('created', topic);
    return topic;
  }

  async delete(name: string): Promise<void> {
    const topic = this.store.get(name);
    if (!topic) throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, 'This server does not host this topic-partition.');
    if (!this.broker.config.bool('delete.topic.enable')) throw new KafkaError(ErrorCode.TOPIC_DELETION_DISABLED, 'Topic deletion is disabled.');
    await this.store.delete(name);
    await this.broker.logs.deleteTopic(name);
    this.broker.log.info({ topic: name }, 'topic deleted');
    this.emit('deleted', topic);
  }

  async createPartitions(name: string, count: number, assignments: number[][] | null, validateOnly: boolean): Promise<void> {
    const topic = this.store.get(name);
    if (!topic) throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, 'This server does not host this topic-partition.');
    if (count < topic.partitions) {
      throw new KafkaError(ErrorCode.INVALID_PARTITIONS, `The topic ${name} currently has ${topic.partitions} partition(s); ${count} would not be an increase.`);
    }
    if (count === topic.partitions) throw new KafkaError(ErrorCode.INVALID_PARTITIONS, `Topic already has ${topic.partitions} partition(s).`);
    if (assignments) {
      if (assignments.length !== count - topic.partitions) {
        throw new KafkaError(ErrorCode.INVALID_REPLICA_ASSIGNMENT, `Increasing the number of partitions by ${count - topic.partitions} but ${assignments.length} assignments provided.`);
      }
      for (const a of assignments) for (const b of a) if (b !== this.broker.nodeId) throw new KafkaError(ErrorCode.INVALID_REPLICA_ASSIGNMENT, `Unknown broker ${b} in replica assignment`);
    }
    if (validateOnly) return;
    const cfg = this.logConfig(topic);
    for (let p = topic.partitions; p < count; p++) if (!this.broker.logs.get(name, p)) await this.broker.logs.create(name, p, cfg);
    await this.store.setPartitions(name, count);
    this.emit('partitions', topic);
  }

  /** Replaces the topic's overrides (AlterConfigs) — validation first, nothing applied on error. */
  async setConfigs(name: string, raw: Array<[string, string | null]>, validateOnly: boolean): Promise<void> {
    const topic = this.store.get(name);
    if (!topic) throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, 'This server does not host this topic-partition.');
    let configs: Map<string, ConfigValue>;
    try {
      configs = parseTopicConfigs(raw.filter(([, v]) => v !== null));
    } catch (err) {
      if (err instanceof ConfigError) throw new KafkaError(ErrorCode.INVALID_CONFIG, err.message);
      throw err;
    }
    if (validateOnly) return;
    await this.store.setConfigs(name, configs);
    this.applyLogConfig(topic);
    this.emit('configs', topic);
  }

  /** Applies the dynamic broker overrides stored by an earlier run (at startup). */
  loadBrokerConfigs(): void {
    for (const perBroker of [false, true]) {
      const stored = perBroker ? this.store.brokerConfigs.node : this.store.brokerConfigs.default;
      for (const [k, v] of Object.entries(stored)) {
        try {
          this.broker.config.setDynamic(k, v, perBroker);
        } catch (err) {
          this.broker.log.warn({ key: k, err: (err as Error).message }, 'ignoring a stored dynamic broker config');
        }
      }
    }
  }

  /** Replaces the dynamic broker overrides (cluster default or this node), validated first. */
  async setBrokerConfigs(perBroker: boolean, values: ReadonlyMap<string, string>, validateOnly: boolean): Promise<void> {
    validateBrokerOverrides(values);
    if (validateOnly) return;
    const config = this.broker.config;
    for (const key of [...config.dynamicOverrides(perBroker).keys()]) if (!values.has(key)) config.setDynamic(key, null, perBroker);
    for (const [key, value] of values) config.setDynamic(key, value, perBroker);
    await this.store.setBrokerConfigs(perBroker, Object.fromEntries(values));
    this.broker.log.level = config.string('logger.level') ?? 'info';
    this.settingsCache.clear();
    for (const t of this.store.all()) this.applyLogConfig(t);
  }

  /** Pushes the topic's resolved configs to its partition logs (after topic or broker changes). */
  applyLogConfig(topic: Topic): void {
    const cfg = this.logConfig(topic);
    for (let p = 0; p < topic.partitions; p++) this.broker.logs.get(topic.name, p)?.updateConfig(cfg);
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
