/**
 * The TLS + SASL merge without sockets: one per-listener store serves both the ssl.* overrides
 * (forListener, what TLS reads) and the SASL keys (listenerValue, with the per-mechanism level);
 * SASL_SSL is served and runs both startup checks; one authentication counter for both layers.
 */
import { describe, expect, it } from 'vitest';
import { BrokerConfig, optionsLayer } from '../../../src/config/broker-config.js';
import { Metrics } from '../../../src/metrics.js';

const JAAS = 'org.apache.kafka.common.security.plain.PlainLoginModule required user_alice="alice-secret";';
const config = (raw: Record<string, string | number>) => new BrokerConfig([optionsLayer(raw)]);
const saslSsl = {
  listeners: 'PLAINTEXT://127.0.0.1:0,SASL_SSL://127.0.0.1:0',
  'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,SASL_SSL:SASL_SSL',
  'sasl.enabled.mechanisms': 'PLAIN',
  'listener.name.sasl_ssl.plain.sasl.jaas.config': JAAS,
  'ssl.keystore.type': 'PEM',
  'ssl.keystore.location': '/nonexistent/broker.pem',
};

describe('per-listener keys of a SASL_SSL listener', () => {
  it('ssl.* and SASL overrides live in one store: forListener sees both, listenerValue adds the mechanism level', () => {
    const c = config({
      ...saslSsl,
      'ssl.client.auth': 'none',
      'listener.name.SASL_SSL.ssl.client.auth': 'required',
      'listener.name.sasl_ssl.connections.max.reauth.ms': 7000,
    });
    expect(c.securityProtocol('SASL_SSL')).toBe('SASL_SSL');
    expect(c.usesTls('SASL_SSL')).toBe(true);
    expect(c.usesTls('PLAINTEXT')).toBe(false);
    const view = c.forListener('SASL_SSL');
    expect(view.string('ssl.client.auth')).toBe('required');
    expect(view.get('connections.max.reauth.ms')).toBe(7000);
    expect(c.listenerValue('SASL_SSL', null, 'ssl.client.auth')).toBe('required');
    expect(c.listenerValue('SASL_SSL', 'PLAIN', 'sasl.jaas.config')).toBe(JAAS);
    expect(c.forListener('PLAINTEXT').string('ssl.client.auth')).toBe('none');
    // Own TLS material only for ssl.* overrides.
    expect(c.hasListenerOverrides('SASL_SSL')).toBe(true);
    expect(config(saslSsl).hasListenerOverrides('SASL_SSL')).toBe(false);
  });

  it('SASL_SSL is checked for SASL (a mechanism, PLAIN users) and for TLS (a key store), naming the key', () => {
    expect(() => config({ ...saslSsl, 'sasl.enabled.mechanisms': 'GSSAPI' })).toThrow(/Listener SASL_SSL uses SASL_SSL but sasl.enabled.mechanisms enables no mechanism/);
    expect(() => config({ ...saslSsl, 'listener.name.sasl_ssl.plain.sasl.jaas.config': undefined as unknown as string })).toThrow(/listener.name.sasl_ssl.plain.sasl.jaas.config/);
    expect(() => config({ ...saslSsl, 'ssl.keystore.location': undefined as unknown as string })).toThrow(/needs the broker's key and certificate/);
  });

  it('warns about listener.name.<l>.* keys of a listener that does not exist, SASL or SSL', () => {
    const c = config({ ...saslSsl, 'listener.name.controller.ssl.client.auth': 'required', 'listener.name.controller.plain.sasl.jaas.config': JAAS });
    expect(c.warnings).toContain('listener.name.controller.* names no listener in listeners and is ignored');
  });
});

describe('authentication metrics', () => {
  it('one counter family for TLS and SASL: successes, failures and re-authentications by listener', () => {
    const m = new Metrics({ maxLabelValues: 10, maxPartitionSeries: 10 });
    m.authentication('SSL', true);
    m.authentication('SASL_SSL', false); // a failed TLS handshake
    m.authentication('SASL_SSL', true); // the SASL exchange
    m.authentication('SASL_SSL', true, true);
    const text = m.render().toString();
    expect(text).toContain('kafka_server_socketservermetrics_successful_authentication_total{listener="SSL"} 1');
    expect(text).toContain('kafka_server_socketservermetrics_successful_authentication_total{listener="SASL_SSL"} 1');
    expect(text).toContain('kafka_server_socketservermetrics_failed_authentication_total{listener="SASL_SSL"} 1');
    expect(text).toContain('kafka_server_socketservermetrics_successful_reauthentication_total{listener="SASL_SSL"} 1');
    expect(text.match(/# TYPE kafka_server_socketservermetrics_successful_authentication_total/g)).toHaveLength(1);
  });
});
