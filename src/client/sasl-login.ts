/**
 * SASL authentication of a BrokerConnection (client/connection.ts), for broker-to-broker
 * connections to a SASL_* inter-broker listener: SaslHandshake v1, then SaslAuthenticate rounds
 * for PLAIN or SCRAM-SHA-256/512 (RFC 5802 client side). A refusal rejects with the broker's error
 * message (the other broker closes the connection).
 *
 * SCRAM: the password is salted with the async pbkdf2 (thread pool), never on the event loop, and
 * the server's final signature is verified, so a broker that does not know the credential cannot
 * pass as one. (Self-contained: the bundled client imports nothing of the broker.)
 */
import { createHash, createHmac, pbkdf2, randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { ErrorCode } from '../../protocol/errors.js';
import type { SaslAuthenticateResponse, SaslHandshakeResponse } from '../../protocol/generated/index.js';
import type { BrokerConnection } from './connection.js';
import { KafkaResponseError } from './errors.js';

export interface SaslCredentials {
  mechanism: 'PLAIN' | 'SCRAM-SHA-256' | 'SCRAM-SHA-512';
  username: string;
  password: string;
}

const SASL_HANDSHAKE = 17;
const SASL_AUTHENTICATE = 36;
const pbkdf2Async = promisify(pbkdf2);

async function round(conn: BrokerConnection, authBytes: Buffer): Promise<Buffer> {
  const res = await conn.send<SaslAuthenticateResponse>(SASL_AUTHENTICATE, { authBytes });
  if (res.errorCode !== ErrorCode.NONE) throw new KafkaResponseError(res.errorCode, `SASL authentication to ${conn.address}: ${res.errorMessage ?? ''}`);
  return res.authBytes;
}

export async function saslAuthenticate(conn: BrokerConnection, creds: SaslCredentials): Promise<void> {
  const hs = await conn.send<SaslHandshakeResponse>(SASL_HANDSHAKE, { mechanism: creds.mechanism }, { version: 1 });
  if (hs.errorCode !== ErrorCode.NONE) {
    throw new KafkaResponseError(hs.errorCode, `SaslHandshake ${creds.mechanism} to ${conn.address} (enabled there: ${hs.mechanisms.join(', ')})`);
  }
  if (creds.mechanism === 'PLAIN') {
    await round(conn, Buffer.from(`\0${creds.username}\0${creds.password}`, 'utf8'));
    return;
  }
  const hash = creds.mechanism === 'SCRAM-SHA-256' ? 'sha256' : 'sha512';
  const hmac = (key: Buffer, data: string) => createHmac(hash, key).update(data).digest();
  const clientNonce = randomBytes(24).toString('base64');
  const firstBare = `n=${creds.username.replace(/=/g, '=3D').replace(/,/g, '=2C')},r=${clientNonce}`;
  const serverFirst = (await round(conn, Buffer.from(`n,,${firstBare}`, 'utf8'))).toString('utf8');
  const attrs = new Map(serverFirst.split(',').map((p) => [p.slice(0, 1), p.slice(2)] as [string, string]));
  const nonce = attrs.get('r');
  const salt = attrs.get('s');
  const iterations = Number(attrs.get('i'));
  if (!nonce?.startsWith(clientNonce) || salt === undefined || !Number.isInteger(iterations) || iterations < 1) {
    throw new Error(`invalid ${creds.mechanism} server-first message from ${conn.address}`);
  }
  const salted = await pbkdf2Async(Buffer.from(creds.password, 'utf8'), Buffer.from(salt, 'base64'), iterations, hash === 'sha256' ? 32 : 64, hash);
  const clientKey = hmac(salted, 'Client Key');
  const withoutProof = `c=biws,r=${nonce}`;
  const authMessage = `${firstBare},${serverFirst},${withoutProof}`;
  const signature = hmac(createHash(hash).update(clientKey).digest(), authMessage);
  const proof = Buffer.from(clientKey.map((b, i) => b ^ signature[i]!));
  const serverFinal = await round(conn, Buffer.from(`${withoutProof},p=${proof.toString('base64')}`, 'utf8'));
  if (serverFinal.toString('utf8') !== `v=${hmac(hmac(salted, 'Server Key'), authMessage).toString('base64')}`) {
    throw new Error(`${creds.mechanism}: the server signature of ${conn.address} is wrong (it does not know the credential)`);
  }
}
