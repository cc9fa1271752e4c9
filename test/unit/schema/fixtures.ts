/** Avro schemas shared by the schema unit tests, and a silent registry on an in-memory log. */
import { silentLogger } from '../../../src/logger.js';
import { SchemaRegistry } from '../../../src/schema/registry.js';
import { MemorySchemasLog } from '../../../src/schema/schemas-log.js';

export const ORDER_V1 = {
  type: 'record',
  name: 'Order',
  namespace: 'shop',
  fields: [
    { name: 'id', type: 'long' },
    { name: 'customer', type: 'string' },
    { name: 'total', type: 'double' },
  ],
};

/** V1 plus a field with a default: backward and forward compatible. */
export const ORDER_V2 = { ...ORDER_V1, fields: [...ORDER_V1.fields, { name: 'note', type: ['null', 'string'], default: null }] };

/** V1 plus a field without a default: not backward compatible. */
export const ORDER_BAD = { ...ORDER_V1, fields: [...ORDER_V1.fields, { name: 'region', type: 'string' }] };

/** Every kind of Avro type, for the validator. */
export const EVERYTHING = {
  type: 'record',
  name: 'Everything',
  namespace: 'test',
  fields: [
    { name: 'n', type: 'null' },
    { name: 'b', type: 'boolean' },
    { name: 'i', type: 'int' },
    { name: 'l', type: 'long' },
    { name: 'f', type: 'float' },
    { name: 'd', type: 'double' },
    { name: 'bytes', type: 'bytes' },
    { name: 's', type: 'string' },
    { name: 'fx', type: { type: 'fixed', name: 'Hash', size: 4 } },
    { name: 'e', type: { type: 'enum', name: 'Color', symbols: ['RED', 'GREEN', 'BLUE'] } },
    { name: 'arr', type: { type: 'array', items: 'int' } },
    { name: 'map', type: { type: 'map', values: 'string' } },
    { name: 'u', type: ['null', 'string', 'long'] },
    { name: 'nested', type: { type: 'record', name: 'Inner', fields: [{ name: 'x', type: 'int' }, { name: 'tags', type: { type: 'array', items: 'string' } }] } },
    { name: 'nulls', type: { type: 'array', items: 'null' } },
    { name: 'date', type: { type: 'int', logicalType: 'date' } },
  ],
};

export const LINKED_LIST = {
  type: 'record',
  name: 'Node',
  fields: [
    { name: 'value', type: 'int' },
    { name: 'next', type: ['null', 'Node'] },
  ],
};

export function memoryRegistry(): { registry: SchemaRegistry; log: MemorySchemasLog } {
  const log = new MemorySchemasLog();
  return { registry: new SchemaRegistry(log, silentLogger()), log };
}

export const text = (s: unknown): string => JSON.stringify(s);

/** Confluent's wire format: magic byte 0, schema id (int32 BE), Avro payload. */
export function wire(id: number, payload: Buffer): Buffer {
  const head = Buffer.alloc(5);
  head.writeInt32BE(id, 1);
  return Buffer.concat([head, payload]);
}
