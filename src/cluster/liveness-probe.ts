/**
 * One broker's liveness probe (liveness-monitor.ts has the why): an idle TCP connection to the
 * broker's inter-broker listener, and the rule that turns what the kernel says about that port
 * into "this broker's process is gone".
 *
 * A process that dies (SIGKILL, crash, OOM kill) has its sockets closed by the kernel at once:
 * the idle connection gets a FIN or RST, and a new connect to its port is refused (ECONNREFUSED:
 * the host answered with a reset, nothing listens there). Neither happens to a process that is
 * alive but frozen (SIGSTOP, a long GC or event-loop stall: the kernel still completes the
 * handshake into the listen backlog), nor behind a network cut or a dead host (no answer: a
 * timeout, EHOSTUNREACH). So a "no listener" answer counts, and only:
 *  - after the probe has connected to this address at least once (a broker never reached, e.g.
 *    behind a wrongly advertised address, is never judged: it is left to the lease);
 *  - twice in a row, `confirmMs` apart, with no successful connect between (a brief gap while a
 *    listener is rebound is not a death).
 * "No listener" is a refused connect; or — only right after the peer itself closed our connection
 * (a FIN or a reset: its kernel acted, which a network cut never makes happen) — a connect that
 * times out or finds the host unreachable. That second form is a container killed with its network
 * namespace (Docker): its kernel closes the process's sockets, then its address vanishes instead of
 * refusing. A live broker closes the probe's connection only when idle for connections.max.idle.ms,
 * and then accepts the next connect. Anything else (a timeout or unreachable host with no close
 * from the peer first, e.g. our own keepalive giving up) retries every `retryMs` and says nothing. A closed
 * connection is always followed up at once (a broker killed right after the probe connected is
 * found as fast as any other), unless the connections keep closing soon after they open (a proxy
 * in front of a dead process, a full `max.connections`): from the second such one in a row, the
 * next connect waits `retryMs`.
 *
 * The connection carries no request: the broker only sees an idle client (it closes it after
 * connections.max.idle.ms; the probe then connects again). On a SASL inter-broker listener the
 * probe first logs in as this broker (`greet`: ApiVersions, SaslHandshake, SaslAuthenticate), else
 * the listener would close it after runnel.sasl.authentication.timeout.ms and the probe would
 * reconnect every few seconds. A login the other broker refuses (its SCRAM credential not made
 * yet) leaves the probe's connections silent, as before, for `greetBackoffMs`: at most one refused
 * login per peer per back-off. The greeting never decides anything about the peer's life: the
 * socket's own events do, as for a silent connection.
 */
import { type Socket, connect } from 'node:net';

export interface ProbeTarget {
  brokerId: number;
  /** The registration's lease id: what is revoked, and nothing else. */
  incarnation: string;
  host: string;
  port: number;
}

export interface ProbeOptions {
  /** Called once, when the rule above says the process at the target is gone. */
  onGone: (target: ProbeTarget, evidence: string) => void;
  /** Between the two refused connects. */
  confirmMs: number;
  /** Between inconclusive attempts (timeouts, unreachable, short-lived connections). */
  retryMs: number;
  /** A connect that has not completed by then is abandoned (inconclusive). */
  connectTimeoutMs: number;
  /** Connections that keep closing sooner than this after they opened are retried after retryMs (see the header). */
  minLifetimeMs: number;
  /** A connection factory (tests); net.connect by default. */
  connect?: (host: string, port: number) => Socket;
  /**
   * Says something on each new connection (see the header); absent: the connection stays silent.
   * Rejects only when the peer refused it (a lost connection resolves: the socket's events judge).
   */
  greet?: (socket: Socket, host: string, port: number) => Promise<void>;
  /** After a refused greeting, connections stay silent this long. */
  greetBackoffMs?: number;
  /** Called when the peer refused the greeting (a login refused, not a closed connection). */
  onGreetRefused?: (target: ProbeTarget, err: Error) => void;
}

export class LivenessProbe {
  private socket: Socket | null = null;
  private timer: NodeJS.Timeout | null = null;
  /** Whether a connect to this address ever succeeded. */
  private reached = false;
  /** Consecutive "no listener" answers (see the header) since the last successful connect. */
  private refusals = 0;
  /** The peer closed our last connection (FIN or reset) and no connect has succeeded since. */
  private peerClosed = false;
  /** Consecutive connections that closed sooner than minLifetimeMs after opening. */
  private shortLived = 0;
  private stopped = false;
  private gone = false;
  /** No greeting before this time (performance.now()), after a refused one. */
  private greetAfter = 0;

  constructor(
    readonly target: ProbeTarget,
    private readonly options: ProbeOptions,
  ) {}

  start(): void {
    this.open();
  }

  /** Closes the connection and cancels any retry; idempotent. */
  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.socket?.destroy();
    this.socket = null;
  }

  /** Whether the probe holds an open connection now (tests, metrics). */
  get connected(): boolean {
    return this.socket !== null && !this.socket.connecting && !this.socket.destroyed;
  }

  private open(): void {
    if (this.stopped || this.gone) return;
    const { host, port } = this.target;
    const socket = this.options.connect ? this.options.connect(host, port) : connect({ host, port });
    this.socket = socket;
    let connectedAt = -1;
    let errorCode: string | undefined;
    // A probe never keeps the process alive on its own (the broker closes it when it stops).
    socket.unref();
    socket.setTimeout(this.options.connectTimeoutMs);
    let gotFin = false;
    socket.on('connect', () => {
      connectedAt = performance.now();
      this.reached = true;
      this.refusals = 0;
      this.peerClosed = false;
      socket.setTimeout(0);
      this.greet(socket);
    });
    socket.on('end', () => {
      gotFin = true;
    });
    socket.on('timeout', () => {
      errorCode = 'ETIMEDOUT';
      socket.destroy();
    });
    // The broker never writes to a connection that sent no request; drain whatever comes.
    socket.on('data', () => undefined);
    socket.on('error', (err: NodeJS.ErrnoException) => {
      errorCode ??= err.code;
    });
    socket.on('close', () => {
      if (this.socket !== socket || this.stopped) return;
      this.socket = null;
      if (connectedAt >= 0) {
        // The peer closed (or reset) our connection: find out at once whether anything still listens.
        this.peerClosed = gotFin || errorCode === 'ECONNRESET';
        this.shortLived = performance.now() - connectedAt < this.options.minLifetimeMs ? this.shortLived + 1 : 0;
        this.schedule(this.shortLived >= 2 ? this.options.retryMs : 0);
        return;
      }
      const vanished = this.peerClosed && (errorCode === 'ETIMEDOUT' || errorCode === 'EHOSTUNREACH' || errorCode === 'ENETUNREACH' || errorCode === 'EHOSTDOWN');
      if ((errorCode === 'ECONNREFUSED' || vanished) && this.reached) {
        this.refusals++;
        if (this.refusals >= 2) {
          this.gone = true;
          const what = vanished ? `closed its connection, then ${errorCode} on` : 'refused';
          this.options.onGone(this.target, `${host}:${port} ${what} ${this.refusals} connects ${this.options.confirmMs} ms apart`);
          return;
        }
        this.schedule(this.options.confirmMs);
        return;
      }
      // Never reached, timed out, unreachable: not evidence of a death. The lease decides.
      this.refusals = 0;
      this.schedule(this.options.retryMs);
    });
  }

  private greet(socket: Socket): void {
    const greet = this.options.greet;
    if (!greet || performance.now() < this.greetAfter) return;
    greet(socket, this.target.host, this.target.port).catch((err: Error) => {
      // Refused: stay silent for a while rather than be refused again and again.
      if (this.stopped) return;
      this.greetAfter = performance.now() + (this.options.greetBackoffMs ?? 0);
      this.options.onGreetRefused?.(this.target, err);
    });
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    if (delayMs === 0) {
      this.open();
      return;
    }
    this.timer = setTimeout(() => {
      this.timer = null;
      this.open();
    }, delayMs);
    this.timer.unref();
  }
}
