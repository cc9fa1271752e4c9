/** Schema identity (normalize.ts) and the compatibility levels (compatibility.ts). */
import avsc from 'avsc';
import { describe, expect, it } from 'vitest';
import { canonicalAvro } from '../../../src/schema/normalize.js';
import { checkCompatibility, parseCompatibilityLevel, type CompatibilityLevel } from '../../../src/schema/compatibility.js';
import { ORDER_BAD, ORDER_V1, ORDER_V2 } from './fixtures.js';

describe('canonical form', () => {
  it('ignores whitespace, attribute order, namespace spelling and {"type": primitive}', () => {
    const a = canonicalAvro(ORDER_V1);
    const b = canonicalAvro(
      JSON.parse(`{ "fields": [ {"type": {"type":"long"}, "name": "id"}, {"name":"customer","type":"string"}, {"name":"total","type":"double"} ],
        "name": "shop.Order", "type": "record" }`),
    );
    expect(b).toBe(a);
  });

  it('qualifies references to named types with the enclosing namespace', () => {
    const inner = { type: 'record', name: 'Item', fields: [{ name: 'sku', type: 'string' }] };
    const x = { type: 'record', name: 'Order', namespace: 'shop', fields: [{ name: 'a', type: inner }, { name: 'b', type: 'Item' }] };
    const y = { type: 'record', name: 'shop.Order', fields: [{ name: 'a', type: { ...inner, name: 'shop.Item' } }, { name: 'b', type: 'shop.Item' }] };
    expect(canonicalAvro(x)).toBe(canonicalAvro(y));
  });

  it('keeps what changes meaning or documentation: defaults, docs, enum order, custom properties', () => {
    const base = canonicalAvro(ORDER_V2);
    expect(canonicalAvro({ ...ORDER_V2, doc: 'orders' })).not.toBe(base);
    const fields = ORDER_V2.fields.map((f) => (f.name === 'note' ? { ...f, default: 'x', type: ['string', 'null'] } : f));
    expect(canonicalAvro({ ...ORDER_V2, fields })).not.toBe(base);
    expect(canonicalAvro({ type: 'enum', name: 'E', symbols: ['A', 'B'] })).not.toBe(canonicalAvro({ type: 'enum', name: 'E', symbols: ['B', 'A'] }));
    expect(canonicalAvro({ type: 'string', logicalType: 'uuid' })).not.toBe(canonicalAvro('string'));
    // Custom property objects compare by content, whatever their key order.
    expect(canonicalAvro({ type: 'string', meta: { a: 1, b: 2 } })).toBe(canonicalAvro({ meta: { b: 2, a: 1 }, type: 'string' }));
  });
});

describe('compatibility', () => {
  const t = (s: unknown) => avsc.Type.forSchema(s as avsc.Schema);
  const check = (level: CompatibilityLevel, next: unknown, ...prev: unknown[]) => checkCompatibility(level, t(next), prev.map((p, i) => ({ version: i + 1, type: t(p) })));

  it('parses levels in any case', () => {
    expect(parseCompatibilityLevel('full_transitive')).toBe('FULL_TRANSITIVE');
    expect(parseCompatibilityLevel('sideways')).toBeNull();
  });

  it('BACKWARD: the new schema must read old data', () => {
    expect(check('BACKWARD', ORDER_V2, ORDER_V1)).toEqual([]);
    expect(check('BACKWARD', ORDER_BAD, ORDER_V1)).toHaveLength(1);
    expect(check('BACKWARD', ORDER_V1, ORDER_BAD)).toEqual([]); // dropping a field is backward compatible
    expect(check('NONE', ORDER_BAD, ORDER_V1)).toEqual([]);
  });

  it('FORWARD: old schemas must read new data', () => {
    expect(check('FORWARD', ORDER_BAD, ORDER_V1)).toEqual([]);
    expect(check('FORWARD', ORDER_V1, ORDER_BAD)).toHaveLength(1);
  });

  it('FULL: both directions', () => {
    expect(check('FULL', ORDER_V2, ORDER_V1)).toEqual([]);
    expect(check('FULL', ORDER_BAD, ORDER_V1)).toHaveLength(1);
    expect(check('FULL', ORDER_V1, ORDER_BAD)).toHaveLength(1);
  });

  it('plain levels compare with the latest version only, transitive ones with all', () => {
    // v1 {a}, v2 {} (dropped a), candidate {a} without default: reads v2 data? no (a missing, no default).
    const withA = { type: 'record', name: 'R', fields: [{ name: 'a', type: 'int' }] };
    const empty = { type: 'record', name: 'R', fields: [] };
    const withB = { type: 'record', name: 'R', fields: [{ name: 'b', type: 'int', default: 0 }] };
    // Candidate withB reads empty (default) and withA (ignores a): fine either way.
    expect(check('BACKWARD_TRANSITIVE', withB, withA, empty)).toEqual([]);
    // FORWARD: old schemas read data of `empty`: withA cannot (a has no default), empty can.
    expect(check('FORWARD', empty, withA, empty)).toEqual([]);
    expect(check('FORWARD_TRANSITIVE', empty, withA, empty)).toHaveLength(1);
    expect(check('FULL_TRANSITIVE', empty, withA, empty)).toHaveLength(1);
  });

  it('type promotions and enum symbols follow Avro resolution', () => {
    expect(check('BACKWARD', 'long', 'int')).toEqual([]);
    expect(check('BACKWARD', 'int', 'long')).toHaveLength(1);
    expect(check('BACKWARD', { type: 'enum', name: 'E', symbols: ['A'] }, { type: 'enum', name: 'E', symbols: ['A', 'B'] })).toHaveLength(1);
    expect(check('BACKWARD', { type: 'record', name: 'S', fields: [] }, { type: 'record', name: 'R', fields: [] })).toHaveLength(1);
  });
});
