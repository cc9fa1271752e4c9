/**
 * The registry's operations on an in-memory `_schemas` log: ids and versions, identity of
 * equivalent schemas, compatibility, deletion (soft, permanent, their preconditions), configs,
 * modes, references, the `_schemas` record formats, and a replay that rebuilds the same state.
 */
import { describe, expect, it } from 'vitest';
import { RegistryError } from '../../../src/schema/errors.js';
import { decodeKey, decodeSchemaValue } from '../../../src/schema/records.js';
import { SchemaRegistry } from '../../../src/schema/registry.js';
import { silentLogger } from '../../../src/logger.js';
import { memoryRegistry, ORDER_BAD, ORDER_V1, ORDER_V2, text } from './fixtures.js';

async function code(p: Promise<unknown> | (() => unknown)): Promise<number> {
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (e) {
    if (e instanceof RegistryError) return e.errorCode;
    throw e;
  }
  return 0;
}

describe('register and read', () => {
  it('assigns ids and versions; the same schema (any spelling) keeps its id', async () => {
    const { registry: r } = memoryRegistry();
    expect(await r.register('orders-value', { schema: text(ORDER_V1) })).toEqual({ id: 1 });
    // Same schema, different whitespace and namespace spelling: same id, no new version.
    const respelled = JSON.stringify({ ...ORDER_V1, name: 'shop.Order', namespace: undefined }, null, 2);
    expect(await r.register('orders-value', { schema: respelled })).toEqual({ id: 1 });
    expect(r.versions('orders-value')).toEqual([1]);
    expect(await r.register('orders-value', { schema: text(ORDER_V2) })).toEqual({ id: 2 });
    // Same schema under another subject: same id, that subject's version 1.
    expect(await r.register('archive-value', { schema: text(ORDER_V2) })).toEqual({ id: 2 });
    expect(r.version('archive-value', 'latest')).toMatchObject({ subject: 'archive-value', version: 1, id: 2 });
    expect(r.subjects()).toEqual(['archive-value', 'orders-value']);
    expect(r.version('orders-value', '1')).toEqual({ subject: 'orders-value', version: 1, id: 1, schema: text(ORDER_V1) });
    expect(r.version('orders-value', '-1').version).toBe(2);
    expect(r.schemaById(2)).toEqual({ schema: text(ORDER_V2) });
    expect(r.schemaVersions(2)).toEqual([
      { subject: 'archive-value', version: 1 },
      { subject: 'orders-value', version: 2 },
    ]);
    expect(await r.lookup('orders-value', { schema: respelled })).toMatchObject({ id: 1, version: 1 });
  });

  it('answers with Confluent error codes', async () => {
    const { registry: r } = memoryRegistry();
    await r.register('s', { schema: text(ORDER_V1) });
    expect(await code(() => r.versions('nope'))).toBe(40401);
    expect(await code(() => r.version('s', '9'))).toBe(40402);
    expect(await code(() => r.version('s', 'first'))).toBe(42202);
    expect(await code(() => r.version('s', '0'))).toBe(42202);
    expect(await code(() => r.schemaById(99))).toBe(40403);
    expect(await code(() => r.lookup('s', { schema: text(ORDER_V2) }))).toBe(40403);
    expect(await code(() => r.lookup('nope', { schema: text(ORDER_V2) }))).toBe(40401);
    expect(await code(r.register('s', { schema: '{"type": "record"' }))).toBe(42201);
    expect(await code(r.register('s', { schema: '{"type": "record", "name": "X"}' }))).toBe(42201);
    expect(await code(r.register('s', { schema: '"string"', schemaType: 'PROTOBUF' }))).toBe(42201);
    expect(await code(r.register('s', { schema: text(ORDER_BAD) }))).toBe(409);
    expect(await code(() => r.getConfig('s', false))).toBe(40408);
    expect(await code(r.setConfig(null, { compatibility: 'SIDEWAYS' }))).toBe(42203);
    expect(await code(r.setMode(null, { mode: 'FAST' }, false))).toBe(42204);
  });
});

describe('compatibility configuration', () => {
  it('global and subject levels, defaultToGlobal, delete', async () => {
    const { registry: r } = memoryRegistry();
    expect(r.getConfig(null, true)).toEqual({ compatibilityLevel: 'BACKWARD' });
    await r.register('s', { schema: text(ORDER_V1) });
    expect(await r.setConfig('s', { compatibility: 'none' })).toEqual({ compatibility: 'NONE' });
    expect(r.getConfig('s', false)).toEqual({ compatibilityLevel: 'NONE' });
    expect(await r.register('s', { schema: text(ORDER_BAD) })).toEqual({ id: 2 });
    expect(await r.deleteConfig('s')).toEqual({ compatibilityLevel: 'NONE' });
    expect(r.getConfig('s', true)).toEqual({ compatibilityLevel: 'BACKWARD' });
    await r.setConfig(null, { compatibility: 'FORWARD' });
    expect(r.effectiveCompatibility('s')).toBe('FORWARD');
  });

  it('testCompatibility against one version or what registration would check', async () => {
    const { registry: r } = memoryRegistry();
    await r.register('s', { schema: text(ORDER_V1) });
    expect(await r.testCompatibility('s', 'latest', { schema: text(ORDER_V2) })).toEqual({ is_compatible: true, messages: [] });
    const bad = await r.testCompatibility('s', '1', { schema: text(ORDER_BAD) });
    expect(bad.is_compatible).toBe(false);
    expect(bad.messages[0]).toMatch(/region/);
    expect((await r.testCompatibility('s', null, { schema: text(ORDER_BAD) })).is_compatible).toBe(false);
    expect(await code(() => r.testCompatibility('nope', 'latest', { schema: text(ORDER_V1) }))).toBe(40401);
    expect(await code(() => r.testCompatibility('s', '7', { schema: text(ORDER_V1) }))).toBe(40402);
  });
});

describe('deletion', () => {
  it('soft then permanent, with the preconditions and codes Confluent has', async () => {
    const { registry: r } = memoryRegistry();
    await r.register('s', { schema: text(ORDER_V1) });
    await r.register('s', { schema: text(ORDER_V2) });
    expect(await code(r.deleteSubject('s', true))).toBe(40405);
    expect(await code(r.deleteVersion('s', '1', true))).toBe(40407);
    expect(await r.deleteVersion('s', '1', false)).toBe(1);
    expect(await code(r.deleteVersion('s', '1', false))).toBe(40406);
    expect(r.versions('s')).toEqual([2]);
    expect(r.versions('s', true)).toEqual([1, 2]);
    expect(r.schemaById(1).schema).toBe(text(ORDER_V1)); // soft-deleted schemas stay readable by id
    expect(await r.deleteSubject('s', false)).toEqual([2]);
    expect(await code(r.deleteSubject('s', false))).toBe(40404);
    expect(r.subjects()).toEqual([]);
    expect(r.subjects(true)).toEqual(['s']);
    expect(await code(() => r.versions('s'))).toBe(40401);
    // Re-registering after a soft delete: a new version, the old id.
    expect(await r.register('s', { schema: text(ORDER_V1) })).toEqual({ id: 1 });
    expect(r.versions('s', true)).toEqual([1, 2, 3]);
    await r.deleteSubject('s', false);
    expect(await r.deleteSubject('s', true)).toEqual([1, 2, 3]);
    expect(r.subjects(true)).toEqual([]);
    expect(await code(() => r.schemaById(1))).toBe(40403);
    // Ids are not reused within a run.
    expect(await r.register('s', { schema: text(ORDER_V2) })).toEqual({ id: 3 });
  });

  it('references: resolved at registration, and protect what they point to', async () => {
    const { registry: r } = memoryRegistry();
    const item = { type: 'record', name: 'Item', namespace: 'shop', fields: [{ name: 'sku', type: 'string' }] };
    const cart = { type: 'record', name: 'Cart', namespace: 'shop', fields: [{ name: 'items', type: { type: 'array', items: 'shop.Item' } }] };
    await r.register('item', { schema: text(item) });
    expect(await code(r.register('cart-value', { schema: text(cart) }))).toBe(42201); // unknown type without the reference
    const refs = [{ name: 'shop.Item', subject: 'item', version: 1 }];
    expect(await r.register('cart-value', { schema: text(cart), references: refs })).toEqual({ id: 2 });
    expect(r.version('cart-value', 'latest').references).toEqual(refs);
    expect(r.referencedBy('item', '1')).toEqual([2]);
    expect(r.compiledSchema(2)?.fullName).toBe('shop.Cart');
    expect(await code(r.deleteSubject('item', false))).toBe(42206);
    expect(await code(r.register('cart-value', { schema: text(cart), references: [{ name: 'shop.Item', subject: 'item', version: 5 }] }))).toBe(42201);
  });
});

describe('modes', () => {
  it('READONLY refuses writes; IMPORT takes explicit ids on an empty registry', async () => {
    const { registry: r } = memoryRegistry();
    expect(await r.setMode(null, { mode: 'IMPORT' }, false)).toEqual({ mode: 'IMPORT' });
    expect(await r.register('s', { schema: text(ORDER_V1), id: 100, version: 4 })).toEqual({ id: 100 });
    expect(r.version('s', 'latest')).toMatchObject({ id: 100, version: 4 });
    await r.setMode(null, { mode: 'READWRITE' }, false);
    expect(await code(r.register('s', { schema: text(ORDER_V2), id: 7 }))).toBe(42205);
    expect(await r.register('s', { schema: text(ORDER_V2) })).toEqual({ id: 101 });
    await r.setMode('s', { mode: 'READONLY' }, false);
    expect(r.getMode('s', false)).toEqual({ mode: 'READONLY' });
    expect(await code(r.register('s', { schema: text(ORDER_BAD) }))).toBe(42205);
    expect(await code(r.deleteSubject('s', false))).toBe(42205);
    expect(await code(r.setMode(null, { mode: 'IMPORT' }, false))).toBe(42205);
    await r.deleteMode('s');
    expect(r.getMode('s', true)).toEqual({ mode: 'READWRITE' });
  });
});

describe('_schemas', () => {
  it("writes Confluent's record formats and a replay rebuilds the same state", async () => {
    const { registry: r, log } = memoryRegistry();
    await r.register('a', { schema: text(ORDER_V1) });
    await r.register('a', { schema: text(ORDER_V2) });
    await r.register('b', { schema: text(ORDER_V2) });
    await r.setConfig('b', { compatibility: 'FULL' });
    await r.deleteVersion('a', '1', false);
    await r.deleteSubject('b', false);
    await r.deleteSubject('b', true);
    const first = log.records[0]!;
    expect(JSON.parse(first.key.toString())).toEqual({ keytype: 'SCHEMA', subject: 'a', version: 1, magic: 1 });
    expect(decodeSchemaValue(first.value!)).toEqual({ subject: 'a', version: 1, id: 1, schemaType: 'AVRO', references: [], schema: text(ORDER_V1), deleted: false });
    expect(log.records.map((x) => decodeKey(x.key)?.keytype)).toContain('DELETE_SUBJECT');
    expect(log.records.some((x) => decodeKey(x.key)?.keytype === 'CONFIG')).toBe(true);

    const again = new SchemaRegistry(log, silentLogger());
    const stats = await again.load();
    expect(stats.skipped).toBe(0);
    expect(again.subjects(true)).toEqual(['a']);
    expect(again.versions('a', true)).toEqual([1, 2]);
    expect(again.versions('a')).toEqual([2]);
    expect(again.schemaById(2).schema).toBe(text(ORDER_V2));
    expect(again.getConfig('b', true)).toEqual({ compatibilityLevel: 'BACKWARD' });
    expect(await again.register('c', { schema: text(ORDER_BAD) })).toEqual({ id: 3 });
    // Unknown key types (Confluent's NOOP) are skipped, not fatal.
    log.records.push({ key: Buffer.from('{"keytype":"NOOP","magic":0}'), value: null });
    expect((await new SchemaRegistry(log, silentLogger()).load()).skipped).toBe(1);
  });

  it('a failed write is a 50001 store error and changes nothing', async () => {
    const { registry: r, log } = memoryRegistry();
    log.failWith = new Error('disk full');
    expect(await code(r.register('s', { schema: text(ORDER_V1) }))).toBe(50001);
    log.failWith = null;
    expect(await r.register('s', { schema: text(ORDER_V1) })).toEqual({ id: 1 });
  });

  it('serialises concurrent registrations: distinct schemas get distinct ids and versions', async () => {
    const { registry: r } = memoryRegistry();
    await r.setConfig(null, { compatibility: 'NONE' });
    const schemas = Array.from({ length: 20 }, (_, i) => text({ type: 'record', name: 'R', fields: [{ name: `f${i}`, type: 'int' }] }));
    const ids = await Promise.all(schemas.map((schema) => r.register('s', { schema })));
    expect(new Set(ids.map((x) => x.id)).size).toBe(20);
    expect(r.versions('s')).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
  });
});
