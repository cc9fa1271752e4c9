/**
 * Whether the broker needs TLS material, and loading it: when a listener is SSL or SASL_SSL
 * (its key store is required), or the inter-broker listener is one (then the same material is the
 * broker's client side: trust store, and the key store for mTLS). Null when nothing uses TLS.
 */
import type { BrokerConfig } from '../config/broker-config.js';
import { TlsCertificates } from './tls-certificates.js';

export async function loadBrokerTls(config: BrokerConfig): Promise<TlsCertificates | null> {
  const serving = config.listeners().some((l) => config.usesTls(l.name));
  const interBroker = config.clusterMode() && config.usesTls(config.interBrokerListener().name);
  if (!serving && !interBroker) return null;
  return TlsCertificates.load(config, serving);
}
