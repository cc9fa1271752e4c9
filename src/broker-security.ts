/**
 * The broker's transport security as the composition root (broker.ts) starts it, kept apart from
 * it so the root stays wiring: the TLS material of the SSL / SASL_SSL listeners, the HTTPS ports
 * and the client side of inter-broker connections (loaded first: bad material fails the start
 * naming the key; reload checks running until stop), the HTTP ports' TLS and Basic auth, and the
 * cluster liveness probe's TLS connect when the inter-broker listener is SSL or SASL_SSL.
 */
import { connect as tlsConnect, type ConnectionOptions } from 'node:tls';
import type { ClusterSettings } from './cluster/cluster-config.js';
import type { BrokerConfig } from './config/broker-config.js';
import type { Logger } from './logger.js';
import { BrokerTls } from './security/broker-tls.js';
import { HttpSecurity } from './security/http-security.js';

export interface TransportSecurity {
  /** TLS material of the SSL / SASL_SSL listeners and HTTPS ports; null when nothing uses TLS. */
  readonly tls: BrokerTls | null;
  /** TLS and Basic auth of the HTTP ports (admin, schema registry). */
  readonly http: HttpSecurity;
  /** tls.connect options (current material) for connections to other brokers; null when the inter-broker listener is not TLS. */
  readonly interBrokerTls: (() => ConnectionOptions) | null;
}

export async function startTransportSecurity(config: BrokerConfig, log: Logger, onStop: (fn: () => void) => void): Promise<TransportSecurity> {
  const tls = await BrokerTls.load(config);
  if (tls) {
    tls.startReloadChecks(log.child({ component: 'tls' }));
    onStop(() => tls.stop());
  }
  return { tls, http: new HttpSecurity(config, tls?.http ?? null), interBrokerTls: tls?.interBrokerClient() ?? null };
}

/**
 * The cluster settings with the liveness probe connecting over TLS when the inter-broker listener
 * is SSL / SASL_SSL: a silent plain TCP probe would be cut at every handshake timeout. On SASL_SSL
 * the probe never authenticates: the broker closes it after runnel.sasl.authentication.timeout.ms
 * without an audit line or a failed-authentication count (sasl-gate.ts), and the probe reconnects.
 */
export function withProbeTls(settings: ClusterSettings, transport: TransportSecurity): ClusterSettings {
  const options = transport.interBrokerTls;
  return options === null ? settings : { ...settings, probeConnect: (host, port) => tlsConnect({ ...options(), host, port }) };
}
