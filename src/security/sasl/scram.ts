/**
 * SCRAM-SHA-256 / SCRAM-SHA-512 server (RFC 5802, RFC 7677), as Kafka's ScramSaslServer:
 *
 *   client-first   n,[a=authzid],n=user,r=cnonce[,ext...]
 *   server-first   r=cnonce+snonce,s=salt,i=iterations
 *   client-final   c=base64(gs2 header),r=cnonce+snonce,p=proof
 *   server-final   v=server signature
 *
 * Checks beyond the happy path, each a SaslFailure: channel binding (`p=`) is refused (no TLS
 * channel binding), an authzid must equal the user, `tokenauth` (delegation tokens) is refused,
 * the client-final nonce must be exactly the combined nonce (Kafka's CVE-2024-56128 fix) and its
 * channel-binding field must repeat the client's gs2 header.
 *
 * An unknown user is not refused at the first message: the exchange goes on with a fake salt and
 * keys derived from a per-broker secret (stable per user name, so two attempts see the same salt)
 * and fails at the proof with the same message as a wrong password — the reply does not tell
 * whether the user exists.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { SaslFailure, type SaslExchange } from './exchange.js';
import { constantTimeEqual, hash, hmac, type ScramCredential, type ScramMechanism, SCRAM_MIN_ITERATIONS, xor } from './scram-formulas.js';

/** Where the exchange finds credentials (scram-store.ts). */
export type ScramLookup = (user: string, mechanism: ScramMechanism) => Promise<ScramCredential | null>;

/** Per-process secret for the fake credentials of unknown users. */
const FAKE_SECRET = randomBytes(32);

function fakeCredential(m: ScramMechanism, user: string): ScramCredential {
  const seed = createHmac('sha256', FAKE_SECRET).update(`${m}\0${user}`).digest();
  return { salt: seed.subarray(0, 16), storedKey: hash(m, seed), serverKey: hmac(m, seed, 'Server Key'), iterations: SCRAM_MIN_ITERATIONS };
}

const failed = (m: ScramMechanism) => `Authentication failed during authentication due to invalid credentials with SASL mechanism ${m}`;

/** RFC 5802 saslname: '=2C' is ',', '=3D' is '='; any other '=' is invalid. */
function decodeSaslName(s: string): string | null {
  if (/=(?!2C|3D)/.test(s)) return null;
  return s.replace(/=2C/g, ',').replace(/=3D/g, '=');
}

/** Splits `k=v,k=v` attributes (values may contain '='). */
function attributes(parts: string[]): Array<[string, string]> | null {
  const out: Array<[string, string]> = [];
  for (const p of parts) {
    if (p.length < 2 || p[1] !== '=') return null;
    out.push([p[0]!, p.slice(2)]);
  }
  return out;
}

export class ScramExchange implements SaslExchange {
  complete = false;
  authorizationId: string | null = null;
  readonly credentialExpiresAtMs = null;
  private step: 'first' | 'final' | 'done' = 'first';
  private user = '';
  private gs2Header = '';
  private clientFirstBare = '';
  private serverFirst = '';
  private nonce = '';
  private credential: ScramCredential | null = null;
  private known = false;

  constructor(
    private readonly mechanism: ScramMechanism,
    private readonly lookup: ScramLookup,
  ) {}

  async evaluate(token: Buffer): Promise<Buffer> {
    if (this.step === 'first') return this.clientFirst(token.toString('utf8'));
    if (this.step === 'final') return this.clientFinal(token.toString('utf8'));
    throw new SaslFailure(`Authentication failed: ${this.mechanism} exchange already complete`, 'token after completion', this.user);
  }

  private malformed(what: string): SaslFailure {
    return new SaslFailure(`Invalid ${this.mechanism} message: ${what}`, `malformed ${what}`, this.user || null);
  }

  private async clientFirst(msg: string): Promise<Buffer> {
    // gs2-header = cbind-flag "," [authzid] ","
    const m = /^([nyp][^,]*),(a=[^,]*)?,(.*)$/s.exec(msg);
    if (!m) throw this.malformed('client-first-message');
    if (m[1]!.startsWith('p')) throw new SaslFailure('Authentication failed: channel binding is not supported', 'channel binding requested');
    if (m[1] !== 'n' && m[1] !== 'y') throw this.malformed('client-first-message');
    this.gs2Header = `${m[1]},${m[2] ?? ''},`;
    this.clientFirstBare = m[3]!;
    const parts = this.clientFirstBare.split(',');
    const attrs = attributes(parts.slice(0, 2));
    if (!attrs || attrs.length < 2 || attrs[0]![0] !== 'n' || attrs[1]![0] !== 'r') throw this.malformed('client-first-message');
    const user = decodeSaslName(attrs[0]![1]);
    if (user === null || user === '') throw this.malformed('user name');
    this.user = user;
    const clientNonce = attrs[1]![1];
    if (clientNonce === '' || /[^\x21-\x2b\x2d-\x7e]/.test(clientNonce)) throw this.malformed('nonce');
    // Extensions (Kafka's are key=value with any key, e.g. `tokenauth=true` for delegation tokens).
    for (const ext of parts.slice(2)) {
      const eq = ext.indexOf('=');
      if (eq <= 0) throw this.malformed('extension');
      const key = ext.slice(0, eq);
      if (key === 'm') throw this.malformed('reserved attribute m');
      if (key === 'tokenauth') throw new SaslFailure('Authentication failed: delegation tokens are not supported', 'tokenauth', user);
    }
    if (m[2] !== undefined && decodeSaslName(m[2].slice(2)) !== user) {
      throw new SaslFailure('Authentication failed: Client requested an authorization id that is different from username', 'authzid differs', user);
    }
    const stored = await this.lookup(user, this.mechanism);
    this.known = stored !== null;
    this.credential = stored ?? fakeCredential(this.mechanism, user);
    this.nonce = clientNonce + randomBytes(18).toString('base64');
    this.serverFirst = `r=${this.nonce},s=${this.credential.salt.toString('base64')},i=${this.credential.iterations}`;
    this.step = 'final';
    return Buffer.from(this.serverFirst, 'utf8');
  }

  private clientFinal(msg: string): Buffer {
    this.step = 'done';
    const proofAt = msg.lastIndexOf(',p=');
    if (proofAt < 0) throw this.malformed('client-final-message');
    const withoutProof = msg.slice(0, proofAt);
    const attrs = attributes(withoutProof.split(','));
    if (!attrs || attrs.length < 2 || attrs[0]![0] !== 'c' || attrs[1]![0] !== 'r') throw this.malformed('client-final-message');
    if (attrs[0]![1] !== Buffer.from(this.gs2Header, 'utf8').toString('base64')) throw this.malformed('channel binding');
    if (attrs[1]![1] !== this.nonce) throw new SaslFailure(failed(this.mechanism), 'nonce mismatch', this.user);
    const proof = Buffer.from(msg.slice(proofAt + 3), 'base64');
    const cred = this.credential!;
    const authMessage = `${this.clientFirstBare},${this.serverFirst},${withoutProof}`;
    const clientSignature = hmac(this.mechanism, cred.storedKey, authMessage);
    const ok = proof.length === clientSignature.length && constantTimeEqual(hash(this.mechanism, xor(proof, clientSignature)), cred.storedKey);
    if (!ok || !this.known) throw new SaslFailure(failed(this.mechanism), this.known ? 'invalid credentials' : 'unknown user', this.user);
    this.complete = true;
    this.authorizationId = this.user;
    return Buffer.from(`v=${hmac(this.mechanism, cred.serverKey, authMessage).toString('base64')}`, 'utf8');
  }
}
