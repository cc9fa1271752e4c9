/**
 * Topic configuration: the one function that resolves a topic's effective configs from its
 * overrides, the broker's values for the synonym keys, and the defaults — with the source of each
 * value, as DescribeConfigs reports it.
 */
import type { BrokerConfig } from './broker-config.js';
import { ConfigSource } from './broker-config.js';
import { TOPIC_CONFIGS, TOPIC_CONFIG_BY_NAME, type ConfigValue } from './definitions.js';
import { ConfigError, parseValue } from './values.js';

export interface ResolvedConfig {
  name: string;
  value: ConfigValue;
  source: number;
  synonyms: Array<{ name: string; value: ConfigValue; source: number }>;
}

/** Broker keys whose value feeds a topic key (most specific first), beyond the plain synonym. */
const DERIVED_SYNONYMS: Record<string, string[]> = {
  'retention.ms': ['log.retention.ms', 'log.retention.minutes', 'log.retention.hours'],
  'segment.ms': ['log.roll.ms', 'log.roll.hours'],
};

const UNIT: Record<string, number> = { 'log.retention.minutes': 60000, 'log.retention.hours': 3600000, 'log.roll.hours': 3600000 };

/** Parses and validates topic overrides; unknown keys and bad values throw ConfigError. */
export function parseTopicConfigs(raw: Iterable<[string, string | null]>): Map<string, ConfigValue> {
  const out = new Map<string, ConfigValue>();
  for (const [key, value] of raw) {
    const def = TOPIC_CONFIG_BY_NAME.get(key);
    if (!def) throw new ConfigError(key, `Unknown topic config name: ${key}`);
    if (value === null) throw new ConfigError(key, `Null value not supported for topic configs: ${key}`);
    out.set(key, parseValue(def, value));
  }
  return out;
}

export function resolveTopicConfig(key: string, overrides: ReadonlyMap<string, ConfigValue>, broker: BrokerConfig): ResolvedConfig {
  const def = TOPIC_CONFIG_BY_NAME.get(key);
  if (!def) throw new Error(`no such topic config ${key}`);
  // Candidates for the value, in precedence order (each broker key at every layer, the most
  // specific key first), in the topic key's unit.
  const candidates: ResolvedConfig['synonyms'] = [];
  if (overrides.has(key)) candidates.push({ name: key, value: overrides.get(key)!, source: ConfigSource.DYNAMIC_TOPIC_CONFIG });
  const brokerKeys = DERIVED_SYNONYMS[key] ?? (def.brokerSynonym ? [def.brokerSynonym] : []);
  const brokerSynonyms: ResolvedConfig['synonyms'] = [];
  for (const bk of brokerKeys) {
    for (const s of broker.synonyms(bk)) {
      if (s.value === null) continue;
      const unit = UNIT[bk] ?? 1;
      candidates.push({ name: s.name, value: typeof s.value === 'number' && unit !== 1 ? s.value * unit : s.value, source: s.source });
      brokerSynonyms.push(s);
    }
  }
  // The synonyms as Kafka reports them: the broker keys' own values (log.retention.hours=168, not
  // in ms), layer by layer (dynamic broker, dynamic default, static, default), starting at the
  // first entry of the primary broker key — Kafka drops the entries before it, so retention.ms
  // lists no broker synonym unless log.retention.ms itself is set somewhere.
  const ordered = brokerSynonyms.map((s, i) => [s, i] as const).sort((a, b) => a[0].source - b[0].source || a[1] - b[1]).map(([s]) => s);
  const first = ordered.findIndex((s) => s.name === brokerKeys[0]);
  const synonyms = [...candidates.filter((s) => s.source === ConfigSource.DYNAMIC_TOPIC_CONFIG), ...(first < 0 ? [] : ordered.slice(first))];
  // The first non-default candidate wins; then the broker default; then the topic default.
  const chosen = candidates.find((s) => s.source !== ConfigSource.DEFAULT_CONFIG) ?? candidates[0];
  if (chosen) return { name: key, value: chosen.value, source: chosen.source, synonyms };
  return { name: key, value: def.default, source: ConfigSource.DEFAULT_CONFIG, synonyms };
}

export function resolveAllTopicConfigs(overrides: ReadonlyMap<string, ConfigValue>, broker: BrokerConfig): ResolvedConfig[] {
  return TOPIC_CONFIGS.map((d) => resolveTopicConfig(d.name, overrides, broker));
}

/** Effective value of one key, as a plain value. */
export function topicValue(key: string, overrides: ReadonlyMap<string, ConfigValue>, broker: BrokerConfig): ConfigValue {
  return resolveTopicConfig(key, overrides, broker).value;
}
