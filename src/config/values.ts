/**
 * Parsing and validation of single config values against their definitions. Every failure names
 * the key, so a bad server.properties line, env var or flag stops startup with a clear message.
 */
import type { ConfigDef, ConfigValue } from './definitions.js';

export class ConfigError extends Error {
  constructor(
    readonly key: string,
    message: string,
  ) {
    super(message);
    this.name = 'ConfigError';
  }
}

const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;

/** Parses a raw value (string from a file/env/flag, or a typed value from the embedding API). */
export function parseValue(def: ConfigDef, raw: unknown): ConfigValue {
  const fail = (why: string): never => {
    throw new ConfigError(def.name, `Invalid value ${JSON.stringify(raw)} for configuration ${def.name}: ${why}`);
  };
  if (raw === null || raw === undefined) return null;
  let value: ConfigValue;
  switch (def.type) {
    case 'int':
    case 'long': {
      const n = typeof raw === 'number' ? raw : typeof raw === 'string' && /^\s*-?\d+\s*$/.test(raw) ? Number(raw) : NaN;
      if (!Number.isInteger(n)) fail('not an integer');
      if (def.type === 'int' && (n < INT32_MIN || n > INT32_MAX)) fail('out of the int32 range');
      // Kafka writes Long.MAX_VALUE for "never"; keep it as the largest safe integer.
      value = Number.isSafeInteger(n) ? n : n > 0 ? Number.MAX_SAFE_INTEGER : Number.MIN_SAFE_INTEGER;
      break;
    }
    case 'double': {
      const n = typeof raw === 'number' ? raw : typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : NaN;
      if (!Number.isFinite(n)) fail('not a number');
      value = n;
      break;
    }
    case 'boolean': {
      if (typeof raw === 'boolean') value = raw;
      else if (typeof raw === 'string' && /^\s*(true|false)\s*$/i.test(raw)) value = raw.trim().toLowerCase() === 'true';
      else value = fail('expected true or false');
      break;
    }
    case 'list': {
      if (Array.isArray(raw)) value = raw.map((x) => String(x).trim()).filter((x) => x !== '');
      else if (typeof raw === 'string') value = raw.split(',').map((x) => x.trim()).filter((x) => x !== '');
      else value = fail('expected a comma-separated list');
      break;
    }
    default: {
      if (typeof raw !== 'string' && typeof raw !== 'number' && typeof raw !== 'boolean') fail('expected a string');
      value = String(raw).trim();
    }
  }
  const problem = def.validate?.(value);
  if (problem) fail(problem);
  return value;
}

/** The value as Kafka prints it in DescribeConfigs (lists comma-joined, null as null). */
export function formatValue(v: ConfigValue): string | null {
  if (v === null) return null;
  if (Array.isArray(v)) return v.join(',');
  if (typeof v === 'number' && v === Number.MAX_SAFE_INTEGER) return '9223372036854775807';
  return String(v);
}
