/**
 * Snappy in Kafka comes in two shapes, and a broker must read both:
 *   - raw snappy (one block, preamble = uncompressed length as a uvarint): librdkafka, sarama;
 *   - xerial framing (snappy-java's SnappyOutputStream): the Java client and kafka-python.
 *     16-byte header `\x82SNAPPY\x00` + int32 version (1) + int32 compatible version (1), then
 *     blocks of [int32 BE compressed length][raw snappy block], each of up to 32 KiB input.
 * The two cannot be confused: a raw block starting with the xerial magic would open with a copy
 * op ('N' = 0x4e, tag 2) before any literal, which snappy forbids.
 *
 * We write xerial exactly as Java does (version 1, compatible 1, 32 KiB blocks): kafka-python
 * recognises the header only with those two version numbers, and librdkafka and Java read it.
 */
import { snappy } from './native.js';
import { CodecError } from './codec-error.js';

const MAGIC = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00]);
const HEADER = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00, 0, 0, 0, 1, 0, 0, 0, 1]);
const HEADER_SIZE = 16;
/** snappy-java's default block size, which Kafka's SnappyOutputStream keeps. */
const BLOCK_SIZE = 32 * 1024;

export function isXerial(b: Buffer): boolean {
  return b.length >= HEADER_SIZE && b.compare(MAGIC, 0, 8, 0, 8) === 0;
}

/** A raw snappy block's uncompressed length (its uvarint preamble, ≤ 32 bits), or -1. */
export function rawSnappyLength(b: Buffer): number {
  let result = 0;
  for (let i = 0; i < 5 && i < b.length; i++) {
    const byte = b[i]!;
    result += (byte & 0x7f) * 2 ** (7 * i);
    if ((byte & 0x80) === 0) return result <= 0xffffffff ? result : -1;
  }
  return -1;
}

/** Splits a xerial stream into its raw blocks and checks every length before decoding. */
function splitXerial(b: Buffer, maxSize: number): { blocks: Buffer[]; total: number } {
  const blocks: Buffer[] = [];
  let total = 0;
  let p = HEADER_SIZE;
  while (p < b.length) {
    // snappy-java also reads concatenated streams: a second header where a length would be.
    if (b.length - p >= HEADER_SIZE && b.compare(MAGIC, 0, 8, p, p + 8) === 0) {
      p += HEADER_SIZE;
      continue;
    }
    if (b.length - p < 4) throw new CodecError('CORRUPT', 'snappy: truncated xerial block length');
    const len = b.readInt32BE(p);
    p += 4;
    if (len < 0 || len > b.length - p) throw new CodecError('CORRUPT', 'snappy: xerial block length beyond the data');
    if (len === 0) continue;
    const block = b.subarray(p, p + len);
    p += len;
    const n = rawSnappyLength(block);
    if (n < 0) throw new CodecError('CORRUPT', 'snappy: bad block preamble');
    total += n;
    if (total > maxSize) throw new CodecError('TOO_LARGE', `snappy: decompressed size exceeds ${maxSize} bytes`);
    blocks.push(block);
  }
  return { blocks, total };
}

/** Decodes a xerial stream into one buffer; `parallel` runs the blocks on the libuv pool. */
export async function decodeXerial(b: Buffer, maxSize: number, parallel: boolean): Promise<Buffer> {
  const { blocks, total } = splitXerial(b, maxSize);
  if (blocks.length === 1) return uncompressBlock(blocks[0]!, parallel);
  const parts = parallel ? await Promise.all(blocks.map((x) => uncompressBlock(x, true))) : blocks.map(uncompressSyncBlock);
  const out = Buffer.allocUnsafe(total);
  let at = 0;
  for (const part of parts) at += part.copy(out, at);
  if (at !== total) throw new CodecError('CORRUPT', 'snappy: block shorter than its preamble');
  return out;
}

async function uncompressBlock(b: Buffer, parallel: boolean): Promise<Buffer> {
  return parallel ? ((await snappy().uncompress(b)) as Buffer) : uncompressSyncBlock(b);
}

function uncompressSyncBlock(b: Buffer): Buffer {
  return snappy().uncompressSync(b) as Buffer;
}

export async function encodeXerial(data: Buffer, parallel: boolean): Promise<Buffer> {
  const n = Math.ceil(data.length / BLOCK_SIZE);
  const inputs: Buffer[] = [];
  for (let i = 0; i < n; i++) inputs.push(data.subarray(i * BLOCK_SIZE, (i + 1) * BLOCK_SIZE));
  const blocks = parallel ? await Promise.all(inputs.map((x) => snappy().compress(x))) : inputs.map((x) => snappy().compressSync(x));
  let size = HEADER_SIZE;
  for (const block of blocks) size += 4 + block.length;
  const out = Buffer.allocUnsafe(size);
  HEADER.copy(out, 0);
  let at = HEADER_SIZE;
  for (const block of blocks) {
    out.writeInt32BE(block.length, at);
    at += 4 + block.copy(out, at + 4);
  }
  return out;
}
