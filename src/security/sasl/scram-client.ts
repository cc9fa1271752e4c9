/**
 * The client side of SCRAM-SHA-256/512 (RFC 5802), for this broker authenticating to other
 * brokers (inter-broker SASL, client/sasl-login.ts). The password is salted with the async
 * pbkdf2 (thread pool), never on the event loop; the server's final signature is verified, so a
 * broker that does not know the credential cannot pass as one.
 */
import { pbkdf2, randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { hash, hashName, hmac, type ScramMechanism, xor } from './scram-formulas.js';

const pbkdf2Async = promisify(pbkdf2);

export class ScramClientExchange {
  private readonly nonce = randomBytes(24).toString('base64');
  private firstBare = '';
  private expectedServerSignature: Buffer | null = null;

  constructor(
    private readonly mechanism: ScramMechanism,
    private readonly user: string,
    private readonly password: string,
  ) {}

  first(): Buffer {
    this.firstBare = `n=${this.user.replace(/=/g, '=3D').replace(/,/g, '=2C')},r=${this.nonce}`;
    return Buffer.from(`n,,${this.firstBare}`, 'utf8');
  }

  async final(serverFirst: Buffer): Promise<Buffer> {
    const text = serverFirst.toString('utf8');
    const attrs = new Map(text.split(',').map((p) => [p.slice(0, 1), p.slice(2)] as [string, string]));
    const nonce = attrs.get('r');
    const salt = attrs.get('s');
    const iterations = Number(attrs.get('i'));
    if (!nonce?.startsWith(this.nonce) || salt === undefined || !Number.isInteger(iterations) || iterations < 1) {
      throw new Error(`invalid ${this.mechanism} server-first message`);
    }
    const len = this.mechanism === 'SCRAM-SHA-256' ? 32 : 64;
    const salted = await pbkdf2Async(Buffer.from(this.password, 'utf8'), Buffer.from(salt, 'base64'), iterations, len, hashName(this.mechanism));
    const clientKey = hmac(this.mechanism, salted, 'Client Key');
    const withoutProof = `c=biws,r=${nonce}`;
    const authMessage = `${this.firstBare},${text},${withoutProof}`;
    const proof = xor(clientKey, hmac(this.mechanism, hash(this.mechanism, clientKey), authMessage));
    this.expectedServerSignature = hmac(this.mechanism, hmac(this.mechanism, salted, 'Server Key'), authMessage);
    return Buffer.from(`${withoutProof},p=${proof.toString('base64')}`, 'utf8');
  }

  verifyServerFinal(serverFinal: Buffer): void {
    if (serverFinal.toString('utf8') !== `v=${this.expectedServerSignature!.toString('base64')}`) {
      throw new Error(`${this.mechanism}: the broker's server signature is wrong (it does not know the credential)`);
    }
  }
}
