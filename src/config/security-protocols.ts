/**
 * Kafka's security protocols and the validator of listener.security.protocol.map (definitions.ts).
 * Runnel serves all four: PLAINTEXT, SSL (TLS, optionally mTLS), SASL_PLAINTEXT and SASL_SSL
 * (SASL authentication over the TLS transport).
 */
import type { ConfigValue } from './definitions.js';

/** Kafka's security protocols, all served: PLAINTEXT, SSL (TLS, optionally mTLS), SASL over either. */
export const SECURITY_PROTOCOLS = ['PLAINTEXT', 'SSL', 'SASL_PLAINTEXT', 'SASL_SSL'];
/** Protocols whose transport is TLS (SASL_SSL's TLS layer is the same as SSL's). */
export const TLS_SECURITY_PROTOCOLS = ['SSL', 'SASL_SSL'];
/** listener.security.protocol.map: NAME:PROTOCOL pairs, protocols case-insensitive as in Kafka. */
export const protocolMap = (v: ConfigValue) => {
  if (!Array.isArray(v)) return 'must be a list of NAME:PROTOCOL';
  const names = new Set<string>();
  for (const entry of v) {
    const m = /^([A-Za-z0-9_]+):([A-Za-z_]+)$/.exec(entry);
    if (!m) return `'${entry}' is not NAME:PROTOCOL`;
    const name = m[1]!.toUpperCase();
    const protocol = m[2]!.toUpperCase();
    if (names.has(name)) return `listener ${name} is mapped twice`;
    names.add(name);
    if (!SECURITY_PROTOCOLS.includes(protocol)) return `'${m[2]}' (for ${name}) is not a security protocol: one of ${SECURITY_PROTOCOLS.join(', ')}`;
  }
  return null;
};
