/**
 * Whether the broker needs TLS material, and loading it: when a listener is SSL or SASL_SSL
 * (its key store is required), an HTTP port serves HTTPS (runnel.*.ssl.enabled), or the
 * inter-broker listener is SSL / SASL_SSL (then the same material is the broker's client side:
 * trust store, and the key store for mTLS). Null when nothing uses TLS.
 */
import type { BrokerConfig } from '../config/broker-config.js';
import { TlsCertificates } from './tls-certificates.js';

export async function loadBrokerTls(config: BrokerConfig): Promise<TlsCertificates | null> {
  const serving = config.listeners().some((l) => config.usesTls(l.name));
  const interBroker = config.clusterMode() && config.usesTls(config.interBrokerListener().name);
  const https = config.bool('runnel.admin.ssl.enabled') || config.bool('runnel.schema.registry.ssl.enabled');
  if (!serving && !interBroker && !https) return null;
  return TlsCertificates.load(config, serving || https);
}
