/**
 * SASL/PLAIN (RFC 4616) against the users of a PlainLoginModule JAAS entry (`user_<name>="<pw>"`,
 * Kafka's PlainServerCallbackHandler). The single client token is
 * `[authzid] NUL authcid NUL passwd`; an authzid, if given, must equal the authcid (Kafka's rule).
 *
 * Unknown user and wrong password fail the same way, with Kafka's message, and the password is
 * compared in constant time against a fixed-length digest so neither the length nor the position
 * of a difference shows in the timing.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { SaslFailure, type SaslExchange } from './exchange.js';

const FAILED = 'Authentication failed: Invalid username or password';

const digest = (s: Buffer | string) => createHash('sha256').update(s).digest();

export class PlainUsers {
  private readonly digests = new Map<string, Buffer>();

  constructor(users: ReadonlyMap<string, string>) {
    for (const [name, password] of users) this.digests.set(name, digest(password));
  }

  get size(): number {
    return this.digests.size;
  }

  /** True when `password` is the user's; always does the same work whether the user exists or not. */
  check(user: string, password: Buffer): boolean {
    const expected = this.digests.get(user);
    const got = digest(password);
    const equal = timingSafeEqual(got, expected ?? UNKNOWN_USER_DIGEST);
    return expected !== undefined && equal;
  }

  /** The users of a JAAS entry's options (`user_<name>` keys). */
  static fromJaasOptions(options: ReadonlyMap<string, string>): PlainUsers {
    const users = new Map<string, string>();
    for (const [k, v] of options) if (k.startsWith('user_') && k.length > 5) users.set(k.slice(5), v);
    return new PlainUsers(users);
  }
}

const UNKNOWN_USER_DIGEST = digest('\0runnel: no such user\0');

export class PlainExchange implements SaslExchange {
  complete = false;
  authorizationId: string | null = null;
  readonly credentialExpiresAtMs = null;

  constructor(private readonly users: PlainUsers) {}

  evaluate(token: Buffer): Buffer {
    if (this.complete) throw new SaslFailure('Authentication failed: PLAIN exchange already complete', 'token after completion');
    const first = token.indexOf(0);
    const second = first < 0 ? -1 : token.indexOf(0, first + 1);
    if (first < 0 || second < 0 || token.indexOf(0, second + 1) >= 0) {
      throw new SaslFailure('Invalid SASL/PLAIN response: expected 3 tokens', 'malformed PLAIN token');
    }
    const authzid = token.subarray(0, first).toString('utf8');
    const user = token.subarray(first + 1, second).toString('utf8');
    const password = token.subarray(second + 1);
    if (user === '') throw new SaslFailure('Authentication failed: username not specified', 'empty user');
    if (password.length === 0) throw new SaslFailure('Authentication failed: password not specified', 'empty password', user);
    if (!this.users.check(user, password)) throw new SaslFailure(FAILED, 'invalid credentials', user);
    if (authzid !== '' && authzid !== user) {
      throw new SaslFailure('Authentication failed: Client requested an authorization id that is different from username', 'authzid differs', user);
    }
    this.authorizationId = user;
    this.complete = true;
    return Buffer.alloc(0);
  }
}
