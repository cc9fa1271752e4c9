/**
 * The principal of an SSL connection and certificate reload (issue 20, TLS).
 *
 * Principal: Kafka's ssl.principal.mapping.rules over the client certificate's RFC 2253 subject,
 * checked on the rules themselves and through a real TLS handshake with the listener's acceptor
 * (a rule that maps, DEFAULT, no matching rule → refused, no certificate → ANONYMOUS).
 * Reload: a broker whose PEM key store file is replaced serves the new certificate to new
 * connections without a restart, keeps existing ones, and keeps the last good certificate when
 * the file is replaced by something unusable.
 */
import { createServer, type Server } from 'node:net';
import { connect as tlsConnect, type ConnectionOptions } from 'node:tls';
import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Kafka, logLevel } from 'kafkajs';
import { SslPrincipalMapper } from '../../src/security/ssl-principal.js';
import { TlsAcceptor } from '../../src/server/tls-acceptor.js';
import { loadTlsMaterial } from '../../src/security/tls-material.js';
import { BrokerConfig, optionsLayer } from '../../src/config/broker-config.js';
import type { Logger } from '../../src/logger.js';
import { Writable } from 'node:stream';
import pino from 'pino';
import type { Principal } from '../../src/security/authorizer.js';
import { startBroker } from '../../src/index.js';
import { tempDir } from '../helpers/broker.js';
import { makeCerts, reissueBrokerPem, type CertSet } from '../helpers/certs.js';

let certs: CertSet;
beforeAll(() => {
  certs = makeCerts('certs-principal');
});
afterAll(() => {
  if (certs) rmSync(certs.dir, { recursive: true, force: true });
});

describe('ssl.principal.mapping.rules', () => {
  const dn = 'CN=Alice,OU=clients,O=runnel';
  it('DEFAULT keeps the distinguished name', () => {
    expect(SslPrincipalMapper.fromConfig('DEFAULT').map(dn)).toBe(dn);
    expect(SslPrincipalMapper.fromConfig(null).map(dn)).toBe(dn);
  });
  it('the first rule whose pattern matches the whole name wins, with $n groups and L/U', () => {
    const m = SslPrincipalMapper.fromConfig('RULE:^CN=([^,]+),OU=admins,.*$/admin-$1/, RULE:^CN=([^,]+),OU=clients,O=(.*)$/$1@$2/L, DEFAULT');
    expect(m.map(dn)).toBe('alice@runnel');
    expect(m.map('CN=Root,OU=admins,O=x')).toBe('admin-Root');
    expect(m.map('CN=other')).toBe('CN=other');
    expect(SslPrincipalMapper.fromConfig('RULE:CN=([^,]+),.*/$1/U').map(dn)).toBe('ALICE');
  });
  it('a partial match is no match; without DEFAULT an unmatched name maps to nothing', () => {
    const m = SslPrincipalMapper.fromConfig('RULE:CN=([^,]+)/$1/');
    expect(m.map(dn)).toBeNull();
  });
  it('a malformed rule or pattern is a config error naming the key', () => {
    expect(() => SslPrincipalMapper.fromConfig('RULE:^CN=(.*$/$1/')).toThrow(/ssl\.principal\.mapping\.rules/);
    expect(() => SslPrincipalMapper.fromConfig('NOPE')).toThrow(/ssl\.principal\.mapping\.rules/);
  });
});

describe('the principal of a TLS connection (real handshakes through the listener\'s acceptor)', () => {
  let server: Server;
  let port: number;
  const seen: Array<Principal | 'refused'> = [];
  const logLines: string[] = [];

  async function acceptor(rules: string, clientAuth: string): Promise<void> {
    const config = new BrokerConfig([
      optionsLayer({ 'ssl.keystore.type': 'PEM', 'ssl.keystore.location': certs.brokerPem, 'ssl.truststore.type': 'PEM', 'ssl.truststore.location': certs.caCert, 'ssl.client.auth': clientAuth, 'ssl.principal.mapping.rules': rules }),
    ]);
    const tls = new TlsAcceptor('SSL', config, await loadTlsMaterial(config, true), true, pino({ level: 'info' }, new Writable({ write: (chunk, _e, cb) => (logLines.push(String(chunk)), cb()) })) as unknown as Logger);
    server?.close();
    server = createServer((raw) => {
      raw.on('error', () => undefined);
      raw.on('close', () => seen.push('refused'));
      tls.accept(raw, (secure, principal) => {
        seen.length = 0;
        seen.push(principal);
        secure.end();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as { port: number }).port;
  }

  async function principalOf(opts: ConnectionOptions): Promise<Principal | 'refused'> {
    seen.length = 0;
    await new Promise<void>((resolve) => {
      const s = tlsConnect({ host: '127.0.0.1', port, ca: readFileSync(certs.caCert), ...opts });
      s.on('error', () => resolve());
      s.on('close', () => resolve());
      s.on('data', () => undefined);
    });
    for (let i = 0; i < 50 && seen.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
    return seen[0]!;
  }

  afterAll(() => server?.close());

  const client = (name: string): ConnectionOptions => ({ key: readFileSync(certs.client(name).key), cert: readFileSync(certs.client(name).cert) });

  it('maps the certificate subject through the rules; DEFAULT gives the RFC 2253 name', async () => {
    await acceptor('RULE:^CN=([^,]+),OU=clients,O=runnel$/$1/U,DEFAULT', 'required');
    expect(await principalOf(client('alice'))).toMatchObject({ type: 'User', name: 'ALICE', host: '127.0.0.1' });
    await acceptor('DEFAULT', 'required');
    expect(await principalOf(client('bob'))).toMatchObject({ type: 'User', name: 'CN=bob,OU=clients,O=runnel' });
  });

  it('refuses a certificate no rule maps', async () => {
    await acceptor('RULE:^CN=([^,]+),OU=admins,.*$/$1/', 'required');
    expect(await principalOf(client('alice'))).toBe('refused');
  });

  it('ssl.client.auth=requested: no certificate is ANONYMOUS, a valid one is mapped, an untrusted one refused', async () => {
    await acceptor('DEFAULT', 'requested');
    expect(await principalOf({})).toMatchObject({ name: 'ANONYMOUS' });
    expect(await principalOf(client('carol'))).toMatchObject({ name: 'CN=carol,OU=clients,O=runnel' });
    expect(await principalOf({ key: readFileSync(certs.untrustedClient.key), cert: readFileSync(certs.untrustedClient.cert) })).toBe('refused');
    expect(await principalOf({ key: readFileSync(certs.expiredClient.key), cert: readFileSync(certs.expiredClient.cert) })).toBe('refused');
  });

  it('logs why a certificate was refused (info, with the peer address, rate limited), never what the peer sent', async () => {
    await acceptor('DEFAULT', 'required');
    logLines.length = 0;
    expect(await principalOf({ key: readFileSync(certs.expiredClient.key), cert: readFileSync(certs.expiredClient.cert) })).toBe('refused');
    await new Promise((r) => setTimeout(r, 1050));
    expect(await principalOf({})).toBe('refused');
    const failures = logLines.map((l) => JSON.parse(l) as { level: number; msg: string; reason: string; remote: string }).filter((l) => l.msg === 'TLS handshake failed');
    expect(failures.map((l) => [l.level, l.reason, l.remote])).toEqual([
      [30, 'CERT_HAS_EXPIRED', '127.0.0.1'],
      [30, 'ERR_SSL_PEER_DID_NOT_RETURN_A_CERTIFICATE', '127.0.0.1'],
    ]);
  });
});

describe('certificate reload without restart', () => {
  it('new connections get the replaced certificate, existing ones keep working, an unusable file keeps the last good one', async () => {
    const dir = tempDir('tls-reload');
    const keystore = join(certs.dir, 'reload.pem');
    writeFileSync(keystore, readFileSync(certs.brokerPem));
    const b = await startBroker({
      dataDir: dir,
      logLevel: 'silent',
      config: { listeners: 'SSL://127.0.0.1:0', 'ssl.keystore.type': 'PEM', 'ssl.keystore.location': keystore, 'runnel.ssl.reload.check.interval.ms': 100 },
    });
    const port = b.broker.advertised[0]!.port;
    const serial = (): Promise<string> =>
      new Promise((resolve, reject) => {
        const s = tlsConnect({ host: '127.0.0.1', port, ca: readFileSync(certs.caCert) });
        s.on('error', reject);
        s.on('secureConnect', () => {
          resolve(s.getPeerX509Certificate()!.serialNumber);
          s.destroy();
        });
      });
    const waitForSerial = async (want: (s: string) => boolean): Promise<string> => {
      for (let i = 0; i < 100; i++) {
        const s = await serial();
        if (want(s)) return s;
        await new Promise((r) => setTimeout(r, 50));
      }
      throw new Error('the certificate was not reloaded');
    };
    try {
      const kafka = new Kafka({ brokers: [`127.0.0.1:${port}`], clientId: 'reload', logLevel: logLevel.NOTHING, ssl: { ca: [readFileSync(certs.caCert)] } });
      const admin = kafka.admin();
      await admin.connect();
      await admin.createTopics({ topics: [{ topic: 'before-reload' }] });
      const first = await serial();
      // Replace the file the way deploy tools do (write aside, rename over).
      writeFileSync(`${keystore}.tmp`, reissueBrokerPem(certs));
      renameSync(`${keystore}.tmp`, keystore);
      const second = await waitForSerial((s) => s !== first);
      expect(second).not.toBe(first);
      // The connection made before the reload still serves.
      expect(await admin.listTopics()).toContain('before-reload');
      // A broken file: logged, and the last good certificate stays.
      writeFileSync(`${keystore}.tmp`, 'not a key store');
      renameSync(`${keystore}.tmp`, keystore);
      await new Promise((r) => setTimeout(r, 400));
      expect(await serial()).toBe(second);
      await admin.disconnect();
    } finally {
      await b.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
