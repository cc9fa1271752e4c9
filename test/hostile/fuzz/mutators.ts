/**
 * The fuzzer's mutations. A mutant is one to four stacked mutations of a corpus frame: bit flips;
 * bytes, int16s and int32s set to boundary values (0, -1, 0x7f.., 0x80..); small counts blown up
 * (int32 and varint); over-long varints; truncation (often to almost nothing); a splice of two
 * frames; duplicated, deleted and inserted regions; the version swapped; and a structure-aware
 * one (field-mutation.ts). Each is drawn by weight from one seeded sequence. 90% of mutants get
 * a correct 4-byte size prefix (so they reach the decoders and handlers); the rest a wrong one.
 */
import type { CorpusFrame } from './corpus.js';
import { mutateField } from './field-mutation.js';
import type { Rng } from './rng.js';

const BYTES = [0x00, 0xff, 0x7f, 0x80, 0x01, 0xfe];
const INT16S = [0, -1, 0x7fff, -0x8000, 1, 0x100];
const INT32S = [0, -1, 0x7fffffff, -0x80000000, 1, 0xffff, 0x10000, 1_000_000];
/** Over-long or huge unsigned varints. */
const VARINTS = [
  [0xff, 0xff, 0xff, 0xff, 0x0f], // 2^32-1
  [0xff, 0xff, 0xff, 0xff, 0x07], // 2^31-1
  [0x80, 0x80, 0x80, 0x80, 0x80, 0x01], // six bytes
  [0xe8, 0x07], // 1000
  [0x00],
];

/** Where mutations land: mostly past the fixed header start (api key, version, correlation id). */
function position(rng: Rng, b: Buffer): number {
  if (b.length <= 8 || rng.chance(0.08)) return rng.int(b.length);
  return 8 + rng.int(b.length - 8);
}

type Mutator = (b: Buffer, rng: Rng, corpus: readonly CorpusFrame[]) => [Buffer, string];

const MUTATORS: Array<[string, number, Mutator]> = [
  [
    'bitflip',
    3,
    (b, rng) => {
      const out = Buffer.from(b);
      const n = 1 + rng.int(4);
      for (let i = 0; i < n; i++) {
        const p = position(rng, out);
        out[p]! ^= 1 << rng.int(8);
      }
      return [out, `flip ${n} bit(s)`];
    },
  ],
  [
    'byte',
    3,
    (b, rng) => {
      const out = Buffer.from(b);
      const p = position(rng, out);
      const v = rng.pick(BYTES);
      out[p] = v;
      return [out, `byte@${p}=0x${v.toString(16)}`];
    },
  ],
  [
    'int16',
    2,
    (b, rng) => {
      if (b.length < 2) return [b, 'noop'];
      const out = Buffer.from(b);
      const p = Math.min(position(rng, out), out.length - 2);
      const v = rng.pick(INT16S);
      out.writeInt16BE(v, p);
      return [out, `int16@${p}=${v}`];
    },
  ],
  [
    'int32',
    3,
    (b, rng) => {
      if (b.length < 4) return [b, 'noop'];
      const out = Buffer.from(b);
      const p = Math.min(position(rng, out), out.length - 4);
      const v = rng.pick(INT32S);
      out.writeInt32BE(v, p);
      return [out, `int32@${p}=${v}`];
    },
  ],
  [
    // A small int32 (a likely array count or length) made large.
    'count32',
    3,
    (b, rng) => {
      const spots: number[] = [];
      for (let i = 8; i + 4 <= b.length; i++) {
        const v = b.readInt32BE(i);
        if (v >= 1 && v <= 64) spots.push(i);
      }
      if (spots.length === 0) return [b, 'noop'];
      const out = Buffer.from(b);
      const p = rng.pick(spots);
      const v = rng.pick([0x7fffffff, 1000, 100_000, out.readInt32BE(p) + 1, -2]);
      out.writeInt32BE(v, p);
      return [out, `count32@${p}=${v}`];
    },
  ],
  [
    // A byte that looks like a compact length/count (n+1 in 1..64) replaced by a huge varint.
    'varint',
    3,
    (b, rng) => {
      const spots: number[] = [];
      for (let i = 8; i < b.length; i++) if (b[i]! >= 1 && b[i]! <= 64) spots.push(i);
      if (spots.length === 0) return [b, 'noop'];
      const p = rng.pick(spots);
      const v = Buffer.from(rng.pick(VARINTS));
      return [Buffer.concat([b.subarray(0, p), v, b.subarray(p + 1)]), `varint@${p}=${v.toString('hex')}`];
    },
  ],
  [
    // Often to almost nothing: empty and 1-7 byte frames stress the header reader.
    'truncate',
    2,
    (b, rng) => {
      const n = rng.chance(0.3) ? rng.int(Math.min(b.length, 8)) : rng.int(b.length);
      return [b.subarray(0, n), `truncate to ${n}`];
    },
  ],
  [
    'splice',
    2,
    (b, rng, corpus) => {
      const other = rng.pick(corpus).bytes;
      const i = rng.int(b.length + 1);
      const j = rng.int(other.length + 1);
      return [Buffer.concat([b.subarray(0, i), other.subarray(j)]), `splice ${i} + other@${j}`];
    },
  ],
  [
    'duplicate',
    2,
    (b, rng) => {
      if (b.length < 9) return [b, 'noop'];
      const i = position(rng, b);
      const len = 1 + rng.int(Math.min(64, b.length - i));
      const times = 1 + rng.int(rng.chance(0.2) ? 200 : 4);
      const region = b.subarray(i, i + len);
      const at = position(rng, b);
      return [Buffer.concat([b.subarray(0, at), ...Array.from({ length: times }, () => region), b.subarray(at)]), `dup [${i},+${len}) x${times} @${at}`];
    },
  ],
  [
    'delete',
    1,
    (b, rng) => {
      const i = position(rng, b);
      const len = 1 + rng.int(Math.min(16, b.length - i));
      return [Buffer.concat([b.subarray(0, i), b.subarray(i + len)]), `delete [${i},+${len})`];
    },
  ],
  [
    'insert',
    1,
    (b, rng) => {
      const i = position(rng, b);
      const junk = Buffer.alloc(1 + rng.int(16));
      for (let k = 0; k < junk.length; k++) junk[k] = rng.next() & 0xff;
      return [Buffer.concat([b.subarray(0, i), junk, b.subarray(i)]), `insert ${junk.length} @${i}`];
    },
  ],
  [
    // The same body read as another version of the API (fields shift, flexible or not).
    'version',
    1,
    (b, rng) => {
      if (b.length < 4) return [b, 'noop'];
      const out = Buffer.from(b);
      const v = rng.chance(0.1) ? rng.pick([-1, 0x7fff, 100]) : rng.int(16);
      out.writeInt16BE(v, 2);
      return [out, `version=${v}`];
    },
  ],
];
MUTATORS.push(['field', 6, (b, rng) => mutateField(b, rng)]);
const TOTAL_WEIGHT = MUTATORS.reduce((n, [, w]) => n + w, 0);

export interface Mutant {
  /** The bytes sent, size prefix included. */
  bytes: Buffer;
  source: string;
  description: string;
}

export function mutate(rng: Rng, corpus: readonly CorpusFrame[]): Mutant {
  const src = rng.pick(corpus);
  let b = src.bytes;
  const steps: string[] = [];
  const n = 1 + (rng.chance(0.5) ? 0 : rng.int(4));
  for (let i = 0; i < n; i++) {
    let r = rng.int(TOTAL_WEIGHT);
    const entry = MUTATORS.find(([, w]) => (r -= w) < 0)!;
    const [out, what] = entry[2](b, rng, corpus);
    b = out;
    steps.push(`${entry[0]}: ${what}`);
  }
  const prefix = Buffer.alloc(4);
  if (rng.chance(0.9)) prefix.writeInt32BE(b.length);
  else {
    const wrong = rng.pick([b.length + 1 + rng.int(100), Math.max(0, b.length - 1 - rng.int(8)), 0, -1, 0x7fffffff, 104857601]);
    prefix.writeInt32BE(wrong);
    steps.push(`size prefix ${wrong} (body ${b.length})`);
  }
  return { bytes: Buffer.concat([prefix, b]), source: src.file, description: steps.join('; ') };
}
