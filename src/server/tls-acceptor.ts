/**
 * The TLS side of an SSL or SASL_SSL listener: takes accepted TCP sockets (listener.ts keeps
 * accepting them with net, so the connection caps apply before any handshake work), runs the
 * handshake, and hands over the TLS socket with the connection's principal once it succeeded.
 *
 * The handshake runs in a tls.Server that never listens itself: sockets are injected with
 * emit('connection'), Node's documented way of serving sockets accepted elsewhere. That server
 * gives us the verification of client certificates and setSecureContext(), which swaps the
 * certificates for new connections without touching established ones (reload).
 *
 * A socket that does not complete its handshake within runnel.ssl.handshake.timeout.ms, that is
 * not TLS (a plaintext Kafka client on a TLS port: its first bytes are not a ClientHello), or whose
 * certificate does not verify is closed; the failure is logged at info (rate limited: one line per
 * second with the count of the others) without anything the peer sent. A peer that leaves or never
 * speaks (a TCP health check, the cluster's liveness probe, which holds an idle connection to the
 * inter-broker listener and reconnects when this closes it) is logged at debug only.
 */
import { Server as TlsServer, type TLSSocket } from 'node:tls';
import type { Socket } from 'node:net';
import type { ConfigView } from '../config/view.js';
import type { Logger } from '../logger.js';
import { ANONYMOUS, type Principal } from '../security/authorizer.js';
import { rfc2253Subject, SslPrincipalMapper } from '../security/ssl-principal.js';
import { clientAuthOptions, type TlsMaterial } from '../security/tls-material.js';

/** What a successful handshake yields. */
export type SecureSocketHandler = (socket: TLSSocket, principal: Principal) => void;

/** Closed before any handshake happened (a peer that left, or never spoke): logged at debug. */
const QUIET_FAILURES: ReadonlySet<string> = new Set(['ECONNRESET', 'ERR_TLS_HANDSHAKE_TIMEOUT', 'EPIPE']);

/** Handshake failures logged per second at most; the rest are counted into the next line. */
const FAILURE_LOGS_PER_SECOND = 1;

export class TlsAcceptor {
  private readonly server: TlsServer;
  /** Raw sockets handed to the handshake, by peer address, until it completes or fails. */
  private readonly pending = new Map<string, { raw: Socket; onSecure: SecureSocketHandler }>();
  private readonly requestCert: boolean;
  private readonly mapper: SslPrincipalMapper;
  private failuresUnlogged = 0;
  private lastFailureLog = 0;

  /**
   * @param certificatePrincipal true on SSL listeners (the principal comes from the certificate);
   *   false on SASL_SSL ones, where SASL authenticates and the transport only encrypts.
   */
  constructor(
    private readonly listener: string,
    config: ConfigView,
    material: TlsMaterial,
    private readonly certificatePrincipal: boolean,
    private readonly log: Logger,
    /** Counts authentications on SSL listeners (metrics); SASL_SSL ones are counted by SASL. */
    private readonly counted: (ok: boolean) => void = () => undefined,
  ) {
    const auth = clientAuthOptions(config);
    this.requestCert = auth.requestCert;
    this.mapper = SslPrincipalMapper.fromConfig(config.string('ssl.principal.mapping.rules'));
    this.server = new TlsServer({
      // tls.Server builds its context from these (it ignores a `secureContext` option).
      ...material.context,
      requestCert: auth.requestCert,
      rejectUnauthorized: auth.rejectUnauthorized,
      handshakeTimeout: config.int('runnel.ssl.handshake.timeout.ms'),
    });
    this.server.on('secureConnection', (socket: TLSSocket) => this.onSecure(socket));
    this.server.on('tlsClientError', (err: Error & { code?: string }, socket: TLSSocket) => {
      // ssl.client.auth=required and a certificate that does not verify: Node closes the socket
      // after the handshake and reports a plain reset, with the verification error beside it.
      const code = socket.authorizationError !== undefined && socket.authorizationError !== null ? String(socket.authorizationError) : (err.code ?? err.message);
      // A TCP check that connects and leaves (load balancers, the cluster's liveness probe) is
      // not a TLS failure worth an info line; a refused certificate or a plaintext client is.
      if (QUIET_FAILURES.has(code)) this.log.debug({ listener: this.listener, remote: remoteOf(socket), reason: code }, 'TLS connection closed before its handshake');
      else this.handshakeFailed(socket, code);
      socket.destroy();
    });
  }

  /** New certificates for new connections (reload); throws when the material is unusable. */
  replaceMaterial(material: TlsMaterial): void {
    this.server.setSecureContext(material.context);
  }

  /** Starts the handshake on an accepted socket; `onSecure` runs once it succeeded. */
  accept(raw: Socket, onSecure: SecureSocketHandler): void {
    const key = `${raw.remoteAddress}:${raw.remotePort}`;
    const entry = { raw, onSecure };
    this.pending.set(key, entry);
    raw.once('close', () => {
      if (this.pending.get(key) === entry) this.pending.delete(key);
    });
    // A peer that closes during the handshake must close the socket at once. The TLS socket
    // takes allowHalfOpen from this one, and half-open would leave it waiting for the handshake
    // timeout; half-open is turned back on for the Connection once the handshake is done.
    raw.allowHalfOpen = false;
    this.server.emit('connection', raw);
  }

  /** Closes the sockets still in their handshake (broker stop). */
  closePending(): void {
    for (const { raw } of [...this.pending.values()]) raw.destroy();
    this.pending.clear();
  }

  private onSecure(socket: TLSSocket): void {
    const key = `${socket.remoteAddress}:${socket.remotePort}`;
    const handler = this.pending.get(key)?.onSecure;
    this.pending.delete(key);
    if (handler === undefined) {
      socket.destroy();
      return;
    }
    // The Connection answers what arrived before the client's FIN (connection.ts): half-open.
    socket.allowHalfOpen = true;
    const cert = this.requestCert ? socket.getPeerX509Certificate() : undefined;
    // ssl.client.auth=requested: no certificate is fine, an invalid one is not (required: Node
    // already refused it in the handshake).
    if (cert !== undefined && !socket.authorized) {
      this.handshakeFailed(socket, String(socket.authorizationError ?? 'client certificate not trusted'));
      socket.destroy();
      return;
    }
    let name = ANONYMOUS;
    if (this.certificatePrincipal && cert !== undefined) {
      const subject = rfc2253Subject(cert);
      const mapped = this.mapper.map(subject);
      if (mapped === null) {
        this.handshakeFailed(socket, 'no ssl.principal.mapping.rules rule matches the certificate subject');
        socket.destroy();
        return;
      }
      name = mapped;
    }
    if (this.certificatePrincipal) this.counted(true);
    handler(socket, { type: 'User', name, host: socket.remoteAddress ?? '?' });
  }

  private handshakeFailed(socket: TLSSocket, reason: string): void {
    this.counted(false);
    const now = Date.now();
    if (now - this.lastFailureLog < 1000 / FAILURE_LOGS_PER_SECOND) {
      this.failuresUnlogged++;
      return;
    }
    this.lastFailureLog = now;
    const others = this.failuresUnlogged;
    this.failuresUnlogged = 0;
    this.log.info({ listener: this.listener, remote: remoteOf(socket), reason, othersSinceLastLog: others }, 'TLS handshake failed');
  }
}

/**
 * The peer's address for logs. A TLS socket that was destroyed no longer knows it; the TCP socket
 * it wraps (Node's `_parent`, not public API, so only a fallback for logging) keeps it.
 */
function remoteOf(socket: TLSSocket): string | undefined {
  return socket.remoteAddress ?? (socket as unknown as { _parent?: Socket })._parent?.remoteAddress;
}
