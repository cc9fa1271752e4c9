/**
 * Broker configuration: defaults < server.properties file < environment (KAFKA_ prefix) < flags
 * (or the options object of the embedding API). Unknown or invalid keys stop startup with an
 * error naming the key.
 *
 * Environment names follow the Confluent/Apache image convention: strip `KAFKA_`, then `___` → `-`,
 * `__` → `_`, `_` → `.`, lower-cased: KAFKA_LOG_RETENTION_MS → log.retention.ms.
 */
import { readFile } from 'node:fs/promises';
import { BROKER_CONFIG_BY_NAME, IGNORED_BROKER_KEYS, TLS_SECURITY_PROTOCOLS, type ConfigValue } from './definitions.js';
import { checkSaslListeners } from './sasl-configs.js';
import { ConfigError, parseValue } from './values.js';
import { ConfigReader, type ConfigView } from './view.js';
import { checkTlsConfig } from './tls-checks.js';
import { ListenerConfigView, parseListenerKey } from './listener-config.js';

/** Kafka's ConfigSource codes as DescribeConfigs reports them. */
export const ConfigSource = {
  UNKNOWN: 0,
  DYNAMIC_TOPIC_CONFIG: 1,
  DYNAMIC_BROKER_CONFIG: 2,
  DYNAMIC_DEFAULT_BROKER_CONFIG: 3,
  STATIC_BROKER_CONFIG: 4,
  DEFAULT_CONFIG: 5,
  DYNAMIC_BROKER_LOGGER_CONFIG: 6,
} as const;

export type RawConfig = Record<string, string | number | boolean | string[] | null | undefined>;

/** Environment variables Kafka's own scripts use; they are not broker configs. */
const SCRIPT_ENV = new Set(['HEAP_OPTS', 'OPTS', 'JVM_PERFORMANCE_OPTS', 'LOG4J_OPTS', 'GC_LOG_OPTS', 'JMX_OPTS', 'DEBUG', 'CLUSTER_ID', 'LOG4J_LOGGERS', 'LOG4J_ROOT_LOGLEVEL', 'TOOLS_LOG4J_LOGLEVEL']);

export function envKeyToConfigKey(envName: string): string | null {
  if (!envName.startsWith('KAFKA_')) return null;
  const rest = envName.slice(6);
  if (SCRIPT_ENV.has(rest)) return null;
  return rest
    .toLowerCase()
    .replace(/_{1,3}/g, (m) => (m === '___' ? '-' : m === '__' ? '_' : '.'));
}

/** Parses server.properties text: `key=value` or `key: value`, `#`/`!` comments, `\` continuations. */
export function parseProperties(text: string): Map<string, string> {
  const out = new Map<string, string>();
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    let line = lines[i]!.trimStart();
    if (line === '' || line.startsWith('#') || line.startsWith('!')) continue;
    while (line.endsWith('\\') && i + 1 < lines.length) line = line.slice(0, -1) + lines[++i]!.trimStart();
    const m = /^([^=:\s]+)\s*[=:\s]\s*(.*)$/.exec(line);
    if (!m) out.set(line.trim(), '');
    else out.set(m[1]!, m[2]!.trim());
  }
  return out;
}

export interface ConfigLayer {
  source: 'file' | 'env' | 'flag' | 'options';
  values: Map<string, unknown>;
}

export class BrokerConfig extends ConfigReader {
  /** Explicitly set (static) values after layering. */
  private readonly statics = new Map<string, ConfigValue>();
  /** Cluster-wide dynamic overrides (AlterConfigs on the default broker resource ''). */
  private readonly dynamicDefaults = new Map<string, ConfigValue>();
  /** Per-broker dynamic overrides (AlterConfigs on resource '<node id>'). */
  private readonly dynamicBroker = new Map<string, ConfigValue>();
  readonly warnings: string[] = [];
  /**
   * listener.name.<listener>.[<mechanism>.]<key> values (ssl.* and SASL keys), by their full key
   * with the listener part lower-cased (listener-config.ts): the one store behind listenerValue()
   * and forListener().
   */
  private readonly listenerScoped = new Map<string, ConfigValue>();
  /** The lower-cased listener names that have listener.name.<listener>.* keys. */
  private readonly scopedListeners = new Set<string>();
  /** The lower-cased listener names that have listener.name.<listener>.ssl.* keys. */
  private readonly sslOverridden = new Set<string>();

  constructor(layers: ConfigLayer[]) {
    super();
    for (const layer of layers) {
      for (const [key, raw] of layer.values) {
        if (raw === undefined) continue;
        if (IGNORED_BROKER_KEYS.includes(key)) {
          this.warnings.push(`${key} (from ${layer.source}) has no effect in Runnel and is ignored`);
          continue;
        }
        // Kafka's listener prefix (listener.name.<l>.[<mechanism>.]<key>): kept under the full key.
        const scoped = parseListenerKey(key);
        const def = BROKER_CONFIG_BY_NAME.get(scoped?.base ?? key);
        if (!def) throw new ConfigError(key, `Unknown configuration '${key}' (from ${layer.source})`);
        if (def.ignored) this.warnings.push(`${key} (from ${layer.source}) has no effect in Runnel and is ignored`);
        if (scoped !== null) {
          this.listenerScoped.set(scoped.fullKey, parseValue({ ...def, name: key }, raw));
          this.scopedListeners.add(scoped.listener);
          if (scoped.base.startsWith('ssl.')) this.sslOverridden.add(scoped.listener);
        } else this.statics.set(key, parseValue(def, raw));
      }
    }
    // Derived checks that need several keys.
    this.checkSecurityProtocols(this.listeners(), 'listeners');
    if (this.get('advertised.listeners') !== null) this.checkSecurityProtocols(this.advertisedListeners(), 'advertised.listeners');
    this.checkClusterKeys();
    for (const name of this.scopedListeners) {
      // Kafka's KRaft files carry listener.name.controller.* for a listener Runnel does not have.
      if (!this.listeners().some((l) => l.name.toLowerCase() === name)) this.warnings.push(`listener.name.${name}.* names no listener in listeners and is ignored`);
    }
    checkSaslListeners(this);
    checkTlsConfig(this, this.bool('runnel.admin.ssl.enabled') || this.bool('runnel.schema.registry.ssl.enabled'));
    for (const l of this.listeners()) if (this.usesTls(l.name)) checkTlsConfig(this.forListener(l.name), true);
  }

  /**
   * inter.broker.listener.name must name an advertised listener (Kafka's rule), and in a cluster
   * the self-fencing clock needs room: the broker counts its lease lost 1 s before etcd can expire
   * it, so a keep-alive must fit in between (docs/cluster.md, Fencing).
   */
  private checkClusterKeys(): void {
    if (this.get('inter.broker.listener.name') !== null && this.get('security.inter.broker.protocol') !== null) {
      throw new ConfigError('security.inter.broker.protocol', 'Only one of inter.broker.listener.name and security.inter.broker.protocol should be set.');
    }
    const inter = this.interBrokerListenerName();
    if (inter !== null) {
      const names = this.advertisedListeners().map((l) => l.name.toUpperCase());
      if (!names.includes(inter.toUpperCase())) {
        const key = this.get('inter.broker.listener.name') !== null ? 'inter.broker.listener.name' : 'security.inter.broker.protocol';
        throw new ConfigError(key, `${key} ${inter} must be a listener name in advertised.listeners (${names.join(', ')})`);
      }
    }
    if (this.clusterMode()) {
      const session = this.int('broker.session.timeout.ms');
      const heartbeat = this.int('broker.heartbeat.interval.ms');
      if (heartbeat >= session - 1000) {
        throw new ConfigError('broker.heartbeat.interval.ms', `broker.heartbeat.interval.ms (${heartbeat}) must be less than broker.session.timeout.ms - 1000 (${session - 1000}): the broker fences itself 1 s before its lease can expire`);
      }
    }
  }

  /**
   * Every listener's name must map to a protocol through listener.security.protocol.map, as Kafka
   * maps names to protocols (a name missing from the map is an error in Kafka too); the map's
   * validator admits only Kafka's four protocols, all of which Runnel serves.
   */
  private checkSecurityProtocols(listeners: Array<{ name: string; host: string; port: number }>, key: string): void {
    const map = new Map(this.list('listener.security.protocol.map').map((e) => e.split(':').map((x) => x.toUpperCase()) as [string, string]));
    for (const l of listeners) {
      const protocol = map.get(l.name.toUpperCase());
      const where = `Listener ${l.name}://${l.host}:${l.port} in ${key}`;
      if (protocol === undefined) {
        throw new ConfigError(key, `${where} has no security protocol: add ${l.name}:PLAINTEXT to listener.security.protocol.map`);
      }
    }
  }

  /**
   * A key as one listener (and mechanism) sees it: listener.name.<listener>.<mechanism>.<key>,
   * else listener.name.<listener>.<key>, else the key itself (Kafka's listener prefix rules).
   */
  listenerValue(listener: string, mechanism: string | null, key: string): ConfigValue {
    const l = `listener.name.${listener.toLowerCase()}.`;
    if (mechanism !== null && this.listenerScoped.has(`${l}${mechanism.toLowerCase()}.${key}`)) return this.listenerScoped.get(`${l}${mechanism.toLowerCase()}.${key}`)!;
    if (this.listenerScoped.has(l + key)) return this.listenerScoped.get(l + key)!;
    return this.get(key);
  }

  /** The security protocol of a listener name (listener.security.protocol.map, validated at start). */
  securityProtocol(listener: string): string {
    for (const e of this.list('listener.security.protocol.map')) {
      const [name, protocol] = e.split(':');
      if (name!.toUpperCase() === listener.toUpperCase()) return protocol!.toUpperCase();
    }
    return 'PLAINTEXT';
  }

  /** Value lookup through the layers: dynamic broker > dynamic default > static > default. */
  get(key: string): ConfigValue {
    if (this.dynamicBroker.has(key)) return this.dynamicBroker.get(key)!;
    if (this.dynamicDefaults.has(key)) return this.dynamicDefaults.get(key)!;
    if (this.statics.has(key)) return this.statics.get(key)!;
    const def = BROKER_CONFIG_BY_NAME.get(key);
    if (!def) throw new Error(`no such broker config ${key}`);
    return def.default;
  }

  /** Where the effective value of `key` comes from (ConfigSource code). */
  source(key: string): number {
    if (this.dynamicBroker.has(key)) return ConfigSource.DYNAMIC_BROKER_CONFIG;
    if (this.dynamicDefaults.has(key)) return ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG;
    if (this.statics.has(key)) return ConfigSource.STATIC_BROKER_CONFIG;
    return ConfigSource.DEFAULT_CONFIG;
  }

  /** Synonyms of a broker key with their sources, most specific first (as DescribeConfigs v1+ lists them). */
  synonyms(key: string): Array<{ name: string; value: ConfigValue; source: number }> {
    const out: Array<{ name: string; value: ConfigValue; source: number }> = [];
    if (this.dynamicBroker.has(key)) out.push({ name: key, value: this.dynamicBroker.get(key)!, source: ConfigSource.DYNAMIC_BROKER_CONFIG });
    if (this.dynamicDefaults.has(key)) out.push({ name: key, value: this.dynamicDefaults.get(key)!, source: ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG });
    if (this.statics.has(key)) out.push({ name: key, value: this.statics.get(key)!, source: ConfigSource.STATIC_BROKER_CONFIG });
    const def = BROKER_CONFIG_BY_NAME.get(key);
    if (def && def.default !== null) out.push({ name: key, value: def.default, source: ConfigSource.DEFAULT_CONFIG });
    return out;
  }

  /** Applies (or with null removes) a dynamic override; throws ConfigError when invalid. */
  setDynamic(key: string, raw: unknown, perBroker: boolean, dryRun = false): void {
    const def = BROKER_CONFIG_BY_NAME.get(key);
    if (!def) throw new ConfigError(key, `Unknown broker configuration '${key}'`);
    if (!def.dynamic) throw new ConfigError(key, `Cannot update these configs dynamically: [${key}]`);
    const target = perBroker ? this.dynamicBroker : this.dynamicDefaults;
    if (raw === null) {
      if (!dryRun) target.delete(key);
      return;
    }
    const value = parseValue(def, raw);
    if (!dryRun) target.set(key, value);
  }

  dynamicOverrides(perBroker: boolean): Map<string, ConfigValue> {
    return perBroker ? this.dynamicBroker : this.dynamicDefaults;
  }


  // ---- derived values ---------------------------------------------------------------------------

  nodeId(): number {
    const b = this.get('broker.id');
    return typeof b === 'number' ? b : this.int('node.id');
  }

  /** Whether this broker is one of a cluster (runnel.etcd.endpoints set) rather than a single node. */
  clusterMode(): boolean {
    return this.list('runnel.etcd.endpoints').length > 0;
  }

  /**
   * The configured inter-broker listener name: inter.broker.listener.name, else the listener named
   * after security.inter.broker.protocol (Kafka's older key), else null (the first listener).
   */
  interBrokerListenerName(): string | null {
    return this.string('inter.broker.listener.name') ?? this.string('security.inter.broker.protocol')?.toUpperCase() ?? null;
  }

  /** The listener other brokers fetch from: interBrokerListenerName(), else the first advertised one. */
  interBrokerListener(): { name: string; host: string; port: number } {
    const advertised = this.advertisedListeners();
    const name = this.interBrokerListenerName();
    return (name === null ? undefined : advertised.find((l) => l.name.toUpperCase() === name.toUpperCase())) ?? advertised[0]!;
  }

  /**
   * The configuration as listener `name` sees it: its listener.name.<name>.* keys first (ssl.*:
   * key and trust stores, client auth, principal rules; the SASL keys without a mechanism).
   */
  forListener(name: string): ConfigView {
    return this.scopedListeners.has(name.toLowerCase()) ? new ListenerConfigView((key) => this.listenerValue(name, null, key)) : this;
  }

  /** Whether listener `name` has listener.name.<name>.ssl.* overrides (its own TLS material). */
  hasListenerOverrides(name: string): boolean {
    return this.sslOverridden.has(name.toLowerCase());
  }

  /** Whether a listener's transport is TLS (SSL, SASL_SSL). */
  usesTls(listenerName: string): boolean {
    return TLS_SECURITY_PROTOCOLS.includes(this.securityProtocol(listenerName));
  }

  dataDir(): string {
    const dirs = this.list('log.dirs');
    return dirs.length > 0 ? dirs[0]! : (this.string('log.dir') ?? './data');
  }

  listeners(): Array<{ name: string; host: string; port: number }> {
    return parseListeners(this.list('listeners'), 'listeners');
  }

  advertisedListeners(): Array<{ name: string; host: string; port: number }> {
    const adv = this.get('advertised.listeners');
    return adv === null ? this.listeners() : parseListeners(this.list('advertised.listeners'), 'advertised.listeners');
  }

  retentionMs(): number {
    const ms = this.get('log.retention.ms');
    if (typeof ms === 'number') return ms;
    const min = this.get('log.retention.minutes');
    if (typeof min === 'number') return min * 60000;
    return this.int('log.retention.hours') * 3600000;
  }

  rollMs(): number {
    const ms = this.get('log.roll.ms');
    return typeof ms === 'number' ? ms : this.int('log.roll.hours') * 3600000;
  }
}

function parseListeners(list: string[], key: string): Array<{ name: string; host: string; port: number }> {
  if (list.length === 0) throw new ConfigError(key, `${key} must name at least one listener`);
  return list.map((l) => {
    const m = /^([A-Za-z0-9_]+):\/\/(.*):(\d+)$/.exec(l);
    if (!m) throw new ConfigError(key, `Invalid listener '${l}' in ${key}: expected NAME://host:port`);
    const port = Number(m[3]);
    if (port > 65535) throw new ConfigError(key, `Invalid port ${port} in ${key}`);
    return { name: m[1]!, host: m[2]!, port };
  });
}

export async function loadPropertiesFile(path: string): Promise<Map<string, string>> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new ConfigError('config', `Cannot read config file ${path}: ${(err as Error).message}`);
  }
  return parseProperties(text);
}

export function envLayer(env: NodeJS.ProcessEnv): ConfigLayer {
  const values = new Map<string, unknown>();
  for (const [name, value] of Object.entries(env)) {
    const key = envKeyToConfigKey(name);
    if (key !== null && value !== undefined) values.set(key, value);
  }
  return { source: 'env', values };
}

export function optionsLayer(options: RawConfig, source: ConfigLayer['source'] = 'options'): ConfigLayer {
  return { source, values: new Map(Object.entries(options)) };
}
