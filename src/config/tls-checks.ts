/**
 * Static checks of the TLS config keys, run when the broker config is built (broker-config.ts), so
 * `runnel start` stops with exit code 2 naming the key before anything is opened: a TLS port
 * needs a key store, and JKS stores cannot be read. The files themselves are read at start
 * (src/security/tls-material.ts).
 */
import type { ConfigView } from './view.js';
import { ConfigError } from './values.js';

/** The store type of `key` (upper case); throws for JKS, which Node cannot read. */
export function storeType(config: ConfigView, key: string): string {
  const t = (config.string(key) ?? 'JKS').toUpperCase();
  if (t === 'JKS') {
    throw new ConfigError(key, `${key} is JKS (Kafka's default), which Runnel cannot read: set ${key}=PEM (or PKCS12) and give PEM or PKCS12 files (keytool -importkeystore -deststoretype PKCS12 converts a JKS store)`);
  }
  return t;
}

/** Throws ConfigError when TLS ports are in use without a readable key store configuration. */
export function checkTlsConfig(config: ConfigView, tlsPortsInUse: boolean): void {
  if (!tlsPortsInUse) return;
  if (!hasKeyStore(config)) {
    throw new ConfigError('ssl.keystore.location', "An SSL or SASL_SSL listener (or an HTTPS port) needs the broker's key and certificate: set ssl.keystore.type=PEM with ssl.keystore.location (or inline ssl.keystore.key and ssl.keystore.certificate.chain), or ssl.keystore.type=PKCS12 with ssl.keystore.location");
  }
  storeType(config, 'ssl.keystore.type');
  if (config.string('ssl.truststore.location') !== null || config.string('ssl.truststore.certificates') !== null) storeType(config, 'ssl.truststore.type');
}

/** Whether any key store is configured (a file or inline PEM). */
export function hasKeyStore(config: ConfigView): boolean {
  return config.string('ssl.keystore.location') !== null || config.string('ssl.keystore.key') !== null;
}

