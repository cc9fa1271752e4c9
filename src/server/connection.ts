/**
 * One client connection: frames in, requests dispatched to handlers, responses out in request
 * order.
 *
 * Ordering: a request starts when every earlier request of the connection has finished — Kafka's
 * one-request-at-a-time rule — except that pipelinable requests (Produce) may start while only
 * pipelinable requests are in flight, because their ordering effect (offset assignment) happens
 * synchronously when they start. Responses are always written in request order.
 *
 * Reading stops (the socket is paused, buffered frames are left unparsed) while any of these
 * holds, and resumes when it no longer does:
 *  - queued.max.requests requests are queued;
 *  - the client leaves more than runnel.socket.unsent.response.max.bytes of responses unread
 *    (write backpressure; no new request starts then either, so unread responses cannot pile up);
 *  - the next frame does not fit the request memory budgets (request-memory.ts);
 *  - the connection has used its turn (below);
 *  - the connection is throttled by a client quota (below).
 * A frame that has started arriving must complete within runnel.request.receive.timeout.ms
 * (time spent waiting for memory or muted by a client quota excepted).
 *
 * Turns: so that a connection with many cheap pipelined requests cannot hold the others back,
 * each entry from outside may start requests for a few milliseconds, then the connection
 * continues in a later turn of the event loop (fair-turns.ts).
 *
 * The client closing its side (FIN; the socket is half-open, listener.ts): every request that
 * arrived whole before it is still processed and answered, in order, as Kafka does ("a producer
 * with acks=0 sends some records and closes its connection"), then this side is ended too. Only
 * when the socket closes for good (reset, a failed write, close()) are requests dropped.
 *
 * Client quotas (connection-throttle.ts): requests are recorded against the quotas that apply; one
 * exceeded sets throttle_time_ms and mutes the connection that long (KIP-219): no request is read
 * or started, so a client ignoring throttle_time_ms is held too.
 *
 * Protocol errors follow Kafka: an unknown API key, an unsupported version (other than
 * ApiVersions) or an undecodable request closes the connection; an invalid size prefix (negative,
 * zero, above socket.request.max.bytes) closes it before any allocation.
 *
 * Failures stay with their connection: a handler that throws fails its request (an error
 * response, else the connection closes), and every callback that enters this class from outside
 * (socket events, timers, promise settlements, the memory pool) runs through `guarded`, which
 * logs an exception at error and closes this connection instead of letting it reach the process.
 * SASL listeners: until authenticated only SASL requests are served, bounded (sasl-gate.ts).
 *
 * Handlers get a RequestContext per request: the request's header, this connection, its logger,
 * and the broker's ports (BrokerServices), which the listener passes in with everything else the
 * connection uses of the broker (ConnectionDeps) — never the Broker itself.
 */
import type { Socket } from 'node:net';
import { Reader } from '../../protocol/primitives.js';
import { API_VERSIONS_KEY, readRequestHeaderRest, readRequestHeaderStart, type RequestHeader } from '../../protocol/headers.js';
import { API_CODECS } from '../../protocol/generated/index.js';
import { ErrorCode } from '../../protocol/errors.js';
import type { ApiCodec } from '../../protocol/codec-support.js';
import type { ConfigView } from '../config/view.js';
import type { Logger } from '../logger.js';
import type { RequestMetrics } from '../metrics.js';
import { ANONYMOUS, type Principal } from '../security/authorizer.js';
import type { SaslSession } from '../security/sasl/session.js';
import { SaslGate } from './sasl-gate.js';
import { ReceiveDeadline } from './receive-deadline.js';
import type { BrokerServices, ConnectionInfo, Handler, RequestContext } from '../handlers/types.js';
import { requestContext } from './request-context.js';
import { FairTurns } from './fair-turns.js';
import { FrameReader } from './frame-reader.js';
import { ResponseTooLarge, encodeResponse, handlerFailure, isUnsupportedApiVersions } from './response-encoding.js';
import { ResponseWriter, type Chunk } from './response-writer.js';
import { zeroCopySocket } from './zero-copy.js';
import { ConnectionMemory, type RequestMemoryPool } from './request-memory.js';
import type { ClientQuotas } from '../quotas/client-quotas.js';
import { ConnectionThrottle } from './connection-throttle.js';

/** What a connection uses of the broker, given by the listener (listener.ts). */
export interface ConnectionDeps {
  readonly config: ConfigView;
  /** Handlers by API key (handlers/registry.ts). */
  readonly handlers: { get(apiKey: number): Handler | undefined };
  /** queued.max.request.bytes: the broker-wide budget of received, unprocessed request bytes. */
  readonly requestMemory: RequestMemoryPool;
  readonly metrics: RequestMetrics;
  /** The ports every request's context carries. */
  readonly services: BrokerServices;
  /** Client quota enforcement; absent in tests that build connections by hand. */
  readonly quotas?: ClientQuotas;
  /** Called once when the connection has closed. */
  connectionClosed(conn: Connection): void;
  /** SASL sessions for connections on SASL listeners (security/sasl/sasl-service.ts); absent: none. */
  readonly sasl?: { sessionFor(listener: string, remoteHost: string, remotePort: number): SaslSession | null } | null;
}

/** Longest client id put into log context (it is the client's string). */
const LOGGED_CLIENT_ID_CHARS = 200;

/** Array elements and tagged fields decoded per allowed request entry (see onFrame). */
const DECODE_ELEMENTS_PER_ENTRY = 4;

interface Pending {
  header: RequestHeader;
  handler: Handler;
  codec: ApiCodec;
  request: object;
  pipelinable: boolean;
  state: 'waiting' | 'running' | 'done';
  /** Encoded response, or null when none is sent. */
  response: Chunk[] | null;
  /** performance.now() when the handler started (request latency metrics). */
  startedAt: number;
  /** Frame bytes reserved in the request memory budgets until the request is processed. */
  bytes: number;
  /** Milliseconds the handler ran synchronously (request_percentage), measured only while quotas are active. */
  handlerMs: number;
  /** Throttle time (ms) from recording a Produce request's bytes when it started. */
  throttleMs: number;
}

/** What a finished request keeps of its decoded request while it waits to be written (nothing). */
const RELEASED_REQUEST = Object.freeze({});

export class Connection implements ConnectionInfo {
  readonly remoteAddress: string;
  readonly remotePort: number;
  /** The connection's SASL authentication (and its gate), or null on a listener without SASL. */
  readonly sasl: SaslSession | null;
  private readonly gate: SaslGate | null;
  /** Who the transport says the client is: the SSL client certificate's principal, else ANONYMOUS. */
  private readonly transportPrincipal: Principal;
  private readonly frames: FrameReader;
  private readonly writer: ResponseWriter;
  private readonly queue: Pending[] = [];
  private readonly closeHooks = new Set<() => void>();
  private readonly memory: ConnectionMemory;
  closed = false;
  /** True while the socket is paused (see the reading rules in the header). */
  private paused = false;
  /** Guards readFrames() against re-entry from the requests it starts. */
  private parsing = false;
  /** The client closed its side (FIN): finish what it sent, then end ours (endIfDone). */
  private peerEnded = false;
  private readonly turns: FairTurns;
  /** The connection's logger without a client id; `log` adds the client's. */
  private readonly baseLog: Logger;
  private log: Logger;
  private clientId: string | null = null;
  private idleTimer: NodeJS.Timeout | null = null;
  /** Frames read so far; numbers the frame being received for its deadline. */
  private framesRead = 0;
  private readonly receiveDeadline: ReceiveDeadline;
  private readonly maxQueuedRequests: number;
  private readonly maxUnsentBytes: number;
  private readonly maxResponseBytes: number;
  private readonly idleMs: number;
  /** Client quotas: recording, throttle_time_ms and the mute (connection-throttle.ts). */
  private readonly throttle: ConnectionThrottle;

  constructor(
    readonly id: number,
    private readonly socket: Socket,
    private readonly deps: ConnectionDeps,
    readonly listener: string,
    rootLog: Logger,
    /** Who the transport authenticated (an SSL client certificate); ANONYMOUS when absent. */
    principal?: Principal,
  ) {
    this.remoteAddress = socket.remoteAddress ?? '?';
    this.remotePort = socket.remotePort ?? 0;
    this.transportPrincipal = principal ?? { type: 'User', name: ANONYMOUS, host: this.remoteAddress };
    // A principal from the transport (SSL client certificate) names the client in every log line.
    this.baseLog = rootLog.child({ conn: id, remote: `${this.remoteAddress}:${this.remotePort}`, ...(principal ? { principal: `${principal.type}:${principal.name}` } : {}) });
    this.log = this.baseLog;
    this.turns = new FairTurns(this.guarded('next turn', () => !this.closed && this.pump()));
    const config = deps.config;
    this.throttle = new ConnectionThrottle(deps.quotas, this.guarded('throttle end', () => !this.closed && this.pump()));
    this.maxQueuedRequests = config.int('queued.max.requests');
    this.maxUnsentBytes = config.int('runnel.socket.unsent.response.max.bytes');
    this.maxResponseBytes = config.int('runnel.socket.response.max.bytes');
    this.receiveDeadline = new ReceiveDeadline(config.int('runnel.request.receive.timeout.ms'), this.guarded('receive timer', (frame: number) => this.onReceiveTimeout(frame)));
    this.idleMs = config.int('connections.max.idle.ms');
    this.frames = new FrameReader(config.int('socket.request.max.bytes'));
    this.memory = new ConnectionMemory(
      deps.requestMemory,
      config.int('runnel.queued.max.request.bytes.per.connection'),
      this.guarded('memory wake-up', () => this.readFrames()),
    );
    this.writer = new ResponseWriter(
      socket,
      this.guarded('response writer', (err: Error) => this.close(`response write failed: ${err.message}`)),
      this.guarded('response written', () => this.onWriteProgress()),
      zeroCopySocket(socket, config),
    );
    socket.setNoDelay(true);
    socket.on('data', this.guarded('socket data', (chunk: Buffer) => this.onData(chunk)));
    socket.on('drain', this.guarded('socket drain', () => this.onWriteProgress()));
    socket.on('error', (err) => this.log.debug({ err: err.message }, 'socket error'));
    socket.on('end', this.guarded('socket end', () => this.onPeerEnded()));
    socket.on('close', this.guarded('socket close', () => this.onClosed()));
    this.touch();
    this.sasl = deps.sasl?.sessionFor(listener, this.remoteAddress, this.remotePort) ?? null;
    const host = { close: (r: string, level?: 'info' | 'debug') => this.close(r, level), send: (b: Buffer) => this.writer.send([b]), release: (n: number) => this.memory.release(n), readOn: () => this.readFrames() };
    const end = (reason: string) => (this.log.info({ reason }, 'closing connection after its response'), this.socket.end());
    this.gate = this.sasl && new SaslGate(this.sasl, { ...host, end, guarded: (what, fn) => this.guarded(what, fn) });
  }

  /** Who the connection is: the SASL-authenticated user (SASL_*), else the transport's (SSL: the certificate's; ANONYMOUS). */
  get principal(): Principal { return this.sasl?.principal ?? this.transportPrincipal; }

  /**
   * Wraps a callback that enters this connection from outside: an exception in it is a bug, logged
   * at error with its context, and it closes this connection, never the process.
   */
  private guarded<A extends unknown[]>(what: string, fn: (...args: A) => void): (...args: A) => void {
    return (...args: A) => {
      this.turns.enter();
      try {
        fn(...args);
      } catch (err) {
        this.fail(what, err);
      } finally {
        this.turns.exit();
      }
    };
  }

  private fail(what: string, err: unknown): void {
    this.log.error({ err, in: what }, 'connection failed');
    try {
      this.close(`internal error in ${what}`);
    } catch (e) {
      this.log.error({ err: e }, 'closing the failed connection failed');
      this.socket.destroy();
    }
  }

  close(reason: string, level: 'info' | 'debug' = 'info'): void {
    if (this.closed) return;
    this.log[level]({ reason }, 'closing connection');
    this.socket.destroy();
    this.onClosed();
  }

  onClose(fn: () => void): () => void {
    this.closeHooks.add(fn);
    return () => this.closeHooks.delete(fn);
  }

  /** True when no request is queued or running and nothing waits to be written. */
  idle(): boolean {
    return this.queue.length === 0 && this.writer.idle();
  }

  private onClosed(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.receiveDeadline.stop();
    this.gate?.stop();
    this.throttle.close();
    this.memory.close();
    const hooks = [...this.closeHooks];
    this.closeHooks.clear();
    for (const fn of hooks) {
      try {
        fn();
      } catch (err) {
        this.log.error({ err }, 'connection close hook failed');
      }
    }
    this.deps.connectionClosed(this);
  }

  /** The client sent its FIN: nothing more arrives; what did arrive is still processed. */
  private onPeerEnded(): void {
    if (this.closed) return;
    this.peerEnded = true;
    this.readFrames();
  }

  /**
   * After the client's FIN, once every whole request it sent has been processed and the responses
   * handed to the socket: end our side (Node flushes what the socket buffers first), and the
   * socket closes. A partial frame left at the FIN can never complete and is dropped. Not while
   * readFrames() runs (it may have whole frames left) nor while reading is held back (a turn, the
   * memory budgets, unsent responses: whoever lifts that reads on and comes back here).
   */
  private endIfDone(): void {
    if (!this.peerEnded || this.closed || this.parsing || this.paused || this.queue.length > 0 || !this.writer.idle()) return;
    this.socket.end();
  }

  /** Bytes arrived or responses left: the connection is not idle. */
  private touch(): void {
    if (this.idleMs < 0) return;
    if (this.idleTimer) this.idleTimer.refresh();
    else {
      this.idleTimer = setTimeout(
        this.guarded('idle timer', () => {
          // Idle: nothing queued, or responses the client has not read for the whole period.
          if (this.queue.length === 0 || this.writer.unsentBytes() > 0) this.close('idle timeout');
          else this.touch();
        }),
        this.idleMs,
      );
      this.idleTimer.unref();
    }
  }

  private onData(chunk: Buffer): void {
    if (this.closed) return;
    this.touch();
    this.frames.push(chunk);
    this.readFrames();
  }

  /** The socket drained or a queued response went out: requests held back may start. */
  private onWriteProgress(): void {
    if (this.closed) return;
    this.touch();
    this.pump(); // ends with readFrames(), which ends our side when the client's FIN came and all is done
  }

  /** Why no further request may be read now, or null. */
  private readBlocked(): string | null {
    if (this.gate?.closing || this.gate?.rawTokenBusy) return 'SASL';
    if (this.turns.usedUp()) return 'turn used up';
    if (this.throttle.muted()) return 'throttled by a client quota';
    if (this.queue.length >= this.maxQueuedRequests) return 'queued.max.requests';
    if (this.writer.unsentBytes() > this.maxUnsentBytes) return 'unsent responses';
    return null;
  }

  /**
   * Turns buffered bytes into queued requests while reading is allowed, then pauses or resumes the
   * socket to match. Called when bytes arrive and whenever a reason to stop reading may be gone
   * (a request finished, responses drained, the memory pool freed up).
   */
  private readFrames(): void {
    if (this.parsing || this.closed) return;
    this.parsing = true;
    try {
      let blocked = this.readBlocked();
      while (blocked === null) {
        const size = this.frames.nextSize();
        if (size === null) break;
        if (typeof size !== 'number') {
          this.log.warn({ reason: size.error }, 'invalid request frame');
          this.close(size.error);
          return;
        }
        const refused = this.gate?.frameRefusal(size);
        if (refused) return this.close(refused);
        if (!this.memory.admit(size)) {
          blocked = 'request memory';
          break;
        }
        const frame = this.frames.take();
        if (frame === null) break;
        this.memory.received();
        this.framesRead++;
        this.onFrame(frame, size);
        if (this.closed) return;
        blocked = this.readBlocked();
      }
      this.setReading(blocked);
    } finally {
      this.parsing = false;
    }
    this.endIfDone();
  }

  /** Pauses the socket for `blocked` (a reason), or resumes it when null. */
  private setReading(blocked: string | null): void {
    if (blocked === null && this.paused) {
      this.paused = false;
      this.socket.resume();
    } else if (blocked !== null && !this.paused) {
      this.paused = true;
      this.socket.pause();
      this.log.debug({ reason: blocked }, 'reading paused');
    }
    this.armReceiveTimer();
  }

  /** runnel.request.receive.timeout.ms for the frame arriving (receive-deadline.ts has the rules). */
  private armReceiveTimer(): void {
    // Not while a client quota mutes the connection: that wait is ours, not the client's.
    this.receiveDeadline.arm(this.frames.midFrame() && (!this.paused || this.memory.receivingFrame()) && !this.throttle.mutePending, this.framesRead);
  }

  private onReceiveTimeout(frame: number): void {
    if (this.closed || frame !== this.framesRead) return;
    const reason = `request frame not received within runnel.request.receive.timeout.ms (${this.receiveDeadline.timeoutMs} ms)`;
    this.log.warn({ buffered: this.frames.bufferedBytes() }, reason);
    this.close(reason);
  }

  private onFrame(frame: Buffer, bytes: number): void {
    if (this.gate?.expectsRawToken()) return this.gate.rawToken(frame, bytes, this.queue.length);
    const r = new Reader(frame);
    const header = readRequestHeaderStart(r);
    if (r.error) return this.close(`truncated request header: ${r.error}`);
    const handler = this.deps.handlers.get(header.apiKey);
    const codec = API_CODECS.get(header.apiKey);
    if (!handler || !codec) return this.close(`unknown API key ${header.apiKey}`);
    const refused = this.gate?.requestRefusal(header.apiKey);
    if (refused) return this.close(refused);
    const supported = header.apiVersion >= handler.minVersion && header.apiVersion <= handler.maxVersion;
    if (!supported && header.apiKey !== API_VERSIONS_KEY) {
      return this.close(`unsupported version ${header.apiVersion} of API ${codec.name} (key ${header.apiKey})`);
    }
    // ApiVersions at a version we do not know is answered (as v0) even if its body is unreadable.
    const flexible = codec.flexibleFrom >= 0 && header.apiVersion >= codec.flexibleFrom;
    // Decoding runs before any handler's entry cap (runnel.request.max.entries); bound its work
    // too, generously: nested lists (a topic's partitions, a partition's replicas) count twice.
    // From the header on: its tagged fields count as well.
    r.elementBudget = DECODE_ELEMENTS_PER_ENTRY * this.deps.config.int('runnel.request.max.entries');
    readRequestHeaderRest(r, header, supported && flexible);
    if (r.error) return this.close(`bad request header: ${r.error}`);
    if (header.clientId !== this.clientId) this.setClientId(header.clientId);
    let request: object;
    if (supported) {
      request = codec.decodeRequest(r, header.apiVersion);
      if (r.error) return this.close(`cannot decode ${codec.name} v${header.apiVersion}: ${r.error}`);
    } else request = codec.newRequest();
    const pending: Pending = {
      header,
      handler,
      codec,
      request,
      pipelinable: handler.pipelinable === true && supported,
      state: 'waiting',
      response: null,
      startedAt: 0,
      bytes,
      handlerMs: 0,
      throttleMs: 0,
    };
    this.queue.push(pending);
    this.pump();
  }

  /** Log context names the client (DESIGN §6: {conn, clientId}). */
  private setClientId(clientId: string | null): void {
    this.clientId = clientId;
    this.log = this.baseLog.child({ clientId: clientId === null ? null : clientId.slice(0, LOGGED_CLIENT_ID_CHARS) });
  }

  /**
   * Starts whatever may start, then writes finished responses from the front, in order, then reads
   * on if reading was held back. Nothing starts while the client leaves its responses unread.
   */
  private pump(): void {
    let allEarlierPipelinable = true;
    let allEarlierDone = true;
    for (const p of this.queue) {
      if (p.state === 'waiting') {
        const backedUp = this.writer.unsentBytes() > this.maxUnsentBytes;
        if (!backedUp && !this.throttle.muted() && (allEarlierDone || (p.pipelinable && allEarlierPipelinable)) && !this.turns.usedUp()) this.start(p);
        else break;
      }
      if (p.state !== 'done') {
        allEarlierDone = false;
        if (!p.pipelinable) allEarlierPipelinable = false;
      }
    }
    while (this.queue.length > 0 && this.queue[0]!.state === 'done') {
      const p = this.queue.shift()!;
      if (p.response) this.writer.send(p.response);
      if (this.gate?.endsAfter(p.header.apiKey)) return;
    }
    this.readFrames();
  }

  private start(p: Pending): void {
    p.state = 'running';
    p.startedAt = performance.now();
    if (p.header.apiKey === 0 && this.throttle.active) p.throttleMs = this.throttle.produceStarted(this.principal.name, this.clientId, p.bytes);
    const ctx = requestContext(this.deps.services, p.header, this, this.log);
    let result: object | null | Promise<object | null>;
    try {
      result = isUnsupportedApiVersions(p.header, p.handler) ? ctx.apiVersions.apiVersionsResponse(ErrorCode.UNSUPPORTED_VERSION) : p.handler.handle(ctx, p.request);
      if (this.throttle.active) p.handlerMs = performance.now() - p.startedAt;
    } catch (err) {
      this.finish(p, handlerFailure(this.log, ctx, p, err));
      return;
    }
    if (result instanceof Promise) {
      // Settlements enter from the promise machinery: an exception here would otherwise be an
      // unhandled rejection (see `guarded`).
      result.then(
        (res) => {
          this.turns.enter();
          try {
            this.finish(p, res);
          } catch (err) {
            this.fail(`${p.codec.name} completion`, err);
          } finally {
            this.turns.exit();
          }
        },
        (err: unknown) => {
          this.turns.enter();
          try {
            this.finish(p, handlerFailure(this.log, ctx, p, err));
          } catch (e) {
            this.fail(`${p.codec.name} failure`, e);
          } finally {
            this.turns.exit();
          }
        },
      );
    } else this.finish(p, result);
  }

  private finish(p: Pending, res: object | null | 'close'): void {
    // Quotas are recorded while the request and its frame size are still known.
    if (res !== 'close' && this.throttle.active) this.throttle.record(this.principal.name, this.clientId, p.header, p.codec, p.request, p.throttleMs, p.handlerMs, res);
    // Processed: its frame no longer counts against the budgets, nor is it kept alive while the
    // response waits behind earlier ones.
    this.memory.release(p.bytes);
    p.bytes = 0;
    p.request = RELEASED_REQUEST;
    const seconds = (performance.now() - p.startedAt) / 1000;
    if (res === 'close') this.deps.metrics.requestFailed(p.header.apiKey, seconds);
    else this.deps.metrics.requestDone(p.header.apiKey, seconds, res);
    if (this.closed) return;
    if (res === 'close') {
      this.close(`${p.codec.name} failed without an error response`);
      return;
    }
    try {
      p.response = res === null ? null : encodeResponse(p.header, p.handler, p.codec, res, this.maxResponseBytes);
    } catch (err) {
      if (err instanceof ResponseTooLarge) {
        this.log.warn({ api: p.codec.name, version: p.header.apiVersion, bytes: err.bytes }, 'response over runnel.socket.response.max.bytes: connection closed');
        this.close('response too large');
        return;
      }
      this.log.error({ err, api: p.codec.name, version: p.header.apiVersion }, 'response encoding failed');
      this.close('response encoding failed');
      return;
    }
    p.state = 'done';
    this.pump();
  }
}
