/**
 * The configs port: describing and altering topic and broker configs (DescribeConfigs,
 * AlterConfigs, IncrementalAlterConfigs, and CreateTopics v5+ answering with the new topic's
 * configs). ConfigAdmin (configs.ts) implements it.
 */
import type { ConfigChange, DescribeResult } from './configs.js';

export type { ConfigChange, DescribeResult };

export interface ConfigsPort {
  /** One resource (ResourceType code and name); `keys` null or empty for every key. */
  describe(type: number, name: string, keys: readonly string[] | null): DescribeResult;
  describeTopic(name: string, keys: readonly string[] | null): DescribeResult;
  /** Applies (or with validateOnly only checks) the changes; throws KafkaError when refused. */
  alter(type: number, name: string, changes: readonly ConfigChange[], incremental: boolean, validateOnly: boolean): Promise<void>;
  /** The groups that have GROUP config overrides (ListConfigResources lists these, as Kafka's GroupConfigManager). */
  configuredGroups(): string[];
}
