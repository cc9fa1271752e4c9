/**
 * The Kafka wire Reader: bounds-checked, with a sticky error flag.
 *
 * The Reader never throws on malformed input. The first out-of-bounds or invalid read sets
 * `error`, and every later read returns a zero value, so a decoder can run straight through and
 * the caller checks `error` once at the end (the franz-go kbin style). This keeps decoders free of
 * try/catch and makes a hostile frame cost no more than a valid one. Array lengths and tagged
 * sections are checked against the bytes left and charged to an element budget before anything is
 * allocated.
 *
 * int64 values are carried as JS numbers. Kafka's int64 fields (offsets, timestamps, producer
 * ids) stay far below 2^53 in practice; values outside the safe range are converted lossily
 * rather than rejected, since sentinels such as Long.MAX_VALUE only ever mean "very large".
 *
 * The hottest code of the broker: every method is monomorphic straight-line code on one Buffer.
 */

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
