/**
 * Decoding and re-encoding whole captured frames (header and body) with our codecs, for the
 * golden-frame test and for anyone who wants to look inside a captured frame:
 *
 *   npx tsx test/unit/golden/frames.ts test/golden/java/00-produce-v13-req.bin request
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { ApiCodec } from '../../../protocol/codec-support.js';
import {
  readRequestHeaderRest,
  readRequestHeaderStart,
  readResponseHeader,
  requestHeaderSize,
  responseHeaderFlexible,
  responseHeaderSize,
  writeRequestHeader,
  writeResponseHeader,
  type RequestHeader,
} from '../../../protocol/headers.js';
import { Reader, Writer } from '../../../protocol/primitives.js';

export const GOLDEN_DIR = resolve(import.meta.dirname, '..', '..', 'golden');

export interface GoldenEntry {
  client: string;
  clientVersion: string;
  apiKey: number;
  apiName: string;
  version: number;
  direction: 'request' | 'response';
  /** Relative to test/golden. */
  file: string;
  sha256: string;
  size: number;
}

export interface GoldenIndex {
  broker: string;
  capturedAt: string;
  frames: GoldenEntry[];
}

export function loadGoldenIndex(): GoldenIndex {
  return JSON.parse(readFileSync(join(GOLDEN_DIR, 'INDEX.json'), 'utf8')) as GoldenIndex;
}

export function isFlexible(codec: ApiCodec, version: number): boolean {
  return codec.flexibleFrom >= 0 && version >= codec.flexibleFrom;
}

export interface DecodedFrame {
  header: RequestHeader | { correlationId: number };
  /** Where the body starts in the frame. */
  bodyOffset: number;
  body: object;
  /** Reader error, or null. */
  error: string | null;
  /** Bytes left after the body (should be 0). */
  trailing: number;
}

export function decodeFrame(codec: ApiCodec, direction: 'request' | 'response', version: number, frame: Buffer): DecodedFrame {
  const r = new Reader(frame);
  const flexible = isFlexible(codec, version);
  let header: DecodedFrame['header'];
  if (direction === 'request') {
    const h = readRequestHeaderStart(r);
    readRequestHeaderRest(r, h, flexible);
    header = h;
  } else {
    header = { correlationId: readResponseHeader(r, responseHeaderFlexible(codec.key, flexible)) };
  }
  const bodyOffset = r.offset;
  const body = direction === 'request' ? codec.decodeRequest(r, version) : codec.decodeResponse(r, version);
  return { header, bodyOffset, body, error: r.error, trailing: r.remaining() };
}

export interface EncodedFrame {
  bytes: Buffer;
  /** What the size functions predicted. */
  predictedSize: number;
}

export function encodeFrame(codec: ApiCodec, direction: 'request' | 'response', version: number, decoded: DecodedFrame): EncodedFrame {
  const flexible = isFlexible(codec, version);
  if (direction === 'request') {
    const h = decoded.header as RequestHeader;
    const size = requestHeaderSize(h, flexible) + codec.sizeRequest(version, decoded.body);
    // Room for a size function that predicts too little: the mismatch is reported, not a RangeError.
    const w = new Writer(size + 1024);
    writeRequestHeader(w, h, flexible);
    codec.encodeRequest(w, version, decoded.body);
    return { bytes: w.finish(), predictedSize: size };
  }
  const hdrFlex = responseHeaderFlexible(codec.key, flexible);
  const size = responseHeaderSize(hdrFlex) + codec.sizeResponse(version, decoded.body);
  const w = new Writer(size + 1024);
  writeResponseHeader(w, decoded.header.correlationId, hdrFlex);
  codec.encodeResponse(w, version, decoded.body);
  return { bytes: w.finish(), predictedSize: size };
}

/** A short explanation of where two frames first differ. */
export function describeDifference(original: Buffer, reencoded: Buffer, bodyOffset: number): string {
  let i = 0;
  while (i < original.length && i < reencoded.length && original[i] === reencoded[i]) i++;
  const where = i < bodyOffset ? 'in the header' : `at body byte ${i - bodyOffset}`;
  const hex = (b: Buffer): string => b.subarray(Math.max(0, i - 8), i + 24).toString('hex').replace(/(..)/g, '$1 ').trim();
  return [
    `re-encoded frame differs from the captured one: first difference at byte ${i} (${where}); ` +
      `captured ${original.length} bytes, re-encoded ${reencoded.length}`,
    `  captured  [${Math.max(0, i - 8)}..]: ${hex(original)}`,
    `  re-encoded[${Math.max(0, i - 8)}..]: ${hex(reencoded)}`,
  ].join('\n');
}

// Debug entry point: print a decoded frame.
if (process.argv[1] !== undefined && resolve(process.argv[1]) === resolve(import.meta.filename)) {
  const [file, direction] = process.argv.slice(2) as [string, 'request' | 'response'];
  const { API_CODECS } = await import('../../../protocol/generated/index.js');
  const frame = readFileSync(file);
  const m = /(\d+)-[a-z-]+-v(\d+)-(req|resp)\.bin$/.exec(file);
  if (m === null) throw new Error('expected a golden file name: NN-api-name-vV-req|resp.bin');
  const codec = API_CODECS.get(Number(m[1]));
  if (codec === undefined) throw new Error(`API ${m[1]} is not declared`);
  const d = decodeFrame(codec, direction ?? (m[3] === 'req' ? 'request' : 'response'), Number(m[2]), frame);
  console.dir(d, { depth: null, maxArrayLength: 50 });
}
