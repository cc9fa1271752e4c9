/**
 * One connection's SASL authentication on a SASL_PLAINTEXT / SASL_SSL listener (the transport
 * does not matter here), following Kafka's SaslServerAuthenticator:
 *
 *   handshake ──SaslHandshake v1──▶ authenticate ──SaslAuthenticate…──▶ complete
 *             └─SaslHandshake v0──▶ raw-token (bare size-prefixed tokens, no Kafka header) ─▶ complete
 *   any failure ─▶ failed (the connection closes, after the error response where there is one)
 *
 * Before completion only ApiVersions, SaslHandshake and SaslAuthenticate are served (the
 * connection enforces it with `allows`). An unsupported mechanism is answered
 * UNSUPPORTED_SASL_MECHANISM with the enabled list, then the connection closes; bad credentials
 * are SASL_AUTHENTICATION_FAILED with the mechanism's message (never which part was wrong), then
 * the connection closes; each failure goes to the audit log (audit.ts).
 *
 * Re-authentication (KIP-368): with connections.max.reauth.ms > 0 the session expires that long
 * after authentication (sooner when the credential does: OAUTHBEARER tokens), SaslAuthenticate v1+
 * tells the client (sessionLifetimeMs), and a SaslHandshake on the authenticated connection
 * starts re-authentication with the same mechanism; it must end with the same principal. A
 * request other than those after expiry closes the connection (`expired`), as Kafka does also for
 * clients that cannot re-authenticate. Without connections.max.reauth.ms a SaslHandshake after
 * authentication is ILLEGAL_SASL_STATE and the connection stays open (Kafka's KafkaApis answer).
 */
import { ErrorCode } from '../../../protocol/errors.js';
import type { Principal } from '../authorizer.js';
import type { AuthAudit } from './audit.js';
import { SaslFailure, type SaslExchange } from './exchange.js';
import { javaHashMapOrder } from './java-hash-order.js';

/** What a session needs of its listener (sasl-service.ts builds it). */
export interface SaslListenerSettings {
  readonly listener: string;
  /** Enabled mechanisms, in sasl.enabled.mechanisms order (the handshake answer). */
  readonly mechanisms: readonly string[];
  newExchange(mechanism: string): SaslExchange;
  /** connections.max.reauth.ms; 0: sessions do not expire. */
  readonly maxReauthMs: number;
  /** sasl.server.max.receive.size: the largest frame before authentication. */
  readonly maxReceiveBytes: number;
  /** runnel.sasl.authentication.timeout.ms: from connecting to authenticated. */
  readonly authTimeoutMs: number;
  readonly audit: AuthAudit;
}

export type SaslState = 'handshake' | 'authenticate' | 'raw-token' | 'complete' | 'failed';

/** Kafka API keys allowed before authentication completes. */
const SASL_KEYS = new Set([17, 18, 36]);

export interface HandshakeAnswer {
  errorCode: number;
  mechanisms: string[];
}

export interface AuthenticateAnswer {
  errorCode: number;
  errorMessage: string | null;
  authBytes: Buffer;
  sessionLifetimeMs: number;
}

const EMPTY = Buffer.alloc(0);

export class SaslSession {
  state: SaslState = 'handshake';
  /** The authenticated principal; null until the first authentication completes. */
  principal: Principal | null = null;
  /** When the session expires (ms since the epoch), or null when it does not. */
  expiresAtMs: number | null = null;
  /** Set with a failure: the connection closes once the pending response is written. */
  closeAfterResponse = false;
  private mechanism: string | null = null;
  private exchange: SaslExchange | null = null;
  private reauthenticating = false;

  constructor(
    private readonly settings: SaslListenerSettings,
    private readonly remoteHost: string,
    private readonly remote: string,
    private readonly now: () => number = Date.now,
  ) {}

  get maxReceiveBytes(): number {
    return this.settings.maxReceiveBytes;
  }

  get authTimeoutMs(): number {
    return this.settings.authTimeoutMs;
  }

  /** Records a failure the connection detected itself (timeout, oversized frame, refused request). */
  connectionFailed(reason: string): void {
    if (this.principal === null && this.state !== 'failed') this.fail(this.mechanism, null, reason);
  }

  /** True once authenticated (also while a re-authentication runs). */
  authenticated(): boolean {
    return this.principal !== null;
  }

  /** Whether a request of `apiKey` may be served now; false closes the connection. */
  allows(apiKey: number): boolean {
    if (this.state === 'failed') return false;
    if (SASL_KEYS.has(apiKey)) return true;
    return this.principal !== null && this.state === 'complete' && !this.expired();
  }

  expired(): boolean {
    return this.expiresAtMs !== null && this.now() >= this.expiresAtMs;
  }

  /** Why a request was refused (for the close reason). */
  refusal(apiKey: number): string {
    if (this.principal === null) return `Unexpected Kafka request of type ${apiKey} during SASL handshake`;
    if (this.expired()) return 'SASL session expired (connections.max.reauth.ms) without re-authentication';
    return `Unexpected Kafka request of type ${apiKey} during SASL re-authentication`;
  }

  handshake(mechanism: string, version: number): HandshakeAnswer {
    // Kafka lists them out of a HashMap (java-hash-order.ts).
    const mechanisms = javaHashMapOrder(this.settings.mechanisms);
    if (this.state === 'complete') {
      // Kafka's KafkaApis answer, with no mechanisms.
      if (this.expiresAtMs === null || version < 1) return { errorCode: ErrorCode.ILLEGAL_SASL_STATE, mechanisms: [] };
      if (mechanism !== this.mechanism) {
        this.fail(mechanism, null, 'mechanism changed at re-authentication');
        return { errorCode: ErrorCode.UNSUPPORTED_SASL_MECHANISM, mechanisms };
      }
      this.reauthenticating = true;
      this.exchange = this.settings.newExchange(mechanism);
      this.state = 'authenticate';
      return { errorCode: ErrorCode.NONE, mechanisms };
    }
    if (this.state !== 'handshake') {
      this.fail(this.mechanism, null, `SaslHandshake in state ${this.state}`);
      return { errorCode: ErrorCode.ILLEGAL_SASL_STATE, mechanisms };
    }
    if (!mechanisms.includes(mechanism)) {
      this.fail(mechanism.slice(0, 64), null, 'unsupported mechanism');
      return { errorCode: ErrorCode.UNSUPPORTED_SASL_MECHANISM, mechanisms };
    }
    this.mechanism = mechanism;
    this.exchange = this.settings.newExchange(mechanism);
    this.state = version === 0 ? 'raw-token' : 'authenticate';
    return { errorCode: ErrorCode.NONE, mechanisms };
  }

  /** One SaslAuthenticate round. */
  async authenticate(authBytes: Buffer, version: number): Promise<AuthenticateAnswer> {
    if (this.state === 'complete') {
      return { errorCode: ErrorCode.ILLEGAL_SASL_STATE, errorMessage: 'SaslAuthenticate request received after successful authentication', authBytes: EMPTY, sessionLifetimeMs: 0 };
    }
    if (this.state !== 'authenticate') {
      this.fail(this.mechanism, null, `SaslAuthenticate in state ${this.state}`);
      return { errorCode: ErrorCode.ILLEGAL_SASL_STATE, errorMessage: `Unexpected SaslAuthenticate request in state ${this.state}`, authBytes: EMPTY, sessionLifetimeMs: 0 };
    }
    try {
      const reply = await this.evaluate(authBytes);
      const lifetime = this.exchange === null ? this.sessionLifetimeMs() : 0;
      return { errorCode: ErrorCode.NONE, errorMessage: '', authBytes: reply, sessionLifetimeMs: version >= 1 ? lifetime : 0 };
    } catch (err) {
      if (!(err instanceof SaslFailure)) throw err;
      return { errorCode: ErrorCode.SASL_AUTHENTICATION_FAILED, errorMessage: err.message, authBytes: EMPTY, sessionLifetimeMs: 0 };
    }
  }

  /** One bare token after SaslHandshake v0; resolves the bare reply, or null when the connection must close. */
  async rawToken(token: Buffer): Promise<Buffer | null> {
    try {
      return await this.evaluate(token);
    } catch (err) {
      if (!(err instanceof SaslFailure)) throw err;
      return null;
    }
  }

  /** Runs the exchange one step; on completion sets the principal and the session's expiry. */
  private async evaluate(token: Buffer): Promise<Buffer> {
    const exchange = this.exchange!;
    let reply: Buffer;
    try {
      reply = await exchange.evaluate(token);
      if (exchange.complete) {
        const name = exchange.authorizationId!;
        if (this.reauthenticating && this.principal !== null && this.principal.name !== name) {
          throw new SaslFailure(`Cannot change principals during re-authentication from User:${this.principal.name}: User:${name}`, 'principal changed at re-authentication', name);
        }
        this.complete(name, exchange.credentialExpiresAtMs);
      }
    } catch (err) {
      if (err instanceof SaslFailure) this.fail(this.mechanism, err.user, err.auditReason);
      else this.fail(this.mechanism, null, 'internal error');
      throw err;
    }
    return reply;
  }

  private complete(name: string, credentialExpiresAtMs: number | null): void {
    this.settings.audit.succeeded({ listener: this.settings.listener, remote: this.remote, mechanism: this.mechanism, user: name, reauthentication: this.reauthenticating });
    this.principal = { type: 'User', name, host: this.remoteHost };
    this.state = 'complete';
    this.exchange = null;
    this.reauthenticating = false;
    const now = this.now();
    if (this.settings.maxReauthMs > 0) {
      const until = now + this.settings.maxReauthMs;
      this.expiresAtMs = credentialExpiresAtMs === null ? until : Math.min(until, credentialExpiresAtMs);
    } else this.expiresAtMs = null;
  }

  private sessionLifetimeMs(): number {
    return this.expiresAtMs === null ? 0 : Math.max(0, this.expiresAtMs - this.now());
  }

  private fail(mechanism: string | null, user: string | null, reason: string): void {
    this.state = 'failed';
    this.closeAfterResponse = true;
    this.exchange = null;
    this.settings.audit.failed({ listener: this.settings.listener, remote: this.remote, mechanism, user, reason });
  }
}
