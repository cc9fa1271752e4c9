/**
 * SCRAM's key derivations (RFC 5802 §3, RFC 7677) for SCRAM-SHA-256 and SCRAM-SHA-512, and
 * Kafka's mechanism codes and iteration bounds (ScramMechanism: 4096 ≤ iterations ≤ 16384).
 *
 * What the broker stores per user and mechanism is a ScramCredential: salt, StoredKey, ServerKey,
 * iterations — never the password nor the salted password (AlterUserScramCredentials sends the
 * salted password; the keys are derived from it and it is dropped).
 */
import { createHash, createHmac, pbkdf2Sync, timingSafeEqual } from 'node:crypto';

export type ScramMechanism = 'SCRAM-SHA-256' | 'SCRAM-SHA-512';

export const SCRAM_MECHANISMS: readonly ScramMechanism[] = ['SCRAM-SHA-256', 'SCRAM-SHA-512'];

/** Kafka's ScramMechanism type codes (DescribeUserScramCredentials, AlterUserScramCredentials). */
export const SCRAM_MECHANISM_CODES: Readonly<Record<ScramMechanism, number>> = { 'SCRAM-SHA-256': 1, 'SCRAM-SHA-512': 2 };

export function scramMechanismOfCode(code: number): ScramMechanism | null {
  return code === 1 ? 'SCRAM-SHA-256' : code === 2 ? 'SCRAM-SHA-512' : null;
}

export const SCRAM_MIN_ITERATIONS = 4096;
export const SCRAM_MAX_ITERATIONS = 16384;

export interface ScramCredential {
  salt: Buffer;
  storedKey: Buffer;
  serverKey: Buffer;
  iterations: number;
}

export function hashName(m: ScramMechanism): 'sha256' | 'sha512' {
  return m === 'SCRAM-SHA-256' ? 'sha256' : 'sha512';
}

export function hmac(m: ScramMechanism, key: Buffer, data: Buffer | string): Buffer {
  return createHmac(hashName(m), key).update(data).digest();
}

export function hash(m: ScramMechanism, data: Buffer): Buffer {
  return createHash(hashName(m)).update(data).digest();
}

/** The credential from the salted password (SaltedPassword = Hi(password, salt, i)). */
export function credentialFromSaltedPassword(m: ScramMechanism, salt: Buffer, saltedPassword: Buffer, iterations: number): ScramCredential {
  const clientKey = hmac(m, saltedPassword, 'Client Key');
  return { salt, storedKey: hash(m, clientKey), serverKey: hmac(m, saltedPassword, 'Server Key'), iterations };
}

/** The credential from a password (tests and tools; the broker itself never sees a SCRAM password). */
export function credentialFromPassword(m: ScramMechanism, password: string, salt: Buffer, iterations: number): ScramCredential {
  const len = m === 'SCRAM-SHA-256' ? 32 : 64;
  return credentialFromSaltedPassword(m, salt, pbkdf2Sync(Buffer.from(password, 'utf8'), salt, iterations, len, hashName(m)), iterations);
}

export function xor(a: Buffer, b: Buffer): Buffer {
  const out = Buffer.allocUnsafe(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i]! ^ b[i]!;
  return out;
}

export function constantTimeEqual(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}
