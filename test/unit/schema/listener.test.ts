/** Where the registry's REST API listens (runnel.schema.registry.listener) and the key's validation. */
import { describe, expect, it } from 'vitest';
import { BrokerConfig, optionsLayer } from '../../../src/config/broker-config.js';
import { registryListener } from '../../../src/schema/listener.js';

const config = (raw: Record<string, string>) => new BrokerConfig([optionsLayer(raw)]);

describe('runnel.schema.registry.listener', () => {
  it("defaults to Confluent's 127.0.0.1:8081, or a free port next to a port-0 Kafka listener", () => {
    expect(registryListener(config({}))).toEqual({ host: '127.0.0.1', port: 8081, explicit: false });
    expect(registryListener(config({ listeners: 'PLAINTEXT://127.0.0.1:0' }))).toEqual({ host: '127.0.0.1', port: 0, explicit: false });
  });

  it('takes host:port (IPv6 in brackets), and none or empty to disable', () => {
    expect(registryListener(config({ 'runnel.schema.registry.listener': '0.0.0.0:18081' }))).toEqual({ host: '0.0.0.0', port: 18081, explicit: true });
    expect(registryListener(config({ 'runnel.schema.registry.listener': '[::1]:0' }))).toEqual({ host: '::1', port: 0, explicit: true });
    expect(registryListener(config({ 'runnel.schema.registry.listener': 'none' }))).toBeNull();
    expect(registryListener(config({ 'runnel.schema.registry.listener': '' }))).toBeNull();
  });

  it('refuses anything else at startup, naming the key', () => {
    expect(() => config({ 'runnel.schema.registry.listener': 'localhost' })).toThrow(/runnel.schema.registry.listener/);
    expect(() => config({ 'runnel.schema.registry.listener': 'http://x:1' })).toThrow(/runnel.schema.registry.listener/);
  });
});
