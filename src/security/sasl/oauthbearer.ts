/**
 * SASL/OAUTHBEARER (RFC 7628, KIP-255/KIP-768) with JWT validation against a JWKS document
 * (sasl.oauthbearer.jwks.endpoint.url: a file: URL, or an https:/http: URL fetched with a timeout
 * and a size bound).
 *
 * Client's message: `n,[a=authzid],` 0x01 `auth=Bearer <jwt>` 0x01 [key=value 0x01]* 0x01.
 * A valid token completes the exchange; its principal is the sasl.oauthbearer.sub.claim.name
 * claim and its `exp` bounds the session (re-authentication, session.ts). An invalid one gets the
 * RFC 7628 error challenge `{"status":"invalid_token"}`; the client answers with a single 0x01 and
 * the exchange fails with SASL_AUTHENTICATION_FAILED, as Kafka's OAuthBearerSaslServer does.
 *
 * Validation: compact JWS with an asymmetric signature (RS256/384/512, PS256/384/512,
 * ES256/384/512; `none` and HMAC are refused), a key from the JWKS with the token's `kid` (or the
 * only key when the token names none), `exp` required and not past, `nbf`/`iat` not in the
 * future (all within sasl.oauthbearer.clock.skew.seconds), `iss` and `aud` when configured.
 *
 * The JWKS is read asynchronously, cached, re-read every sasl.oauthbearer.jwks.endpoint.refresh.ms,
 * and also when a token names an unknown key id (at most once a second, so unknown kids cannot make
 * the broker read or fetch it per connection). A failed re-read keeps the keys already loaded.
 */
import { readFile, stat } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { constants, createPublicKey, verify, type KeyObject } from 'node:crypto';
import type { BrokerConfig } from '../../config/broker-config.js';
import { ConfigError } from '../../config/values.js';
import { SaslFailure, type SaslExchange } from './exchange.js';

const ALGS: Record<string, { hash: string; kind: 'rsa' | 'pss' | 'ec' }> = {
  RS256: { hash: 'sha256', kind: 'rsa' },
  RS384: { hash: 'sha384', kind: 'rsa' },
  RS512: { hash: 'sha512', kind: 'rsa' },
  PS256: { hash: 'sha256', kind: 'pss' },
  PS384: { hash: 'sha384', kind: 'pss' },
  PS512: { hash: 'sha512', kind: 'pss' },
  ES256: { hash: 'sha256', kind: 'ec' },
  ES384: { hash: 'sha384', kind: 'ec' },
  ES512: { hash: 'sha512', kind: 'ec' },
};

const MIN_RELOAD_INTERVAL_MS = 1000;

export interface JwtSettings {
  /** A file: or http(s): URL. */
  jwksUrl: string;
  fetchTimeoutMs: number;
  maxJwksBytes: number;
  refreshMs: number;
  audience: string[];
  issuer: string | null;
  subClaim: string;
  skewSeconds: number;
  maxTokenBytes: number;
}

export interface ValidToken {
  principal: string;
  expiresAtMs: number;
}

/** A reason a token is refused (for the audit log; the client only sees invalid_token). */
class TokenInvalid extends Error {}

function b64json(part: string): Record<string, unknown> {
  const v = JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as unknown;
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new TokenInvalid('not a JSON object');
  return v as Record<string, unknown>;
}

export class JwtValidator {
  private keys: Map<string, KeyObject> = new Map();
  private loadedAt = -Infinity;
  private loading: Promise<void> | null = null;

  constructor(
    private readonly s: JwtSettings,
    private readonly now: () => number = Date.now,
  ) {}

  static fromConfig(config: BrokerConfig, listener: string): JwtValidator {
    const v = (key: string) => config.listenerValue(listener, 'OAUTHBEARER', key);
    const url = v('sasl.oauthbearer.jwks.endpoint.url');
    if (url === null) {
      throw new ConfigError('sasl.oauthbearer.jwks.endpoint.url', `OAUTHBEARER is enabled on listener ${listener} but sasl.oauthbearer.jwks.endpoint.url (a file: URL of the JWKS) is not set: Runnel never accepts unsigned tokens`);
    }
    return new JwtValidator({
      jwksUrl: String(url),
      fetchTimeoutMs: config.int('runnel.sasl.oauthbearer.jwks.fetch.timeout.ms'),
      maxJwksBytes: config.int('runnel.sasl.oauthbearer.jwks.max.bytes'),
      refreshMs: Number(v('sasl.oauthbearer.jwks.endpoint.refresh.ms')),
      audience: (v('sasl.oauthbearer.expected.audience') as string[] | null) ?? [],
      issuer: (v('sasl.oauthbearer.expected.issuer') as string | null) ?? null,
      subClaim: String(v('sasl.oauthbearer.sub.claim.name')),
      skewSeconds: Number(v('sasl.oauthbearer.clock.skew.seconds')),
      maxTokenBytes: config.int('runnel.sasl.oauthbearer.token.max.bytes'),
    });
  }

  private async load(): Promise<void> {
    this.loading ??= (async () => {
      try {
        const doc = JSON.parse(await this.readJwks()) as { keys?: unknown };
        const keys = new Map<string, KeyObject>();
        if (!Array.isArray(doc.keys)) throw new Error('no "keys" array');
        doc.keys.forEach((jwk: Record<string, unknown>, i: number) => {
          if (jwk.use !== undefined && jwk.use !== 'sig') return;
          try {
            keys.set(typeof jwk.kid === 'string' ? jwk.kid : `#${i}`, createPublicKey({ key: jwk as never, format: 'jwk' }));
          } catch {
            // An unusable key (symmetric, unknown curve) is skipped; tokens naming it fail.
          }
        });
        this.keys = keys;
      } finally {
        this.loadedAt = this.now();
        this.loading = null;
      }
    })();
    return this.loading;
  }

  /** The JWKS text from its file or URL, within the time and size bounds. */
  private async readJwks(): Promise<string> {
    const url = this.s.jwksUrl;
    if (url.startsWith('file:')) {
      const path = fileURLToPath(url);
      if ((await stat(path)).size > this.s.maxJwksBytes) throw new Error('JWKS file above runnel.sasl.oauthbearer.jwks.max.bytes');
      return readFile(path, 'utf8');
    }
    const res = await fetch(url, { signal: AbortSignal.timeout(this.s.fetchTimeoutMs), redirect: 'error' });
    if (!res.ok) throw new Error(`JWKS endpoint answered HTTP ${res.status}`);
    const reader = res.body?.getReader();
    if (!reader) throw new Error('JWKS endpoint sent no body');
    const chunks: Uint8Array[] = [];
    let size = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.length;
      if (size > this.s.maxJwksBytes) {
        await reader.cancel();
        throw new Error('JWKS document above runnel.sasl.oauthbearer.jwks.max.bytes');
      }
      chunks.push(value);
    }
    return Buffer.concat(chunks).toString('utf8');
  }

  private async keyFor(kid: string | undefined): Promise<KeyObject | undefined> {
    const age = this.now() - this.loadedAt;
    const find = () => (kid !== undefined ? this.keys.get(kid) : this.keys.size === 1 ? [...this.keys.values()][0] : undefined);
    if (age >= this.s.refreshMs || (find() === undefined && age >= MIN_RELOAD_INTERVAL_MS)) {
      try {
        await this.load();
      } catch (err) {
        // The keys loaded before stay in use; only a token that needs another one fails.
        const key = find();
        if (key === undefined) throw new TokenInvalid(`cannot read the JWKS: ${(err as Error).message}`);
        return key;
      }
    }
    return find();
  }

  /** The token's principal and expiry; throws TokenInvalid. */
  async validate(token: string): Promise<ValidToken> {
    if (token.length > this.s.maxTokenBytes) throw new TokenInvalid('token too long (runnel.sasl.oauthbearer.token.max.bytes)');
    const parts = token.split('.');
    if (parts.length !== 3) throw new TokenInvalid('not a compact JWS');
    let header: Record<string, unknown>;
    let claims: Record<string, unknown>;
    try {
      header = b64json(parts[0]!);
      claims = b64json(parts[1]!);
    } catch {
      throw new TokenInvalid('undecodable header or claims');
    }
    const alg = ALGS[String(header.alg)];
    if (!alg) throw new TokenInvalid(`algorithm ${String(header.alg).slice(0, 16)} not accepted`);
    const key = await this.keyFor(typeof header.kid === 'string' ? header.kid : undefined);
    if (!key) throw new TokenInvalid('no JWKS key for the token');
    const data = Buffer.from(`${parts[0]}.${parts[1]}`);
    const sig = Buffer.from(parts[2]!, 'base64url');
    let ok: boolean;
    try {
      if (alg.kind === 'ec') ok = verify(alg.hash, data, { key, dsaEncoding: 'ieee-p1363' }, sig);
      else if (alg.kind === 'pss') ok = verify(alg.hash, data, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_DIGEST }, sig);
      else ok = verify(alg.hash, data, key, sig);
    } catch {
      ok = false;
    }
    if (!ok) throw new TokenInvalid('bad signature');
    const nowS = this.now() / 1000;
    const skew = this.s.skewSeconds;
    if (typeof claims.exp !== 'number') throw new TokenInvalid('no exp claim');
    if (claims.exp + skew <= nowS) throw new TokenInvalid('expired');
    if (typeof claims.nbf === 'number' && claims.nbf - skew > nowS) throw new TokenInvalid('not yet valid (nbf)');
    if (typeof claims.iat === 'number' && claims.iat - skew > nowS) throw new TokenInvalid('issued in the future (iat)');
    if (this.s.issuer !== null && claims.iss !== this.s.issuer) throw new TokenInvalid('unexpected issuer');
    if (this.s.audience.length > 0) {
      const aud = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
      if (!aud.some((a) => typeof a === 'string' && this.s.audience.includes(a))) throw new TokenInvalid('unexpected audience');
    }
    const principal = claims[this.s.subClaim];
    if (typeof principal !== 'string' || principal === '') throw new TokenInvalid(`no ${this.s.subClaim} claim`);
    return { principal, expiresAtMs: claims.exp * 1000 };
  }
}

const INVALID_TOKEN_CHALLENGE = Buffer.from('{"status":"invalid_token"}', 'utf8');

export class OAuthBearerExchange implements SaslExchange {
  complete = false;
  authorizationId: string | null = null;
  credentialExpiresAtMs: number | null = null;
  /** The reason of a refused token, while waiting for the client's 0x01 acknowledgement. */
  private refused: string | null = null;

  constructor(private readonly validator: JwtValidator) {}

  async evaluate(token: Buffer): Promise<Buffer> {
    if (this.refused !== null) {
      // RFC 7628 §3.2.3: the client acknowledges the error challenge with a single 0x01.
      throw new SaslFailure('Authentication failed: invalid_token', this.refused);
    }
    const msg = token.toString('utf8');
    const m = /^([ny]),(a=[^,\x01]*)?,\x01(.*)\x01\x01$/s.exec(msg);
    if (!m) throw new SaslFailure('Invalid OAUTHBEARER client first message', 'malformed OAUTHBEARER message');
    const fields = new Map<string, string>();
    for (const kv of m[3]!.split('\x01')) {
      const eq = kv.indexOf('=');
      if (eq <= 0) throw new SaslFailure('Invalid OAUTHBEARER client first message', 'malformed OAUTHBEARER message');
      fields.set(kv.slice(0, eq), kv.slice(eq + 1));
    }
    const auth = /^Bearer +([A-Za-z0-9\-._~+/]+=*)$/.exec(fields.get('auth') ?? '');
    if (!auth) throw new SaslFailure('Invalid OAUTHBEARER client first message', 'no bearer token');
    let valid: ValidToken;
    try {
      valid = await this.validator.validate(auth[1]!);
    } catch (err) {
      if (!(err instanceof TokenInvalid)) throw err;
      this.refused = `invalid token: ${err.message}`;
      return INVALID_TOKEN_CHALLENGE;
    }
    const authzid = m[2]?.slice(2);
    if (authzid !== undefined && authzid !== '' && authzid !== valid.principal) {
      throw new SaslFailure('Authentication failed: Client requested an authorization id that is different from the token principal', 'authzid differs', valid.principal);
    }
    this.authorizationId = valid.principal;
    this.credentialExpiresAtMs = valid.expiresAtMs;
    this.complete = true;
    return Buffer.alloc(0);
  }
}
