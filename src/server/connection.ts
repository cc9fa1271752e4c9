/**
 * One client connection: frames in, requests dispatched to handlers, responses out in request
 * order.
 *
 * Ordering: a request starts when every earlier request of the connection has finished — Kafka's
 * one-request-at-a-time rule — except that pipelinable requests (Produce) may start while only
 * pipelinable requests are in flight, because their ordering effect (offset assignment) happens
 * synchronously when they start. Responses are always written in request order.
 *
 * Protocol errors follow Kafka: an unknown API key, an unsupported version (other than
 * ApiVersions) or an undecodable request closes the connection; an invalid size prefix closes it
 * before any allocation.
 */
import type { Socket } from 'node:net';
import { Reader, Writer } from '../../protocol/primitives.js';
import {
  API_VERSIONS_KEY,
  readRequestHeaderRest,
  readRequestHeaderStart,
  responseHeaderFlexible,
  responseHeaderSize,
  writeResponseHeader,
  type RequestHeader,
} from '../../protocol/headers.js';
import { API_CODECS } from '../../protocol/generated/index.js';
import { ErrorCode, KafkaError } from '../../protocol/errors.js';
import type { ApiCodec } from '../../protocol/codec-support.js';
import type { Logger } from '../logger.js';
import type { Broker } from '../broker.js';
import type { ConnectionInfo, Handler, RequestContext } from '../handlers/types.js';
import { FrameReader } from './frame-reader.js';
import { ResponseWriter, type Chunk } from './response-writer.js';

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
}

export class Connection implements ConnectionInfo {
  readonly remoteAddress: string;
  readonly remotePort: number;
  private readonly frames: FrameReader;
  private readonly writer: ResponseWriter;
  private readonly queue: Pending[] = [];
  private readonly closeHooks = new Set<() => void>();
  closed = false;
  private paused = false;
  private log: Logger;
  private idleTimer: NodeJS.Timeout | null = null;

  constructor(
    readonly id: number,
    private readonly socket: Socket,
    private readonly broker: Broker,
    readonly listener: string,
    rootLog: Logger,
  ) {
    this.remoteAddress = socket.remoteAddress ?? '?';
    this.remotePort = socket.remotePort ?? 0;
    this.log = rootLog.child({ conn: id, remote: `${this.remoteAddress}:${this.remotePort}` });
    this.frames = new FrameReader(broker.config.int('socket.request.max.bytes'));
    this.writer = new ResponseWriter(socket, (err) => this.close(`response write failed: ${err.message}`));
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (err) => this.log.debug({ err: err.message }, 'socket error'));
    socket.on('close', () => this.onClosed());
    this.touch();
  }

  close(reason: string): void {
    if (this.closed) return;
    this.log.info({ reason }, 'closing connection');
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
    const hooks = [...this.closeHooks];
    this.closeHooks.clear();
    for (const fn of hooks) {
      try {
        fn();
      } catch (err) {
        this.log.error({ err }, 'connection close hook failed');
      }
    }
    this.broker.connectionClosed(this);
  }

  private touch(): void {
    const idleMs = this.broker.config.int('connections.max.idle.ms');
    if (idleMs < 0) return;
    if (this.idleTimer) this.idleTimer.refresh();
    else {
      this.idleTimer = setTimeout(() => {
        if (this.queue.length === 0) this.close('idle timeout');
        else this.touch();
      }, idleMs);
      this.idleTimer.unref();
    }
  }

  private onData(chunk: Buffer): void {
    if (this.closed) return;
    this.touch();
    this.frames.push(chunk);
    for (;;) {
      const r = this.frames.next();
      if (r === null) break;
      if ('error' in r) {
        this.log.warn({ reason: r.error }, 'invalid request frame');
        this.close(r.error);
        return;
      }
      this.onFrame(r.frame);
      if (this.closed) return;
    }
    if (!this.paused && this.queue.length >= this.broker.config.int('queued.max.requests')) {
      this.paused = true;
      this.socket.pause();
    }
  }

  private onFrame(frame: Buffer): void {
    const r = new Reader(frame);
    const header = readRequestHeaderStart(r);
    if (r.error) return this.close(`truncated request header: ${r.error}`);
    const handler = this.broker.handlers.get(header.apiKey);
    const codec = API_CODECS.get(header.apiKey);
    if (!handler || !codec) return this.close(`unknown API key ${header.apiKey}`);
    const supported = header.apiVersion >= handler.minVersion && header.apiVersion <= handler.maxVersion;
    if (!supported && header.apiKey !== API_VERSIONS_KEY) {
      return this.close(`unsupported version ${header.apiVersion} of API ${codec.name} (key ${header.apiKey})`);
    }
    // ApiVersions at a version we do not know is answered (as v0) even if its body is unreadable.
    const flexible = codec.flexibleFrom >= 0 && header.apiVersion >= codec.flexibleFrom;
    readRequestHeaderRest(r, header, supported && flexible);
    if (r.error) return this.close(`bad request header: ${r.error}`);
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
    };
    this.queue.push(pending);
    this.pump();
  }

  /** Starts whatever may start, then writes finished responses from the front, in order. */
  private pump(): void {
    let allEarlierPipelinable = true;
    let allEarlierDone = true;
    for (const p of this.queue) {
      if (p.state === 'waiting') {
        if (allEarlierDone || (p.pipelinable && allEarlierPipelinable)) this.start(p);
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
    }
    if (this.paused && this.queue.length < this.broker.config.int('queued.max.requests') / 2) {
      this.paused = false;
      this.socket.resume();
    }
  }

  private start(p: Pending): void {
    p.state = 'running';
    p.startedAt = performance.now();
    const ctx: RequestContext = { broker: this.broker, header: p.header, version: p.header.apiVersion, conn: this, log: this.log };
    let result: object | null | Promise<object | null>;
    try {
      result = p.header.apiKey === API_VERSIONS_KEY && p.header.apiVersion > p.handler.maxVersion ? this.unsupportedApiVersions() : p.handler.handle(ctx, p.request);
    } catch (err) {
      this.finish(p, this.failure(ctx, p, err));
      return;
    }
    if (result instanceof Promise) {
      result.then(
        (res) => this.finish(p, res),
        (err) => this.finish(p, this.failure(ctx, p, err)),
      );
    } else this.finish(p, result);
  }

  private failure(ctx: RequestContext, p: Pending, err: unknown): object | null | 'close' {
    const code = err instanceof KafkaError ? err.code : ErrorCode.UNKNOWN_SERVER_ERROR;
    const message = err instanceof Error ? err.message : String(err);
    if (!(err instanceof KafkaError)) this.log.error({ err, api: p.codec.name, version: p.header.apiVersion }, 'request handler failed');
    if (p.handler.errorResponse) {
      try {
        return p.handler.errorResponse(ctx, p.request, code, message);
      } catch (e) {
        this.log.error({ err: e }, 'building the error response failed');
      }
    }
    return 'close';
  }

  private finish(p: Pending, res: object | null | 'close'): void {
    const seconds = (performance.now() - p.startedAt) / 1000;
    if (res === 'close') this.broker.metrics.requestFailed(p.header.apiKey, seconds);
    else this.broker.metrics.requestDone(p.header.apiKey, seconds, res);
    if (this.closed) return;
    if (res === 'close') {
      this.close(`${p.codec.name} failed without an error response`);
      return;
    }
    try {
      p.response = res === null ? null : this.encode(p, res);
    } catch (err) {
      this.log.error({ err, api: p.codec.name, version: p.header.apiVersion }, 'response encoding failed');
      this.close('response encoding failed');
      return;
    }
    p.state = 'done';
    this.pump();
  }

  private encode(p: Pending, res: object): Chunk[] {
    const apiKey = p.header.apiKey;
    // An ApiVersions reply to a version we do not serve is encoded as v0 (see unsupportedApiVersions).
    const version = apiKey === API_VERSIONS_KEY && p.header.apiVersion > p.handler.maxVersion ? 0 : p.header.apiVersion;
    const flexible = p.codec.flexibleFrom >= 0 && version >= p.codec.flexibleFrom;
    const headerFlexible = responseHeaderFlexible(apiKey, flexible);
    const size = responseHeaderSize(headerFlexible) + p.codec.sizeResponse(version, res);
    const external = p.handler.externalBytes?.(res) ?? 0;
    const w = new Writer(4 + size - external);
    w.int32(size);
    writeResponseHeader(w, p.header.correlationId, headerFlexible);
    p.codec.encodeResponse(w, version, res);
    return external > 0 ? w.finishChunks() : [w.finish()];
  }

  /** ApiVersions at a version above ours: UNSUPPORTED_VERSION with our ranges, encoded as v0. */
  private unsupportedApiVersions(): object {
    return this.broker.apiVersionsResponse(ErrorCode.UNSUPPORTED_VERSION);
  }
}
