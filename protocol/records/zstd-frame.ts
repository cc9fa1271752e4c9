/**
 * Walks Zstandard frame headers, without decompressing, to bound the decompressed size before
 * the native decoder allocates. The binding takes no output limit, and frames may omit the
 * content size (Java's and librdkafka's never carry it), so a few KiB of hostile input could
 * otherwise expand to gigabytes. Block headers give a tight upper bound: every block states its
 * compressed size, RLE and raw blocks their exact output, and no block decodes to more than
 * 128 KiB. Encoders fill every block but the last, so the bound overshoots by one block at most.
 *
 * The walker returns the reason as a string for a malformed frame; it never throws.
 */

export interface FrameBound {
  /** Where the frames end. */
  end: number;
  /** The most the frames can decode to. */
  bound: number;
  /** How much `bound` may overshoot for frames as encoders write them. */
  blockMax: number;
}

const SKIPPABLE_MASK = 0xfffffff0;
const SKIPPABLE_MAGIC = 0x184d2a50;

const ZSTD_MAGIC = 0xfd2fb528;
const ZSTD_BLOCK_MAX = 128 * 1024;
const ZSTD_DID_SIZE = [0, 1, 2, 4] as const;

/** Zstandard frames (RFC 8878), any number of them back to back, skippable frames allowed. */
export function scanZstdFrames(b: Buffer): FrameBound | string {
  let p = 0;
  let bound = 0;
  let frames = 0;
  while (p < b.length) {
    if (p + 4 > b.length) return 'zstd: truncated frame magic';
    const magic = b.readUInt32LE(p);
    if (((magic & SKIPPABLE_MASK) >>> 0) === SKIPPABLE_MAGIC) {
      if (p + 8 > b.length) return 'zstd: truncated skippable frame';
      p += 8 + b.readUInt32LE(p + 4);
      if (p > b.length) return 'zstd: truncated skippable frame';
      continue;
    }
    if (magic !== ZSTD_MAGIC) return 'zstd: bad frame magic';
    if (p + 5 > b.length) return 'zstd: truncated frame header';
    const fhd = b[p + 4]!;
    if ((fhd & 0x08) !== 0) return 'zstd: reserved frame header bit set';
    const fcsFlag = fhd >> 6;
    const singleSegment = (fhd & 0x20) !== 0;
    const checksum = (fhd & 0x04) !== 0;
    const fcsSize = fcsFlag === 0 ? (singleSegment ? 1 : 0) : 1 << fcsFlag;
    p += 5 + (singleSegment ? 0 : 1) + ZSTD_DID_SIZE[fhd & 0x03]!;
    if (p + fcsSize > b.length) return 'zstd: truncated frame header';
    let contentSize = -1;
    if (fcsSize === 1) contentSize = b[p]!;
    else if (fcsSize === 2) contentSize = b.readUInt16LE(p) + 256;
    else if (fcsSize === 4) contentSize = b.readUInt32LE(p);
    else if (fcsSize === 8) contentSize = b.readUInt32LE(p) + b.readUInt32LE(p + 4) * 4294967296;
    p += fcsSize;
    let frameBound = 0;
    for (;;) {
      if (p + 3 > b.length) return 'zstd: truncated block header';
      const h = b[p]! | (b[p + 1]! << 8) | (b[p + 2]! << 16);
      p += 3;
      const type = (h >> 1) & 0x03;
      const size = h >>> 3;
      if (type === 3) return 'zstd: reserved block type';
      if (type === 1) {
        // RLE: one byte on the wire, `size` bytes out.
        p += 1;
        frameBound += size;
      } else {
        p += size;
        frameBound += type === 0 ? size : ZSTD_BLOCK_MAX;
      }
      if (p > b.length) return 'zstd: truncated block';
      if ((h & 1) !== 0) break;
    }
    if (checksum) p += 4;
    if (p > b.length) return 'zstd: truncated checksum';
    bound += contentSize >= 0 && contentSize < frameBound ? contentSize : frameBound;
    frames++;
  }
  if (frames === 0) return 'zstd: no frame';
  return { end: p, bound, blockMax: ZSTD_BLOCK_MAX };
}

/**
 * Adds Frame_Content_Size to a zstd frame that lacks it. The streaming encoder behind
 * @mongodb-js/zstd never writes it, and kafka-python 2.0.2 then refuses to decompress more than
 * 1 MiB (its fallback `max_output_size`); librdkafka and Java also size their output from it.
 * The frame header has no checksum, so inserting the field is safe: set FCS_Flag to 2 (4 bytes)
 * or 3 (8 bytes) and put the size right after the window descriptor. Only frames with no
 * content size, no dictionary and a window descriptor (what the encoder writes) are changed.
 */
export function withZstdContentSize(frame: Buffer, contentSize: number): Buffer {
  if (frame.length < 6 || frame.readUInt32LE(0) !== ZSTD_MAGIC || frame[4] !== 0 && frame[4] !== 0x04) return frame;
  const wide = contentSize > 0xffffffff;
  const fcsBytes = wide ? 8 : 4;
  const out = Buffer.allocUnsafe(frame.length + fcsBytes);
  frame.copy(out, 0, 0, 6); // magic, FHD, window descriptor
  out[4] = frame[4]! | (wide ? 0xc0 : 0x80);
  if (wide) {
    out.writeUInt32LE(contentSize % 4294967296, 6);
    out.writeUInt32LE(Math.floor(contentSize / 4294967296), 10);
  } else {
    out.writeUInt32LE(contentSize, 6);
  }
  frame.copy(out, 6 + fcsBytes, 6);
  return out;
}
