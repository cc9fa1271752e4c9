/**
 * The capturing proxy (test/helpers/proxy.ts) against a fake upstream that answers every request
 * with its correlation id and an echo of its api key: framing across arbitrary chunking, request
 * and response attribution, cutting after a request, and response transforms.
 */
import net from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { KafkaProxy } from '../../helpers/proxy.js';

function frame(payload: Buffer): Buffer {
  const head = Buffer.alloc(4);
  head.writeInt32BE(payload.length, 0);
  return Buffer.concat([head, payload]);
}

/** A request frame payload: header v1 (api key, version, correlation id, client id) + body. */
function request(apiKey: number, version: number, correlationId: number, clientId: string, body = Buffer.from('body')): Buffer {
  const id = Buffer.from(clientId);
  const h = Buffer.alloc(10);
  h.writeInt16BE(apiKey, 0);
  h.writeInt16BE(version, 2);
  h.writeInt32BE(correlationId, 4);
  h.writeInt16BE(id.length, 8);
  return Buffer.concat([h, id, body]);
}

/** Reads size-prefixed frames from a socket. */
class FrameReader {
  private buf = Buffer.alloc(0);
  private waiters: Array<(f: Buffer) => void> = [];
  private ready: Buffer[] = [];
  closed = false;
  private closeWaiters: Array<() => void> = [];

  constructor(sock: net.Socket) {
    sock.on('data', (d: Buffer) => {
      this.buf = Buffer.concat([this.buf, d]);
      while (this.buf.length >= 4 && this.buf.length >= 4 + this.buf.readInt32BE(0)) {
        const n = this.buf.readInt32BE(0);
        const f = this.buf.subarray(4, 4 + n);
        this.buf = this.buf.subarray(4 + n);
        const w = this.waiters.shift();
        if (w) w(f);
        else this.ready.push(f);
      }
    });
    sock.on('close', () => {
      this.closed = true;
      for (const w of this.closeWaiters.splice(0)) w();
    });
    sock.on('error', () => {});
  }

  next(): Promise<Buffer> {
    const f = this.ready.shift();
    if (f) return Promise.resolve(f);
    return new Promise((r) => this.waiters.push(r));
  }

  whenClosed(): Promise<void> {
    if (this.closed) return Promise.resolve();
    return new Promise((r) => this.closeWaiters.push(r));
  }
}

describe('KafkaProxy', () => {
  let upstream: net.Server;
  let upstreamPort: number;
  let received: Buffer[];
  let proxy: KafkaProxy;
  const sockets: net.Socket[] = [];

  beforeEach(async () => {
    received = [];
    upstream = net.createServer((s) => {
      sockets.push(s);
      s.on('error', () => {});
      const reader = new FrameReader(s);
      void (async () => {
        for (;;) {
          const req = await reader.next();
          received.push(req);
          const resp = Buffer.alloc(6);
          resp.writeInt32BE(req.readInt32BE(4), 0); // correlation id
          resp.writeInt16BE(req.readInt16BE(0), 4); // echo the api key
          if (!s.destroyed) s.write(frame(resp));
        }
      })();
    });
    await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
    upstreamPort = (upstream.address() as net.AddressInfo).port;
    proxy = new KafkaProxy({ upstreamHost: '127.0.0.1', upstreamPort });
    await proxy.start();
  });

  afterEach(async () => {
    await proxy.stop();
    for (const s of sockets.splice(0)) s.destroy();
    await new Promise((r) => upstream.close(r));
  });

  async function connect(): Promise<{ sock: net.Socket; reader: FrameReader }> {
    const sock = net.connect({ host: '127.0.0.1', port: proxy.port });
    sockets.push(sock);
    await new Promise<void>((r) => sock.once('connect', () => r()));
    return { sock, reader: new FrameReader(sock) };
  }

  it('forwards frames split at any byte and attributes responses by correlation id', async () => {
    const { sock, reader } = await connect();
    const bytes = Buffer.concat([frame(request(3, 12, 7, 'c1')), frame(request(18, 3, 8, 'c1'))]);
    for (let i = 0; i < bytes.length; i++) sock.write(bytes.subarray(i, i + 1));
    const r1 = await reader.next();
    const r2 = await reader.next();
    expect([r1.readInt32BE(0), r1.readInt16BE(4)]).toEqual([7, 3]);
    expect([r2.readInt32BE(0), r2.readInt16BE(4)]).toEqual([8, 18]);
    expect(received.map((f) => f.readInt32BE(4))).toEqual([7, 8]);
    const summary = proxy.frames.map((f) => [f.direction, f.apiKey, f.apiVersion, f.correlationId, f.clientId]);
    expect(summary).toEqual([
      ['request', 3, 12, 7, 'c1'],
      ['request', 18, 3, 8, 'c1'],
      ['response', 3, 12, 7, 'c1'],
      ['response', 18, 3, 8, 'c1'],
    ]);
    expect(proxy.framesOf({ apiKey: 18, direction: 'request' })[0]!.payload.equals(request(18, 3, 8, 'c1'))).toBe(true);
  });

  it('cuts the connection after the broker answered, dropping the response', async () => {
    const other = await connect();
    const { sock, reader } = await connect();
    const cut = proxy.cutAfterNextRequestOf(0);
    sock.write(frame(request(3, 1, 1, 'p')));
    expect((await reader.next()).readInt32BE(0)).toBe(1);
    sock.write(frame(request(0, 9, 2, 'p')));
    const result = await cut;
    expect([result.apiKey, result.apiVersion, result.correlationId]).toEqual([0, 9, 2]);
    expect(result.response!.readInt32BE(0)).toBe(2);
    await reader.whenClosed();
    expect(received.some((f) => f.readInt16BE(0) === 0 && f.readInt32BE(4) === 2)).toBe(true); // the broker got it
    // One-shot: the other connection is untouched and its produce goes through.
    other.sock.write(frame(request(0, 9, 5, 'q')));
    expect((await other.reader.next()).readInt32BE(0)).toBe(5);
  });

  it("cuts right after forwarding the request in 'request' mode", async () => {
    const { sock, reader } = await connect();
    const cut = proxy.cutAfterNextRequestOf(1, 'request');
    sock.write(frame(request(1, 4, 3, 'f')));
    const result = await cut;
    expect(result.response).toBeNull();
    await reader.whenClosed();
  });

  it('applies a response transform to what the client gets and records the original', async () => {
    proxy.transformResponse = (f, info) => (info.apiKey === 18 ? Buffer.concat([f, Buffer.from('!')]) : f);
    const { sock, reader } = await connect();
    sock.write(frame(request(18, 0, 4, 'x')));
    const got = await reader.next();
    expect(got.length).toBe(7);
    expect(proxy.framesOf({ direction: 'response' })[0]!.payload.length).toBe(6);
  });
});
