/**
 * One TCP connection to one Kafka broker: framing, correlation ids, many requests in flight, and
 * version negotiation.
 *
 * On connect the client sends ApiVersions (v3, falling back to v0 when the broker answers
 * UNSUPPORTED_VERSION, which it encodes as v0 whatever we sent) and from then on speaks, per API,
 * min(what this client handles, the broker's max) — refusing when that falls below the broker's
 * min. Responses are matched to requests by correlation id, so requests to different partitions or
 * groups can overlap on one socket; Kafka answers them in order anyway.
 */
import { connect, isIP, type Socket } from 'node:net';
import { connect as tlsConnect, type ConnectionOptions as TlsConnectionOptions } from 'node:tls';
import { API_CODECS } from '../../protocol/generated/index.js';
import type { ApiVersionsResponse } from '../../protocol/generated/index.js';
import { Reader, Writer } from '../../protocol/primitives.js';
import { API_VERSIONS_KEY, readResponseHeader, requestHeaderSize, responseHeaderFlexible, writeRequestHeader } from '../../protocol/headers.js';
import type { ApiCodec } from '../../protocol/codec-support.js';
import { ErrorCode } from '../../protocol/errors.js';
import { ConnectionError, KafkaResponseError } from './errors.js';
import { CLIENT_MAX_VERSIONS } from './versions.js';
import { saslAuthenticate, type SaslCredentials } from './sasl-login.js';

export interface ConnectionOptions {
  clientId: string;
  connectTimeoutMs: number;
  requestTimeoutMs: number;
  /** Authenticate with SASL after ApiVersions (a SASL_* listener of another broker). */
  sasl?: SaslCredentials | null;
  /** Connect with TLS using these options (an SSL / SASL_SSL listener); plain TCP when absent. */
  tls?: TlsConnectionOptions;
}

export interface SendOptions {
  /** Force a version instead of the negotiated one. */
  version?: number;
  /** Extra time on top of requestTimeoutMs (long polls: Fetch max wait, JoinGroup rebalance). */
  extraTimeoutMs?: number;
  /** false for Produce with acks=0: the broker sends nothing back. */
  expectResponse?: boolean;
}

interface Pending {
  apiKey: number;
  version: number;
  codec: ApiCodec;
  resolve: (value: object) => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout;
}

export interface VersionRange {
  min: number;
  max: number;
}

const SOFTWARE_NAME = 'runnel-client';
const SOFTWARE_VERSION = '0.1.0';

export class BrokerConnection {
  /** The broker's version range per API key (from ApiVersions). */
  readonly brokerVersions = new Map<number, VersionRange>();
  private readonly pending = new Map<number, Pending>();
  private nextCorrelationId = 1;
  private chunks: Buffer[] = [];
  private buffered = 0;
  private closedError: Error | null = null;
  private readonly closeListeners: Array<() => void> = [];

  private constructor(
    private readonly socket: Socket,
    readonly host: string,
    readonly port: number,
    private readonly opts: ConnectionOptions,
  ) {
    socket.setNoDelay(true);
    socket.on('data', (d: Buffer) => this.onData(d));
    socket.on('error', (err) => this.fail(new ConnectionError(`connection to ${this.address} failed: ${err.message}`)));
    socket.on('close', () => this.fail(new ConnectionError(`connection to ${this.address} closed`)));
  }

  get address(): string {
    return `${this.host}:${this.port}`;
  }

  get closed(): boolean {
    return this.closedError !== null;
  }

  /** Connects and negotiates API versions. */
  static async open(host: string, port: number, opts: ConnectionOptions): Promise<BrokerConnection> {
    const socket = await new Promise<Socket>((resolve, reject) => {
      // TLS: resolved once the handshake succeeded (certificate verified), within the same timeout.
      const s = opts.tls ? tlsConnect({ ...opts.tls, host, port, servername: isIP(host) === 0 ? host : undefined }) : connect({ host, port });
      const ready = opts.tls ? 'secureConnect' : 'connect';
      const timer = setTimeout(() => {
        s.destroy();
        reject(new ConnectionError(`cannot connect to ${host}:${port}: timed out after ${opts.connectTimeoutMs} ms`));
      }, opts.connectTimeoutMs);
      s.once(ready, () => {
        clearTimeout(timer);
        s.removeAllListeners('error');
        resolve(s);
      });
      s.once('error', (err: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        reject(new ConnectionError(`cannot connect to ${host}:${port}: ${err.code ?? err.message}`));
      });
    });
    return BrokerConnection.over(socket, host, port, opts);
  }

  /**
   * Negotiates versions (and authenticates, with opts.sasl) on a socket someone else opened and
   * watches too (the cluster's liveness probe logs in on its own connection). Writes made before
   * a TLS socket's handshake completes are queued by Node until it does. On failure the socket is
   * destroyed.
   */
  static async over(socket: Socket, host: string, port: number, opts: ConnectionOptions): Promise<BrokerConnection> {
    const conn = new BrokerConnection(socket, host, port, opts);
    try {
      await conn.negotiate();
      if (opts.sasl) await saslAuthenticate(conn, opts.sasl);
    } catch (err) {
      conn.close();
      throw err;
    }
    return conn;
  }

  private async negotiate(): Promise<void> {
    let res = await this.send<ApiVersionsResponse>(API_VERSIONS_KEY, { clientSoftwareName: SOFTWARE_NAME, clientSoftwareVersion: SOFTWARE_VERSION }, { version: 3 });
    // A broker older than ApiVersions v3 answers UNSUPPORTED_VERSION with its ranges, encoded as
    // v0 (see onFrame); ask again at v0 anyway, as Java does, in case it left the list empty.
    if (res.errorCode === ErrorCode.UNSUPPORTED_VERSION && res.apiKeys.length === 0) {
      res = await this.send<ApiVersionsResponse>(API_VERSIONS_KEY, {}, { version: 0 });
    }
    if (res.errorCode !== ErrorCode.NONE && res.errorCode !== ErrorCode.UNSUPPORTED_VERSION) {
      throw new KafkaResponseError(res.errorCode, `ApiVersions from ${this.address}`);
    }
    for (const k of res.apiKeys) this.brokerVersions.set(k.apiKey, { min: k.minVersion, max: k.maxVersion });
  }

  /** The version this connection speaks for `apiKey`, or -1 when there is none in common. */
  versionFor(apiKey: number): number {
    const broker = this.brokerVersions.get(apiKey);
    const codec = API_CODECS.get(apiKey);
    if (!broker || !codec) return -1;
    const ours = Math.min(codec.maxVersion, CLIENT_MAX_VERSIONS[apiKey] ?? codec.maxVersion);
    const v = Math.min(ours, broker.max);
    return v >= broker.min && v >= codec.minVersion ? v : -1;
  }

  supports(apiKey: number): boolean {
    return this.versionFor(apiKey) >= 0;
  }

  /**
   * Sends one request (fields not given take their defaults) and resolves with the decoded
   * response. Rejects with ConnectionError if the connection fails or the request times out (the
   * connection is then closed: a late answer could no longer be matched safely).
   */
  send<T extends object>(apiKey: number, body: object, options: SendOptions = {}): Promise<T> {
    if (this.closedError) return Promise.reject(this.closedError);
    const codec = API_CODECS.get(apiKey);
    if (!codec) return Promise.reject(new Error(`no codec for API key ${apiKey}`));
    const version = options.version ?? this.versionFor(apiKey);
    if (version < 0) {
      const b = this.brokerVersions.get(apiKey);
      const range = b ? `${b.min}-${b.max}` : 'none';
      return Promise.reject(new KafkaResponseError(ErrorCode.UNSUPPORTED_VERSION, `${codec.name} (broker ${this.address} serves versions ${range})`));
    }
    const correlationId = this.nextCorrelationId++;
    if (this.nextCorrelationId > 0x7fffffff) this.nextCorrelationId = 1;
    const request = codec.newRequest(body);
    const flexible = codec.flexibleFrom >= 0 && version >= codec.flexibleFrom;
    const header = { apiKey, apiVersion: version, correlationId, clientId: this.opts.clientId };
    const size = requestHeaderSize(header, flexible) + codec.sizeRequest(version, request);
    const w = new Writer(4 + size);
    w.int32(size);
    writeRequestHeader(w, header, flexible);
    codec.encodeRequest(w, version, request);
    const frame = w.finish();
    if (options.expectResponse === false) {
      this.socket.write(frame);
      return Promise.resolve({} as T);
    }
    return new Promise<T>((resolve, reject) => {
      const timeoutMs = this.opts.requestTimeoutMs + (options.extraTimeoutMs ?? 0);
      const timer = setTimeout(() => {
        this.pending.delete(correlationId);
        reject(new ConnectionError(`${codec.name} to ${this.address} timed out after ${timeoutMs} ms`));
        this.close();
      }, timeoutMs);
      this.pending.set(correlationId, { apiKey, version, codec, resolve: resolve as (v: object) => void, reject, timer });
      this.socket.write(frame);
    });
  }

  /** Resolves when the socket has flushed what was written (back-pressure for big producers). */
  drained(): Promise<void> {
    if (!this.socket.writableNeedDrain || this.closedError) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        this.socket.off('drain', done);
        this.socket.off('close', done);
        resolve();
      };
      this.socket.on('drain', done);
      this.socket.on('close', done);
    });
  }

  inFlight(): number {
    return this.pending.size;
  }

  onClose(fn: () => void): void {
    if (this.closedError) fn();
    else this.closeListeners.push(fn);
  }

  close(): void {
    this.fail(new ConnectionError(`connection to ${this.address} closed`));
    this.socket.destroy();
  }

  private fail(err: Error): void {
    if (this.closedError) return;
    this.closedError = err;
    for (const p of this.pending.values()) {
      clearTimeout(p.timer);
      p.reject(err);
    }
    this.pending.clear();
    this.socket.destroy();
    for (const fn of this.closeListeners.splice(0)) fn();
  }

  private onData(d: Buffer): void {
    this.chunks.push(d);
    this.buffered += d.length;
    while (this.buffered >= 4) {
      const size = this.peekSize();
      if (size < 0) {
        this.fail(new ConnectionError(`invalid response size ${size} from ${this.address}`));
        return;
      }
      if (this.buffered < 4 + size) return;
      const frame = this.take(4 + size).subarray(4);
      this.onFrame(frame);
      if (this.closedError) return;
    }
  }

  private peekSize(): number {
    const first = this.chunks[0]!;
    if (first.length >= 4) return first.readInt32BE(0);
    return this.take(4, true).readInt32BE(0);
  }

  /** Removes (or with `peek`, only joins) the first n buffered bytes. */
  private take(n: number, peek = false): Buffer {
    const first = this.chunks[0]!;
    if (first.length >= n && !peek) {
      if (first.length === n) this.chunks.shift();
      else this.chunks[0] = first.subarray(n);
      this.buffered -= n;
      return first.subarray(0, n);
    }
    const joined = Buffer.concat(this.chunks, this.buffered);
    if (peek) {
      this.chunks = [joined];
      return joined.subarray(0, n);
    }
    this.chunks = joined.length > n ? [joined.subarray(n)] : [];
    this.buffered -= n;
    return joined.subarray(0, n);
  }

  private onFrame(frame: Buffer): void {
    if (frame.length < 4) return this.fail(new ConnectionError(`short response frame from ${this.address}`));
    const correlationId = frame.readInt32BE(0);
    const p = this.pending.get(correlationId);
    if (!p) return this.fail(new ConnectionError(`response with unknown correlation id ${correlationId} from ${this.address}`));
    this.pending.delete(correlationId);
    clearTimeout(p.timer);
    const r = new Reader(frame);
    let version = p.version;
    const flexible = p.codec.flexibleFrom >= 0 && version >= p.codec.flexibleFrom;
    readResponseHeader(r, responseHeaderFlexible(p.apiKey, flexible));
    // ApiVersions errors come back as v0 whatever version was asked (KIP-511).
    if (p.apiKey === API_VERSIONS_KEY && frame.length >= 6 && frame.readInt16BE(4) === ErrorCode.UNSUPPORTED_VERSION) version = 0;
    const res = p.codec.decodeResponse(r, version);
    if (r.error) {
      p.reject(new ConnectionError(`cannot decode ${p.codec.name} v${version} response from ${this.address}: ${r.error}`));
      return;
    }
    p.resolve(res);
  }
}
