/**
 * The start-up warning for a Kafka listener that anyone on the network can use without
 * authenticating: bound beyond loopback (a wildcard or a routable address) while its protocol
 * authenticates nobody — PLAINTEXT, or SSL without ssl.client.auth=required. SASL_* listeners
 * authenticate. Returned as text so the listener logs it once per listener at start.
 */
import type { BrokerConfig } from '../config/broker-config.js';
import { isLoopbackHost } from '../security/loopback.js';

/** The warning for listener `l`, or null when it authenticates its clients or is loopback-only. */
export function unauthenticatedExposure(config: BrokerConfig, l: { name: string; host: string; port: number }): string | null {
  const protocol = config.securityProtocol(l.name);
  const authenticated = protocol.startsWith('SASL_') || (protocol === 'SSL' && config.forListener(l.name).string('ssl.client.auth') === 'required');
  if (authenticated || isLoopbackHost(l.host)) return null;
  return `listener ${l.name} (${protocol}) on ${l.host || '0.0.0.0'}:${l.port} is reachable beyond this host without authentication: anyone who can connect can read, write and delete data (use SSL with ssl.client.auth=required, or bind it to 127.0.0.1)`;
}
