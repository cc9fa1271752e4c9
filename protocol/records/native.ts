/**
 * The native codec libraries, loaded on first use: a broker whose clients never compress never
 * pays their load time (~40 ms together), which matters for startup in milliseconds.
 */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

export type SnappyLib = typeof import('snappy');
export type Lz4Lib = typeof import('lz4-napi');
export interface ZstdBinding {
  compress(data: Buffer, level: number): Promise<Buffer>;
  decompress(data: Buffer): Promise<Buffer>;
}

let snappyLib: SnappyLib | undefined;
let lz4Lib: Lz4Lib | undefined;
let zstdLib: ZstdBinding | undefined;

export function snappy(): SnappyLib {
  return (snappyLib ??= require('snappy') as SnappyLib);
}

export function lz4(): Lz4Lib {
  return (lz4Lib ??= require('lz4-napi') as Lz4Lib);
}

/**
 * @mongodb-js/zstd's index.js wrapper drops the `level` argument (it only re-wraps error
 * messages), so we call the native binding it wraps.
 */
export function zstd(): ZstdBinding {
  return (zstdLib ??= require('@mongodb-js/zstd/bindings.js') as ZstdBinding);
}
