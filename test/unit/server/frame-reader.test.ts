/**
 * FrameReader: size prefixes (zero, negative, over the limit, split across chunks), frames split
 * and joined across chunks, and the two-step nextSize()/take() contract the connection relies on.
 */
import { describe, expect, it } from 'vitest';
import { FrameReader } from '../../../src/server/frame-reader.js';

function frame(body: Buffer): Buffer {
  const b = Buffer.alloc(4 + body.length);
  b.writeInt32BE(body.length, 0);
  body.copy(b, 4);
  return b;
}

/** Every frame the reader yields for these chunks, or the first error. */
function drain(r: FrameReader): Array<Buffer | string> {
  const out: Array<Buffer | string> = [];
  for (;;) {
    const size = r.nextSize();
    if (size === null) return out;
    if (typeof size !== 'number') {
      out.push(size.error);
      return out;
    }
    const f = r.take();
    if (f === null) return out;
    expect(f.length).toBe(size);
    out.push(f);
  }
}

describe('FrameReader', () => {
  it('rejects a zero size prefix (four zero bytes) instead of reading a frame that is not there', () => {
    const r = new FrameReader(1024);
    r.push(Buffer.alloc(4));
    expect(drain(r)).toEqual(['empty request frame (size 0)']);
  });

  it('rejects a zero size prefix followed by more bytes, and one split over chunks', () => {
    const r = new FrameReader(1024);
    r.push(Buffer.concat([Buffer.alloc(4), frame(Buffer.from('abc'))]));
    expect(drain(r)).toEqual(['empty request frame (size 0)']);
    const s = new FrameReader(1024);
    for (let i = 0; i < 4; i++) s.push(Buffer.alloc(1));
    expect(drain(s)).toEqual(['empty request frame (size 0)']);
  });

  it('rejects negative and oversized prefixes before allocating', () => {
    const neg = new FrameReader(1024);
    const b = Buffer.alloc(4);
    b.writeInt32BE(-1, 0);
    neg.push(b);
    expect(drain(neg)[0]).toMatch(/negative frame size -1/);
    const big = new FrameReader(1024);
    b.writeInt32BE(1025, 0);
    big.push(b);
    expect(drain(big)[0]).toMatch(/exceeds socket.request.max.bytes 1024/);
    const max = new FrameReader(1024);
    b.writeInt32BE(1024, 0);
    max.push(b);
    expect(max.nextSize()).toBe(1024);
  });

  it('reads a prefix split across chunks in every way', () => {
    const f = frame(Buffer.from('hello world'));
    for (let a = 1; a < 4; a++) {
      for (let c = a + 1; c <= 4; c++) {
        const r = new FrameReader(1024);
        r.push(f.subarray(0, a));
        expect(r.nextSize()).toBeNull();
        expect(r.midFrame()).toBe(true);
        r.push(f.subarray(a, c));
        r.push(f.subarray(c));
        expect(drain(r).map(String)).toEqual(['hello world']);
        expect(r.midFrame()).toBe(false);
      }
    }
  });

  it('yields a frame only once all its bytes are buffered, byte by byte', () => {
    const f = Buffer.concat([frame(Buffer.from('first')), frame(Buffer.from('second!'))]);
    const r = new FrameReader(1024);
    const got: string[] = [];
    for (const byte of f) {
      r.push(Buffer.from([byte]));
      for (const x of drain(r)) got.push(String(x));
    }
    expect(got).toEqual(['first', 'second!']);
    expect(r.bufferedBytes()).toBe(0);
  });

  it('splits many frames out of one chunk, zero-copy', () => {
    const parts = ['a', 'bb', 'ccc'].map((s) => frame(Buffer.from(s)));
    const chunk = Buffer.concat(parts);
    const r = new FrameReader(1024);
    r.push(chunk);
    const frames = drain(r) as Buffer[];
    expect(frames.map(String)).toEqual(['a', 'bb', 'ccc']);
    expect(frames[0]!.buffer).toBe(chunk.buffer);
  });

  it('keeps the size between nextSize() and take(), and ignores empty chunks', () => {
    const r = new FrameReader(1024);
    const f = frame(Buffer.from('xyz'));
    r.push(Buffer.alloc(0));
    r.push(f.subarray(0, 5));
    expect(r.nextSize()).toBe(3);
    expect(r.nextSize()).toBe(3);
    expect(r.take()).toBeNull();
    expect(r.midFrame()).toBe(true);
    r.push(f.subarray(5));
    expect(String(r.take())).toBe('xyz');
    expect(r.take()).toBeNull();
    expect(r.nextSize()).toBeNull();
  });
});
