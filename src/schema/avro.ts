/**
 * Parsing Avro schemas as the registry receives them: a JSON text, plus the texts of the schemas
 * it references (already resolved, dependencies first). avsc does the parsing and checks names,
 * defaults and structure; a failure becomes Confluent's 42201 "invalid schema". With `limits`,
 * each JSON text is checked against them (limits.ts) before avsc sees it. The registry's REST
 * path calls this in a worker thread (parse-worker.ts).
 *
 * Logical types are parsed as their underlying types (no `logicalTypes` option): the registry and
 * the validator only care about the wire encoding, which a logical type does not change.
 */
import { createRequire } from 'node:module';
import type * as Avsc from 'avsc';
import type { Type } from 'avsc';
import { RegistryErrors } from './errors.js';
import { canonicalAvro } from './normalize.js';
import { checkSchemaShape, type SchemaLimits } from './limits.js';

// avsc is loaded on the first schema parsed, not at startup: compiling it costs ~10 ms of the
// broker's ~80 ms start, and a broker with no registered schemas never needs it. require() keeps
// parseAvro synchronous (avsc is CommonJS).
const requireCjs = createRequire(import.meta.url);
let avscModule: typeof Avsc | undefined;
function avsc(): typeof Avsc {
  return (avscModule ??= requireCjs('avsc') as typeof Avsc);
}

/** Loads avsc now (the parsing thread does at startup, so no job's time limit pays for it). */
export function loadAvsc(): void {
  avsc();
}

export interface ParsedAvro {
  type: Type;
  /** Compact JSON of the schema as given (what the REST API returns). */
  text: string;
  /** Identity string (normalize.ts). */
  canonical: string;
}

function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw RegistryErrors.invalidSchema(`${what} is not valid JSON: ${(e as Error).message}`);
  }
}

/**
 * Parses `text` after the schemas it references (`referenced`, dependencies first, each once).
 * Throws RegistryError 42201 when any of them is not a valid Avro schema.
 */
export function parseAvro(text: string, referenced: readonly string[] = [], limits?: SchemaLimits): ParsedAvro {
  if (typeof text !== 'string' || text.trim() === '') throw RegistryErrors.invalidSchema('Empty schema');
  const tally = { fields: 0 };
  const registry: Record<string, Type> = {};
  for (const ref of referenced) {
    try {
      const refJson = parseJson(ref, 'a referenced schema');
      if (limits) checkSchemaShape(refJson, limits, tally);
      avsc().Type.forSchema(refJson as Avsc.Schema, { registry });
    } catch (e) {
      if (e instanceof Error && e.name === 'RegistryError') throw e;
      throw RegistryErrors.invalidSchema(`a referenced schema does not parse: ${(e as Error).message}`);
    }
  }
  const json = parseJson(text, 'the schema');
  if (limits) checkSchemaShape(json, limits, tally);
  let type: Type;
  try {
    type = avsc().Type.forSchema(json as Avsc.Schema, { registry });
  } catch (e) {
    throw RegistryErrors.invalidSchema((e as Error).message);
  }
  return { type, text: JSON.stringify(json), canonical: canonicalAvro(json) };
}

/** The full name of a named type (record, enum, fixed), or null (RecordNameStrategy needs one). */
export function fullNameOf(type: Type): string | null {
  return type.name ?? null;
}
