/**
 * The four RecordBatch v2 compression codecs, as Kafka clients write them:
 *   gzip   node:zlib (multi-member streams too, as Java's GZIPInputStream reads them)
 *   snappy raw (librdkafka) or xerial-framed (Java, kafka-python); we write xerial: see xerial.ts
 *   lz4    LZ4 *frame* format, framed by us around lz4-napi's block codec: see lz4-frame.ts
 *   zstd   zstd frames (@mongodb-js/zstd 1.x: prebuilt napi binaries, no install script; 2.x+
 *          build with node-gyp). Frames without a content size (librdkafka, streaming encoders)
 *          decode; ours get one added (zstd-frame.ts says why)
 *
 * Decompression is capped (`maxSize`, default 256 MiB) before the native decoder allocates:
 * gzip through zlib's maxOutputLength, snappy from its length preambles, lz4 block by block,
 * zstd from a walk over its block headers (zstd-frame.ts). Everything fails with a CodecError,
 * never a crash.
 *
 * Small inputs run synchronously: a native call handed to the libuv pool costs ~50 µs of
 * round trip, more than decoding a typical few-KiB batch, while large ones would block the
 * event loop for milliseconds. zstd has no sync entry point in its binding, so it is always async.
 */
import { promisify } from 'node:util';
import * as zlib from 'node:zlib';
import { CompressionType } from './batch.js';
import { CodecError } from './codec-error.js';
import { decodeLz4Frame, encodeLz4Frame } from './lz4-frame.js';
import { scanZstdFrames, withZstdContentSize } from './zstd-frame.js';
import { decodeXerial, encodeXerial, isXerial, rawSnappyLength } from './xerial.js';

import { snappy, zstd } from './native.js';

export { CodecError } from './codec-error.js';
export type { CodecErrorCode } from './codec-error.js';

export const DEFAULT_MAX_DECOMPRESSED_SIZE = 256 * 1024 * 1024;
/** Inputs up to this size are (de)compressed on the calling thread: see the header comment. */
export const SYNC_THRESHOLD = 64 * 1024;
/** Kafka's default zstd level (zstd's own); gzip keeps zlib's default, 6, which is Kafka's too. */
const ZSTD_DEFAULT_LEVEL = 3;

export interface DecompressOptions {
  /** Fail with TOO_LARGE past this many decompressed bytes. */
  maxSize?: number;
}

export interface CompressOptions {
  /** gzip 1-9, zstd 1-22; snappy and lz4-napi's block codec have no levels. */
  level?: number;
}

const gzipAsync = promisify(zlib.gzip);
const gunzipAsync = promisify(zlib.gunzip);

export function codecName(codec: number): string {
  return ['none', 'gzip', 'snappy', 'lz4', 'zstd'][codec] ?? `unknown(${codec})`;
}

export async function compress(codec: CompressionType, data: Buffer, options: CompressOptions = {}): Promise<Buffer> {
  const small = data.length <= SYNC_THRESHOLD;
  try {
    switch (codec) {
      case CompressionType.None:
        return data;
      case CompressionType.Gzip: {
        const opts = options.level === undefined ? {} : { level: options.level };
        return small ? zlib.gzipSync(data, opts) : await gzipAsync(data, opts);
      }
      case CompressionType.Snappy:
        return await encodeXerial(data, !small);
      case CompressionType.Lz4:
        return await encodeLz4Frame(data, !small);
      case CompressionType.Zstd:
        return withZstdContentSize(await zstd().compress(data, options.level ?? ZSTD_DEFAULT_LEVEL), data.length);
      default:
        throw new CodecError('UNSUPPORTED', `unsupported compression codec ${codec as number}`);
    }
  } catch (e) {
    throw asCodecError(codec, e);
  }
}

export async function decompress(codec: CompressionType, data: Buffer, options: DecompressOptions = {}): Promise<Buffer> {
  const maxSize = options.maxSize ?? DEFAULT_MAX_DECOMPRESSED_SIZE;
  const small = data.length <= SYNC_THRESHOLD;
  try {
    switch (codec) {
      case CompressionType.None:
        if (data.length > maxSize) throw tooLarge(codec, maxSize);
        return data;
      case CompressionType.Gzip: {
        const opts = { maxOutputLength: Math.max(1, maxSize) };
        return small ? zlib.gunzipSync(data, opts) : await gunzipAsync(data, opts);
      }
      case CompressionType.Snappy: {
        if (isXerial(data)) return await decodeXerial(data, maxSize, !small);
        const n = rawSnappyLength(data);
        if (n < 0) throw new CodecError('CORRUPT', 'snappy: bad preamble');
        if (n > maxSize) throw tooLarge(codec, maxSize);
        return (small ? snappy().uncompressSync(data) : await snappy().uncompress(data)) as Buffer;
      }
      case CompressionType.Lz4:
        return await decodeLz4Frame(data, maxSize, !small);
      case CompressionType.Zstd: {
        const scan = scanZstdFrames(data);
        if (typeof scan === 'string') throw new CodecError('CORRUPT', scan);
        if (scan.bound > maxSize + scan.blockMax) throw tooLarge(codec, maxSize);
        return withinLimit(codec, await zstd().decompress(data), maxSize);
      }
      default:
        throw new CodecError('UNSUPPORTED', `unsupported compression codec ${codec as number}`);
    }
  } catch (e) {
    throw asCodecError(codec, e);
  }
}

/** The zstd bound may overshoot by one block (see FrameBound): the exact size is checked after. */
function withinLimit(codec: number, out: Buffer, maxSize: number): Buffer {
  if (out.length > maxSize) throw tooLarge(codec, maxSize);
  return out;
}

function tooLarge(codec: number, maxSize: number): CodecError {
  return new CodecError('TOO_LARGE', `${codecName(codec)}: decompressed size exceeds ${maxSize} bytes`);
}

/** Native decoders throw plain Errors (zlib a RangeError for maxOutputLength): classify them. */
function asCodecError(codec: number, e: unknown): CodecError {
  if (e instanceof CodecError) return e;
  const err = e as NodeJS.ErrnoException;
  if (err?.code === 'ERR_BUFFER_TOO_LARGE') {
    return new CodecError('TOO_LARGE', `${codecName(codec)}: decompressed size exceeds the limit`);
  }
  const message = String(err?.message ?? e).replace(/^(zstd|snappy|lz4): /, '');
  return new CodecError('CORRUPT', `${codecName(codec)}: ${message}`);
}
