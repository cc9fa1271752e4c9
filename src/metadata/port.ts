/**
 * The topics port: what request handlers and subsystems use of the topic metadata (topic-manager.ts
 * implements every interface here). Split by use, so each consumer names only what it calls:
 * handlers look up, create and delete topics; coordinators also follow topic changes; the config
 * admin reads and replaces configs.
 */
import type { ConfigValue } from '../config/definitions.js';
import type { KafkaError } from '../../protocol/errors.js';
import type { CreateTopicOptions, CreationResult, TopicCreation, TopicSettings } from './topic-manager.js';
import type { Topic } from './topic-store.js';

export type { CreateTopicOptions, CreationResult, Topic, TopicCreation, TopicSettings };

export type TopicEvent = 'created' | 'deleted' | 'partitions' | 'configs';
export type TopicListener = (event: TopicEvent, topic: Topic) => void;

/** What request handlers use. */
export interface TopicsPort {
  get(name: string): Topic | undefined;
  byId(id: Buffer): Topic | undefined;
  all(): IterableIterator<Topic>;
  /** The topic's configs the produce path reads per batch (cached until a config changes). */
  settings(topic: Topic): TopicSettings;
  /** Validates every topic of one request, then (unless validateOnly) creates the valid ones; one result per topic. */
  createTopics(requests: ReadonlyArray<TopicCreation>, validateOnly: boolean): Promise<CreationResult[]>;
  /** One result per name: null, or the KafkaError refusing it. */
  deleteTopics(names: readonly string[]): Promise<Array<KafkaError | null>>;
  /** Grows the topic to `count` partitions; throws KafkaError when refused. */
  createPartitions(name: string, count: number, assignments: number[][] | null, validateOnly: boolean): Promise<void>;
}

/** Topic changes, for subsystems that keep per-topic state (offsets, transactional partitions, metrics). */
export interface TopicChanges {
  onChange(fn: TopicListener): void;
}

/** Creating one topic (internal topics, tools); throws KafkaError when refused. */
export interface TopicCreator {
  create(name: string, opts: CreateTopicOptions): Promise<Topic | null>;
}

/** Topic and dynamic broker configs (the config admin, the schema registry's topic check). */
export interface TopicConfigs {
  /** The topic's effective value of `key` (its override, else the broker's). */
  configValue(topic: Topic, key: string): ConfigValue;
  /** Replaces the topic's overrides; validation first, nothing applied on error. */
  setConfigs(name: string, raw: Array<[string, string | null]>, validateOnly: boolean): Promise<void>;
  /** Replaces the dynamic broker overrides (cluster default or this node), validated first. */
  setBrokerConfigs(perBroker: boolean, values: ReadonlyMap<string, string>, validateOnly: boolean): Promise<void>;
  /** One group's config overrides (GROUP config resources); undefined when it sets none. */
  groupConfigs(group: string): ReadonlyMap<string, string> | undefined;
  /** How many groups have config overrides. */
  groupConfigCount(): number;
  /** The ids of the groups that have config overrides (ListConfigResources' GROUP resources). */
  groupConfigIds(): string[];
  /**
   * Replaces one group's config overrides, durably, with what `next` makes of the current ones
   * (it validates, and throws KafkaError to refuse; null: write nothing, e.g. validateOnly). `next`
   * runs where no other change of the group can interleave, so concurrent alters are not lost.
   */
  updateGroupConfigs(group: string, next: (current: ReadonlyMap<string, string> | undefined) => ReadonlyMap<string, string> | null): Promise<void>;
}
