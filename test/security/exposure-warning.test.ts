/**
 * The start-up warnings for a Kafka listener or an HTTP port reachable beyond loopback without
 * authentication (issue 20).
 * Tests bind loopback only, so the rule is checked on configurations; one broker start checks
 * that a loopback listener logs no such warning.
 */
import { rmSync } from 'node:fs';
import { Writable } from 'node:stream';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { BrokerConfig, optionsLayer } from '../../src/config/broker-config.js';
import { unauthenticatedExposure } from '../../src/server/exposure-warning.js';
import { HttpSecurity, httpExposureWarning } from '../../src/security/http-security.js';
import { startBroker } from '../../src/index.js';
import { tempDir } from '../helpers/broker.js';

const config = (raw: Record<string, string>): BrokerConfig => new BrokerConfig([optionsLayer({ 'ssl.keystore.type': 'PEM', 'ssl.keystore.location': '/x.pem', ...raw })]);

describe('unauthenticated listener beyond loopback', () => {
  it('warns for PLAINTEXT and for SSL without required client certificates on a wildcard or routable address', () => {
    const c = config({ listeners: 'PLAINTEXT://0.0.0.0:9092,SSL://10.0.0.5:9093,LOCAL://127.0.0.1:9094', 'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,SSL:SSL,LOCAL:PLAINTEXT' });
    const [plain, ssl, local] = c.listeners();
    expect(unauthenticatedExposure(c, plain!)).toMatch(/listener PLAINTEXT \(PLAINTEXT\) on 0\.0\.0\.0:9092 is reachable beyond this host without authentication/);
    expect(unauthenticatedExposure(c, ssl!)).toMatch(/SSL \(SSL\) on 10\.0\.0\.5:9093/);
    expect(unauthenticatedExposure(c, local!)).toBeNull();
    expect(unauthenticatedExposure(c, { name: 'PLAINTEXT', host: '', port: 1 })).toMatch(/on 0\.0\.0\.0:1/);
    expect(unauthenticatedExposure(c, { name: 'PLAINTEXT', host: '::1', port: 1 })).toBeNull();
    expect(unauthenticatedExposure(c, { name: 'PLAINTEXT', host: 'localhost', port: 1 })).toBeNull();
  });

  it('does not warn for SSL with ssl.client.auth=required, for the broker or the listener (listener.name.<l>.ssl.client.auth)', () => {
    const c = config({ listeners: 'SSL://0.0.0.0:9093', 'ssl.client.auth': 'required' });
    expect(unauthenticatedExposure(c, c.listeners()[0]!)).toBeNull();
    const perListener = config({ listeners: 'SSL://0.0.0.0:9093,OPEN://0.0.0.0:9094', 'listener.security.protocol.map': 'SSL:SSL,OPEN:SSL', 'listener.name.ssl.ssl.client.auth': 'required' });
    const [mtls, open] = perListener.listeners();
    expect(unauthenticatedExposure(perListener, mtls!)).toBeNull();
    expect(unauthenticatedExposure(perListener, open!)).toMatch(/OPEN \(SSL\)/);
  });

  it('warns for an HTTP port beyond loopback without Basic users', () => {
    const withUsers = new HttpSecurity(config({ listeners: 'PLAINTEXT://127.0.0.1:9092', 'runnel.http.basic.auth.users': 'a:b:read-write' }), null);
    const without = new HttpSecurity(config({ listeners: 'PLAINTEXT://127.0.0.1:9092' }), null);
    expect(httpExposureWarning('the schema registry REST API', '0.0.0.0', without)).toMatch(/the schema registry REST API on 0\.0\.0\.0 is reachable beyond this host without authentication/);
    expect(httpExposureWarning('the admin endpoint', '', null)).toMatch(/on 0\.0\.0\.0/);
    expect(httpExposureWarning('the schema registry REST API', '0.0.0.0', withUsers)).toBeNull();
    expect(httpExposureWarning('the schema registry REST API', '127.0.0.1', without)).toBeNull();
  });

  it('a broker on loopback starts without the warning', async () => {
    const lines: string[] = [];
    const logger = pino({ level: 'warn' }, new Writable({ write: (chunk, _e, cb) => (lines.push(String(chunk)), cb()) }));
    const dir = tempDir('exposure');
    const b = await startBroker({ dataDir: dir, logger, port: 0 });
    await b.stop();
    rmSync(dir, { recursive: true, force: true });
    expect(lines.filter((l) => l.includes('without authentication'))).toEqual([]);
  });
});
