/**
 * A minimal Kafka client over a raw socket, built on our own codecs: for tests that must send
 * exactly the bytes they want (malformed frames, odd versions) and read raw responses.
 * Compatibility is proven with real clients elsewhere; this is for the broker's edge cases.
 */
import { connect, type Socket } from 'node:net';
import { connect as tlsConnect, type ConnectionOptions } from 'node:tls';
import { API_CODECS } from '../../protocol/generated/index.js';
import { Reader, Writer } from '../../protocol/primitives.js';
import { readResponseHeader, requestHeaderSize, responseHeaderFlexible, writeRequestHeader } from '../../protocol/headers.js';

export class RawClient {
  private buf = Buffer.alloc(0);
  private waiters: Array<() => void> = [];
  closed = false;
  private correlation = 1;
  /** How long request() waits for its response; a slow broker (a loaded Kafka JVM) may need more. */
  responseTimeoutMs = 5000;

  private constructor(readonly socket: Socket) {
    socket.on('data', (d: Buffer) => {
      this.buf = Buffer.concat([this.buf, d]);
      this.wake();
    });
    socket.on('close', () => {
      this.closed = true;
      this.wake();
    });
    socket.on('error', () => undefined);
  }

  /** `localAddress`: the client's own address (e.g. 127.0.0.2, for host-based ACLs). */
  static connect(host: string, port: number, localAddress?: string): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const s = connect({ host, port, localAddress }, () => resolve(new RawClient(s)));
      s.once('error', reject);
    });
  }

  /** A TLS connection (an SSL / SASL_SSL listener), ready once the handshake succeeded. */
  static connectTls(host: string, port: number, options: ConnectionOptions): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const s = tlsConnect({ ...options, host, port }, () => resolve(new RawClient(s)));
      s.once('error', reject);
    });
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  write(b: Buffer): void {
    this.socket.write(b);
  }

  /** Waits for a whole response frame (without its size prefix), or null if the socket closed. */
  async readFrame(timeoutMs = 5000): Promise<Buffer | null> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (this.buf.length >= 4) {
        const size = this.buf.readInt32BE(0);
        if (this.buf.length >= 4 + size) {
          const frame = this.buf.subarray(4, 4 + size);
          this.buf = this.buf.subarray(4 + size);
          return frame;
        }
      }
      if (this.closed) return null;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error('timed out waiting for a response frame');
      await new Promise<void>((r) => {
        const t = setTimeout(r, left);
        this.waiters.push(() => {
          clearTimeout(t);
          r();
        });
      });
    }
  }

  /** Resolves when the broker closes the connection (or rejects after timeoutMs). */
  async waitClosed(timeoutMs = 5000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.closed) {
      if (Date.now() > deadline) throw new Error('connection still open');
      await new Promise<void>((r) => {
        const t = setTimeout(r, 50);
        this.waiters.push(() => {
          clearTimeout(t);
          r();
        });
      });
    }
  }

  /** Encodes a request with our codecs (header v1/v2) and returns its frame bytes. */
  static encodeRequest(apiKey: number, version: number, body: object, correlationId: number, clientId = 'raw'): Buffer {
    const codec = API_CODECS.get(apiKey)!;
    const flexible = codec.flexibleFrom >= 0 && version >= codec.flexibleFrom;
    const header = { apiKey, apiVersion: version, correlationId, clientId };
    const size = requestHeaderSize(header, flexible) + codec.sizeRequest(version, body);
    const w = new Writer(4 + size);
    w.int32(size);
    writeRequestHeader(w, header, flexible);
    codec.encodeRequest(w, version, body);
    return w.finish();
  }

  /** Sends a request and decodes its response (null if the broker closed the connection). */
  async request<T = any>(apiKey: number, version: number, body: Partial<Record<string, unknown>> = {}, decodeAs = version): Promise<T | null> {
    const codec = API_CODECS.get(apiKey)!;
    const correlationId = this.correlation++;
    this.write(RawClient.encodeRequest(apiKey, version, codec.newRequest(body), correlationId));
    const frame = await this.readFrame(this.responseTimeoutMs);
    if (frame === null) return null;
    const r = new Reader(frame);
    const flexible = codec.flexibleFrom >= 0 && decodeAs >= codec.flexibleFrom;
    const corr = readResponseHeader(r, responseHeaderFlexible(apiKey, flexible));
    if (corr !== correlationId) throw new Error(`correlation id ${corr}, expected ${correlationId}`);
    const res = codec.decodeResponse(r, decodeAs);
    if (r.error) throw new Error(`bad response: ${r.error}`);
    return res as T;
  }

  close(): void {
    this.socket.destroy();
  }
}
