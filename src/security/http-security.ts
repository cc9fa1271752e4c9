/**
 * TLS and HTTP Basic authentication for Runnel's HTTP ports (the schema registry REST API and the
 * admin/metrics endpoint). Confluent's clients authenticate with `basic.auth.user.info=user:pass`
 * (basic.auth.credentials.source=USER_INFO), so that is what is checked here.
 *
 * Users come from runnel.http.basic.auth.users as `name:password:role` entries, role `read-only`
 * (reads: GET, and the registry's lookups and compatibility checks) or `read-write` (everything).
 * With users configured every request must authenticate (401 with a Basic challenge otherwise),
 * and a read-only user asking for a write is refused (403): the registry's write endpoints are
 * never open while authentication is on. Passwords are compared in constant time (over SHA-256
 * digests, so their length does not leak either); they are never logged.
 *
 * TLS (runnel.schema.registry.ssl.enabled, runnel.admin.ssl.enabled) serves HTTPS with the
 * broker's key store (ssl.keystore.*), reloaded with it (tls-certificates.ts).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer as createHttpServer, type IncomingMessage, type RequestListener, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { SecureContextOptions } from 'node:tls';
import type { ConfigView } from '../config/view.js';
import { ConfigError } from '../config/values.js';
import type { TlsCertificates } from './tls-certificates.js';
import { isLoopbackHost } from './loopback.js';

export type HttpRole = 'read-only' | 'read-write';

export const HTTP_USERS_KEY = 'runnel.http.basic.auth.users';

interface HttpUser {
  readonly digest: Buffer;
  readonly role: HttpRole;
}

export type AuthResult = { ok: true; user: string | null; role: HttpRole } | { ok: false; status: 401; reason: string };

const digest = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();

/** Parses runnel.http.basic.auth.users (`name:password:role`, comma-separated); throws ConfigError. */
export function parseHttpUsers(value: string | null): Map<string, HttpUser> {
  const users = new Map<string, HttpUser>();
  if (value === null || value.trim() === '') return users;
  for (const entry of value.split(',').map((e) => e.trim()).filter((e) => e !== '')) {
    const first = entry.indexOf(':');
    const last = entry.lastIndexOf(':');
    const role = entry.slice(last + 1);
    if (first <= 0 || last === first || (role !== 'read-only' && role !== 'read-write')) {
      // Never echo the entry: it holds a password.
      throw new ConfigError(HTTP_USERS_KEY, `${HTTP_USERS_KEY}: entry ${users.size + 1} is not name:password:role with role read-only or read-write`);
    }
    users.set(entry.slice(0, first), { digest: digest(entry.slice(first + 1, last)), role });
  }
  return users;
}

export class HttpSecurity {
  private readonly users: Map<string, HttpUser>;

  constructor(
    config: ConfigView,
    private readonly tls: TlsCertificates | null,
  ) {
    this.users = parseHttpUsers(config.string(HTTP_USERS_KEY));
  }

  /** Whether requests must authenticate. */
  get authRequired(): boolean {
    return this.users.size > 0;
  }

  /** An HTTP server, or HTTPS with the broker's key store (kept current on reload) when `useTls`. */
  createServer(useTls: boolean, handler: RequestListener): Server {
    if (!useTls) return createHttpServer(handler);
    if (this.tls === null) throw new ConfigError('ssl.keystore.location', 'HTTPS needs the broker\'s key store (ssl.keystore.*)');
    const server = createHttpsServer({ ...this.tls.material.context }, handler);
    this.tls.subscribe((m) => server.setSecureContext(m.context));
    return server;
  }

  /** The trust store's CAs, for this broker's HTTPS requests to other brokers' registries (undefined: system CAs). */
  trustedCas(): SecureContextOptions['ca'] {
    return this.tls?.material.context.ca;
  }

  /** Checks the request's Basic credentials; with no users configured everyone is read-write. */
  authenticate(req: IncomingMessage): AuthResult {
    if (this.users.size === 0) return { ok: true, user: null, role: 'read-write' };
    const header = req.headers.authorization;
    const m = header === undefined ? null : /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header);
    if (m === null) return { ok: false, status: 401, reason: 'authentication required' };
    const decoded = Buffer.from(m[1]!, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    const name = colon < 0 ? decoded : decoded.slice(0, colon);
    const given = digest(colon < 0 ? '' : decoded.slice(colon + 1));
    const user = this.users.get(name);
    // Same work whether or not the user exists: which part was wrong does not show.
    const ok = timingSafeEqual(given, user?.digest ?? digest('\u0000no such user')) && user !== undefined;
    if (!ok) return { ok: false, status: 401, reason: 'bad credentials' };
    return { ok: true, user: name, role: user.role };
  }
}

/**
 * The start-up warning for an HTTP port reachable beyond loopback without authentication (the
 * registry's write endpoints would be open to the network), or null.
 */
export function httpExposureWarning(port: string, host: string, security: HttpSecurity | null): string | null {
  if (security?.authRequired || isLoopbackHost(host)) return null;
  return `${port} on ${host || '0.0.0.0'} is reachable beyond this host without authentication: set runnel.http.basic.auth.users, or bind it to 127.0.0.1`;
}

/** The challenge a 401 carries. */
export const BASIC_CHALLENGE = { 'www-authenticate': 'Basic realm="runnel"' };
