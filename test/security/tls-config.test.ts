/**
 * TLS-related broker config (issue 20). Choosing the inter-broker listener: inter.broker.listener.name, or Kafka's older
 * security.inter.broker.protocol (the listener named after the protocol; both at once is an
 * error, as in Kafka; the replication over that listener is test/security/tls-cluster.test.ts), and
 * Kafka's JVM-only ssl.* keys accepted with a warning.
 */
import { describe, expect, it } from 'vitest';
import { BrokerConfig, optionsLayer } from '../../src/config/broker-config.js';

const config = (raw: Record<string, string>): BrokerConfig =>
  new BrokerConfig([optionsLayer({ listeners: 'PLAINTEXT://127.0.0.1:9092,SSL://127.0.0.1:9093', 'ssl.keystore.type': 'PEM', 'ssl.keystore.location': '/x.pem', ...raw })]);

describe('inter-broker listener', () => {
  it('security.inter.broker.protocol=SSL picks the listener named SSL; unset, the first listener', () => {
    expect(config({ 'security.inter.broker.protocol': 'ssl' }).interBrokerListener().name).toBe('SSL');
    expect(config({ 'inter.broker.listener.name': 'SSL' }).interBrokerListener().name).toBe('SSL');
    expect(config({}).interBrokerListener().name).toBe('PLAINTEXT');
  });

  it('refuses both keys at once, and a protocol no listener is named after', () => {
    expect(() => config({ 'security.inter.broker.protocol': 'SSL', 'inter.broker.listener.name': 'SSL' })).toThrow(/Only one of inter.broker.listener.name and security.inter.broker.protocol/);
    expect(() => config({ 'security.inter.broker.protocol': 'SASL_SSL' })).toThrow(/security.inter.broker.protocol SASL_SSL must be a listener name in advertised.listeners/);
  });

  it("Kafka's JVM-only TLS keys are accepted with a warning, so a Kafka server.properties starts", () => {
    const c = config({ 'ssl.keymanager.algorithm': 'SunX509', 'ssl.secure.random.implementation': 'SHA1PRNG' });
    expect(c.warnings).toEqual([
      'ssl.keymanager.algorithm (from options) has no effect in Runnel and is ignored',
      'ssl.secure.random.implementation (from options) has no effect in Runnel and is ignored',
    ]);
  });
});
