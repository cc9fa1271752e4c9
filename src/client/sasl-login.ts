/**
 * SASL authentication of a BrokerConnection (client/connection.ts), for broker-to-broker
 * connections to a SASL_* inter-broker listener: SaslHandshake v1, then SaslAuthenticate rounds
 * for PLAIN or SCRAM-SHA-256/512. A refusal rejects with the broker's error message (the other
 * broker closes the connection).
 */
import { ErrorCode } from '../../protocol/errors.js';
import type { SaslAuthenticateResponse, SaslHandshakeResponse } from '../../protocol/generated/index.js';
import { ScramClientExchange } from '../security/sasl/scram-client.js';
import type { BrokerConnection } from './connection.js';
import { KafkaResponseError } from './errors.js';

export interface SaslCredentials {
  mechanism: 'PLAIN' | 'SCRAM-SHA-256' | 'SCRAM-SHA-512';
  username: string;
  password: string;
}

const SASL_HANDSHAKE = 17;
const SASL_AUTHENTICATE = 36;

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
  const scram = new ScramClientExchange(creds.mechanism, creds.username, creds.password);
  const serverFirst = await round(conn, scram.first());
  scram.verifyServerFinal(await round(conn, await scram.final(serverFirst)));
}
