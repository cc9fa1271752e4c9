/**
 * The broker's transport security as the composition root (broker.ts) starts it, kept apart from
 * it so the root stays wiring: the TLS material of the SSL / SASL_SSL listeners, the HTTPS ports
 * and the client side of inter-broker connections (loaded first: bad material fails the start
 * naming the key; reload checks running until stop), the HTTP ports' TLS and Basic auth, and the
 * cluster liveness probe's TLS connect when the inter-broker listener is SSL or SASL_SSL, and its
 * login when it is SASL_PLAINTEXT or SASL_SSL.
 */
import { connect as tlsConnect, type ConnectionOptions } from 'node:tls';
import { BrokerConnection } from './client/connection.js';
import { ConnectionError } from './client/errors.js';
import { interBrokerSaslCredentials } from './security/sasl/inter-broker.js';
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

/** How long the probe's login may take (a frozen peer: the probe's connection is then closed and opened again). */
const PROBE_LOGIN_TIMEOUT_MS = 30_000;

/**
 * The cluster settings with the liveness probe connecting over TLS when the inter-broker listener
 * is SSL / SASL_SSL (a silent plain TCP probe would be cut at every handshake timeout), and
 * logging in as this broker when it is SASL_* (else the listener closes the idle connection after
 * runnel.sasl.authentication.timeout.ms and the probe reconnects, every few seconds, forever).
 */
export function withProbeSecurity(settings: ClusterSettings, transport: TransportSecurity, config: BrokerConfig): ClusterSettings {
  const options = transport.interBrokerTls;
  const sasl = interBrokerSaslCredentials(config);
  return {
    ...settings,
    ...(options === null ? {} : { probeConnect: (host: string, port: number) => tlsConnect({ ...options(), host, port }) }),
    ...(sasl === null
      ? {}
      : {
          probeGreet: async (socket, host, port) => {
            try {
              await BrokerConnection.over(socket, host, port, { clientId: `runnel-liveness-probe-${config.nodeId()}`, connectTimeoutMs: PROBE_LOGIN_TIMEOUT_MS, requestTimeoutMs: PROBE_LOGIN_TIMEOUT_MS, sasl });
            } catch (err) {
              // A lost or timed-out connection is not a refusal (the probe judges the socket itself).
              if (!(err instanceof ConnectionError)) throw err;
            }
          },
        }),
  };
}
