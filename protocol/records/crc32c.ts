/**
 * CRC32C (Castagnoli), the checksum of RecordBatch v2. Native (SSE4.2 / ARM CRC instructions via
 * @node-rs/crc32): about 13 GB/s here, so verifying every produced batch costs little. Loaded on
 * first use, like the codecs (see native.ts), to keep startup short.
 */
import { createRequire } from 'node:module';

type Crc32c = (data: Buffer, initial?: number) => number;
let native: Crc32c | undefined;

export function crc32c(data: Buffer, initial = 0): number {
  native ??= (createRequire(import.meta.url)('@node-rs/crc32') as { crc32c: Crc32c }).crc32c;
  return native(data, initial) >>> 0;
}
