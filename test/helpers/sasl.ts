/**
 * Test-side SASL: a PLAIN token, a SCRAM client (RFC 5802) for raw-socket tests, SaslHandshake +
 * SaslAuthenticate over a RawClient, and SCRAM user management through AlterUserScramCredentials
 * (what kafka-configs --add-config 'SCRAM-SHA-512=[password=…]' sends).
 */
import { createHash, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto';
import { ErrorCode } from '../../protocol/errors.js';
import type { RawClient } from './raw-client.js';

export type ScramMech = 'SCRAM-SHA-256' | 'SCRAM-SHA-512';
const HASH = { 'SCRAM-SHA-256': 'sha256', 'SCRAM-SHA-512': 'sha512' } as const;
const LEN = { 'SCRAM-SHA-256': 32, 'SCRAM-SHA-512': 64 } as const;
export const MECH_CODE = { 'SCRAM-SHA-256': 1, 'SCRAM-SHA-512': 2 } as const;

export function plainToken(user: string, password: string, authzid = ''): Buffer {
  return Buffer.from(`${authzid}\0${user}\0${password}`, 'utf8');
}

export function saltedPassword(mech: ScramMech, password: string, salt: Buffer, iterations: number): Buffer {
  return pbkdf2Sync(Buffer.from(password), salt, iterations, LEN[mech], HASH[mech]);
}

export class ScramClient {
  readonly nonce = randomBytes(18).toString('base64');
  private firstBare = '';
  private serverSignature: Buffer | null = null;

  constructor(
    readonly mech: ScramMech,
    readonly user: string,
    readonly password: string,
  ) {}

  first(): Buffer {
    this.firstBare = `n=${this.user.replace(/=/g, '=3D').replace(/,/g, '=2C')},r=${this.nonce}`;
    return Buffer.from(`n,,${this.firstBare}`);
  }

  /** The client-final message for the server-first one (optionally tampering with the nonce). */
  final(serverFirst: Buffer, opts: { nonce?: string } = {}): Buffer {
    const sf = serverFirst.toString();
    const attrs = Object.fromEntries(sf.split(',').map((p) => [p[0], p.slice(2)]));
    const h = HASH[this.mech];
    const salted = saltedPassword(this.mech, this.password, Buffer.from(attrs.s!, 'base64'), Number(attrs.i));
    const clientKey = createHmac(h, salted).update('Client Key').digest();
    const storedKey = createHash(h).update(clientKey).digest();
    const withoutProof = `c=biws,r=${opts.nonce ?? attrs.r}`;
    const authMessage = `${this.firstBare},${sf},${withoutProof}`;
    const signature = createHmac(h, storedKey).update(authMessage).digest();
    const proof = Buffer.from(clientKey.map((b, i) => b ^ signature[i]!));
    this.serverSignature = createHmac(h, createHmac(h, salted).update('Server Key').digest()).update(authMessage).digest();
    return Buffer.from(`${withoutProof},p=${proof.toString('base64')}`);
  }

  verifyServerFinal(serverFinal: Buffer): boolean {
    return serverFinal.toString() === `v=${this.serverSignature!.toString('base64')}`;
  }
}

/** SaslHandshake v1 then SaslAuthenticate rounds; returns the last SaslAuthenticate response. */
export async function saslLogin(c: RawClient, mechanism: string, user: string, password: string, authVersion = 2): Promise<any> {
  const hs = await c.request(17, 1, { mechanism });
  if (hs === null || hs.errorCode !== ErrorCode.NONE) return hs;
  if (mechanism === 'PLAIN') return c.request(36, authVersion, { authBytes: plainToken(user, password) });
  const scram = new ScramClient(mechanism as ScramMech, user, password);
  const r1 = await c.request(36, authVersion, { authBytes: scram.first() });
  if (r1 === null || r1.errorCode !== ErrorCode.NONE) return r1;
  const r2 = await c.request(36, authVersion, { authBytes: scram.final(r1.authBytes) });
  if (r2 !== null && r2.errorCode === ErrorCode.NONE && !scram.verifyServerFinal(r2.authBytes)) throw new Error('bad server signature');
  return r2;
}

/** AlterUserScramCredentials upserting `user`'s credential (as kafka-configs does). */
export async function upsertScramUser(c: RawClient, user: string, password: string, mech: ScramMech = 'SCRAM-SHA-512', iterations = 4096): Promise<any> {
  const salt = randomBytes(16);
  return c.request(51, 0, { deletions: [], upsertions: [{ name: user, mechanism: MECH_CODE[mech], iterations, salt, saltedPassword: saltedPassword(mech, password, salt, iterations) }] });
}
