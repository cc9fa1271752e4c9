/**
 * The Kafka wire Writer, allocated once from a size function (sizes.ts and the generated size
 * functions) and filled front to back, without bounds checks of its own: the size is exact.
 *
 * Record sets that live in segment files are not copied into it: `external()` closes the current
 * buffer chunk and records a file slice, so a Fetch response becomes [buffer, slice, buffer,
 * slice, ...] (finishChunks()); a message without slices is one buffer (finish()).
 *
 * int64 values beyond the safe range are clamped to int64 rather than wrapped (int64.ts).
 * The hottest code of the broker beside the Reader: monomorphic straight-line methods.
 */
import { toInt64, zigzag64 } from './int64.js';
import { recordsSize, type FileSlice, type Records } from './record-slices.js';

const TWO_32 = 4294967296;
const TWO_52 = 4503599627370496;

export class Writer {
  buf: Buffer;
  offset = 0;
  /** Completed chunks when external slices are present; empty for plain messages. */
  private readonly chunks: Array<Buffer | FileSlice> = [];
  private chunkStart = 0;

  constructor(size: number) {
    this.buf = Buffer.allocUnsafe(size);
  }

  int8(v: number): void {
    this.buf.writeInt8(v, this.offset++);
  }

  bool(v: boolean): void {
    this.buf[this.offset++] = v ? 1 : 0;
  }

  int16(v: number): void {
    this.buf.writeInt16BE(v, this.offset);
    this.offset += 2;
  }

  uint16(v: number): void {
    this.buf.writeUInt16BE(v, this.offset);
    this.offset += 2;
  }

  int32(v: number): void {
    this.buf.writeInt32BE(v, this.offset);
    this.offset += 4;
  }

  uint32(v: number): void {
    this.buf.writeUInt32BE(v >>> 0, this.offset);
    this.offset += 4;
  }

  int64(v: number): void {
    if (Number.isSafeInteger(v)) {
      const hi = Math.floor(v / TWO_32);
      this.buf.writeInt32BE(hi, this.offset);
      this.buf.writeUInt32BE(v - hi * TWO_32, this.offset + 4);
    } else {
      // Outside the safe range the value is already approximate: clamp rather than wrap around.
      this.buf.writeBigInt64BE(toInt64(v), this.offset);
    }
    this.offset += 8;
  }

  float64(v: number): void {
    this.buf.writeDoubleBE(v, this.offset);
    this.offset += 8;
  }

  uvarint(v: number): void {
    while (v >= 0x80) {
      this.buf[this.offset++] = (v & 0x7f) | 0x80;
      v = Math.floor(v / 128);
    }
    this.buf[this.offset++] = v;
  }

  varint(v: number): void {
    this.uvarint(v >= 0 ? v * 2 : -v * 2 - 1);
  }

  varlong(v: number): void {
    if (Math.abs(v) < TWO_52) {
      this.uvarint(v >= 0 ? v * 2 : -v * 2 - 1);
      return;
    }
    // -v * 2 - 1 is not exact in doubles up here (it would round to even and flip the sign).
    let z = zigzag64(v);
    while (z >= 0x80n) {
      this.buf[this.offset++] = Number(z & 0x7fn) | 0x80;
      z >>= 7n;
    }
    this.buf[this.offset++] = Number(z);
  }

  uuid(v: Buffer): void {
    if (v.length === 16) v.copy(this.buf, this.offset);
    else this.buf.fill(0, this.offset, this.offset + 16);
    this.offset += 16;
  }

  raw(b: Buffer): void {
    b.copy(this.buf, this.offset);
    this.offset += b.length;
  }

  private utf8(s: string, len: number): void {
    this.buf.write(s, this.offset, len, 'utf8');
    this.offset += len;
  }

  string(s: string): void {
    const len = Buffer.byteLength(s);
    this.int16(len);
    this.utf8(s, len);
  }

  nullableString(s: string | null): void {
    if (s === null) this.int16(-1);
    else this.string(s);
  }

  compactString(s: string): void {
    const len = Buffer.byteLength(s);
    this.uvarint(len + 1);
    this.utf8(s, len);
  }

  compactNullableString(s: string | null): void {
    if (s === null) this.uvarint(0);
    else this.compactString(s);
  }

  bytes(b: Buffer): void {
    this.int32(b.length);
    this.raw(b);
  }

  nullableBytes(b: Buffer | null): void {
    if (b === null) this.int32(-1);
    else this.bytes(b);
  }

  compactBytes(b: Buffer): void {
    this.uvarint(b.length + 1);
    this.raw(b);
  }

  compactNullableBytes(b: Buffer | null): void {
    if (b === null) this.uvarint(0);
    else this.compactBytes(b);
  }

  records(r: Records | null, compact: boolean): void {
    if (r === null) {
      if (compact) this.uvarint(0);
      else this.int32(-1);
      return;
    }
    const n = recordsSize(r);
    if (compact) this.uvarint(n + 1);
    else this.int32(n);
    if (Buffer.isBuffer(r)) this.raw(r);
    else for (const s of r.slices) this.external(s);
  }

  /** Emits a file slice between the bytes written so far and those written next. */
  external(slice: FileSlice): void {
    if (this.offset > this.chunkStart) this.chunks.push(this.buf.subarray(this.chunkStart, this.offset));
    this.chunkStart = this.offset;
    this.chunks.push(slice);
  }

  /** Empty tagged-field section. */
  noTags(): void {
    this.buf[this.offset++] = 0;
  }

  /** The finished message as one buffer (no external slices). */
  finish(): Buffer {
    if (this.chunks.length > 0) throw new Error('message has external slices: use finishChunks()');
    return this.offset === this.buf.length ? this.buf : this.buf.subarray(0, this.offset);
  }

  /** The finished message as buffers interleaved with file slices. */
  finishChunks(): Array<Buffer | FileSlice> {
    const out = this.chunks.slice();
    if (this.offset > this.chunkStart) out.push(this.buf.subarray(this.chunkStart, this.offset));
    return out;
  }
}
