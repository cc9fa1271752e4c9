/**
 * What one schema may cost the registry before it is parsed. avsc parses on the thread that calls
 * it and its cost grows with the schema (about 15 µs per record field, 30 µs per named union
 * branch; a 30,000-field schema took ~400 ms, a 100,000-field one fails inside avsc), so requests
 * are bounded on arrival and the parse itself runs in a worker thread (parser.ts):
 *
 * - runnel.schema.registry.max.request.bytes: request bodies, checked while they are read
 *   (HTTP 413 beyond it);
 * - runnel.schema.registry.max.schema.bytes: the schema text plus the texts of the schemas it
 *   references (all of them are parsed together);
 * - runnel.schema.registry.max.schema.fields: record fields, enum symbols and union branches of
 *   the schema and its references together;
 * - runnel.schema.registry.max.schema.depth: nesting of JSON objects and arrays in one schema
 *   text (a record nested in a record field takes 3 levels, 4 inside a union);
 * - runnel.schema.registry.parse.timeout.ms: a parse still running after this is stopped (the
 *   worker is replaced).
 *
 * Two waits of a write are bounded here too: runnel.schema.registry.store.timeout.ms (the leader
 * reading `_schemas` up to its end, schemas-tail.ts) and runnel.schema.registry.forward.timeout.ms
 * (another broker waiting for the leader it forwarded a write to, forward.ts).
 *
 * Schemas over a schema limit are invalid schemas to clients: HTTP 422, error_code 42201, as
 * Confluent answers any schema it cannot accept.
 */
import type { ConfigView } from '../config/view.js';
import { BROKER_CONFIG_BY_NAME } from '../config/definitions.js';
import { RegistryErrors } from './errors.js';

export interface SchemaLimits {
  maxRequestBytes: number;
  maxSchemaBytes: number;
  maxSchemaFields: number;
  maxSchemaDepth: number;
  parseTimeoutMs: number;
  storeTimeoutMs: number;
  forwardTimeoutMs: number;
}

const KEYS: Record<keyof SchemaLimits, string> = {
  maxRequestBytes: 'runnel.schema.registry.max.request.bytes',
  maxSchemaBytes: 'runnel.schema.registry.max.schema.bytes',
  maxSchemaFields: 'runnel.schema.registry.max.schema.fields',
  maxSchemaDepth: 'runnel.schema.registry.max.schema.depth',
  parseTimeoutMs: 'runnel.schema.registry.parse.timeout.ms',
  storeTimeoutMs: 'runnel.schema.registry.store.timeout.ms',
  forwardTimeoutMs: 'runnel.schema.registry.forward.timeout.ms',
};

function limitsFrom(value: (key: string) => number): SchemaLimits {
  return Object.fromEntries(Object.entries(KEYS).map(([k, key]) => [k, value(key)])) as unknown as SchemaLimits;
}

export function schemaLimits(config: ConfigView): SchemaLimits {
  return limitsFrom((key) => config.int(key));
}

/** The defaults of the config table (registries made outside a broker, e.g. in unit tests). */
export function defaultSchemaLimits(): SchemaLimits {
  return limitsFrom((key) => BROKER_CONFIG_BY_NAME.get(key)!.default as number);
}

/** Refuses texts (a schema and its references) whose total UTF-8 size exceeds the limit. */
export function checkSchemaBytes(texts: readonly string[], limits: SchemaLimits): void {
  let bytes = 0;
  for (const t of texts) bytes += Buffer.byteLength(t, 'utf8');
  if (bytes > limits.maxSchemaBytes) {
    throw RegistryErrors.invalidSchema(`the schema and its references are ${bytes} bytes, more than ${KEYS.maxSchemaBytes} (${limits.maxSchemaBytes})`);
  }
}

/** Keys whose array value is a union of types (the root may be one too). */
const UNION_KEYS = new Set(['type', 'items', 'values']);

/**
 * Walks one parsed schema JSON without recursion (its depth is what is being checked) and refuses
 * it when it nests deeper than the limit or when, added to `tally` (shared by a schema and its
 * references), it has more fields, symbols and union branches than the limit.
 */
export function checkSchemaShape(json: unknown, limits: SchemaLimits, tally: { fields: number }): void {
  const stack: Array<[unknown, number]> = [[json, 1]];
  if (Array.isArray(json)) tally.fields += json.length;
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!;
    if (v === null || typeof v !== 'object') continue;
    if (depth > limits.maxSchemaDepth) {
      throw RegistryErrors.invalidSchema(`the schema nests JSON objects and arrays deeper than ${KEYS.maxSchemaDepth} (${limits.maxSchemaDepth})`);
    }
    if (Array.isArray(v)) {
      for (const item of v) stack.push([item, depth + 1]);
      continue;
    }
    for (const [k, item] of Object.entries(v)) {
      if (Array.isArray(item) && (k === 'fields' || k === 'symbols' || UNION_KEYS.has(k))) tally.fields += item.length;
      stack.push([item, depth + 1]);
    }
    if (tally.fields > limits.maxSchemaFields) {
      throw RegistryErrors.invalidSchema(`the schema and its references have more than ${KEYS.maxSchemaFields} (${limits.maxSchemaFields}) fields, enum symbols and union branches`);
    }
  }
  if (tally.fields > limits.maxSchemaFields) {
    throw RegistryErrors.invalidSchema(`the schema and its references have more than ${KEYS.maxSchemaFields} (${limits.maxSchemaFields}) fields, enum symbols and union branches`);
  }
}
