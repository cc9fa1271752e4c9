/**
 * Raw bytes for the hostile suite: request frames (through our codecs where the request is
 * well-formed, by hand where it must not be), record batches, and sockets that write without
 * ever reading. Attacks must send exactly what they say, so nothing here fixes anything up.
 */
import { connect, type Socket } from 'node:net';
import { API_CODECS } from '../../protocol/generated/index.js';
import { Reader } from '../../protocol/primitives.js';
import { readResponseHeader, responseHeaderFlexible } from '../../protocol/headers.js';
import { RawClient } from '../helpers/raw-client.js';

export { RawClient };

/** A size-prefixed frame around `body` (request header + request body). */
export function frame(body: Buffer): Buffer {
  const b = Buffer.allocUnsafe(4 + body.length);
  b.writeInt32BE(body.length, 0);
  body.copy(b, 4);
  return b;
}

/** A well-formed request frame, encoded by our codecs. `body` fields default as newRequest() does. */
export function request(apiKey: number, version: number, body: object, correlationId = 1, clientId = 'hostile'): Buffer {
  const codec = API_CODECS.get(apiKey)!;
  return RawClient.encodeRequest(apiKey, version, codec.newRequest(body as never), correlationId, clientId);
}

/** Request header v1 (non-flexible): api key, version, correlation id, client id. */
export function headerV1(apiKey: number, version: number, correlationId = 1, clientId = 'hostile'): Buffer {
  const id = Buffer.from(clientId);
  const b = Buffer.alloc(10 + id.length);
  b.writeInt16BE(apiKey, 0);
  b.writeInt16BE(version, 2);
  b.writeInt32BE(correlationId, 4);
  b.writeInt16BE(id.length, 8);
  id.copy(b, 10);
  return b;
}

/** Request header v2 (flexible): header v1 + an empty tagged-field section. */
export function headerV2(apiKey: number, version: number, correlationId = 1, clientId = 'hostile'): Buffer {
  return Buffer.concat([headerV1(apiKey, version, correlationId, clientId), Buffer.from([0])]);
}

export function uvarint(v: number): Buffer {
  const out: number[] = [];
  while (v >= 0x80) {
    out.push((v % 128) | 0x80);
    v = Math.floor(v / 128);
  }
  out.push(v);
  return Buffer.from(out);
}

export function int16(v: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeInt16BE(v);
  return b;
}

export function int32(v: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeInt32BE(v);
  return b;
}

export function int64(v: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigInt64BE(BigInt(v));
  return b;
}

/** A non-flexible string (int16 length). */
export function str(s: string): Buffer {
  const b = Buffer.from(s);
  return Buffer.concat([int16(b.length), b]);
}

/** Decodes a response frame (without its size prefix) of `apiKey`/`version`; throws on garbage. */
export function decodeResponse<T = any>(apiKey: number, version: number, frameBody: Buffer): { correlationId: number; body: T } {
  const codec = API_CODECS.get(apiKey)!;
  const r = new Reader(frameBody);
  const flexible = codec.flexibleFrom >= 0 && version >= codec.flexibleFrom;
  const correlationId = readResponseHeader(r, responseHeaderFlexible(apiKey, flexible));
  const body = codec.decodeResponse(r, version) as T;
  if (r.error) throw new Error(`cannot decode response: ${r.error}`);
  return { correlationId, body };
}

/** Sends one request on a fresh connection and decodes the answer (null: the broker closed it). */
export async function roundTrip<T = any>(host: string, port: number, apiKey: number, version: number, body: object, timeoutMs = 10_000): Promise<T | null> {
  const c = await RawClient.connect(host, port);
  try {
    c.write(request(apiKey, version, body, 77));
    const f = await c.readFrame(timeoutMs);
    return f === null ? null : decodeResponse<T>(apiKey, version, f).body;
  } finally {
    c.close();
  }
}

/** A socket that writes and never reads what the broker sends back. */
export function openSocket(host: string, port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect({ host, port }, () => {
      s.off('error', reject);
      s.on('error', () => undefined);
      resolve(s);
    });
    s.once('error', reject);
  });
}

/**
 * Writes `data` honouring backpressure, and gives up (resolving false) at `deadline` or when the
 * socket closes: a broker that stops reading is allowed to.
 */
export function writePaced(s: Socket, data: Buffer, deadline: number): Promise<boolean> {
  if (s.destroyed) return Promise.resolve(false);
  if (s.write(data)) return Promise.resolve(true);
  return new Promise((resolve) => {
    const done = (ok: boolean) => {
      clearTimeout(timer);
      s.off('drain', onDrain);
      s.off('close', onClose);
      resolve(ok);
    };
    const onDrain = () => done(true);
    const onClose = () => done(false);
    const timer = setTimeout(() => done(false), Math.max(0, deadline - Date.now()));
    s.on('drain', onDrain);
    s.on('close', onClose);
  });
}

/** Pipelined writes of `frames` with backpressure, until done, closed or `deadline`. */
export async function writeFrames(s: Socket, frames: Iterable<Buffer>, deadline: number): Promise<number> {
  let sent = 0;
  for (const f of frames) {
    if (!(await writePaced(s, f, deadline))) break;
    sent++;
  }
  return sent;
}

/** Resolves true when the broker closes `s` within `timeoutMs`. */
export function closedWithin(s: Socket, timeoutMs: number): Promise<boolean> {
  if (s.destroyed || s.readableEnded) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), timeoutMs);
    const done = () => {
      clearTimeout(timer);
      resolve(true);
    };
    s.once('close', done);
    s.once('end', done);
  });
}
