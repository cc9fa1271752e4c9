/**
 * Broker config keys of SASL authentication (sasl.*, connections.max.reauth.ms), with Kafka's
 * names; part of BROKER_CONFIGS (definitions.ts).
 *
 * Kafka's listener prefix works for the keys in SASL_LISTENER_KEYS:
 * `listener.name.<listener>.<key>` (e.g. listener.name.sasl_plaintext.sasl.enabled.mechanisms)
 * and, for the per-mechanism ones, `listener.name.<listener>.<mechanism>.<key>` (e.g.
 * listener.name.sasl_plaintext.plain.sasl.jaas.config), listener and mechanism lower-cased as in
 * Kafka. The most specific one set wins (BrokerConfig.listenerValue).
 */
import type { ConfigDef, ConfigValue } from './definitions.js';
import { atLeast } from './validators.js';
import { ConfigError } from './values.js';
import { parseJaasConfig } from './jaas.js';

export const PLAIN_LOGIN_MODULE = 'org.apache.kafka.common.security.plain.PlainLoginModule';

/** Mechanisms Runnel serves (GSSAPI/Kerberos is accepted in the list but never offered). */
export const SERVED_SASL_MECHANISMS = ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512', 'OAUTHBEARER'];

const mechanismList = (v: ConfigValue) => {
  if (!Array.isArray(v)) return 'must be a list of SASL mechanisms';
  for (const m of v) if (m !== 'GSSAPI' && !SERVED_SASL_MECHANISMS.includes(m)) return `'${m}' is not a SASL mechanism Runnel serves (${SERVED_SASL_MECHANISMS.join(', ')})`;
  return null;
};

export const SASL_CONFIGS: ConfigDef[] = [
  {
    name: 'sasl.enabled.mechanisms',
    type: 'list',
    default: ['GSSAPI'],
    doc: 'SASL mechanisms offered on SASL_PLAINTEXT / SASL_SSL listeners: PLAIN, SCRAM-SHA-256, SCRAM-SHA-512, OAUTHBEARER. GSSAPI (Kafka\'s default) is accepted but not served: a SASL listener must enable at least one other mechanism.',
    validate: mechanismList,
  },
  {
    name: 'sasl.mechanism.inter.broker.protocol',
    type: 'string',
    default: 'GSSAPI',
    doc: 'Mechanism brokers use to authenticate to each other when inter.broker.listener.name is a SASL listener (credentials from that listener\'s <mechanism>.sasl.jaas.config username/password).',
  },
  {
    name: 'sasl.jaas.config',
    type: 'password',
    default: null,
    doc: 'A JAAS login module entry. PlainLoginModule lists PLAIN users as user_<name>="<password>"; username/password are this broker\'s own credentials towards other brokers. Usually set per listener and mechanism: listener.name.<listener>.<mechanism>.sasl.jaas.config.',
  },
  {
    name: 'sasl.server.callback.handler.class',
    type: 'class',
    default: null,
    doc: 'Accepted for Kafka compatibility: Runnel validates OAUTHBEARER tokens against sasl.oauthbearer.jwks.endpoint.url whatever class is named, and PLAIN users come from the JAAS entry.',
  },
  {
    name: 'connections.max.reauth.ms',
    type: 'long',
    default: 0,
    doc: 'Session lifetime of SASL connections (KIP-368): clients re-authenticate within it; a connection still using an expired session is closed at its next request. 0: sessions never expire.',
    validate: atLeast(0),
  },
  {
    name: 'sasl.server.max.receive.size',
    type: 'int',
    default: 524288,
    doc: 'Largest frame accepted from a client before it has authenticated (SASL tokens, ApiVersions); a larger size prefix closes the connection before any allocation.',
    validate: atLeast(1),
  },
  {
    name: 'runnel.sasl.authentication.timeout.ms',
    type: 'int',
    default: 10000,
    doc: 'Runnel: time a client on a SASL listener has from connecting to completing authentication; then the connection is closed (Kafka relies on connections.max.idle.ms).',
    validate: atLeast(1),
  },
  {
    name: 'runnel.sasl.audit.log.max.per.second',
    type: 'int',
    default: 20,
    doc: 'Runnel: authentication-failure audit log lines per second at most; the lines over it are counted and the count is logged with the next one (suppressed).',
    validate: atLeast(1),
  },
  {
    name: 'sasl.oauthbearer.jwks.endpoint.url',
    type: 'string',
    default: null,
    doc: 'Where OAUTHBEARER token signing keys come from: a JWKS document at a file:, https: or http: URL (re-read every sasl.oauthbearer.jwks.endpoint.refresh.ms; fetched within runnel.sasl.oauthbearer.jwks.fetch.timeout.ms, at most runnel.sasl.oauthbearer.jwks.max.bytes).',
    validate: (v) => (v === null || (typeof v === 'string' && /^(file|https?):/.test(v)) ? null : 'must be a file:, https: or http: URL of a JWKS document'),
  },
  {
    name: 'sasl.oauthbearer.jwks.endpoint.refresh.ms',
    type: 'long',
    default: 3600000,
    doc: 'How often the JWKS file is re-read (a token naming an unknown key id also triggers a re-read, at most once per second).',
    validate: atLeast(1),
  },
  {
    name: 'runnel.sasl.oauthbearer.jwks.fetch.timeout.ms',
    type: 'int',
    default: 10000,
    doc: 'Runnel: time allowed to fetch the JWKS from an http(s) URL; on failure the keys already loaded stay in use (tokens naming an unknown key fail).',
    validate: atLeast(1),
  },
  {
    name: 'runnel.sasl.oauthbearer.jwks.max.bytes',
    type: 'int',
    default: 1048576,
    doc: 'Runnel: largest JWKS document read (file or URL); a larger one is refused and the keys already loaded stay in use.',
    validate: atLeast(1),
  },
  {
    name: 'sasl.oauthbearer.expected.audience',
    type: 'list',
    default: [],
    doc: 'When set, a token\'s aud claim must contain one of these.',
  },
  {
    name: 'sasl.oauthbearer.expected.issuer',
    type: 'string',
    default: null,
    doc: 'When set, a token\'s iss claim must equal it.',
  },
  {
    name: 'sasl.oauthbearer.sub.claim.name',
    type: 'string',
    default: 'sub',
    doc: 'The token claim that names the principal.',
  },
  {
    name: 'sasl.oauthbearer.clock.skew.seconds',
    type: 'int',
    default: 30,
    doc: 'Clock difference tolerated when checking exp, nbf and iat.',
    validate: atLeast(0),
  },
  {
    name: 'runnel.sasl.oauthbearer.token.max.bytes',
    type: 'int',
    default: 16384,
    doc: 'Runnel: longest OAUTHBEARER token accepted (also bounded by sasl.server.max.receive.size).',
    validate: atLeast(1),
  },
  // Kafka keys accepted so that a Kafka server.properties starts unchanged; they have no effect
  // (Kerberos is not served; Runnel's inter-broker SASL logs in from the JAAS username/password).
  ...[
    ['sasl.kerberos.service.name', 'string', null],
    ['sasl.kerberos.kinit.cmd', 'string', '/usr/bin/kinit'],
    ['sasl.kerberos.min.time.before.relogin', 'long', 60000],
    ['sasl.kerberos.principal.to.local.rules', 'list', ['DEFAULT']],
    ['sasl.kerberos.ticket.renew.jitter', 'double', 0.05],
    ['sasl.kerberos.ticket.renew.window.factor', 'double', 0.8],
    ['sasl.login.class', 'class', null],
    ['sasl.login.callback.handler.class', 'class', null],
    ['sasl.client.callback.handler.class', 'class', null],
    ['sasl.login.refresh.window.factor', 'double', 0.8],
    ['sasl.login.refresh.window.jitter', 'double', 0.05],
    ['sasl.login.refresh.min.period.seconds', 'int', 60],
    ['sasl.login.refresh.buffer.seconds', 'int', 300],
    ['sasl.login.connect.timeout.ms', 'int', null],
    ['sasl.login.read.timeout.ms', 'int', null],
    ['sasl.login.retry.backoff.ms', 'long', 100],
    ['sasl.login.retry.backoff.max.ms', 'long', 10000],
    ['sasl.oauthbearer.scope.claim.name', 'string', 'scope'],
    ['sasl.oauthbearer.token.endpoint.url', 'string', null],
    ['sasl.oauthbearer.jwks.endpoint.retry.backoff.ms', 'long', 100],
    ['sasl.oauthbearer.jwks.endpoint.retry.backoff.max.ms', 'long', 10000],
  ].map(([name, type, def]): ConfigDef => ({
    name: name as string,
    type: type as ConfigDef['type'],
    // Kafka declares these two as shorts (DescribeConfigs reports SHORT).
    ...(name === 'sasl.login.refresh.min.period.seconds' || name === 'sasl.login.refresh.buffer.seconds' ? { reportedType: 'short' as const } : {}),
    default: def as ConfigValue,
    ignored: true,
    doc: 'Accepted for compatibility with Kafka; no effect in Runnel.',
  })),
];

/** Keys that may be set per listener (listener.name.<listener>.<key>) and per listener and mechanism (listener.name.<listener>.<mechanism>.<key>), as Kafka allows. */
const SCOPED_KEYS = new Set(SASL_CONFIGS.map((d) => d.name).filter((n) => n !== 'sasl.mechanism.inter.broker.protocol' && !n.startsWith('runnel.')));
const MECHANISMS_LOWER = [...SERVED_SASL_MECHANISMS, 'GSSAPI'].map((m) => m.toLowerCase());

/**
 * The base key of a listener-prefixed SASL key (`listener.name.l.plain.sasl.jaas.config` →
 * `sasl.jaas.config`), or null when `key` is not one.
 */
export function saslListenerScopedBase(key: string): string | null {
  const m = /^listener\.name\.([a-z0-9_]+)\.(.+)$/.exec(key);
  if (!m) return null;
  const rest = m[2]!;
  if (SCOPED_KEYS.has(rest)) return rest;
  for (const mech of MECHANISMS_LOWER) {
    if (rest.startsWith(`${mech}.`) && SCOPED_KEYS.has(rest.slice(mech.length + 1))) return rest.slice(mech.length + 1);
  }
  return null;
}

/** What checkSaslListeners reads of the configuration (BrokerConfig). */
interface SaslConfigSource {
  listeners(): Array<{ name: string }>;
  clusterMode(): boolean;
  interBrokerListener(): { name: string };
  string(key: string): string | null;
  securityProtocol(listener: string): string;
  listenerValue(listener: string, mechanism: string | null, key: string): ConfigValue;
}

/**
 * Startup check of every SASL_* listener, so a broken SASL setup stops the start with a message
 * naming the key (exit 2) instead of a listener that fails every login: at least one served
 * mechanism, a PlainLoginModule JAAS entry for PLAIN, a JWKS URL for OAUTHBEARER; in a cluster
 * whose inter-broker listener is SASL, an enabled PLAIN/SCRAM sasl.mechanism.inter.broker.protocol
 * with username and password in that listener's JAAS entry for it.
 */
export function checkSaslListeners(config: SaslConfigSource): void {
  for (const l of config.listeners()) {
    const protocol = config.securityProtocol(l.name);
    if (protocol !== 'SASL_PLAINTEXT' && protocol !== 'SASL_SSL') continue;
    const prefix = `listener.name.${l.name.toLowerCase()}`;
    const mechanisms = (config.listenerValue(l.name, null, 'sasl.enabled.mechanisms') as string[]).filter((m) => m !== 'GSSAPI');
    if (mechanisms.length === 0) {
      throw new ConfigError('sasl.enabled.mechanisms', `Listener ${l.name} uses ${protocol} but sasl.enabled.mechanisms enables no mechanism Runnel serves (GSSAPI/Kerberos is not supported): use PLAIN, SCRAM-SHA-256, SCRAM-SHA-512 and/or OAUTHBEARER`);
    }
    if (mechanisms.includes('PLAIN')) {
      const jaas = config.listenerValue(l.name, 'PLAIN', 'sasl.jaas.config');
      const key = `${prefix}.plain.sasl.jaas.config`;
      if (jaas === null) throw new ConfigError(key, `PLAIN is enabled on listener ${l.name} but ${key} (a PlainLoginModule entry with user_<name>="<password>" options) is not set`);
      let entry;
      try {
        entry = parseJaasConfig(String(jaas));
      } catch (err) {
        throw new ConfigError(key, (err as Error).message);
      }
      if (entry.loginModule !== PLAIN_LOGIN_MODULE) throw new ConfigError(key, `PLAIN on listener ${l.name} needs ${PLAIN_LOGIN_MODULE}, not ${entry.loginModule}`);
    }
    if (mechanisms.includes('OAUTHBEARER') && config.listenerValue(l.name, 'OAUTHBEARER', 'sasl.oauthbearer.jwks.endpoint.url') === null) {
      throw new ConfigError('sasl.oauthbearer.jwks.endpoint.url', `OAUTHBEARER is enabled on listener ${l.name} but sasl.oauthbearer.jwks.endpoint.url (a file: or https: URL of the JWKS) is not set: Runnel never accepts unsigned tokens`);
    }
  }
  if (config.clusterMode()) checkInterBrokerSasl(config);
}

function checkInterBrokerSasl(config: SaslConfigSource): void {
  const listener = config.interBrokerListener().name;
  const protocol = config.securityProtocol(listener);
  if (protocol !== 'SASL_PLAINTEXT' && protocol !== 'SASL_SSL') return;
  const key = 'sasl.mechanism.inter.broker.protocol';
  const mechanism = config.string(key) ?? '';
  const enabled = config.listenerValue(listener, null, 'sasl.enabled.mechanisms') as string[];
  if (!['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512'].includes(mechanism) || !enabled.includes(mechanism)) {
    throw new ConfigError(key, `The inter-broker listener ${listener} uses ${protocol}: ${key} (${mechanism}) must be PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512 and enabled in that listener's sasl.enabled.mechanisms`);
  }
  const jaasKey = `listener.name.${listener.toLowerCase()}.${mechanism.toLowerCase()}.sasl.jaas.config`;
  const jaas = config.listenerValue(listener, mechanism, 'sasl.jaas.config');
  let options: Map<string, string> | null = null;
  try {
    options = jaas === null ? null : parseJaasConfig(String(jaas)).options;
  } catch (err) {
    throw new ConfigError(jaasKey, (err as Error).message);
  }
  if (!options?.has('username') || !options.has('password')) {
    throw new ConfigError(jaasKey, `The inter-broker listener ${listener} uses ${protocol} with ${mechanism}: ${jaasKey} must give this broker's username and password`);
  }
}
