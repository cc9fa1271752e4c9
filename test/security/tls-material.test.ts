/**
 * Reading Kafka's ssl.* key and trust stores (src/security/tls-material.ts): each bad
 * configuration is a ConfigError naming the key to fix, and never the secret.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BrokerConfig, optionsLayer } from '../../src/config/broker-config.js';
import { loadTlsMaterial, opensslCiphers } from '../../src/security/tls-material.js';
import { makeCerts, type CertSet } from '../helpers/certs.js';

let certs: CertSet;
beforeAll(() => {
  certs = makeCerts('certs-material');
});
afterAll(() => {
  if (certs) rmSync(certs.dir, { recursive: true, force: true });
});

const load = (raw: Record<string, string>) => loadTlsMaterial(new BrokerConfig([optionsLayer(raw)]), true);

describe('key and trust stores', () => {
  it('a PEM key store file gives the key and the whole chain; a trust store file the CAs', async () => {
    const m = await load({ 'ssl.keystore.type': 'PEM', 'ssl.keystore.location': certs.brokerPem, 'ssl.truststore.type': 'PEM', 'ssl.truststore.location': certs.caCert });
    expect(String(m.context.key)).toMatch(/^-----BEGIN PRIVATE KEY-----/);
    expect(String(m.context.cert)).toMatch(/^-----BEGIN CERTIFICATE-----/);
    expect(String(m.context.ca)).toContain('BEGIN CERTIFICATE');
    expect(m.files.map((f) => f.path)).toEqual([certs.brokerPem, certs.caCert]);
  });

  it('names the key for a missing file, a file without a key, two keys, an inline key without its chain or with the wrong type', async () => {
    await expect(load({ 'ssl.keystore.type': 'PEM', 'ssl.keystore.location': join(certs.dir, 'nope.pem') })).rejects.toThrow(/Cannot read ssl.keystore.location .*ENOENT/);
    await expect(load({ 'ssl.keystore.type': 'PEM', 'ssl.keystore.location': certs.caCert })).rejects.toThrow(/ssl.keystore.location must hold exactly one PEM private key, found 0/);
    const two = join(certs.dir, 'two-keys.pem');
    writeFileSync(two, readFileSync(certs.brokerPem, 'utf8') + readFileSync(certs.brokerKey, 'utf8'));
    await expect(load({ 'ssl.keystore.type': 'PEM', 'ssl.keystore.location': two })).rejects.toThrow(/found 2/);
    const key = readFileSync(certs.brokerKey, 'utf8');
    await expect(load({ 'ssl.keystore.type': 'PEM', 'ssl.keystore.key': key })).rejects.toThrow(/ssl.keystore.key needs ssl.keystore.certificate.chain/);
    await expect(load({ 'ssl.keystore.type': 'PKCS12', 'ssl.keystore.key': key, 'ssl.keystore.certificate.chain': 'x' })).rejects.toThrow(/needs ssl.keystore.type=PEM/);
    await expect(load({ 'ssl.keystore.type': 'PEM', 'ssl.keystore.location': certs.brokerPem, 'ssl.truststore.type': 'PKCS12', 'ssl.truststore.location': certs.caP12, 'ssl.truststore.password': 'wrong' })).rejects.toThrow(/Cannot read the PKCS12 trust store/);
  });

  it('a wrong password never appears in the error', async () => {
    const err = await load({ 'ssl.keystore.type': 'PEM', 'ssl.keystore.location': certs.brokerPem, 'ssl.truststore.type': 'PKCS12', 'ssl.truststore.location': certs.caP12, 'ssl.truststore.password': 'hunter2-secret' }).catch((e: Error) => e);
    expect(String((err as Error).message)).not.toContain('hunter2');
  });
});

describe('ssl.cipher.suites', () => {
  it("renames Kafka's IANA TLS 1.2 names to OpenSSL's, keeps TLS 1.3 and OpenSSL names", () => {
    expect(opensslCiphers(['TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384', 'TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256', 'TLS_RSA_WITH_AES_128_CBC_SHA', 'TLS_AES_128_GCM_SHA256', 'ECDHE-RSA-AES128-GCM-SHA256'])).toBe(
      'ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:AES128-SHA:TLS_AES_128_GCM_SHA256:ECDHE-RSA-AES128-GCM-SHA256',
    );
  });
});
