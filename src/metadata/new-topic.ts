/**
 * Kafka's checks of a new topic (CreateTopics, auto-creation, the broker's internal topics), with
 * Kafka's error codes and messages: the name, existence and name collisions, the partition count
 * and replication factor (or manual assignments), and the configs. TopicManager runs them before
 * anything is written.
 *
 * Where the brokers are checked depends on the mode: a single node refuses a replication factor
 * above 1 and assignments naming another broker here; in a cluster the topic store
 * (cluster/topic-store.ts) checks them against the live brokers in etcd, so this module passes
 * them through.
 */
import type { BrokerConfig } from '../config/broker-config.js';
import type { ConfigValue } from '../config/definitions.js';
import { parseTopicConfigs, topicValue } from '../config/topic-config.js';
import { ConfigError } from '../config/values.js';
import { ErrorCode, KafkaError } from '../../protocol/errors.js';
import { CONSUMER_OFFSETS_TOPIC, TRANSACTION_STATE_TOPIC, isBrokerStateTopic, isCompactOnly } from '../data/internal-topic.js';
import { checkConfigSizes, checkPartitionsPerTopic } from './topic-limits.js';
import { type TopicStore, collisionKey } from './topic-store.js';

export const MAX_TOPIC_NAME_LENGTH = 249;
/** Kafka's internal topics: clients may not create them (Runnel's broker-state topics: data/internal-topic.ts). */
export const INTERNAL_TOPICS = new Set([CONSUMER_OFFSETS_TOPIC, TRANSACTION_STATE_TOPIC]);

/** Kafka's topic name rules, with its messages. Returns null when valid. */
export function topicNameProblem(name: string): string | null {
  if (name.length === 0) return "Topic name is illegal, it can't be empty";
  if (name === '.' || name === '..') return 'Topic name cannot be "." or ".."';
  if (name.length > MAX_TOPIC_NAME_LENGTH) return `Topic name is illegal, it can't be longer than ${MAX_TOPIC_NAME_LENGTH} characters, topic name: ${name}`;
  if (!/^[a-zA-Z0-9._-]+$/.test(name)) return `Topic name "${name}" is illegal, it contains a character other than ASCII alphanumerics, '.', '_' and '-'`;
  return null;
}

/** One topic of a CreateTopics request (or of an auto-creation). */
export interface TopicCreation {
  name: string;
  partitions: number;
  replicationFactor: number;
  /** Manual assignment: partition index → broker ids. */
  assignments?: Array<{ partitionIndex: number; brokerIds: number[] }>;
  configs: Array<[string, string | null]>;
  internal?: boolean;
}

export interface ValidatedTopic {
  partitions: number;
  /** ≥ 1 (a cluster replaces an internal topic's with its configured one, capped at the live brokers). */
  replicationFactor: number;
  /** The manual assignment as replica lists, partition 0 first; null when none was given. */
  assignments: number[][] | null;
  configs: Map<string, ConfigValue>;
}

export interface ValidationContext {
  store: TopicStore;
  config: BrokerConfig;
  nodeId: number;
  /** True in a cluster: replication factor and assignments are checked against the live brokers later. */
  cluster: boolean;
  /** Names taken by the topics accepted earlier in the same request, by collision key. */
  taken: ReadonlyMap<string, string>;
}

/** Kafka's checks of a new topic; returns what it will be created with, or throws KafkaError. */
export function validateNewTopic(r: TopicCreation, v: ValidationContext): ValidatedTopic {
  const { store, config } = v;
  const name = r.name;
  const problem = topicNameProblem(name);
  if (problem) throw new KafkaError(ErrorCode.INVALID_TOPIC_EXCEPTION, problem);
  if (store.get(name) || v.taken.get(collisionKey(name)) === name) throw new KafkaError(ErrorCode.TOPIC_ALREADY_EXISTS, `Topic '${name}' already exists.`);
  if (INTERNAL_TOPICS.has(name) && !r.internal) throw new KafkaError(ErrorCode.INVALID_REQUEST, `Creation of internal topic ${name} is prohibited.`);
  const clash = v.taken.get(collisionKey(name)) ?? store.collidingName(name);
  if (clash !== undefined) throw new KafkaError(ErrorCode.INVALID_TOPIC_EXCEPTION, `Topic '${name}' collides with existing topic: ${clash}`);

  let partitions = r.partitions;
  let replication = r.replicationFactor;
  let assignments: number[][] | null = null;
  if (r.assignments && r.assignments.length > 0) {
    if (partitions !== -1 || replication !== -1) {
      throw new KafkaError(ErrorCode.INVALID_REQUEST, 'Both numPartitions or replicationFactor and replicasAssignments were set. Both cannot be used at the same time.');
    }
    if (!r.internal) checkPartitionsPerTopic(config, r.assignments.length);
    const sorted = [...r.assignments].sort((a, b) => a.partitionIndex - b.partitionIndex);
    sorted.forEach((a, i) => {
      if (a.partitionIndex !== i) throw new KafkaError(ErrorCode.INVALID_REPLICA_ASSIGNMENT, 'Partitions should be a consecutive 0-based integer sequence');
      if (a.brokerIds.length === 0) throw new KafkaError(ErrorCode.INVALID_REPLICA_ASSIGNMENT, `Replica assignment for partition ${i} is empty`);
      if (!v.cluster) {
        for (const b of a.brokerIds) {
          if (b !== v.nodeId) throw new KafkaError(ErrorCode.INVALID_REPLICA_ASSIGNMENT, `Unknown broker ${b} in replica assignment for partition ${i}`);
        }
      }
      if (new Set(a.brokerIds).size !== a.brokerIds.length) throw new KafkaError(ErrorCode.INVALID_REPLICA_ASSIGNMENT, `Duplicate brokers in replica assignment for partition ${i}`);
    });
    partitions = sorted.length;
    replication = sorted[0]!.brokerIds.length;
    assignments = sorted.map((a) => a.brokerIds);
  }
  if (partitions === -1) partitions = config.int('num.partitions');
  if (replication === -1) replication = config.int('default.replication.factor');
  if (partitions <= 0) throw new KafkaError(ErrorCode.INVALID_PARTITIONS, 'Number of partitions must be larger than 0.');
  if (!r.internal) checkPartitionsPerTopic(config, partitions);
  if (replication <= 0) throw new KafkaError(ErrorCode.INVALID_REPLICATION_FACTOR, 'Replication factor must be larger than 0.');
  if (replication > 1 && !v.cluster) {
    throw new KafkaError(
      ErrorCode.INVALID_REPLICATION_FACTOR,
      `Unable to replicate the partition ${replication} time(s): The target replication factor of ${replication} cannot be reached because only 1 broker(s) are registered or some brokers have all their log directories cordoned.`,
    );
  }
  checkConfigSizes(config, r.configs);
  let configs: Map<string, ConfigValue>;
  try {
    configs = parseTopicConfigs(r.configs);
  } catch (err) {
    if (err instanceof ConfigError) throw new KafkaError(ErrorCode.INVALID_CONFIG, err.message);
    throw err;
  }
  checkStateTopicConfigs(name, configs, config);
  return { partitions, replicationFactor: replication, assignments, configs };
}

/** A broker-state topic (e.g. `_schemas` created by a client) must stay compacted. */
export function checkStateTopicConfigs(name: string, configs: ReadonlyMap<string, ConfigValue>, config: BrokerConfig): void {
  if (!isBrokerStateTopic(name)) return;
  const policy = topicValue('cleanup.policy', configs, config);
  if (!isCompactOnly(policy)) {
    throw new KafkaError(ErrorCode.INVALID_CONFIG, `Internal topic ${name} holds broker state and must have cleanup.policy=compact (got ${Array.isArray(policy) ? policy.join(',') : String(policy)}).`);
  }
}
