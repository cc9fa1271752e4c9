/**
 * Describing and altering configs of topics, brokers and groups (admin/group-configs.ts), shared by DescribeConfigs, AlterConfigs,
 * IncrementalAlterConfigs and CreateTopics (v5+ returns the new topic's configs).
 *
 * Sources follow Kafka: a topic override is DYNAMIC_TOPIC_CONFIG; otherwise the topic key takes
 * the broker synonym's source (STATIC_BROKER_CONFIG from server.properties/env/flags,
 * DYNAMIC_*_BROKER_CONFIG from AlterConfigs) or DEFAULT_CONFIG.
 */
import { BROKER_CONFIGS, BROKER_CONFIG_BY_NAME, TOPIC_CONFIG_BY_NAME, TOPIC_CONFIGS, type ConfigDef, type ConfigType } from '../config/definitions.js';
import { ConfigSource, type BrokerConfig } from '../config/broker-config.js';
import { resolveTopicConfig } from '../config/topic-config.js';
import { formatValue } from '../config/values.js';
import { ErrorCode, KafkaError } from '../../protocol/errors.js';
import { checkConfigSizes } from '../metadata/topic-limits.js';
import type { TopicConfigs, TopicsPort } from '../metadata/port.js';
import type { ConfigsPort } from './port.js';
import { alterGroupConfigs, describeGroupConfigs } from './group-configs.js';

/** What describing and altering configs uses of the broker. */
export interface ConfigAdminDeps {
  readonly nodeId: number;
  /** The full broker config: sources, synonyms and dynamic overrides are described too. */
  readonly config: BrokerConfig;
  readonly topics: Pick<TopicsPort, 'get'> & Pick<TopicConfigs, 'setConfigs' | 'setBrokerConfigs' | 'groupConfigs' | 'updateGroupConfigs' | 'groupConfigCount' | 'groupConfigIds'>;
}

export const ResourceType = { UNKNOWN: 0, ANY: 1, TOPIC: 2, GROUP: 3, BROKER: 4, CLUSTER: 4, BROKER_LOGGER: 8, GROUP_CONFIG: 32 } as const;

/** AlterConfigOp types of IncrementalAlterConfigs. */
export const AlterOp = { SET: 0, DELETE: 1, APPEND: 2, SUBTRACT: 3 } as const;

const TYPE_CODE: Record<ConfigType | 'short', number> = { boolean: 1, string: 2, int: 3, short: 4, long: 5, double: 6, list: 7, class: 8, password: 9 };

export interface DescribedConfig {
  name: string;
  value: string | null;
  readOnly: boolean;
  source: number;
  isDefault: boolean;
  isSensitive: boolean;
  synonyms: Array<{ name: string; value: string | null; source: number }>;
  configType: number;
  documentation: string | null;
}

export interface DescribeResult {
  errorCode: number;
  errorMessage: string | null;
  configs: DescribedConfig[];
}

/** The requested keys as a set (a request may list thousands), or null for every key. */
function keyFilter(keys: readonly string[] | null): ReadonlySet<string> | null {
  return keys === null || keys.length === 0 ? null : new Set(keys);
}

function wanted(keys: ReadonlySet<string> | null, name: string): boolean {
  return keys === null || keys.has(name);
}

export function describeTopicConfigs(deps: ConfigAdminDeps, topicName: string, requestedKeys: readonly string[] | null): DescribeResult {
  const keys = keyFilter(requestedKeys);
  const topic = deps.topics.get(topicName);
  if (!topic) return { errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: `Topic ${topicName} does not exist.`, configs: [] };
  const configs: DescribedConfig[] = [];
  for (const def of TOPIC_CONFIGS) {
    if (!wanted(keys, def.name)) continue;
    const r = resolveTopicConfig(def.name, topic.configs, deps.config);
    configs.push(describe(def, r.value, r.source, false, r.synonyms));
  }
  return { errorCode: ErrorCode.NONE, errorMessage: null, configs };
}

function brokerResourceProblem(deps: ConfigAdminDeps, name: string): string | null {
  if (name === '' || name === String(deps.nodeId)) return null;
  return `Unexpected broker id, expected ${deps.nodeId} or empty string, but received ${name}`;
}

export function describeBrokerConfigs(deps: ConfigAdminDeps, name: string, requestedKeys: readonly string[] | null): DescribeResult {
  const keys = keyFilter(requestedKeys);
  const problem = brokerResourceProblem(deps, name);
  if (problem) return { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: problem, configs: [] };
  const configs: DescribedConfig[] = [];
  if (name === '') {
    // The cluster-default resource shows only the dynamic defaults, as Kafka does.
    for (const [key, value] of deps.config.dynamicOverrides(false)) {
      if (!wanted(keys, key)) continue;
      const source = ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG;
      configs.push(describe(BROKER_CONFIG_BY_NAME.get(key)!, value, source, false, [{ name: key, value, source }]));
    }
    return { errorCode: ErrorCode.NONE, errorMessage: null, configs };
  }
  for (const def of BROKER_CONFIGS) {
    if (def.undescribed || !wanted(keys, def.name)) continue;
    if (def.name === 'broker.id' && deps.config.get('broker.id') === null) {
      // Unset, broker.id is node.id, as Kafka (KRaft) reports it.
      const source = deps.config.source('node.id');
      const synonyms = source === ConfigSource.DEFAULT_CONFIG ? [] : [{ name: 'broker.id', value: deps.nodeId, source }];
      configs.push(describe(def, deps.nodeId, source, true, [...synonyms, { name: 'broker.id', value: -1, source: ConfigSource.DEFAULT_CONFIG }]));
      continue;
    }
    configs.push(describe(def, deps.config.get(def.name), deps.config.source(def.name), !def.dynamic, deps.config.synonyms(def.name)));
  }
  return { errorCode: ErrorCode.NONE, errorMessage: null, configs };
}

function describe(
  def: ConfigDef,
  value: unknown,
  source: number,
  readOnly: boolean,
  synonyms: Array<{ name: string; value: unknown; source: number }>,
): DescribedConfig {
  const sensitive = def.type === 'password';
  return {
    name: def.name,
    value: sensitive ? null : formatValue(value as never),
    readOnly,
    source,
    isDefault: source === ConfigSource.DEFAULT_CONFIG,
    isSensitive: sensitive,
    synonyms: synonyms.map((s) => ({ name: s.name, value: sensitive ? null : formatValue(s.value as never), source: s.source })),
    configType: TYPE_CODE[def.reportedType ?? def.type],
    documentation: def.doc,
  };
}

export function describeResource(deps: ConfigAdminDeps, type: number, name: string, keys: readonly string[] | null): DescribeResult {
  if (type === ResourceType.TOPIC) return describeTopicConfigs(deps, name, keys);
  if (type === ResourceType.BROKER) return describeBrokerConfigs(deps, name, keys);
  if (type === ResourceType.BROKER_LOGGER) return { errorCode: ErrorCode.NONE, errorMessage: null, configs: [] };
  if (type === ResourceType.GROUP_CONFIG) return describeGroupConfigs(deps, name, keys);
  return { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `Unsupported resource type ${type}`, configs: [] };
}

export interface ConfigChange {
  name: string;
  value: string | null;
  /** AlterOp for incremental changes; for AlterConfigs (replace all) leave undefined. */
  op?: number;
}

/** Applies SET/DELETE/APPEND/SUBTRACT to the current overrides (strings), Kafka's semantics. */
function applyIncremental(current: Map<string, string>, changes: readonly ConfigChange[], defOf: (name: string) => ConfigDef | undefined, defaultOf: (name: string) => string | null, kind = 'config'): Map<string, string> {
  const next = new Map(current);
  for (const c of changes) {
    const def = defOf(c.name);
    // Kafka 4.4: "Unknown topic config name: x" for topics.
    if (!def) throw new KafkaError(ErrorCode.INVALID_CONFIG, `Unknown ${kind} name: ${c.name}`);
    switch (c.op) {
      case AlterOp.SET:
        if (c.value === null) throw new KafkaError(ErrorCode.INVALID_REQUEST, `Null value not supported for : ${c.name}`);
        next.set(c.name, c.value);
        break;
      case AlterOp.DELETE:
        next.delete(c.name);
        break;
      case AlterOp.APPEND:
      case AlterOp.SUBTRACT: {
        if (def.type !== 'list') throw new KafkaError(ErrorCode.INVALID_CONFIG, `Config value append is not allowed for config key: ${c.name}`);
        const base = (next.get(c.name) ?? defaultOf(c.name) ?? '').split(',').map((x) => x.trim()).filter((x) => x !== '');
        const items = (c.value ?? '').split(',').map((x) => x.trim()).filter((x) => x !== '');
        // Sets: a value may list thousands of items.
        const baseSet = new Set(base);
        const itemSet = new Set(items);
        const result = c.op === AlterOp.APPEND ? [...base, ...items.filter((i) => !baseSet.has(i))] : base.filter((b) => !itemSet.has(b));
        next.set(c.name, result.join(','));
        break;
      }
      default:
        throw new KafkaError(ErrorCode.INVALID_REQUEST, `Unknown alter config operation ${c.op} for ${c.name}`);
    }
  }
  return next;
}

function checkDuplicates(changes: readonly ConfigChange[]): void {
  const seen = new Set<string>();
  for (const c of changes) {
    if (seen.has(c.name)) throw new KafkaError(ErrorCode.INVALID_REQUEST, `Error due to duplicate config keys: ${c.name}`);
    seen.add(c.name);
  }
}

export async function alterResource(deps: ConfigAdminDeps, type: number, name: string, changes: readonly ConfigChange[], incremental: boolean, validateOnly: boolean): Promise<void> {
  // Sizes first: nothing below may echo (or parse) a megabyte value.
  checkConfigSizes(deps.config, changes.map((c) => [c.name, c.value] as const));
  if (type === ResourceType.GROUP_CONFIG) return alterGroupConfigs(deps, name, changes, incremental, validateOnly);
  checkDuplicates(changes);
  if (type === ResourceType.TOPIC) {
    const topic = deps.topics.get(name);
    if (!topic) throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `Topic ${name} does not exist.`);
    let next: Map<string, string>;
    if (incremental) {
      const current = new Map([...topic.configs].map(([k, v]) => [k, formatValue(v) ?? '']));
      next = applyIncremental(current, changes, (n) => TOPIC_CONFIG_BY_NAME.get(n), (n) => formatValue(resolveTopicConfig(n, new Map(), deps.config).value), 'topic config');
    } else {
      next = new Map(changes.filter((c) => c.value !== null).map((c) => [c.name, c.value!]));
    }
    await deps.topics.setConfigs(name, [...next], validateOnly);
    return;
  }
  if (type === ResourceType.BROKER) {
    const problem = brokerResourceProblem(deps, name);
    if (problem) throw new KafkaError(ErrorCode.INVALID_REQUEST, problem);
    const perBroker = name !== '';
    const current = new Map([...deps.config.dynamicOverrides(perBroker)].map(([k, v]) => [k, formatValue(v) ?? '']));
    const next = incremental
      ? applyIncremental(current, changes, (n) => BROKER_CONFIG_BY_NAME.get(n), (n) => formatValue(deps.config.get(n)))
      : new Map(changes.filter((c) => c.value !== null).map((c) => [c.name, c.value!]));
    await deps.topics.setBrokerConfigs(perBroker, next, validateOnly);
    return;
  }
  if (type === ResourceType.BROKER_LOGGER) throw new KafkaError(ErrorCode.INVALID_REQUEST, 'Broker loggers are configured with logger.level');
  throw new KafkaError(ErrorCode.INVALID_REQUEST, `Unsupported resource type ${type}`);
}

/** The configs port over the functions above (handlers: DescribeConfigs, AlterConfigs, ...). */
export class ConfigAdmin implements ConfigsPort {
  constructor(private readonly deps: ConfigAdminDeps) {}

  describe(type: number, name: string, keys: readonly string[] | null): DescribeResult {
    return describeResource(this.deps, type, name, keys);
  }

  describeTopic(name: string, keys: readonly string[] | null): DescribeResult {
    return describeTopicConfigs(this.deps, name, keys);
  }

  alter(type: number, name: string, changes: readonly ConfigChange[], incremental: boolean, validateOnly: boolean): Promise<void> {
    return alterResource(this.deps, type, name, changes, incremental, validateOnly);
  }

  configuredGroups(): string[] {
    return this.deps.topics.groupConfigIds();
  }
}
