/**
 * The broker's SASL setup, built once at startup from the configuration (and refused there when
 * inconsistent): for each SASL_* listener the enabled mechanisms with what each needs — PLAIN
 * users from the listener's PlainLoginModule JAAS entry, SCRAM credentials from the ScramStore,
 * OAUTHBEARER's JWT validator — plus the shared audit log. Connections on such a listener get a
 * SaslSession from `sessionFor`; PLAINTEXT listeners get none.
 */
import { ConfigError } from '../../config/values.js';
import { PLAIN_LOGIN_MODULE } from '../../config/sasl-configs.js';
import type { BrokerConfig } from '../../config/broker-config.js';
import type { Logger } from '../../logger.js';
import type { AuthenticationMetrics } from '../authentication-metrics.js';
import { AuthAudit } from './audit.js';
import { type JaasEntry, JaasConfigError, parseJaasConfig } from '../../config/jaas.js';
import { OAuthBearerExchange, JwtValidator } from './oauthbearer.js';
import { PlainExchange, PlainUsers } from './plain.js';
import { ScramExchange } from './scram.js';
import type { ScramMechanism } from './scram-formulas.js';
import type { ScramStore } from './scram-store.js';
import { SaslSession, type SaslListenerSettings } from './session.js';
import type { SaslExchange } from './exchange.js';


/** The JAAS entry of a listener and mechanism, or null when none is configured. */
export function jaasFor(config: BrokerConfig, listener: string, mechanism: string): JaasEntry | null {
  const text = config.listenerValue(listener, mechanism, 'sasl.jaas.config');
  if (text === null || text === '') return null;
  try {
    return parseJaasConfig(String(text));
  } catch (err) {
    if (err instanceof JaasConfigError) throw new ConfigError(`listener.name.${listener.toLowerCase()}.${mechanism.toLowerCase()}.sasl.jaas.config`, err.message);
    throw err;
  }
}

export function isSaslProtocol(protocol: string): boolean {
  return protocol === 'SASL_PLAINTEXT' || protocol === 'SASL_SSL';
}

export class SaslService {
  private readonly listeners = new Map<string, SaslListenerSettings>();
  readonly audit: AuthAudit;

  constructor(
    config: BrokerConfig,
    scram: ScramStore,
    log: Logger,
    metrics: AuthenticationMetrics | null = null,
  ) {
    this.audit = new AuthAudit(log.child({ component: 'auth-audit' }), config.int('runnel.sasl.audit.log.max.per.second'), Date.now, metrics);
    for (const l of config.listeners()) {
      if (!isSaslProtocol(config.securityProtocol(l.name))) continue;
      this.listeners.set(l.name, this.listenerSettings(config, l.name, scram, log));
    }
  }

  private listenerSettings(config: BrokerConfig, listener: string, scram: ScramStore, log: Logger): SaslListenerSettings {
    const enabled = config.listenerValue(listener, null, 'sasl.enabled.mechanisms') as string[];
    const mechanisms = enabled.filter((m) => m !== 'GSSAPI');
    const key = `sasl.enabled.mechanisms`;
    if (mechanisms.length === 0) {
      throw new ConfigError(key, `Listener ${listener} is a SASL listener but enables no mechanism Runnel serves (GSSAPI/Kerberos is not supported): set sasl.enabled.mechanisms to PLAIN, SCRAM-SHA-256, SCRAM-SHA-512 and/or OAUTHBEARER`);
    }
    if (mechanisms.length < enabled.length) log.warn({ listener }, 'GSSAPI is in sasl.enabled.mechanisms but Runnel does not serve it; it is not offered');
    const factories = new Map<string, () => SaslExchange>();
    for (const m of mechanisms) {
      if (m === 'PLAIN') {
        const jaas = jaasFor(config, listener, m);
        if (jaas === null || jaas.loginModule !== PLAIN_LOGIN_MODULE) {
          throw new ConfigError(`listener.name.${listener.toLowerCase()}.plain.sasl.jaas.config`, `PLAIN is enabled on listener ${listener} but no ${PLAIN_LOGIN_MODULE} entry with user_<name>="<password>" options is configured`);
        }
        const users = PlainUsers.fromJaasOptions(jaas.options);
        if (users.size === 0) log.warn({ listener }, 'PLAIN is enabled but its JAAS entry lists no user_<name> entries: every PLAIN login fails');
        factories.set(m, () => new PlainExchange(users));
      } else if (m === 'SCRAM-SHA-256' || m === 'SCRAM-SHA-512') {
        const mechanism: ScramMechanism = m;
        const lookup = (user: string, mech: ScramMechanism) => scram.get(user, mech);
        factories.set(m, () => new ScramExchange(mechanism, lookup));
      } else if (m === 'OAUTHBEARER') {
        const validator = JwtValidator.fromConfig(config, listener);
        factories.set(m, () => new OAuthBearerExchange(validator));
      }
    }
    return {
      listener,
      mechanisms,
      newExchange: (m) => factories.get(m)!(),
      maxReauthMs: Number(config.listenerValue(listener, null, 'connections.max.reauth.ms')),
      maxReceiveBytes: Number(config.listenerValue(listener, null, 'sasl.server.max.receive.size')),
      authTimeoutMs: config.int('runnel.sasl.authentication.timeout.ms'),
      audit: this.audit,
    };
  }

  /** A new session for a connection on `listener`, or null when it is not a SASL listener. */
  sessionFor(listener: string, remoteHost: string, remotePort: number): SaslSession | null {
    const settings = this.listeners.get(listener);
    return settings ? new SaslSession(settings, remoteHost, `${remoteHost}:${remotePort}`) : null;
  }
}
