/**
 * How this broker authenticates to the others (inter-broker SASL): when the inter-broker listener
 * (inter.broker.listener.name, else the first advertised one) is SASL_PLAINTEXT / SASL_SSL, with
 * sasl.mechanism.inter.broker.protocol and the username/password options of that listener's JAAS
 * entry for the mechanism (Kafka's rule: listener.name.<l>.<mechanism>.sasl.jaas.config). The
 * follower fetchers and the transaction-marker connections use it (cluster-ports.ts); the other
 * brokers see this broker as User:<username>. Checked at startup in cluster mode
 * (config/sasl-configs.ts checkSaslListeners).
 */
import type { BrokerConfig } from '../../config/broker-config.js';
import type { SaslCredentials } from '../../client/sasl-login.js';
import { jaasFor, isSaslProtocol } from './sasl-service.js';

export function interBrokerSaslCredentials(config: BrokerConfig): SaslCredentials | null {
  const listener = config.interBrokerListener().name;
  if (!isSaslProtocol(config.securityProtocol(listener))) return null;
  const mechanism = config.string('sasl.mechanism.inter.broker.protocol');
  if (mechanism !== 'PLAIN' && mechanism !== 'SCRAM-SHA-256' && mechanism !== 'SCRAM-SHA-512') return null;
  const jaas = jaasFor(config, listener, mechanism);
  const username = jaas?.options.get('username');
  const password = jaas?.options.get('password');
  if (username === undefined || password === undefined) return null;
  return { mechanism, username, password };
}
