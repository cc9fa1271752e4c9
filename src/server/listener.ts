/**
 * The Kafka listeners: one TCP server per configured listener (`listeners`, advertised per
 * `advertised.listeners`), accepting sockets under the connection caps (connection-quotas.ts) and
 * keeping track of the open connections so that a graceful stop can drain them. A new connection
 * over a connection creation rate (quotas/connection-rate.ts) is held for its throttle time, then served
 * (broker rate) or closed (per-IP rate); held sockets count against the connection caps.
 *
 * Binding is part of startup: a port that cannot be bound fails it with BrokerStartError. An
 * accepted socket becomes a Connection with the deps the composition root passed in; accepting
 * never throws (it runs in a server callback), and a refused or failed socket is destroyed.
 *
 * SSL and SASL_SSL listeners accept TCP the same way (the caps and the creation rate count a
 * socket from its accept, so a flood of handshakes cannot exceed them), then run the TLS handshake
 * (tls-acceptor.ts); the Connection is made on the TLS socket once the handshake succeeded, with
 * the principal of the client certificate on SSL (on SASL_SSL, SASL sets it: connection.ts). A listener bound beyond loopback without authentication (PLAINTEXT,
 * or SSL without required client certificates) is logged as a warning at start.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { hostname } from 'node:os';
import type { ListenerAddress } from '../cluster/node.js';
import type { BrokerConfig } from '../config/broker-config.js';
import { normalizeIp } from '../config/ip-overrides.js';
import { BrokerStartError } from '../errors.js';
import type { Logger } from '../logger.js';
import { Connection, type ConnectionDeps } from './connection.js';
import { ConnectionQuotas } from './connection-quotas.js';
import type { ConnectionRateLimits } from '../quotas/connection-rate.js';
import type { BrokerTls } from '../security/broker-tls.js';
import type { Principal } from '../security/authorizer.js';
import { TlsAcceptor } from './tls-acceptor.js';
import { sendfileBinding } from './zero-copy.js';
import { unauthenticatedExposure } from './exposure-warning.js';

export class Listeners {
  private readonly servers: Server[] = [];
  private readonly connections = new Set<Connection>();
  /** Sockets held by a connection creation rate: served or closed when their timer fires. */
  private readonly held = new Map<Socket, NodeJS.Timeout>();
  private readonly quotas: ConnectionQuotas;
  private readonly deps: ConnectionDeps;
  /** TLS handshakes per SSL / SASL_SSL listener name. */
  private readonly tlsAcceptors = new Map<string, TlsAcceptor>();
  private nextConnectionId = 1;
  private stopping = false;
  /** Where clients reach each listener, with real ports once bound. */
  readonly advertised: ListenerAddress[] = [];

  constructor(
    private readonly config: BrokerConfig,
    private readonly log: Logger,
    deps: Omit<ConnectionDeps, 'connectionClosed'>,
    private readonly connectionRate: ConnectionRateLimits | null = null,
    /** The broker's TLS material; required when a listener is SSL or SASL_SSL. */
    private readonly tls: BrokerTls | null = null,
  ) {
    this.quotas = new ConnectionQuotas(config);
    this.deps = { ...deps, connectionClosed: (conn) => this.connectionClosed(conn) };
  }

  /** The TLS acceptor of a listener, made on first use (open()); null for a plaintext listener. */
  private tlsAcceptor(name: string): TlsAcceptor | null {
    if (!this.config.usesTls(name)) return null;
    let acceptor = this.tlsAcceptors.get(name);
    if (acceptor === undefined) {
      if (this.tls === null) throw new BrokerStartError(`Listener ${name} uses TLS but no TLS material was loaded`);
      const certificates = this.tls.forListener(name);
      const ssl = this.config.securityProtocol(name) === 'SSL';
      acceptor = new TlsAcceptor(name, this.config.forListener(name), certificates.material, ssl, this.log, (ok) => {
        // A failed TLS handshake fails authentication on SASL_SSL too; success there is counted by SASL.
        if (ssl || !ok) this.deps.metrics.authentication(name, ok);
      });
      const a = acceptor;
      certificates.subscribe((m) => a.replaceMaterial(m));
      this.tlsAcceptors.set(name, acceptor);
    }
    return acceptor;
  }

  /** Kafka would accept unauthenticated clients here too; say so when the port is reachable from other hosts. */
  private warnIfExposed(l: { name: string; host: string; port: number }): void {
    const warning = unauthenticatedExposure(this.config, l);
    if (warning !== null) this.log.warn({ listener: l.name, host: l.host || '0.0.0.0', port: l.port, securityProtocol: this.config.securityProtocol(l.name) }, warning);
  }

  /** Says once at start how plaintext Fetch responses are sent (zero-copy.ts). */
  private logFetchPath(): void {
    if (!this.config.bool('runnel.fetch.zero.copy.enable')) return this.log.info('fetch responses: read + write (runnel.fetch.zero.copy.enable=false)');
    const { binding, reason } = sendfileBinding();
    if (binding) this.log.info({ binding: reason }, 'fetch responses: zero-copy sendfile on plaintext listeners');
    else this.log.info({ reason }, 'fetch responses: read + write (zero-copy sendfile binding unavailable)');
  }

  /** Binds every configured listener; fails with BrokerStartError when one cannot be bound. */
  async open(): Promise<void> {
    this.logFetchPath();
    const advertisedCfg = this.config.advertisedListeners();
    for (const l of this.config.listeners()) {
      this.tlsAcceptor(l.name);
      this.warnIfExposed(l);
      // max.connections is broker-wide and checked in accept(), not per server (maxConnections).
      // Half-open: a client's FIN does not end our side at once; the requests it sent before it
      // are processed and answered first (connection.ts).
      const server = createServer({ allowHalfOpen: true }, (socket) => this.accept(socket, l.name));
      await new Promise<void>((resolveListen, reject) => {
        server.once('error', (err: NodeJS.ErrnoException) => {
          const where = `${l.host || '0.0.0.0'}:${l.port}`;
          if (err.code === 'EADDRINUSE') reject(new BrokerStartError(`Listener ${l.name} cannot bind ${where}: the port is already in use`));
          else reject(new BrokerStartError(`Listener ${l.name} cannot bind ${where}: ${err.message}`));
        });
        // The accept backlog also bounds how many connections one turn of the event loop accepts
        // (libuv accepts every pending one at once): 10,000 at once held other clients ~150 ms.
        server.listen({ host: l.host === '' ? undefined : l.host, port: l.port, backlog: this.config.int('socket.listen.backlog.size') }, () => resolveListen());
      });
      server.on('error', (err) => this.log.error({ err }, 'listener error'));
      this.servers.push(server);
      const addr = server.address();
      const boundPort = typeof addr === 'object' && addr ? addr.port : l.port;
      const adv = advertisedCfg.find((a) => a.name === l.name) ?? l;
      const host = adv.host === '' || adv.host === '0.0.0.0' || adv.host === '::' ? (l.host && l.host !== '0.0.0.0' ? l.host : hostname()) : adv.host;
      this.advertised.push({ name: l.name, host, port: adv.port === 0 || adv === l ? boundPort : adv.port });
    }
  }

  /** A new socket: refused over a connection cap, else a Connection. Never throws (a listener callback). */
  private accept(socket: Socket, listener: string): void {
    // A refused socket may still report an error (a reset) after destroy(); it must not be unhandled.
    socket.on('error', () => undefined);
    try {
      if (this.stopping) {
        socket.destroy();
        return;
      }
      const ip = normalizeIp(socket.remoteAddress);
      const refused = this.quotas.tryAdd(ip);
      if (refused) {
        this.log.info({ remote: ip, listener, reason: refused }, 'connection refused');
        socket.destroy();
        return;
      }
      const verdict = this.connectionRate?.check(listener, ip);
      if (verdict === undefined || verdict.action === 'accept') this.serve(socket, listener, ip);
      else this.hold(socket, listener, ip, verdict.ms, verdict.action === 'delay' ? null : verdict.reason);
    } catch (err) {
      this.log.error({ err, listener }, 'accepting a connection failed');
      socket.destroy();
    }
  }

  /**
   * A counted socket (past the connection creation rate) becomes a Connection: at once on a
   * plaintext listener, after its TLS handshake on SSL / SASL_SSL ones. Until the handshake
   * succeeds the socket holds its quota slot; a failed one frees it.
   */
  private serve(socket: Socket, listener: string, ip: string): void {
    const tls = this.tlsAcceptors.get(listener);
    if (tls === undefined) {
      this.startConnection(socket, listener, ip, undefined);
      return;
    }
    let handedOver = false;
    socket.once('close', () => {
      if (!handedOver) this.quotas.remove(ip);
    });
    tls.accept(socket, (secure, principal) => {
      handedOver = true;
      if (this.stopping) {
        secure.destroy();
        this.quotas.remove(ip);
        return;
      }
      secure.on('error', () => undefined);
      try {
        // SSL: the certificate's principal; SASL_SSL: SASL authenticates (connection.ts principal).
        this.startConnection(secure, listener, ip, this.config.securityProtocol(listener) === 'SSL' ? principal : undefined);
      } catch (err) {
        this.log.error({ err, listener }, 'accepting a TLS connection failed');
        secure.destroy();
      }
    });
  }

  /** Makes the Connection of an accepted (and, on TLS listeners, handshaken) socket; its quota slot is taken. */
  private startConnection(socket: Socket, listener: string, ip: string, principal: Principal | undefined): void {
    let conn: Connection;
    try {
      conn = new Connection(this.nextConnectionId++, socket, this.deps, listener, this.log, principal);
    } catch (err) {
      this.quotas.remove(ip);
      throw err;
    }
    this.connections.add(conn);
    this.deps.metrics.connectionCreated(listener);
  }

  /** Holds a counted socket for `ms`, then serves it, or closes it when `closeReason` is given. */
  private hold(socket: Socket, listener: string, ip: string, ms: number, closeReason: string | null): void {
    this.log.info({ remote: ip, listener, throttleMs: ms, reason: closeReason ?? 'max.connection.creation.rate exceeded' }, closeReason ? 'connection throttled: closing after the throttle time' : 'connection throttled: held');
    const release = () => {
      if (!this.held.delete(socket)) return;
      try {
        if (closeReason === null && !this.stopping && !socket.destroyed) {
          this.serve(socket, listener, ip);
          return;
        }
        this.quotas.remove(ip);
        socket.destroy();
      } catch (err) {
        this.log.error({ err, listener }, 'serving a held connection failed');
        socket.destroy();
      }
    };
    const timer = setTimeout(release, ms);
    timer.unref();
    this.held.set(socket, timer);
    // A held socket the client gives up on is released at once.
    socket.once('close', () => {
      if (this.held.has(socket)) {
        clearTimeout(timer);
        this.held.delete(socket);
        this.quotas.remove(ip);
      }
    });
  }

  private connectionClosed(conn: Connection): void {
    if (this.connections.delete(conn)) this.quotas.remove(normalizeIp(conn.remoteAddress));
  }

  /** Open connections per listener name (metrics). */
  connectionsByListener(): Map<string, number> {
    const out = new Map<string, number>(this.advertised.map((a) => [a.name, 0]));
    for (const c of this.connections) out.set(c.listener, (out.get(c.listener) ?? 0) + 1);
    return out;
  }

  /**
   * Refuses new connections from now on. Resolves once every server has closed — which a server
   * does only after all its connections ended, so await it after closeConnections().
   */
  stopAccepting(): Promise<void> {
    this.stopping = true;
    return Promise.all(this.servers.map((s) => new Promise<void>((r) => s.close(() => r())))).then(() => undefined);
  }

  /** True while some connection has a request queued or running, or a response unsent. */
  busy(): boolean {
    for (const c of this.connections) if (!c.idle()) return true;
    return false;
  }

  closeConnections(reason: string): void {
    for (const [socket, timer] of this.held) {
      clearTimeout(timer);
      socket.destroy(); // its close handler uncounts it
    }
    for (const a of this.tlsAcceptors.values()) a.closePending();
    for (const c of [...this.connections]) c.close(reason);
  }
}
