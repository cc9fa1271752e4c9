/**
 * What a connection on a SASL listener (SASL_PLAINTEXT, SASL_SSL) does besides serving requests,
 * following Kafka's SaslServerAuthenticator; the exchange itself is the SaslSession's
 * (security/sasl/session.ts):
 *  - until authenticated, only ApiVersions, SaslHandshake and SaslAuthenticate are served — any
 *    other request closes the connection, as in Kafka — and frames are bounded by
 *    sasl.server.max.receive.size, checked on the size prefix before anything is allocated;
 *  - authentication must complete within runnel.sasl.authentication.timeout.ms;
 *  - after SaslHandshake v0 the client sends bare size-prefixed SASL tokens, answered as bare
 *    tokens (no Kafka header), one at a time; a failure closes without an answer;
 *  - a failed SaslHandshake / SaslAuthenticate closes the connection once its error response is
 *    written (the socket is ended, so Node flushes the response first).
 * A request after the session expired (connections.max.reauth.ms) closes it too (`refusal`).
 */
import type { SaslSession } from '../security/sasl/session.js';

/** What the gate uses of its connection (server/connection.ts). */
export interface SaslGateHost {
  /** Closes the connection now (logged at `level`, info by default). */
  close(reason: string, level?: 'info' | 'debug'): void;
  /** Ends our side after what was written (the client's FIN or the timer below closes it). */
  end(reason: string): void;
  /** Writes bytes after every earlier response. */
  send(bytes: Buffer): void;
  /** The frame's request memory is no longer needed. */
  release(bytes: number): void;
  /** Reading may go on (a raw token was answered). */
  readOn(): void;
  /** Runs a callback from outside as the connection's own (connection.ts `guarded`). */
  guarded<A extends unknown[]>(what: string, fn: (...args: A) => void): (...args: A) => void;
}

const SASL_HANDSHAKE_KEY = 17;
const SASL_AUTHENTICATE_KEY = 36;
/** How long a connection ended after an authentication failure waits for the client to close. */
const CLOSE_FLUSH_MS = 1000;

export class SaslGate {
  /** A bare token is being evaluated: nothing else is read meanwhile. */
  rawTokenBusy = false;
  /** Ending after an authentication failure: nothing more is read. */
  closing = false;
  private readonly authTimer: NodeJS.Timeout;

  constructor(
    private readonly session: SaslSession,
    private readonly host: SaslGateHost,
  ) {
    this.authTimer = setTimeout(host.guarded('authentication timer', () => this.onAuthTimeout()), session.authTimeoutMs);
    this.authTimer.unref();
  }

  stop(): void {
    clearTimeout(this.authTimer);
  }

  private onAuthTimeout(): void {
    if (this.session.authenticated()) return;
    // A connection that never started SASL (the cluster's liveness probes hold such idle ones, on
    // SASL_SSL over TLS) is closed without an audit line, a failed-authentication count or an info
    // line; one that started and did not finish is audited.
    const started = this.session.state !== 'handshake';
    if (started) this.session.connectionFailed('authentication timeout');
    this.host.close(`not authenticated within runnel.sasl.authentication.timeout.ms (${this.session.authTimeoutMs} ms)`, started ? 'info' : 'debug');
  }

  /** Why a frame of `size` bytes may not be read (before authentication), or null. */
  frameRefusal(size: number): string | null {
    if (this.session.authenticated() || size <= this.session.maxReceiveBytes) return null;
    this.session.connectionFailed('oversized frame before authentication');
    return `frame of ${size} bytes before authentication is above sasl.server.max.receive.size (${this.session.maxReceiveBytes})`;
  }

  /** Why a request of `apiKey` closes the connection, or null when it may be served. */
  requestRefusal(apiKey: number): string | null {
    if (this.session.allows(apiKey)) return null;
    const reason = this.session.refusal(apiKey);
    this.session.connectionFailed('request before authentication');
    return reason;
  }

  expectsRawToken(): boolean {
    return this.session.state === 'raw-token';
  }

  /** A bare SASL token; `queued` requests before it mean the client pipelined (closed). */
  rawToken(frame: Buffer, bytes: number, queued: number): void {
    if (queued > 0) {
      this.host.release(bytes);
      return this.host.close('SASL token pipelined behind a request');
    }
    this.rawTokenBusy = true;
    const done = (reply: Buffer | null): void => {
      this.host.release(bytes);
      this.rawTokenBusy = false;
      if (reply === null) return this.host.close('SASL authentication failed');
      const out = Buffer.allocUnsafe(4 + reply.length);
      out.writeInt32BE(reply.length, 0);
      reply.copy(out, 4);
      this.host.send(out);
      this.host.readOn();
    };
    this.session.rawToken(frame).then(
      this.host.guarded('SASL token', done),
      this.host.guarded('SASL token failure', () => done(null)),
    );
  }

  /** After the response to `apiKey` was handed to the socket: true when the connection now ends. */
  endsAfter(apiKey: number): boolean {
    if (!this.session.closeAfterResponse || (apiKey !== SASL_HANDSHAKE_KEY && apiKey !== SASL_AUTHENTICATE_KEY)) return false;
    this.closing = true;
    this.host.end('SASL authentication failed');
    setTimeout(this.host.guarded('close after flush', () => this.host.close('SASL authentication failed')), CLOSE_FLUSH_MS).unref();
    return true;
  }
}
