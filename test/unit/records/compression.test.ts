import { describe, expect, it } from 'vitest';
import { compressFrameSync } from 'lz4-napi';
import { compress as zstdCompressRaw } from '@mongodb-js/zstd';
import { compressSync as snappyRaw } from 'snappy';
import { BATCH_HEADER_SIZE, CompressionType } from '../../../protocol/records/batch.js';
import { CodecError, SYNC_THRESHOLD, compress, decompress } from '../../../protocol/records/compression.js';
import { parseLz4Frame } from '../../../protocol/records/lz4-frame.js';
import { scanZstdFrames } from '../../../protocol/records/zstd-frame.js';
import { fixture, jsonish } from './sample-records.js';

const CODECS = [CompressionType.None, CompressionType.Gzip, CompressionType.Snappy, CompressionType.Lz4, CompressionType.Zstd];
const COMPRESSED = CODECS.slice(1);
const NAMES = ['none', 'gzip', 'snappy', 'lz4', 'zstd'];

async function codecError(p: Promise<unknown>): Promise<CodecError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(CodecError);
    return e as CodecError;
  }
  throw new Error('expected a CodecError');
}

describe('round trips', () => {
  // Sizes on both sides of the sync threshold and of the xerial (32 KiB) and lz4 block sizes.
  const sizes = [0, 1, 1000, SYNC_THRESHOLD, SYNC_THRESHOLD + 1, 100_000, 1 << 20];
  for (const codec of CODECS) {
    it(`${NAMES[codec]} restores every size`, async () => {
      for (const size of sizes) {
        const data = jsonish(size);
        const packed = await compress(codec, data);
        if (codec !== CompressionType.None && size >= 1000) expect(packed.length).toBeLessThan(data.length);
        expect((await decompress(codec, packed)).equals(data)).toBe(true);
      }
    });
  }

  it('compresses subarrays of larger buffers (offsets honoured by the native bindings)', async () => {
    const big = jsonish(200_000);
    const part = big.subarray(12_345, 150_000);
    for (const codec of COMPRESSED) expect((await decompress(codec, await compress(codec, part))).equals(part)).toBe(true);
  });

  it('honours compression levels', async () => {
    const data = jsonish(200_000);
    expect((await compress(CompressionType.Zstd, data, { level: 19 })).length).toBeLessThan((await compress(CompressionType.Zstd, data, { level: 1 })).length);
    expect((await compress(CompressionType.Gzip, data, { level: 9 })).length).toBeLessThan((await compress(CompressionType.Gzip, data, { level: 1 })).length);
  });
});

describe('snappy framing', () => {
  it('writes xerial like snappy-java: magic, version 1, compatible 1, 32 KiB blocks', async () => {
    const data = jsonish(100_000);
    const out = await compress(CompressionType.Snappy, data);
    expect(out.subarray(0, 16).toString('hex')).toBe('82534e415050590000000001' + '00000001');
    let p = 16;
    let blocks = 0;
    while (p < out.length) {
      p += 4 + out.readInt32BE(p);
      blocks++;
    }
    expect(p).toBe(out.length);
    expect(blocks).toBe(Math.ceil(100_000 / 32768));
  });

  it('reads raw snappy as librdkafka writes it (python-snappy vector and a large block)', async () => {
    const raw = fixture('snappy-raw-python.snappy');
    const text = (await decompress(CompressionType.Snappy, raw)).toString();
    expect(text).toBe('{"a":1,"b":"hello hello hello"}\n'.repeat(300));
    const big = jsonish(500_000);
    expect((await decompress(CompressionType.Snappy, snappyRaw(big))).equals(big)).toBe(true);
  });

  it('reads concatenated xerial streams and skips empty blocks, as snappy-java does', async () => {
    const a = await compress(CompressionType.Snappy, Buffer.from('first part, '));
    const b = await compress(CompressionType.Snappy, Buffer.from('second part'));
    const emptyBlock = Buffer.alloc(4);
    expect((await decompress(CompressionType.Snappy, Buffer.concat([a, emptyBlock, b]))).toString()).toBe('first part, second part');
  });
});

describe('zstd frames from other encoders', () => {
  it('decodes a streaming zstd frame without content size (zstd CLI from stdin)', async () => {
    const frame = fixture('zstd-cli-stream.zst');
    expect(frame[4]! >> 6).toBe(0); // no Frame_Content_Size
    expect((await decompress(CompressionType.Zstd, frame)).toString()).toBe('{"a":1,"b":"hello hello hello"}\n'.repeat(300));
  });

  it('decodes the raw output of the zstd binding (no content size) and concatenated frames', async () => {
    const data = jsonish(300_000);
    const raw = await zstdCompressRaw(data, 3);
    expect(raw[4]! >> 6).toBe(0);
    expect((await decompress(CompressionType.Zstd, raw)).equals(data)).toBe(true);
    const two = Buffer.concat([raw, await zstdCompressRaw(Buffer.from('tail'), 3)]);
    expect((await decompress(CompressionType.Zstd, two)).toString('latin1', data.length)).toBe('tail');
  });

  it('writes the content size into our zstd frames (kafka-python 2.0.2 needs it past 1 MiB)', async () => {
    for (const size of [10, 70_000, 2 << 20]) {
      const data = jsonish(size);
      const frame = await compress(CompressionType.Zstd, data);
      expect(frame[4]! >> 6).toBe(2); // FCS_Flag 2: 4-byte content size
      expect(frame.readUInt32LE(6)).toBe(size);
      expect((await decompress(CompressionType.Zstd, frame)).equals(data)).toBe(true);
    }
  });
});

describe('lz4 framing', () => {
  const lorem = (n: number): string => Array.from({ length: n }, (_, i) => `{"seq":${i},"text":"lorem ipsum dolor"}\n`).join('');

  it('writes frames like Java\'s KafkaLZ4BlockOutputStream: same header, 64 KiB blocks', async () => {
    const data = jsonish(200_000);
    const out = await compress(CompressionType.Lz4, data);
    expect(out.subarray(0, 7).equals(fixture('java-lz4.bin').subarray(BATCH_HEADER_SIZE, BATCH_HEADER_SIZE + 7))).toBe(true);
    const frame = parseLz4Frame(out);
    if (typeof frame === 'string') throw new Error(frame);
    expect(frame.blocks).toHaveLength(Math.ceil(200_000 / 65536));
    expect(frame.end).toBe(out.length);
  });

  it('stores incompressible blocks as they are (uncompressed bit)', async () => {
    let x = 1;
    const noise = Buffer.alloc(100_000);
    for (let i = 0; i < noise.length; i++) noise[i] = (x = (Math.imul(x, 1103515245) + 12345) >>> 0) >>> 24;
    const out = await compress(CompressionType.Lz4, noise);
    const frame = parseLz4Frame(out);
    if (typeof frame === 'string') throw new Error(frame);
    expect(frame.blocks.every((b) => b.stored)).toBe(true);
    expect((await decompress(CompressionType.Lz4, out)).equals(noise)).toBe(true);
  });

  it('reads linked-block frames (python-lz4 defaults, as kafka-python writes them)', async () => {
    const frame = fixture('lz4-linked-python.lz4');
    expect(frame[4]! & 0x20).toBe(0); // blocks not independent
    expect((await decompress(CompressionType.Lz4, frame)).toString()).toBe(lorem(3500));
  });

  it('reads frames with block checksums, content checksum and content size', async () => {
    const frame = fixture('lz4-checksums-python.lz4');
    expect(frame[4]! & 0x1c).toBe(0x1c);
    expect((await decompress(CompressionType.Lz4, frame)).toString()).toBe(lorem(3500));
  });

  it('decodes an lz4 frame with content size and content checksum (lz4 CLI)', async () => {
    const frame = fixture('lz4-cli-contentsize.lz4');
    expect(frame[4]! & 0x0c).toBe(0x0c);
    expect((await decompress(CompressionType.Lz4, frame)).toString()).toBe('{"a":1,"b":"hello hello hello"}\n'.repeat(300));
  });

  it('ignores bytes after the first lz4 frame, like Java\'s KafkaLZ4BlockInputStream', async () => {
    const frame = await compress(CompressionType.Lz4, Buffer.from('payload'));
    expect((await decompress(CompressionType.Lz4, Buffer.concat([frame, Buffer.from('junk')]))).toString()).toBe('payload');
  });

  it('stops exactly at maxSize on both the sync and the parallel path', async () => {
    for (const size of [50_000, 3 << 20]) {
      const data = size > 100_000 ? jsonish(size) : Buffer.alloc(size, 1);
      const packed = await compress(CompressionType.Lz4, data);
      expect((await decompress(CompressionType.Lz4, packed, { maxSize: size })).length).toBe(size);
      expect((await codecError(decompress(CompressionType.Lz4, packed, { maxSize: size - 1 }))).code).toBe('TOO_LARGE');
    }
  });
});

describe('golden payloads from Java and kafka-python', () => {
  // Every sample batch holds the same records, so each payload must inflate to java-none's block.
  const block = fixture('java-none.bin').subarray(BATCH_HEADER_SIZE);
  for (const producer of ['java', 'kafka-python']) {
    for (const codec of COMPRESSED) {
      it(`${producer} ${NAMES[codec]}`, async () => {
        const b = fixture(`${producer}-${NAMES[codec]}.bin`);
        expect(b.readInt16BE(21) & 7).toBe(codec);
        expect((await decompress(codec, b.subarray(BATCH_HEADER_SIZE))).equals(block)).toBe(true);
      });
    }
  }

  it('java xerial payloads with several blocks', async () => {
    const b = fixture('java-snappy-large.bin');
    const out = await decompress(CompressionType.Snappy, b.subarray(BATCH_HEADER_SIZE));
    expect(out.length).toBeGreaterThan(80 * 1024);
  });
});

describe('decompression limits', () => {
  const zeros = Buffer.alloc(2 << 20);

  it('every codec stops at maxSize', async () => {
    for (const codec of CODECS) {
      const packed = await compress(codec, zeros);
      expect((await codecError(decompress(codec, packed, { maxSize: 1 << 20 }))).code).toBe('TOO_LARGE');
      expect((await decompress(codec, packed, { maxSize: 2 << 20 })).length).toBe(2 << 20);
    }
  });

  it('gzip stops at maxSize on the async path too', async () => {
    const packed = await compress(CompressionType.Gzip, jsonish(2 << 20), { level: 1 });
    expect(packed.length).toBeGreaterThan(SYNC_THRESHOLD);
    expect((await codecError(decompress(CompressionType.Gzip, packed, { maxSize: 1 << 20 }))).code).toBe('TOO_LARGE');
  });

  it('a raw snappy preamble claiming 4 GiB is refused before decoding', async () => {
    const bomb = Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f, 0x00]);
    expect((await codecError(decompress(CompressionType.Snappy, bomb))).code).toBe('TOO_LARGE');
  });

  it('an lz4 frame of 70 × 4 MiB blocks (1 MiB on the wire) is refused by the default cap', async () => {
    const one = compressFrameSync(Buffer.alloc(4 << 20));
    expect(one[5]).toBe(0x70); // 4 MiB blocks
    const block = one.subarray(7, one.length - 4);
    const bomb = Buffer.concat([one.subarray(0, 7), ...Array<Buffer>(70).fill(block), Buffer.alloc(4)]);
    expect(bomb.length).toBeLessThan(2 << 20);
    const frame = parseLz4Frame(bomb);
    expect(typeof frame === 'object' && frame.bound).toBe(70 * (4 << 20));
    expect((await codecError(decompress(CompressionType.Lz4, bomb))).code).toBe('TOO_LARGE');
  });

  /** A zstd frame of RLE blocks: 4 bytes each on the wire, 128 KiB each decoded. */
  function zstdRle(blocks: number, byte: number): Buffer {
    const out = Buffer.alloc(6 + blocks * 4);
    out.writeUInt32LE(0xfd2fb528, 0);
    out[4] = 0x00; // no content size, window descriptor follows
    out[5] = 0x58; // window 2^(10+11) = 2 MiB
    for (let i = 0; i < blocks; i++) {
      const header = ((128 * 1024) << 3) | (1 << 1) | (i === blocks - 1 ? 1 : 0);
      out.writeUIntLE(header, 6 + i * 4, 3);
      out[6 + i * 4 + 3] = byte;
    }
    return out;
  }

  it('zstd RLE blocks are bounded exactly (and the native decoder agrees)', async () => {
    const frame = zstdRle(10, 0x61);
    const scan = scanZstdFrames(frame);
    expect(typeof scan === 'object' && scan.bound).toBe(10 * 128 * 1024);
    const out = await decompress(CompressionType.Zstd, frame);
    expect(out.length).toBe(10 * 128 * 1024);
    expect(out.every((b) => b === 0x61)).toBe(true);
  });

  it('a zstd frame of 2100 RLE blocks (8 KiB on the wire, 262 MiB out) is refused by the default cap', async () => {
    expect((await codecError(decompress(CompressionType.Zstd, zstdRle(2100, 0)))).code).toBe('TOO_LARGE');
  });
});

describe('malformed input fails with CodecError, never a crash', () => {
  it('garbage, empty and truncated inputs', async () => {
    for (const codec of COMPRESSED) {
      const good = await compress(codec, jsonish(50_000));
      const cases = [Buffer.from('definitely not compressed data'), Buffer.alloc(0), good.subarray(0, 10), good.subarray(0, good.length - 3)];
      if (codec === CompressionType.Snappy) cases.pop(); // xerial: a cut at a block boundary is valid
      for (const bad of cases) {
        const e = await codecError(decompress(codec, bad));
        expect(e.code, `${NAMES[codec]}: ${e.message}`).toBe('CORRUPT');
      }
    }
  });

  it('truncated xerial block lengths and lengths beyond the data', async () => {
    const good = await compress(CompressionType.Snappy, jsonish(40_000));
    const cut = Buffer.concat([good.subarray(0, 16), Buffer.from([0, 0])]);
    expect((await codecError(decompress(CompressionType.Snappy, cut))).code).toBe('CORRUPT');
    const long = Buffer.from(good);
    long.writeInt32BE(0x7fffff00, 16);
    expect((await codecError(decompress(CompressionType.Snappy, long))).code).toBe('CORRUPT');
  });

  it('random mutations of valid payloads either decode or reject cleanly', async () => {
    let seed = 12345;
    const rand = (n: number): number => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed % n;
    };
    for (const codec of COMPRESSED) {
      const good = await compress(codec, jsonish(20_000));
      for (let i = 0; i < 300; i++) {
        const bad = Buffer.from(good.subarray(0, rand(4) === 0 ? rand(good.length) : good.length));
        for (let j = 0; j < 1 + rand(4); j++) if (bad.length > 0) bad[rand(bad.length)] = rand(256);
        try {
          const out = await decompress(codec, bad, { maxSize: 1 << 20 });
          expect(out.length).toBeLessThanOrEqual(1 << 20);
        } catch (e) {
          expect(e).toBeInstanceOf(CodecError);
        }
      }
    }
  });

  it('an unknown codec is UNSUPPORTED', async () => {
    expect((await codecError(decompress(5 as CompressionType, Buffer.alloc(4)))).code).toBe('UNSUPPORTED');
    expect((await codecError(compress(7 as CompressionType, Buffer.alloc(4)))).code).toBe('UNSUPPORTED');
  });
});
