/**
 * Test-side JWTs for SASL/OAUTHBEARER: keys made in the test, tokens signed here (RS256/PS256 with
 * RSA keys, ES256 with P-256, or `alg: none`), the claims a valid token carries, the JWKS that
 * publishes the public keys, and the client's initial SASL message (RFC 7628).
 */
import { generateKeyPairSync, sign, type KeyObject } from 'node:crypto';

export const b64url = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');

export function jwt(claims: Record<string, unknown>, opts: { alg?: string; kid?: string; key: KeyObject | null }): string {
  const alg = opts.alg ?? 'RS256';
  const head = `${b64url({ alg, typ: 'JWT', kid: opts.kid ?? 'rsa-1' })}.${b64url(claims)}`;
  if (alg === 'none' || opts.key === null) return `${head}.`;
  const sig = alg.startsWith('ES') ? sign('sha256', Buffer.from(head), { key: opts.key, dsaEncoding: 'ieee-p1363' }) : sign('sha256', Buffer.from(head), opts.key);
  return `${head}.${sig.toString('base64url')}`;
}

export const nowSeconds = () => Math.floor(Date.now() / 1000);

/** The claims of a valid token for `sub` (issuer https://idp.test, audience runnel), `ttl` seconds long. */
export function claims(over: Record<string, unknown> = {}, ttl = 30): Record<string, unknown> {
  return { sub: 'svc-orders', iss: 'https://idp.test', aud: 'runnel', iat: nowSeconds(), exp: nowSeconds() + ttl, ...over };
}

export function rsaKeys() {
  return generateKeyPairSync('rsa', { modulusLength: 2048 });
}

/** A JWKS document publishing `keys` (public KeyObjects by kid). */
export function jwks(keys: Record<string, KeyObject>): string {
  return JSON.stringify({ keys: Object.entries(keys).map(([kid, k]) => ({ ...k.export({ format: 'jwk' }), kid, use: 'sig' })) });
}

/** The client's initial OAUTHBEARER message carrying `token`. */
export const initialResponse = (token: string) => Buffer.from(`n,,\x01auth=Bearer ${token}\x01\x01`);
