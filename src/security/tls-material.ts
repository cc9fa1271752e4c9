/**
 * Key and trust material for TLS, read from Kafka's ssl.* configs: the broker's key store
 * (PEM file, PEM inline, or PKCS12) and the trust store (PEM file, PEM inline, or PKCS12 through
 * the openssl command, since Node cannot open a certificate-only PKCS12 file). The result is the
 * options Node's tls takes, for the listeners (server side) and for the broker's own client
 * (replication over an SSL inter-broker listener).
 *
 * Everything is read asynchronously at start and on reload (tls-reloader.ts); nothing here runs
 * per connection. Errors are ConfigError naming the key, never the secret.
 */
import { execFile } from 'node:child_process';
import { readFile, stat } from 'node:fs/promises';
import type { ConnectionOptions, SecureContextOptions, SecureVersion } from 'node:tls';
import { checkServerIdentity } from 'node:tls';
import type { ConfigView } from '../config/view.js';
import { ConfigError } from '../config/values.js';
import { storeType } from '../config/tls-checks.js';

export interface TlsMaterial {
  /** Key, certificates, CA and protocol bounds for tls.createSecureContext / setSecureContext. */
  readonly context: SecureContextOptions;
  /** Files the material came from (watched for reload), with their mtime+size when read. */
  readonly files: ReadonlyArray<{ path: string; stamp: string }>;
}

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----[\s\S]+?-----END \1-----/g;

function pemBlocks(text: string): Array<{ type: string; pem: string }> {
  return [...text.matchAll(PEM_BLOCK)].map((m) => ({ type: m[1]!, pem: m[0] }));
}

function certificates(text: string, key: string): string {
  const certs = pemBlocks(text).filter((b) => b.type === 'CERTIFICATE');
  if (certs.length === 0) throw new ConfigError(key, `${key} holds no PEM certificate (-----BEGIN CERTIFICATE-----)`);
  return certs.map((b) => b.pem).join('\n');
}

function privateKey(text: string, key: string): string {
  const keys = pemBlocks(text).filter((b) => /PRIVATE KEY$/.test(b.type));
  if (keys.length !== 1) throw new ConfigError(key, `${key} must hold exactly one PEM private key, found ${keys.length}`);
  return keys[0]!.pem;
}

async function readConfigFile(path: string, key: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (err) {
    throw new ConfigError(key, `Cannot read ${key} ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

/** mtime and size of a file, to notice a replaced certificate. */
export async function fileStamp(path: string): Promise<string> {
  try {
    const s = await stat(path);
    return `${s.mtimeMs}:${s.size}:${s.ino}`;
  } catch {
    return 'missing';
  }
}

/** The certificate-only PEM of a PKCS12 trust store, through `openssl pkcs12` (its password via the environment, not the command line). */
function pkcs12Certificates(path: string, password: string | null): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      'openssl',
      ['pkcs12', '-in', path, '-nokeys', '-passin', 'env:RUNNEL_TRUSTSTORE_PASSWORD'],
      { env: { ...process.env, RUNNEL_TRUSTSTORE_PASSWORD: password ?? '' }, timeout: 10_000, maxBuffer: 16 * 1024 * 1024 },
      (err, stdout) => {
        if (err) reject(new ConfigError('ssl.truststore.location', `Cannot read the PKCS12 trust store ${path} (wrong ssl.truststore.password, or openssl missing): ${err.message.split('\n')[0]}`));
        else resolve(stdout);
      },
    );
  });
}

/**
 * ssl.cipher.suites as OpenSSL takes them. Kafka lists IANA (Java) names; TLS 1.3 suites have the
 * same names in both, TLS 1.2 ones are renamed by OpenSSL's rule
 * (TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384 → ECDHE-RSA-AES256-GCM-SHA384). OpenSSL names pass as they
 * are. A name OpenSSL does not know fails startup (createSecureContext: "no cipher match").
 */
export function opensslCiphers(suites: readonly string[]): string {
  return suites
    .map((name) => {
      const m = /^TLS_(.+)_WITH_(.+)$/.exec(name);
      if (!m) return name; // TLS 1.3 (TLS_AES_128_GCM_SHA256) or already an OpenSSL name
      const kx = m[1] === 'RSA' ? '' : `${m[1]!.replace(/_/g, '-')}-`;
      const cipher = m[2]!
        .replace(/^AES_(\d+)/, 'AES$1')
        .replace(/^CHACHA20_POLY1305_SHA256$/, 'CHACHA20_POLY1305')
        .replace('_CBC', '')
        .replace(/_/g, '-');
      return kx + cipher;
    })
    .join(':');
}

function tlsVersions(config: ConfigView): { minVersion: SecureVersion; maxVersion: SecureVersion } {
  const enabled = config.get('ssl.enabled.protocols');
  const list = Array.isArray(enabled) ? enabled : ['TLSv1.2', 'TLSv1.3'];
  const min = list.includes('TLSv1.2') ? 'TLSv1.2' : 'TLSv1.3';
  const max = list.includes('TLSv1.3') ? 'TLSv1.3' : 'TLSv1.2';
  return { minVersion: min, maxVersion: max };
}

/**
 * Reads the key store (required when `needKey`) and the trust store. Without a trust store the
 * CA list is left to Node (the system CAs).
 */
export async function loadTlsMaterial(config: ConfigView, needKey: boolean): Promise<TlsMaterial> {
  const context: SecureContextOptions = { ...tlsVersions(config) };
  const suites = config.get('ssl.cipher.suites');
  if (Array.isArray(suites) && suites.length > 0) context.ciphers = opensslCiphers(suites);
  const files: Array<{ path: string; stamp: string }> = [];
  const watch = async (path: string): Promise<void> => {
    files.push({ path, stamp: await fileStamp(path) });
  };

  const keyLocation = config.string('ssl.keystore.location');
  const inlineKey = config.string('ssl.keystore.key');
  if (keyLocation !== null || inlineKey !== null) {
    const type = storeType(config, 'ssl.keystore.type');
    const keyPassword = config.string('ssl.key.password') ?? undefined;
    if (inlineKey !== null) {
      if (type !== 'PEM') throw new ConfigError('ssl.keystore.key', 'ssl.keystore.key (an inline key) needs ssl.keystore.type=PEM');
      const chain = config.string('ssl.keystore.certificate.chain');
      if (chain === null) throw new ConfigError('ssl.keystore.certificate.chain', 'ssl.keystore.key needs ssl.keystore.certificate.chain (the certificate chain, PEM)');
      if (keyLocation !== null) throw new ConfigError('ssl.keystore.location', 'Set either ssl.keystore.location or ssl.keystore.key, not both');
      context.key = privateKey(inlineKey, 'ssl.keystore.key');
      context.cert = certificates(chain, 'ssl.keystore.certificate.chain');
      context.passphrase = keyPassword;
    } else if (type === 'PEM') {
      await watch(keyLocation!);
      const text = (await readConfigFile(keyLocation!, 'ssl.keystore.location')).toString('utf8');
      context.key = privateKey(text, 'ssl.keystore.location');
      context.cert = certificates(text, 'ssl.keystore.location');
      context.passphrase = keyPassword;
    } else {
      await watch(keyLocation!);
      context.pfx = await readConfigFile(keyLocation!, 'ssl.keystore.location');
      context.passphrase = config.string('ssl.keystore.password') ?? undefined;
    }
  } else if (needKey) {
    throw new ConfigError('ssl.keystore.location', 'An SSL or SASL_SSL listener needs the broker\'s key and certificate: set ssl.keystore.type=PEM with ssl.keystore.location (or inline ssl.keystore.key and ssl.keystore.certificate.chain), or ssl.keystore.type=PKCS12 with ssl.keystore.location');
  }

  const trustLocation = config.string('ssl.truststore.location');
  const inlineTrust = config.string('ssl.truststore.certificates');
  if (trustLocation !== null || inlineTrust !== null) {
    const type = storeType(config, 'ssl.truststore.type');
    if (inlineTrust !== null) {
      if (type !== 'PEM') throw new ConfigError('ssl.truststore.certificates', 'ssl.truststore.certificates (inline) needs ssl.truststore.type=PEM');
      context.ca = certificates(inlineTrust, 'ssl.truststore.certificates');
    } else if (type === 'PEM') {
      await watch(trustLocation!);
      context.ca = certificates((await readConfigFile(trustLocation!, 'ssl.truststore.location')).toString('utf8'), 'ssl.truststore.location');
    } else {
      await watch(trustLocation!);
      context.ca = certificates(await pkcs12Certificates(trustLocation!, config.string('ssl.truststore.password')), 'ssl.truststore.location');
    }
  }
  return { context, files };
}

/** Server-side verification of client certificates per ssl.client.auth. */
export function clientAuthOptions(config: ConfigView): { requestCert: boolean; rejectUnauthorized: boolean } {
  const mode = config.string('ssl.client.auth') ?? 'none';
  // requested: a presented certificate must still verify (rejectUnauthorized), but none is fine;
  // Node's server refuses a missing one only with rejectUnauthorized, so `requested` checks the
  // verification result itself (tls-acceptor.ts).
  return { requestCert: mode !== 'none', rejectUnauthorized: mode === 'required' };
}

/** Options for the broker's own TLS client (tls.connect) to another broker. */
export function clientConnectOptions(config: ConfigView, material: TlsMaterial): ConnectionOptions {
  const verifyHost = (config.string('ssl.endpoint.identification.algorithm') ?? '') !== '';
  return {
    ...material.context,
    rejectUnauthorized: true,
    checkServerIdentity: verifyHost ? checkServerIdentity : () => undefined,
  };
}
