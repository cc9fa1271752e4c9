/**
 * Generator corner cases that no real declaration reaches (yet): nullable structs, nested tagged
 * structs, tagged nullable fields, field names that used to collide with the generated code's
 * locals, and the checks that reject malformed declarations. The synthetic declaration is
 * generated in memory, written to a temporary directory and imported.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { rmSync } from 'node:fs';
import { generateApi, parseMessage } from '../../../protocol/gen/codegen.js';
import { Reader, Writer } from '../../../protocol/primitives.js';
import { defineApi, type ApiDeclaration } from '../../../protocol/schema.js';
import { MODES, diff, mulberry32, roundTrip, taggedFields, taggedSet, type Ctx, type Side } from './roundtrip-kit.js';

const protocolDir = join(dirname(fileURLToPath(import.meta.url)), '../../../protocol');

const synth = defineApi({
  key: 99,
  name: 'Synth',
  versions: '0-5',
  flexible: '3+',
  request: {
    count: ['int32', '0+'],
    tag: ['string', '1+'],
    end: ['[]int32', '2+'],
    size: ['int64', '0+', { default: -1 }],
    maybe: ['Inner', '0+', {
      a: ['int16', '0+'],
      b: ['string', '0+', { nullable: '0+', default: null }],
    }, { nullable: '2-4' }],
    always: ['Other', '1+', {
      c: ['bool', '1+'],
    }, { nullable: '1+', default: null }],
    taggedPoint: ['Point', '3+', {
      x: ['int32', '3+', { default: -1 }],
      deep: ['Deep', '3+', {
        z: ['int64', '3+', { default: 7 }],
        zs: ['[]int32', '3+'],
      }],
    }, { tag: 0, tagged: '3+' }],
    taggedNullableString: ['string', '3+', { nullable: '3+', default: null, tag: 1, tagged: '3+' }],
    taggedBytes: ['bytes', '4+', { nullable: '4+', tag: 2, tagged: '4+' }],
    taggedNullArray: ['[]int64', '3+', { nullable: '3+', default: null, tag: 3, tagged: '3+' }],
    taggedUuid: ['uuid', '3+', { tag: 4, tagged: '3+' }],
    taggedStrings: ['[]string', '3+', { tag: 5, tagged: '3+' }],
    f64: ['float64', '0+'],
    u16: ['uint16', '0+'],
    u32: ['uint32', '0+'],
    recs: ['records', '0+', { nullable: '0+' }],
  },
  response: {
    errorCode: ['int16', '0+'],
    items: ['[]Item', '0+', {
      id: ['int32', '0+'],
      name: ['string', '0+', { nullable: '5' }],
    }, { nullable: '3+' }],
  },
});

const dir = mkdtempSync(join(tmpdir(), 'runnel-codegen-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function load(decl: ApiDeclaration): Promise<Record<string, unknown>> {
  const src = generateApi(decl)
    .replace("'../primitives.js'", JSON.stringify(join(protocolDir, 'primitives.ts')))
    .replace("'../codec-support.js'", JSON.stringify(join(protocolDir, 'codec-support.ts')));
  const file = join(dir, `${decl.name}.ts`);
  writeFileSync(file, src);
  return (await import(file)) as Record<string, unknown>;
}

const lib = await load(synth);
type Fn = (...args: unknown[]) => unknown;
const fn = (name: string) => lib[name] as Fn;

function sideOf(kind: 'Request' | 'Response'): Side {
  return {
    decode: fn(`decodeSynth${kind}`) as Side['decode'],
    encode: fn(`encodeSynth${kind}`) as Side['encode'],
    size: fn(`sizeSynth${kind}`) as Side['size'],
  };
}

function encodeWith(s: Side, v: number, m: object): Buffer {
  const n = s.size(v, m);
  const w = new Writer(n + 16);
  s.encode(w, v, m);
  expect(w.offset).toBe(n);
  return w.finish();
}

describe('synthetic declaration', () => {
  const seen = new Set<string>();
  let seed = 1000;
  for (const kind of ['request', 'response'] as const) {
    const struct = parseMessage(synth, kind);
    const s = sideOf(kind === 'request' ? 'Request' : 'Response');
    it.each([0, 1, 2, 3, 4, 5])(`${kind} v%i round-trips`, (v) => {
      for (const mode of MODES) {
        for (let rep = 0; rep < 6; rep++) {
          const ctx: Ctx = { rnd: mulberry32(seed++), v, mode, lib };
          const clean = roundTrip(struct, s, ctx, `Synth ${kind} v${v} ${mode}#${rep}`);
          taggedSet(struct, clean, v, 'Synth', lib, seen);
        }
      }
    });
  }

  it('exercised every tagged field', () => {
    expect(taggedFields(parseMessage(synth, 'request'), 'Synth', 5).filter((t) => !seen.has(t))).toEqual([]);
  });

  it('a null struct where the version cannot carry null is written as the default struct', () => {
    const s = sideOf('Request');
    const m = fn('newSynthRequest')({ maybe: null }) as object;
    for (const v of [0, 1, 5]) {
      const bytes = encodeWith(s, v, m);
      const r = new Reader(bytes);
      const back = s.decode(r, v) as { maybe: unknown };
      expect(r.error).toBeNull();
      expect(back.maybe).toEqual(fn('newSynthRequestInner')());
    }
    // In v2-4 the null is carried (int8 -1 marker).
    const bytes = encodeWith(s, 2, m);
    expect((s.decode(new Reader(bytes), 2) as { maybe: unknown }).maybe).toBeNull();
  });

  it('a tagged struct equal to its default is not written; one differing deep inside is', () => {
    const s = sideOf('Request');
    const base = fn('newSynthRequest')() as Record<string, unknown>;
    const unset = encodeWith(s, 3, base);
    const explicitDefault = encodeWith(s, 3, { ...base, taggedPoint: fn('newSynthRequestPoint')() });
    expect(explicitDefault.equals(unset)).toBe(true);
    // By hand: count 0 | tag "" | end [] | size -1 | maybe: present marker, a 0, b null, tags |
    // always: null marker | f64 0 | u16 0 | u32 0 | recs null | no tagged fields.
    const expected = '00000000' + '01' + '01' + 'ffffffffffffffff' + '01' + '0000' + '00' + '00' + 'ff' + '0000000000000000' + '0000' + '00000000' + '00' + '00';
    expect(unset.toString('hex')).toBe(expected);
    const deep = fn('newSynthRequestPoint')({ deep: fn('newSynthRequestDeep')({ zs: [1] }) });
    const set = encodeWith(s, 3, { ...base, taggedPoint: deep });
    expect(set.length).toBeGreaterThan(unset.length);
    const back = s.decode(new Reader(set), 3) as Record<string, unknown>;
    expect(diff(deep, back.taggedPoint, 'taggedPoint')).toBeNull();
  });

  it('tagged nullable fields: null is the default for default-null fields, and is carried where the default is not null', () => {
    const s = sideOf('Request');
    const base = fn('newSynthRequest')() as Record<string, unknown>;
    const unset = encodeWith(s, 4, base);
    // taggedBytes defaults to empty bytes: null differs from it and must survive the round trip.
    const withNull = encodeWith(s, 4, { ...base, taggedBytes: null });
    expect(withNull.length).toBeGreaterThan(unset.length);
    expect((s.decode(new Reader(withNull), 4) as Record<string, unknown>).taggedBytes).toBeNull();
    // taggedNullArray defaults to null: an empty array differs from it.
    const empty = encodeWith(s, 4, { ...base, taggedNullArray: [] });
    expect((s.decode(new Reader(empty), 4) as Record<string, unknown>).taggedNullArray).toEqual([]);
  });

  it('an unknown tag inside a tagged struct is skipped', () => {
    const s = sideOf('Request');
    const base = fn('newSynthRequest')({ taggedPoint: fn('newSynthRequestPoint')({ x: 5 }) }) as Record<string, unknown>;
    const bytes = encodeWith(s, 3, base);
    // Point is: x int32, deep { z int64, zs compact array, tags }, tags. Rebuild it with an extra
    // unknown tag in Point's own tag section and patch the enclosing tag's size.
    const point = Buffer.concat([Buffer.from('00000005', 'hex'), Buffer.from('0000000000000007', 'hex'), Buffer.from('01', 'hex'), Buffer.from('00', 'hex')]);
    const normalPoint = Buffer.concat([point, Buffer.from('00', 'hex')]);
    const patchedPoint = Buffer.concat([point, Buffer.from('01 09 02 abcd'.replace(/ /g, ''), 'hex')]);
    const find = Buffer.concat([Buffer.from([0, normalPoint.length]), normalPoint]);
    const at = bytes.indexOf(find);
    expect(at).toBeGreaterThan(0);
    const patched = Buffer.concat([bytes.subarray(0, at), Buffer.from([0, patchedPoint.length]), patchedPoint, bytes.subarray(at + find.length)]);
    const r = new Reader(patched);
    const back = s.decode(r, 3) as Record<string, unknown>;
    expect(r.error).toBeNull();
    expect(r.offset).toBe(patched.length);
    expect(diff(base, back, 'm')).toBeNull();
  });
});

describe('declaration checks', () => {
  const bad = (request: ApiDeclaration['request'], extra: Partial<ApiDeclaration> = {}) =>
    () => generateApi(defineApi({ key: 98, name: 'Bad', versions: '0-3', flexible: '2+', request, response: {}, ...extra }));

  it('rejects tagged fields in versions that are not flexible', () => {
    expect(bad({ x: ['int32', '1+', { tag: 0, tagged: '1+' }] })).toThrow(/not flexible/);
    expect(bad({ x: ['int32', '0+', { tag: 0, tagged: '0+' }] }, { flexible: 'none' })).toThrow(/not flexible/);
  });

  it('rejects a tag used twice in one struct', () => {
    expect(bad({ x: ['int32', '2+', { tag: 0, tagged: '2+' }], y: ['int32', '2+', { tag: 0, tagged: '2+' }] })).toThrow(/tag 0 used twice/);
  });

  it('rejects a tag without tagged versions', () => {
    expect(bad({ x: ['int32', '2+', { tag: 0 }] })).toThrow(/tag and tagged go together/);
  });

  it('rejects nullable numbers', () => {
    expect(bad({ x: ['int32', '0+', { nullable: '0+' }] })).toThrow(/cannot be nullable/);
  });

  it('rejects field names that are not lowerCamelCase or that shadow the codec parameters', () => {
    expect(bad({ Name: ['string', '0+'] })).toThrow(/lowerCamelCase/);
    expect(bad({ flex: ['bool', '0+'] })).toThrow(/collides/);
    expect(bad({ v: ['int8', '0+'] })).toThrow(/collides/);
  });

  it('rejects an open version range for the API', () => {
    expect(bad({}, { versions: '0+' })).toThrow(/closed range/);
  });
});
