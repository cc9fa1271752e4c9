/**
 * Decoding Avro records framed the Confluent way: a zero magic byte, the schema id (int32), then
 * the Avro binary body. Schemas come from the registry by id and are parsed once (avsc, loaded
 * only when a command needs it).
 */
import type { SchemaRegistryClient } from './schema-registry.js';

interface AvroType {
  fromBuffer(buf: Buffer): unknown;
}

export class AvroDecoder {
  private readonly types = new Map<number, Promise<AvroType>>();

  constructor(private readonly registry: SchemaRegistryClient) {}

  /** The decoded value, or an Error explaining why the bytes are not Confluent-framed Avro. */
  async decode(buf: Buffer): Promise<unknown> {
    if (buf.length < 5 || buf[0] !== 0) throw new Error('not Confluent Avro (no magic byte 0 and schema id)');
    const id = buf.readInt32BE(1);
    let type = this.types.get(id);
    if (!type) {
      type = this.load(id);
      this.types.set(id, type);
    }
    return (await type).fromBuffer(buf.subarray(5));
  }

  private async load(id: number): Promise<AvroType> {
    const { schema, schemaType } = await this.registry.getById(id);
    if (schemaType && schemaType !== 'AVRO') throw new Error(`schema ${id} is ${schemaType}, not Avro`);
    const avro = (await import('avsc')) as unknown as { Type: { forSchema(s: unknown, o?: object): AvroType }; default?: { Type: { forSchema(s: unknown, o?: object): AvroType } } };
    const Type = avro.Type ?? avro.default!.Type;
    return Type.forSchema(JSON.parse(schema));
  }
}

/** JSON.stringify that survives what avsc decodes: Buffers as base64, longs as numbers. */
export function avroToJson(value: unknown): unknown {
  if (Buffer.isBuffer(value)) return value.toString('base64');
  if (typeof value === 'bigint') return Number(value);
  if (Array.isArray(value)) return value.map(avroToJson);
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, avroToJson(v)]));
  return value;
}
