import { describe, expect, it } from 'vitest';
import {
  Reader,
  Writer,
  bytesSize,
  compactBytesSize,
  compactStringSize,
  nullableStringSize,
  stringSize,
  uvarintSize,
  varintSize,
  varlongSize,
} from '../../../protocol/primitives.js';

const hex = (s: string) => Buffer.from(s.replace(/\s/g, ''), 'hex');

function written(size: number, f: (w: Writer) => void): Buffer {
  const w = new Writer(size);
  f(w);
  expect(w.offset).toBe(size);
  return w.finish();
}

describe('varint / varlong (zig-zag)', () => {
  // Zig-zag maps 0, -1, 1, -2, 2 ... to 0, 1, 2, 3, 4 ...; then base-128 little-endian groups.
  const int32Vectors: Array<[number, string]> = [
    [0, '00'],
    [-1, '01'],
    [1, '02'],
    [-2, '03'],
    [63, '7e'],
    [-64, '7f'],
    [64, '8001'],
    [2 ** 31 - 1, 'feffffff0f'],
    [-(2 ** 31), 'ffffffff0f'],
    [-(2 ** 31 - 1), 'fdffffff0f'],
  ];
  it.each(int32Vectors)('varint %d ⇄ %s', (v, h) => {
    expect(written(varintSize(v), (w) => w.varint(v)).toString('hex')).toBe(h);
    const r = new Reader(hex(h));
    expect(r.varint()).toBe(v);
    expect(r.error).toBeNull();
    expect(r.remaining()).toBe(0);
  });

  const int64Vectors: Array<[number, string]> = [
    [0, '00'],
    [-1, '01'],
    [1, '02'],
    [2 ** 31 - 1, 'feffffff0f'],
    [-(2 ** 31 - 1), 'fdffffff0f'],
    [2 ** 32, '8080808020'],
    [2 ** 52, '8080808080808010'],
    [-(2 ** 52), 'ffffffffffffff0f'],
    // 2^53 - 1 → zig-zag 2^54 - 2; -(2^53 - 1) → 2^54 - 3 (odd: needs exact arithmetic).
    [Number.MAX_SAFE_INTEGER, 'feffffffffffff1f'],
    [Number.MIN_SAFE_INTEGER, 'fdffffffffffff1f'],
    [-(2 ** 53), 'ffffffffffffff1f'],
  ];
  it.each(int64Vectors)('varlong %d ⇄ %s', (v, h) => {
    expect(written(varlongSize(v), (w) => w.varlong(v)).toString('hex')).toBe(h);
    const r = new Reader(hex(h));
    expect(r.varlong()).toBe(v);
    expect(r.error).toBeNull();
    expect(r.remaining()).toBe(0);
  });

  it('varlong keeps the sign of values beyond 2^53 (lossy magnitude, right sign)', () => {
    for (const v of [2 ** 60, -(2 ** 60), 2 ** 62, -(2 ** 62), -(2 ** 63)]) {
      const b = written(varlongSize(v), (w) => w.varlong(v));
      const back = new Reader(b).varlong();
      expect(Math.sign(back)).toBe(Math.sign(v));
      expect(Math.abs(back - v) / Math.abs(v)).toBeLessThan(1e-15);
    }
    // Long.MIN_VALUE: zig-zag 2^64 - 1, ten bytes.
    expect(written(10, (w) => w.varlong(-(2 ** 63))).toString('hex')).toBe('ffffffffffffffffff01');
  });

  it('uvarint sizes and a 5-byte maximum', () => {
    for (const [v, n] of [[0, 1], [127, 1], [128, 2], [16383, 2], [16384, 3], [2 ** 32 - 1, 5]] as const) {
      expect(uvarintSize(v)).toBe(n);
      const b = written(n, (w) => w.uvarint(v));
      expect(new Reader(b).uvarint()).toBe(v);
    }
    const r = new Reader(hex('ffffffffff01'));
    expect(r.uvarint()).toBe(0);
    expect(r.error).toMatch(/varint longer than 5 bytes/);
  });

  it('a truncated varint is an error', () => {
    const r = new Reader(hex('8080'));
    expect(r.uvarint()).toBe(0);
    expect(r.error).not.toBeNull();
    const r2 = new Reader(hex('ff'));
    expect(r2.varlong()).toBe(0);
    expect(r2.error).not.toBeNull();
  });
});

describe('int64', () => {
  it.each([
    [-1, 'ffffffffffffffff'],
    [-2, 'fffffffffffffffe'],
    [2 ** 40, '0000010000000000'],
    [-(2 ** 40), 'ffffff0000000000'],
    [2 ** 32 - 1, '00000000ffffffff'],
    [-(2 ** 32), 'ffffffff00000000'],
    [Number.MAX_SAFE_INTEGER, '001fffffffffffff'],
    [Number.MIN_SAFE_INTEGER, 'ffe0000000000001'],
  ])('%d ⇄ %s', (v, h) => {
    expect(written(8, (w) => w.int64(v)).toString('hex')).toBe(h);
    expect(new Reader(hex(h)).int64()).toBe(v);
  });

  it('values beyond ±2^63 clamp instead of wrapping; NaN writes 0', () => {
    expect(written(8, (w) => w.int64(2 ** 63)).toString('hex')).toBe('7fffffffffffffff');
    expect(written(8, (w) => w.int64(Infinity)).toString('hex')).toBe('7fffffffffffffff');
    expect(written(8, (w) => w.int64(-(2 ** 64))).toString('hex')).toBe('8000000000000000');
    expect(written(8, (w) => w.int64(NaN)).toString('hex')).toBe('0000000000000000');
    // Long.MAX_VALUE reads back as the nearest double, 2^63.
    expect(new Reader(hex('7fffffffffffffff')).int64()).toBe(2 ** 63);
    expect(new Reader(hex('8000000000000000')).int64()).toBe(-(2 ** 63));
  });
});

describe('strings and bytes', () => {
  it('string: int16 length + UTF-8 bytes (length counts bytes, not characters)', () => {
    expect(written(stringSize('héllo'), (w) => w.string('héllo')).toString('hex')).toBe('000668c3a96c6c6f');
    expect(new Reader(hex('000668c3a96c6c6f')).string()).toBe('héllo');
    expect(written(stringSize(''), (w) => w.string('')).toString('hex')).toBe('0000');
  });

  it('nullable string: -1 is null; a plain string rejects it', () => {
    expect(written(nullableStringSize(null), (w) => w.nullableString(null)).toString('hex')).toBe('ffff');
    expect(new Reader(hex('ffff')).nullableString()).toBeNull();
    const r = new Reader(hex('ffff'));
    expect(r.string()).toBe('');
    expect(r.error).toMatch(/null where a string is required/);
  });

  it('compact string: uvarint(length + 1); 0 is null', () => {
    expect(written(compactStringSize('ab'), (w) => w.compactString('ab')).toString('hex')).toBe('036162');
    expect(written(compactStringSize(''), (w) => w.compactString('')).toString('hex')).toBe('01');
    expect(written(compactStringSize(null), (w) => w.compactNullableString(null)).toString('hex')).toBe('00');
    expect(new Reader(hex('00')).compactNullableString()).toBeNull();
    expect(new Reader(hex('01')).compactNullableString()).toBe('');
    const r = new Reader(hex('00'));
    r.compactString();
    expect(r.error).toMatch(/null where a string is required/);
    const long = 'x'.repeat(200);
    const b = written(compactStringSize(long), (w) => w.compactString(long));
    expect(b.subarray(0, 2).toString('hex')).toBe('c901'); // 201 = 0xc9 0x01
    expect(new Reader(b).compactString()).toBe(long);
  });

  it('bytes, nullable bytes, compact bytes', () => {
    expect(written(bytesSize(hex('0102')), (w) => w.bytes(hex('0102'))).toString('hex')).toBe('000000020102');
    expect(written(bytesSize(null), (w) => w.nullableBytes(null)).toString('hex')).toBe('ffffffff');
    expect(new Reader(hex('ffffffff')).nullableBytes()).toBeNull();
    expect(written(compactBytesSize(hex('0102')), (w) => w.compactBytes(hex('0102'))).toString('hex')).toBe('030102');
    expect(written(compactBytesSize(null), (w) => w.compactNullableBytes(null)).toString('hex')).toBe('00');
    expect(new Reader(hex('00')).compactNullableBytes()).toBeNull();
    expect(new Reader(hex('01')).compactNullableBytes()).toEqual(Buffer.alloc(0));
    const r = new Reader(hex('ffffffff'));
    r.bytes();
    expect(r.error).toMatch(/null where bytes are required/);
    const r2 = new Reader(hex('00'));
    r2.compactBytes();
    expect(r2.error).toMatch(/null where bytes are required/);
  });

  it('a length beyond the buffer is an error, not a short read', () => {
    const r = new Reader(hex('0005616263'));
    expect(r.string()).toBe('');
    expect(r.error).toMatch(/need 5 bytes, have 3/);
    const r2 = new Reader(hex('00000010 00'));
    expect(r2.bytes()).toEqual(Buffer.alloc(0));
    expect(r2.error).not.toBeNull();
  });
});

describe('sticky error', () => {
  it('keeps the first failure and returns zero values afterwards', () => {
    const r = new Reader(hex('0001 02'));
    expect(r.int16()).toBe(1);
    expect(r.int32()).toBe(0);
    const first = r.error;
    expect(first).toMatch(/need 4 bytes, have 1 at byte 2/);
    // Later reads, even ones that would fit the bytes that are left, return zero values.
    expect(r.int8()).toBe(0);
    expect(r.bool()).toBe(false);
    expect(r.int64()).toBe(0);
    expect(r.uvarint()).toBe(0);
    expect(r.varlong()).toBe(0);
    expect(r.string()).toBe('');
    expect(r.nullableString()).toBe('');
    expect(['', null]).toContain(r.compactNullableString());
    expect(r.bytes()).toEqual(Buffer.alloc(0));
    expect(r.uuid()).toEqual(Buffer.alloc(0));
    expect(r.arrayLength()).toBe(0);
    r.fail('a later failure');
    expect(r.error).toBe(first);
    expect(r.remaining()).toBe(0);
  });

  it('seek after an error does not move the reader back', () => {
    const r = new Reader(hex('01'));
    const end = r.tagEnd(5);
    expect(r.error).not.toBeNull();
    r.seek(0);
    expect(r.offset).toBe(end);
  });
});

describe('array lengths', () => {
  it('a count larger than the bytes left fails before allocating', () => {
    // 0x7fffffff elements claimed, 2 bytes left: no element can be that small.
    const r = new Reader(hex('7fffffff 0000'));
    expect(r.arrayLength()).toBe(-1);
    expect(r.error).toMatch(/array length 2147483647 exceeds remaining bytes/);
    const c = new Reader(hex('ffffffff0f 00'));
    expect(c.compactArrayLength()).toBe(-1);
    expect(c.error).toMatch(/exceeds remaining bytes/);
  });

  it('-1 is null, below -1 is invalid', () => {
    expect(new Reader(hex('ffffffff')).arrayLength()).toBe(-1);
    expect(new Reader(hex('00')).compactArrayLength()).toBe(-1);
    const r = new Reader(hex('fffffffe'));
    expect(r.arrayLength()).toBe(-1);
    expect(r.error).toMatch(/invalid array length -2/);
  });

  it('counts that fit are returned as they are', () => {
    expect(new Reader(hex('00000002 0000')).arrayLength()).toBe(2);
    expect(new Reader(hex('03 0000')).compactArrayLength()).toBe(2);
  });
});

describe('other fixed-width types', () => {
  it('uuid, bool, uint16, uint32, float64', () => {
    const id = hex('00112233445566778899aabbccddeeff');
    const b = written(16 + 1 + 2 + 4 + 8, (w) => {
      w.uuid(id);
      w.bool(true);
      w.uint16(65535);
      w.uint32(4294967295);
      w.float64(1.5);
    });
    expect(b.toString('hex')).toBe('00112233445566778899aabbccddeeff' + '01' + 'ffff' + 'ffffffff' + '3ff8000000000000');
    const r = new Reader(b);
    expect(r.uuid()).toEqual(id);
    expect(r.bool()).toBe(true);
    expect(r.uint16()).toBe(65535);
    expect(r.uint32()).toBe(4294967295);
    expect(r.float64()).toBe(1.5);
    expect(r.remaining()).toBe(0);
  });

  it('any non-zero byte is true', () => {
    expect(new Reader(hex('02')).bool()).toBe(true);
  });

  it('a reader over part of a buffer stops at its end', () => {
    const r = new Reader(hex('0001 0002 0003'), 2, 4);
    expect(r.int16()).toBe(2);
    expect(r.int16()).toBe(0);
    expect(r.error).not.toBeNull();
  });
});

describe('tagged-field sections', () => {
  it('taggedFields skips unknown tags and hands known ones over', () => {
    // 2 fields: tag 0 size 2 "abcd", tag 300 (2-byte uvarint) size 1 "ff".
    const r = new Reader(hex('02 00 02 abcd ac02 01 ff 99'));
    const seen: Array<[number, number]> = [];
    r.taggedFields((tag, size) => {
      seen.push([tag, size]);
      if (tag === 0) r.int8(); // reads part of it; the reader still moves to the field's end
    });
    expect(seen).toEqual([[0, 2], [300, 1]]);
    expect(r.error).toBeNull();
    expect(r.int8()).toBe(-103); // 0x99
  });

  it('a tagged field running past the end is an error', () => {
    const r = new Reader(hex('01 00 05 ab'));
    r.taggedFields();
    expect(r.error).not.toBeNull();
  });
});

describe('Reader.elementBudget', () => {
  it('fails an array, or a tagged-field section, that takes the reader past its budget', () => {
    const w = new Writer(4 + 4 * 3);
    w.int32(3);
    for (let i = 0; i < 3; i++) w.int32(i);
    const ok = new Reader(w.finish());
    ok.elementBudget = 3;
    expect(ok.arrayLength()).toBe(3);
    expect(ok.error).toBeNull();
    const over = new Reader(w.finish());
    over.elementBudget = 2;
    expect(over.arrayLength()).toBe(-1);
    expect(over.error).toMatch(/more array elements/);
    // Tagged fields: count 2, each tag 0 with size 0.
    const tags = new Reader(Buffer.from([2, 0, 0, 1, 0]));
    tags.elementBudget = 1;
    tags.taggedFields();
    expect(tags.error).toMatch(/more tagged fields/);
  });
});
