/**
 * Encoded sizes of Kafka wire values, exactly what writer.ts writes: the generated size functions
 * add them up so a Writer is allocated once at the right size, and record builders size varints
 * with them.
 */
import { zigzag64 } from './int64.js';
import { recordsSize, type Records } from './record-slices.js';

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
