/**
 * Shared machinery of the round-trip tests: builds messages by walking a parsed declaration and
 * checks encode / decode / size against each other. Used for the real APIs (roundtrip.test.ts) and
 * for synthetic declarations that exercise generator corner cases (codegen.test.ts).
 */
import { expect } from 'vitest';
import type { Field, Struct } from '../../../protocol/gen/codegen.js';
import type { ApiCodec } from '../../../protocol/codec-support.js';
import { Reader, Writer } from '../../../protocol/primitives.js';
import type { VersionRange } from '../../../protocol/schema.js';

export type Mode = 'full' | 'empty' | 'mixed';
export const MODES: Mode[] = ['full', 'empty', 'mixed'];
export type Obj = Record<string, unknown>;

export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface Ctx {
  rnd: () => number;
  v: number;
  mode: Mode;
  /** The generated module(s): `new<Struct>` constructors are looked up here. */
  lib: Record<string, unknown>;
}

export function inRange(r: VersionRange | null, v: number): boolean {
  return r !== null && v >= r.min && v <= r.max;
}

/** Present in version v: in the regular body, or (for a tagged field) in its tagged versions. */
export function present(f: Field, v: number): boolean {
  return inRange(f.tagged ?? f.versions, v);
}

export function newStruct(lib: Record<string, unknown>, name: string): Obj {
  const ctor = lib[`new${name}`];
  if (typeof ctor !== 'function') throw new Error(`no new${name} in the generated code`);
  return (ctor as () => Obj)();
}

const int = (rnd: () => number, lo: number, hi: number) => lo + Math.floor(rnd() * (hi - lo + 1));
const CHARS = ['a', 'b', 'z', 'Q', '0', '9', '.', '-', '_', ' ', 'é', 'ß', '日', '本', '🚀'];
const INT64_SPECIALS = [-1, -2, 2 ** 40, 2 ** 53 - 1, -(2 ** 53 - 1), 2 ** 31, -(2 ** 31) - 1, 4294967296, 1];

/** A random value of a scalar type, different from the default `def`. */
function scalar(type: string, def: unknown, ctx: Ctx): unknown {
  const { rnd } = ctx;
  for (let attempt = 0; attempt < 100; attempt++) {
    let x: unknown;
    switch (type) {
      case 'bool':
        x = ctx.mode === 'mixed' ? rnd() < 0.5 : def !== true;
        break;
      case 'int8':
        x = int(rnd, -128, 127);
        break;
      case 'int16':
        x = int(rnd, -32768, 32767);
        break;
      case 'uint16':
        x = int(rnd, 0, 65535);
        break;
      case 'int32':
        x = int(rnd, -(2 ** 31), 2 ** 31 - 1);
        break;
      case 'uint32':
        x = int(rnd, 0, 2 ** 32 - 1);
        break;
      case 'int64':
        x = rnd() < 0.4 ? INT64_SPECIALS[int(rnd, 0, INT64_SPECIALS.length - 1)] : int(rnd, -(2 ** 53 - 1), 2 ** 53 - 1);
        break;
      case 'float64':
        x = (rnd() - 0.5) * 10 ** int(rnd, 0, 12);
        break;
      case 'string': {
        const n = int(rnd, ctx.mode === 'mixed' ? 0 : 1, 12);
        let s = '';
        for (let i = 0; i < n; i++) s += CHARS[int(rnd, 0, CHARS.length - 1)];
        x = s;
        break;
      }
      case 'bytes':
      case 'records': {
        const b = Buffer.alloc(int(rnd, ctx.mode === 'mixed' ? 0 : 1, 24));
        for (let i = 0; i < b.length; i++) b[i] = int(rnd, 0, 255);
        x = b;
        break;
      }
      case 'uuid': {
        const b = Buffer.alloc(16);
        for (let i = 0; i < 16; i++) b[i] = int(rnd, 0, 255);
        b[0] = b[0]! | 1;
        x = b;
        break;
      }
      default:
        throw new Error(`unknown type ${type}`);
    }
    if (ctx.mode === 'mixed' || !equal(x, def)) return x;
  }
  throw new Error(`could not make a non-default ${type}`);
}

/**
 * Builds a struct for version v. `clean` has exactly what should come back from decoding
 * (defaults for absent fields); `dirty` has junk in absent fields, which encoding must ignore.
 */
export function build(s: Struct, ctx: Ctx): { clean: Obj; dirty: Obj } {
  const defaults = newStruct(ctx.lib, s.name);
  const clean: Obj = {};
  const dirty: Obj = {};
  for (const f of s.fields) {
    const def = defaults[f.name];
    if (!present(f, ctx.v)) {
      clean[f.name] = def;
      dirty[f.name] = junk(f, ctx);
      continue;
    }
    const isTagged = f.tagged !== null;
    if (isTagged && (ctx.mode === 'empty' || (ctx.mode === 'mixed' && ctx.rnd() < 0.4))) {
      // A tagged field left unset.
      clean[f.name] = def;
      dirty[f.name] = def;
      continue;
    }
    const canNull = inRange(f.nullable, ctx.v);
    if (canNull && (ctx.mode === 'empty' || (ctx.mode === 'mixed' && ctx.rnd() < 0.3))) {
      clean[f.name] = null;
      dirty[f.name] = null;
      continue;
    }
    const pair = value(f, def, ctx);
    clean[f.name] = pair.clean;
    dirty[f.name] = pair.dirty;
  }
  return { clean, dirty };
}

function arrayLength(ctx: Ctx): number {
  if (ctx.mode === 'empty') return 0;
  if (ctx.mode === 'full') return int(ctx.rnd, 2, 3);
  return int(ctx.rnd, 0, 3);
}

function value(f: Field, def: unknown, ctx: Ctx): { clean: unknown; dirty: unknown } {
  switch (f.kind) {
    case 'primitive': {
      const x = scalar(f.type, def, ctx);
      return { clean: x, dirty: x };
    }
    case 'primitiveArray': {
      const a: unknown[] = [];
      for (let i = arrayLength(ctx); i > 0; i--) a.push(scalar(f.type, undefined, { ...ctx, mode: 'mixed' }));
      return { clean: a, dirty: a };
    }
    case 'struct': {
      // In 'empty' mode a struct is still filled (only arrays are emptied), so tagged structs that
      // are set carry non-default contents.
      return build(f.struct!, ctx.mode === 'empty' ? { ...ctx, mode: 'full' } : ctx);
    }
    case 'structArray': {
      const clean: Obj[] = [];
      const dirty: Obj[] = [];
      for (let i = arrayLength(ctx); i > 0; i--) {
        const p = build(f.struct!, ctx);
        clean.push(p.clean);
        dirty.push(p.dirty);
      }
      return { clean, dirty };
    }
  }
}

/** A value for a field absent from the version: anything of the right shape. */
function junk(f: Field, ctx: Ctx): unknown {
  const v = f.versions ?? f.tagged;
  const jctx: Ctx = { ...ctx, v: v === null ? ctx.v : v.min, mode: 'full' };
  if (f.kind === 'primitive') return scalar(f.type, undefined, jctx);
  if (f.kind === 'primitiveArray') return [scalar(f.type, undefined, jctx)];
  if (f.kind === 'struct') return build(f.struct!, jctx).dirty;
  return [build(f.struct!, jctx).dirty];
}

export function equal(a: unknown, b: unknown): boolean {
  return diff(a, b, '') === null;
}

/** The path of the first difference, or null. */
export function diff(expected: unknown, actual: unknown, path: string): string | null {
  if (Buffer.isBuffer(expected) || Buffer.isBuffer(actual)) {
    if (!Buffer.isBuffer(expected) || !Buffer.isBuffer(actual) || !expected.equals(actual)) {
      return `${path}: expected ${String(expected && (expected as Buffer).toString('hex'))}, got ${String(actual && (actual as Buffer).toString('hex'))}`;
    }
    return null;
  }
  if (Array.isArray(expected) || Array.isArray(actual)) {
    if (!Array.isArray(expected) || !Array.isArray(actual)) return `${path}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`;
    if (expected.length !== actual.length) return `${path}: expected ${expected.length} elements, got ${actual.length}`;
    for (let i = 0; i < expected.length; i++) {
      const d = diff(expected[i], actual[i], `${path}[${i}]`);
      if (d) return d;
    }
    return null;
  }
  if (expected !== null && actual !== null && typeof expected === 'object' && typeof actual === 'object') {
    const ek = Object.keys(expected).sort();
    const ak = Object.keys(actual).sort();
    if (ek.join() !== ak.join()) return `${path}: keys ${ek.join()} vs ${ak.join()}`;
    for (const k of ek) {
      const d = diff((expected as Obj)[k], (actual as Obj)[k], `${path}.${k}`);
      if (d) return d;
    }
    return null;
  }
  return Object.is(expected, actual) ? null : `${path}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`;
}

export interface Side {
  decode(r: Reader, v: number): object;
  encode(w: Writer, v: number, m: object): void;
  size(v: number, m: object): number;
}

export function side(codec: ApiCodec, kind: 'request' | 'response'): Side {
  return kind === 'request'
    ? { decode: codec.decodeRequest, encode: codec.encodeRequest, size: codec.sizeRequest }
    : { decode: codec.decodeResponse, encode: codec.encodeResponse, size: codec.sizeResponse };
}

export function encode(s: Side, v: number, m: object): Buffer {
  const size = s.size(v, m);
  // Slack at the end: an encoder writing more than it sized shows up as an offset mismatch, not
  // as a silently dropped byte.
  const w = new Writer(size + 64);
  s.encode(w, v, m);
  expect(w.offset, 'encoded length equals size()').toBe(size);
  return w.finish();
}

export function truncationPoints(len: number): number[] {
  if (len <= 300) return Array.from({ length: len }, (_, i) => i);
  const pts = new Set<number>();
  for (let i = 0; i < 64; i++) pts.add(i);
  for (let i = len - 64; i < len; i++) pts.add(i);
  for (let i = 0; i < 128; i++) pts.add(Math.floor((i * len) / 128));
  return [...pts].filter((p) => p < len).sort((a, b) => a - b);
}

/**
 * One round trip of a freshly built message: sizes, bytes, decode, re-encode, junk in absent
 * fields, truncations. Returns the clean message (for coverage bookkeeping).
 */
export function roundTrip(struct: Struct, s: Side, ctx: Ctx, where: string): Obj {
  const { v } = ctx;
  const { clean, dirty } = build(struct, ctx);

  const bytes = encode(s, v, clean);
  const dirtyBytes = encode(s, v, dirty);
  expect(dirtyBytes.equals(bytes), `${where}: fields absent from v${v} changed the bytes`).toBe(true);

  const r = new Reader(bytes);
  const back = s.decode(r, v);
  expect(r.error, where).toBeNull();
  expect(r.offset, `${where}: consumed`).toBe(bytes.length);
  expect(diff(clean, back, where)).toBeNull();

  const again = encode(s, v, back);
  expect(again.equals(bytes), `${where}: re-encoding differs`).toBe(true);

  for (const cut of truncationPoints(bytes.length)) {
    const tr = new Reader(bytes.subarray(0, cut));
    expect(() => s.decode(tr, v), `${where} cut at ${cut}`).not.toThrow();
    expect(tr.error, `${where} cut at ${cut}/${bytes.length}`).not.toBeNull();
  }
  return clean;
}

/** Tagged fields (as api.Struct.field) holding a non-default value somewhere in m. */
export function taggedSet(s: Struct, m: Obj, v: number, api: string, lib: Record<string, unknown>, into: Set<string>): void {
  const defaults = newStruct(lib, s.name);
  for (const f of s.fields) {
    const val = m[f.name];
    if (f.tagged !== null && present(f, v) && !equal(val, defaults[f.name])) into.add(`${api}.${s.name}.${f.name}`);
    if (f.kind === 'struct' && val) taggedSet(f.struct!, val as Obj, v, api, lib, into);
    if (f.kind === 'structArray' && Array.isArray(val)) for (const e of val) taggedSet(f.struct!, e as Obj, v, api, lib, into);
  }
}

/** Every tagged field of a message (as api.Struct.field) whose tagged versions start at or below maxVersion. */
export function taggedFields(s: Struct, api: string, maxVersion: number, into: string[] = []): string[] {
  for (const f of s.fields) {
    if (f.tagged !== null && f.tagged.min <= maxVersion) into.push(`${api}.${s.name}.${f.name}`);
    if (f.struct) taggedFields(f.struct, api, maxVersion, into);
  }
  return into;
}
