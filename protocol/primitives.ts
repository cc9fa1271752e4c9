/**
 * Kafka wire primitives: a bounds-checked Reader with a sticky error flag and a pre-sized Writer.
 *
 * The Reader never throws on malformed input. The first out-of-bounds or invalid read sets
 * `error`, and every later read returns a zero value, so a decoder can run straight through and
 * the caller checks `error` once at the end (the franz-go kbin style). This keeps decoders free of
 * try/catch and makes a hostile frame cost no more than a valid one.
 *
 * int64 values are carried as JS numbers. Kafka's int64 fields (offsets, timestamps, producer
 * ids) stay far below 2^53 in practice; values outside the safe range are converted lossily
 * rather than rejected, since sentinels such as Long.MAX_VALUE only ever mean "very large".
 *
 * The Writer is allocated once from a size function and filled front to back. Record sets that
 * live in segment files are not copied into it: `external()` closes the current buffer chunk and
 * records a file slice, so a Fetch response becomes [buffer, slice, buffer, slice, ...].
 */

export interface FileSlice {
  /** A file descriptor owned by storage; the writer of the response must not close it. */
  readonly fd: number;
  readonly position: number;
  readonly length: number;
  /** Called once the bytes have been sent or the send was abandoned (releases the segment). */
  readonly release?: () => void;
}

/** A record set in a message: raw bytes, or file slices served straight from segment files. */
export type Records = Buffer | RecordSlices;

export interface RecordSlices {
  readonly slices: readonly FileSlice[];
  /** Sum of slice lengths. */
  readonly size: number;
}

export function recordsSize(r: Records): number {
  return Buffer.isBuffer(r) ? r.length : r.size;
}

const EMPTY = Buffer.alloc(0);
const TWO_32 = 4294967296;

export class Reader {
  offset: number;
  error: string | null = null;
  /**
   * Array elements and tagged fields this reader may still decode. The byte checks bound what a
   * frame can make us allocate, not how long decoding takes: a 100 MiB frame of one-byte elements
   * is millions of loop turns on the event loop. The broker sets a budget per request; unlimited
   * by default (our own responses, records, files).
   */
  elementBudget = Infinity;
  private readonly end: number;

  constructor(
    readonly buf: Buffer,
    start = 0,
    end = buf.length,
  ) {
    this.offset = start;
    this.end = end;
  }

  remaining(): number {
    return this.end - this.offset;
  }

  fail(message: string): void {
    if (this.error === null) this.error = `${message} at byte ${this.offset}`;
    this.offset = this.end;
  }

  private need(n: number): boolean {
    if (this.error !== null) return false;
    if (n > this.end - this.offset) {
      this.fail(`need ${n} bytes, have ${this.end - this.offset}`);
      return false;
    }
    return true;
  }

  int8(): number {
    if (!this.need(1)) return 0;
    return this.buf.readInt8(this.offset++);
  }

  bool(): boolean {
    return this.int8() !== 0;
  }

  int16(): number {
    if (!this.need(2)) return 0;
    const v = this.buf.readInt16BE(this.offset);
    this.offset += 2;
    return v;
  }

  uint16(): number {
    if (!this.need(2)) return 0;
    const v = this.buf.readUInt16BE(this.offset);
    this.offset += 2;
    return v;
  }

  int32(): number {
    if (!this.need(4)) return 0;
    const v = this.buf.readInt32BE(this.offset);
    this.offset += 4;
    return v;
  }

  uint32(): number {
    if (!this.need(4)) return 0;
    const v = this.buf.readUInt32BE(this.offset);
    this.offset += 4;
    return v;
  }

  int64(): number {
    if (!this.need(8)) return 0;
    const hi = this.buf.readInt32BE(this.offset);
    const lo = this.buf.readUInt32BE(this.offset + 4);
    this.offset += 8;
    return hi * TWO_32 + lo;
  }

  float64(): number {
    if (!this.need(8)) return 0;
    const v = this.buf.readDoubleBE(this.offset);
    this.offset += 8;
    return v;
  }

  /** Unsigned LEB128 varint, at most 5 bytes (32 bits). */
  uvarint(): number {
    let result = 0;
    let shift = 0;
    for (let i = 0; i < 5; i++) {
      if (!this.need(1)) return 0;
      const b = this.buf[this.offset++]!;
      result += (b & 0x7f) * 2 ** shift;
      if ((b & 0x80) === 0) return result;
      shift += 7;
    }
    this.fail('varint longer than 5 bytes');
    return 0;
  }

  /** Zig-zag signed varint (32 bits). */
  varint(): number {
    const u = this.uvarint();
    return u % 2 === 0 ? u / 2 : -(u + 1) / 2;
  }

  /** Zig-zag signed varlong (64 bits, as a number). */
  varlong(): number {
    let result = 0;
    let shift = 0;
    let sign = 0;
    for (let i = 0; i < 10; i++) {
      if (!this.need(1)) return 0;
      const b = this.buf[this.offset++]!;
      if (i === 0) sign = b & 1;
      result += (b & 0x7f) * 2 ** shift;
      if ((b & 0x80) === 0) {
        // The sign is bit 0 of the first byte: taken from there, since above 2^53 the sum rounds
        // and loses it.
        const half = (result - sign) / 2;
        return sign === 0 ? half : -half - 1;
      }
      shift += 7;
    }
    this.fail('varlong longer than 10 bytes');
    return 0;
  }

  uuid(): Buffer {
    if (!this.need(16)) return EMPTY;
    const v = this.buf.subarray(this.offset, this.offset + 16);
    this.offset += 16;
    return v;
  }

  private utf8(len: number): string {
    if (!this.need(len)) return '';
    const s = this.buf.toString('utf8', this.offset, this.offset + len);
    this.offset += len;
    return s;
  }

  private slice(len: number): Buffer {
    if (!this.need(len)) return EMPTY;
    const b = this.buf.subarray(this.offset, this.offset + len);
    this.offset += len;
    return b;
  }

  string(): string {
    const len = this.int16();
    if (len < 0) {
      this.fail('null where a string is required');
      return '';
    }
    return this.utf8(len);
  }

  nullableString(): string | null {
    const len = this.int16();
    if (len < 0) return null;
    return this.utf8(len);
  }

  compactString(): string {
    const len = this.uvarint() - 1;
    if (len < 0) {
      this.fail('null where a string is required');
      return '';
    }
    return this.utf8(len);
  }

  compactNullableString(): string | null {
    const len = this.uvarint() - 1;
    if (len < 0) return null;
    return this.utf8(len);
  }

  bytes(): Buffer {
    const len = this.int32();
    if (len < 0) {
      this.fail('null where bytes are required');
      return EMPTY;
    }
    return this.slice(len);
  }

  nullableBytes(): Buffer | null {
    const len = this.int32();
    if (len < 0) return null;
    return this.slice(len);
  }

  compactBytes(): Buffer {
    const len = this.uvarint() - 1;
    if (len < 0) {
      this.fail('null where bytes are required');
      return EMPTY;
    }
    return this.slice(len);
  }

  compactNullableBytes(): Buffer | null {
    const len = this.uvarint() - 1;
    if (len < 0) return null;
    return this.slice(len);
  }

  /**
   * Array length: -1 (null) or a count. A count larger than the bytes left cannot be honest
   * (every element takes at least one byte), so it fails before any allocation.
   */
  arrayLength(): number {
    const n = this.int32();
    return this.checkCount(n);
  }

  compactArrayLength(): number {
    const n = this.uvarint() - 1;
    return this.checkCount(n);
  }

  private checkCount(n: number): number {
    if (n < -1) {
      this.fail(`invalid array length ${n}`);
      return -1;
    }
    if (n > this.remaining()) {
      this.fail(`array length ${n} exceeds remaining bytes`);
      return -1;
    }
    if (n > 0 && (this.elementBudget -= n) < 0) {
      this.fail('more array elements than the request may list');
      return -1;
    }
    return n;
  }

  /**
   * The field count that opens a tagged-field section, charged to `elementBudget` like an
   * array's length (the generated decoders read their sections through this): a section of
   * millions of empty tags is as many loop turns as an array of millions of elements.
   */
  tagCount(): number {
    const count = this.uvarint();
    if (count > 0 && (this.elementBudget -= count) < 0) {
      this.fail('more tagged fields than the request may carry');
      return 0;
    }
    return count;
  }

  /** Skips a tagged-field section, calling `known` for tags the caller understands. */
  taggedFields(known?: (tag: number, size: number) => void): void {
    const count = this.tagCount();
    for (let i = 0; i < count && this.error === null; i++) {
      const tag = this.uvarint();
      const size = this.uvarint();
      if (!this.need(size)) return;
      const end = this.offset + size;
      if (known) known(tag, size);
      if (this.error === null && this.offset !== end) this.offset = end;
    }
  }

  /** For a tagged field of `size` bytes starting here: the offset where it ends (bounds-checked). */
  tagEnd(size: number): number {
    if (!this.need(size)) return this.end;
    return this.offset + size;
  }

  /** Moves to `offset` (the end of a tagged field), unless an error already ended reading. */
  seek(offset: number): void {
    if (this.error === null) this.offset = offset;
  }

  skip(n: number): void {
    if (this.need(n)) this.offset += n;
  }
}

export function uvarintSize(v: number): number {
  let n = 1;
  while (v >= 0x80) {
    v = Math.floor(v / 128);
    n++;
  }
  return n;
}

export function varintSize(v: number): number {
  return uvarintSize(v >= 0 ? v * 2 : -v * 2 - 1);
}

const TWO_52 = 4503599627370496;

/** Encoded size of a zig-zag varlong; beyond ±2^52 the zig-zag value is computed exactly. */
export function varlongSize(v: number): number {
  if (Math.abs(v) < TWO_52) return varintSize(v);
  let z = zigzag64(v);
  let n = 1;
  while (z >= 0x80n) {
    z >>= 7n;
    n++;
  }
  return n;
}

const INT64_MAX = 9223372036854775807n;
const INT64_MIN = -9223372036854775808n;

/** A number as an int64, clamped to the int64 range (NaN → 0). */
function toInt64(v: number): bigint {
  if (Number.isNaN(v)) return 0n;
  if (v >= 9223372036854775807) return INT64_MAX;
  if (v <= -9223372036854775808) return INT64_MIN;
  return BigInt(Math.trunc(v));
}

function zigzag64(v: number): bigint {
  const b = toInt64(v);
  return BigInt.asUintN(64, (b << 1n) ^ (b >> 63n));
}

export function stringSize(s: string): number {
  return 2 + Buffer.byteLength(s);
}

export function nullableStringSize(s: string | null): number {
  return s === null ? 2 : 2 + Buffer.byteLength(s);
}

export function compactStringSize(s: string | null): number {
  if (s === null) return 1;
  const n = Buffer.byteLength(s);
  return uvarintSize(n + 1) + n;
}

export function bytesSize(b: Buffer | null): number {
  return b === null ? 4 : 4 + b.length;
}

export function compactBytesSize(b: Buffer | null): number {
  return b === null ? 1 : uvarintSize(b.length + 1) + b.length;
}

export function recordsFieldSize(r: Records | null, compact: boolean): number {
  if (r === null) return compact ? 1 : 4;
  const n = recordsSize(r);
  return (compact ? uvarintSize(n + 1) : 4) + n;
}

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
