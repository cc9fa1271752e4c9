/**
 * Kafka's per-listener overrides, one lookup for TLS and SASL: `listener.name.<listener>.<key>`
 * (the listener name lower-cased, e.g. listener.name.internal.ssl.client.auth=required) wins over
 * `<key>` for that listener, and for the SASL per-mechanism keys
 * `listener.name.<listener>.<mechanism>.<key>` wins over both (sasl-configs.ts). Runnel reads them
 * for the ssl.* keys (each TLS listener's key store, trust store, client auth and principal rules:
 * broker-tls.ts) and the SASL keys (sasl-service.ts). BrokerConfig keeps them by their full key,
 * listener part lower-cased, and answers listenerValue() / forListener() from that one map.
 */
import type { ConfigValue } from './definitions.js';
import { ConfigReader } from './view.js';
import { saslListenerScopedBase } from './sasl-configs.js';

/** listener.name.<listener>.<ssl key>: the listener and the key, or null. */
const SSL_OVERRIDE = /^listener\.name\.([A-Za-z0-9_]+)\.(ssl\..+)$/;

/**
 * A listener-prefixed key split up: the listener (lower case), the base key it overrides and the
 * normalized full key it is stored under; null when `key` is not listener-prefixed.
 */
export function parseListenerKey(key: string): { listener: string; base: string; fullKey: string } | null {
  const ssl = SSL_OVERRIDE.exec(key);
  if (ssl) {
    const listener = ssl[1]!.toLowerCase();
    return { listener, base: ssl[2]!, fullKey: `listener.name.${listener}.${ssl[2]}` };
  }
  const base = saslListenerScopedBase(key);
  if (base === null) return null;
  const listener = /^listener\.name\.([a-z0-9_]+)\./.exec(key)![1]!;
  return { listener, base, fullKey: key };
}

/** The configuration as one listener sees it (BrokerConfig.forListener): its overrides first. */
export class ListenerConfigView extends ConfigReader {
  constructor(private readonly lookup: (key: string) => ConfigValue) {
    super();
  }

  get(key: string): ConfigValue {
    return this.lookup(key);
  }
}
