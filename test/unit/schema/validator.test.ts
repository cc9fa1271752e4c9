/**
 * The allocation-free payload check against avsc's own encoder and decoder: every value avsc
 * encodes is accepted with its exact length, every strict prefix is refused, trailing bytes are
 * refused, random corruptions agree with avsc's decode wherever avsc's answer is well-defined, and
 * hostile encodings (huge block counts, negative lengths) are refused in bounded time.
 */
import avsc from 'avsc';
import { describe, expect, it } from 'vitest';
import { checkPayload, compileSkipper } from '../../../src/schema/validator.js';
import { EVERYTHING, LINKED_LIST, ORDER_V2 } from './fixtures.js';

const zigzag = (n: number): number[] => {
  let v = n >= 0 ? n * 2 : -n * 2 - 1;
  const out: number[] = [];
  while (v >= 0x80) {
    out.push((v % 0x80) | 0x80);
    v = Math.floor(v / 0x80);
  }
  out.push(v);
  return out;
};

/** A deterministic PRNG so failures reproduce. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const SCHEMAS = { EVERYTHING, LINKED_LIST, ORDER_V2, map: { type: 'map', values: { type: 'array', items: 'long' } }, union: ['null', 'boolean', 'double'] };

describe('compiled Avro payload check', () => {
  for (const [name, schema] of Object.entries(SCHEMAS)) {
    it(`${name}: accepts avsc-encoded values and refuses every prefix and trailing bytes`, () => {
      const type = avsc.Type.forSchema(schema as avsc.Schema);
      const { skip } = compileSkipper(type);
      for (let n = 0; n < 200; n++) {
        const buf = type.toBuffer(type.random());
        expect(checkPayload(skip, buf, 0, buf.length)).toBeNull();
        for (let cut = 0; cut < buf.length; cut++) expect(checkPayload(skip, buf, 0, cut), `prefix ${cut}/${buf.length}`).not.toBeNull();
        const longer = Buffer.concat([buf, Buffer.from([0])]);
        expect(checkPayload(skip, longer, 0, longer.length)).toMatch(/left over/);
      }
    });
  }

  it('agrees with avsc decode on random corruptions', () => {
    // Without the array of nulls: a corrupted count there is valid Avro (we skip it in O(1)) that
    // avsc would decode by pushing billions of nulls.
    const type = avsc.Type.forSchema({ ...EVERYTHING, fields: EVERYTHING.fields.filter((f) => f.name !== 'nulls') } as avsc.Schema);
    const { skip } = compileSkipper(type);
    const rand = rng(42);
    let accepted = 0;
    for (let n = 0; n < 3000; n++) {
      const buf = Buffer.from(type.toBuffer(type.random()));
      const flips = 1 + Math.floor(rand() * 3);
      for (let k = 0; k < flips; k++) buf[Math.floor(rand() * buf.length)] = Math.floor(rand() * 256);
      if (checkPayload(skip, buf, 0, buf.length) !== null) continue;
      // Where we accept, avsc must decode a valid value of exactly this length. (The other way
      // round cannot be asked of avsc: its decode trusts the input, and a corrupted block count
      // sends it into a loop that allocates until the process dies — why the validator exists.)
      accepted++;
      const r = type.decode(buf, 0);
      expect(r.offset, `accepted ${buf.toString('hex')}`).toBe(buf.length);
      expect(type.isValid(r.value), `accepted ${buf.toString('hex')}`).toBe(true);
    }
    expect(accepted).toBeGreaterThan(0);
  });

  it('refuses out-of-range enum symbols, union branches and booleans', () => {
    const check = (schema: unknown, bytes: number[]) => checkPayload(compileSkipper(avsc.Type.forSchema(schema as avsc.Schema)).skip, Buffer.from(bytes), 0, bytes.length);
    expect(check({ type: 'enum', name: 'E', symbols: ['A', 'B'] }, zigzag(1))).toBeNull();
    expect(check({ type: 'enum', name: 'E', symbols: ['A', 'B'] }, zigzag(2))).not.toBeNull();
    expect(check({ type: 'enum', name: 'E', symbols: ['A', 'B'] }, zigzag(-1))).not.toBeNull();
    expect(check(['null', 'int'], [...zigzag(2)])).not.toBeNull();
    expect(check('boolean', [1])).toBeNull();
    expect(check('boolean', [2])).not.toBeNull();
    expect(check('int', [0x80, 0x80, 0x80, 0x80, 0x80, 0x01])).not.toBeNull(); // 6-byte int
    expect(check('long', [0x80, 0x80, 0x80, 0x80, 0x80, 0x01])).toBeNull();
  });

  it('refuses hostile lengths and block counts in bounded time', () => {
    const strings = compileSkipper(avsc.Type.forSchema({ type: 'array', items: 'string' })).skip;
    const t0 = performance.now();
    // 2^40 items declared, 3 bytes present; negative string lengths; negative block sizes.
    for (const bytes of [[...zigzag(2 ** 40), 0, 0, 0], [...zigzag(5), ...zigzag(-1), 0], [...zigzag(-3), ...zigzag(-5), 0, 0, 0], [...zigzag(1), ...zigzag(2 ** 62), 0]]) {
      expect(checkPayload(strings, Buffer.from(bytes), 0, bytes.length)).not.toBeNull();
    }
    // Zero-width items: any count is skipped in O(1) and accepted, as Avro would decode it.
    const nulls = compileSkipper(avsc.Type.forSchema({ type: 'array', items: 'null' })).skip;
    const many = [...zigzag(2 ** 40), 0];
    expect(checkPayload(nulls, Buffer.from(many), 0, many.length)).toBeNull();
    // A block whose declared byte size disagrees with its items.
    const ints = compileSkipper(avsc.Type.forSchema({ type: 'array', items: 'int' })).skip;
    const sized = [...zigzag(-2), ...zigzag(3), ...zigzag(1), ...zigzag(2), 0];
    expect(checkPayload(ints, Buffer.from(sized), 0, sized.length)).not.toBeNull();
    const right = [...zigzag(-2), ...zigzag(2), ...zigzag(1), ...zigzag(2), 0];
    expect(checkPayload(ints, Buffer.from(right), 0, right.length)).toBeNull();
    expect(performance.now() - t0).toBeLessThan(200);
  });

  it('checks a range inside a larger buffer', () => {
    const type = avsc.Type.forSchema(ORDER_V2 as avsc.Schema);
    const { skip } = compileSkipper(type);
    const body = type.toBuffer({ id: 7, customer: 'ada', total: 9.5, note: 'x' });
    const buf = Buffer.concat([Buffer.from([9, 9, 9]), body, Buffer.from([1, 2])]);
    expect(checkPayload(skip, buf, 3, 3 + body.length)).toBeNull();
  });
});
