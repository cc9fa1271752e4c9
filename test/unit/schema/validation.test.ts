/**
 * Produce-path validation on real RecordBatch bytes (built with our builder): which records pass,
 * which fail and with what index and message, for each subject name strategy, keys and values,
 * tombstones, compressed batches and malformed record framing; topic configs → policy.
 */
import avsc from 'avsc';
import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../../../protocol/errors.js';
import { CompressionType } from '../../../protocol/records/batch.js';
import { buildBatch, buildBatchSync, type RecordInput } from '../../../protocol/records/builder.js';
import { ProduceValidator, parseSubjectNameStrategy, topicSchemaPolicy, type TopicSchemaPolicy } from '../../../src/schema/validation.js';
import { memoryRegistry, ORDER_V1, ORDER_V2, text, wire } from './fixtures.js';

const orderType = avsc.Type.forSchema(ORDER_V1 as avsc.Schema);
const order = (i: number) => orderType.toBuffer({ id: i, customer: `c${i}`, total: i * 1.5 });

async function setup() {
  const { registry } = memoryRegistry();
  const v1 = (await registry.register('orders-value', { schema: text(ORDER_V1) })).id;
  const v2 = (await registry.register('orders-value', { schema: text(ORDER_V2) })).id;
  const other = (await registry.register('other-value', { schema: text({ type: 'record', name: 'Other', fields: [{ name: 'x', type: 'int' }] }) })).id;
  return { registry, v1, v2, other, validator: new ProduceValidator(registry) };
}

const VALUE: TopicSchemaPolicy = { topic: 'orders', key: null, value: 'TopicNameStrategy' };

function check(validator: ProduceValidator, records: RecordInput[], policy = VALUE) {
  return validator.check(buildBatchSync(records), policy);
}

describe('produce validation', () => {
  it('accepts records with a registered id, any live version of the subject, and tombstones', async () => {
    const { validator, v1, v2 } = await setup();
    const v2Type = avsc.Type.forSchema(ORDER_V2 as avsc.Schema);
    expect(check(validator, [{ value: wire(v1, order(1)) }, { value: null, key: 'k' }, { value: wire(v2, v2Type.toBuffer({ id: 2, customer: 'x', total: 1, note: 'hi' })) }])).toBeNull();
  });

  it('refuses the first bad record with its index and the reason', async () => {
    const { validator, v1, other } = await setup();
    const good = { value: wire(v1, order(1)) };
    const cases: Array<[RecordInput, RegExp]> = [
      [{ value: 'plain text from kcat' }, /Record 1 value has unknown magic byte 112/],
      [{ value: Buffer.from([0, 0, 0]) }, /too short/],
      [{ value: wire(999, order(1)) }, /unknown schema id 999/],
      [{ value: wire(other, Buffer.from([2])) }, new RegExp(`schema id ${other}, which is not registered under subject orders-value`)],
      [{ value: wire(v1, order(1).subarray(0, 5)) }, /does not decode/],
      [{ value: wire(v1, Buffer.concat([order(1), Buffer.from([0])])) }, /1 bytes left over/],
    ];
    for (const [bad, message] of cases) {
      const r = check(validator, [good, bad, good]);
      expect(r).toMatchObject({ code: ErrorCode.INVALID_RECORD, index: 1 });
      expect((r as { message: string }).message).toMatch(message);
    }
  });

  it('soft-deleting a version stops its id from passing', async () => {
    const { validator, registry, v1 } = await setup();
    expect(check(validator, [{ value: wire(v1, order(1)) }])).toBeNull();
    await registry.deleteVersion('orders-value', '1', false);
    expect(check(validator, [{ value: wire(v1, order(1)) }])).toMatchObject({ index: 0 });
  });

  it('validates keys with their own subject, and only what the policy names', async () => {
    const { validator, registry, v1 } = await setup();
    const keyId = (await registry.register('orders-key', { schema: '"string"' })).id;
    const key = wire(keyId, avsc.Type.forSchema('string').toBuffer('k1'));
    const both: TopicSchemaPolicy = { topic: 'orders', key: 'TopicNameStrategy', value: 'TopicNameStrategy' };
    expect(check(validator, [{ key, value: wire(v1, order(1)) }, { key: null, value: wire(v1, order(2)) }], both)).toBeNull();
    expect(check(validator, [{ key: 'plain', value: wire(v1, order(1)) }], both)).toMatchObject({ index: 0, message: expect.stringMatching(/key has unknown magic/) });
    const keysOnly: TopicSchemaPolicy = { topic: 'orders', key: 'TopicNameStrategy', value: null };
    expect(check(validator, [{ key, value: 'anything' }], keysOnly)).toBeNull();
  });

  it('RecordNameStrategy and TopicRecordNameStrategy use the record full name', async () => {
    const { registry } = memoryRegistry();
    const byName = (await registry.register('shop.Order', { schema: text(ORDER_V1) })).id;
    const validator = new ProduceValidator(registry);
    const rn: TopicSchemaPolicy = { topic: 'orders', key: null, value: 'RecordNameStrategy' };
    const trn: TopicSchemaPolicy = { topic: 'orders', key: null, value: 'TopicRecordNameStrategy' };
    expect(check(validator, [{ value: wire(byName, order(1)) }], rn)).toBeNull();
    expect(check(validator, [{ value: wire(byName, order(1)) }], trn)).toMatchObject({ message: expect.stringMatching(/subject orders-shop.Order/) });
    await registry.register('orders-shop.Order', { schema: text(ORDER_V1) });
    expect(check(validator, [{ value: wire(byName, order(1)) }], trn)).toBeNull();
    const prim = (await registry.register('p', { schema: '"long"' })).id;
    expect(check(validator, [{ value: wire(prim, Buffer.from([2])) }], rn)).toMatchObject({ message: expect.stringMatching(/not a named type/) });
  });

  it('decompresses compressed batches first', async () => {
    const { validator, v1 } = await setup();
    for (const compression of [CompressionType.Gzip, CompressionType.Snappy, CompressionType.Lz4, CompressionType.Zstd]) {
      const ok = await buildBatch(Array.from({ length: 50 }, (_, i) => ({ value: wire(v1, order(i)) })), { compression });
      const r = validator.check(ok, VALUE);
      expect(r).toBeInstanceOf(Promise);
      expect(await r).toBeNull();
      const bad = await buildBatch([{ value: wire(v1, order(1)) }, { value: 'nope' }], { compression });
      expect(await validator.check(bad, VALUE)).toMatchObject({ index: 1, code: ErrorCode.INVALID_RECORD });
    }
  });

  it('malformed record framing is CORRUPT_MESSAGE, not a crash', async () => {
    const { validator, v1 } = await setup();
    const b = buildBatchSync([{ value: wire(v1, order(1)) }]);
    const block = b.subarray(61);
    expect(validator.checkBlock(block, 1, VALUE)).toBeNull();
    expect(validator.checkBlock(block, 2, VALUE)).toMatchObject({ code: ErrorCode.CORRUPT_MESSAGE });
    expect(validator.checkBlock(block.subarray(0, block.length - 3), 1, VALUE)).toMatchObject({ code: ErrorCode.CORRUPT_MESSAGE });
    const garbage = Buffer.from([0xff, 0xff, 0xff, 0xff, 0x7f, 1, 2, 3]);
    expect(validator.checkBlock(garbage, 1, VALUE)).toMatchObject({ code: ErrorCode.CORRUPT_MESSAGE });
  });

  it('deeply nested recursive data is refused, not a crash', async () => {
    const { registry } = memoryRegistry();
    const list = { type: 'record', name: 'Node', fields: [{ name: 'next', type: ['null', 'Node'] }] };
    const id = (await registry.register('deep-value', { schema: text(list) })).id;
    // 200k levels of "branch 1" then a final null: valid Avro, but deeper than any stack.
    const payload = Buffer.concat([Buffer.alloc(200_000, 2), Buffer.from([0])]);
    const r = new ProduceValidator(registry).check(buildBatchSync([{ value: wire(id, payload) }]), { topic: 'deep', key: null, value: 'TopicNameStrategy' });
    expect(r).toMatchObject({ code: ErrorCode.INVALID_RECORD, index: 0 });
  });
});

describe('topic configs', () => {
  it('resolve to a policy, or null when nothing is validated', () => {
    const cfg = (m: Record<string, unknown>) => (k: string) => (m[k] ?? null) as never;
    expect(topicSchemaPolicy('t', cfg({}))).toBeNull();
    expect(topicSchemaPolicy('t', cfg({ 'confluent.value.schema.validation': true }))).toEqual({ topic: 't', key: null, value: 'TopicNameStrategy' });
    expect(
      topicSchemaPolicy('t', cfg({ 'confluent.key.schema.validation': true, 'confluent.key.subject.name.strategy': 'io.confluent.kafka.serializers.subject.RecordNameStrategy' })),
    ).toEqual({ topic: 't', key: 'RecordNameStrategy', value: null });
    expect(parseSubjectNameStrategy('TopicRecordNameStrategy')).toBe('TopicRecordNameStrategy');
    expect(parseSubjectNameStrategy('com.example.Mine')).toBeNull();
  });
});
