/**
 * Schema identity: the same Avro schema registered twice must get the same id, whatever its
 * whitespace, attribute order, or way of spelling names. `canonicalAvro()` turns a parsed schema
 * JSON into one string per meaning:
 *
 * - attributes in a fixed order (type, name, doc, fields, symbols, items, values, size, default,
 *   order, aliases, logical-type attributes), anything else after them sorted by key;
 * - names fully qualified (`{"name": "C", "namespace": "a.b"}` and `{"name": "a.b.C"}` are the
 *   same type), including references to named types and aliases;
 * - `{"type": "int"}` with nothing else written as `"int"`;
 * - JSON values inside attributes (defaults, custom properties) with sorted object keys.
 *
 * Unlike Avro's Parsing Canonical Form, docs, defaults, aliases and custom properties are kept:
 * two schemas that differ in a default are different schemas to the registry (as in Confluent's).
 */

const PRIMITIVES = new Set(['null', 'boolean', 'int', 'long', 'float', 'double', 'bytes', 'string']);
const NAMED = new Set(['record', 'error', 'enum', 'fixed']);
const ORDER = ['type', 'name', 'doc', 'fields', 'symbols', 'items', 'values', 'size', 'default', 'order', 'aliases', 'logicalType', 'precision', 'scale'];
const ORDER_RANK = new Map(ORDER.map((k, i) => [k, i]));

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

function qualify(name: string, namespace: string): string {
  return name.includes('.') || namespace === '' ? name : `${namespace}.${name}`;
}

function namespaceOf(fullname: string): string {
  const dot = fullname.lastIndexOf('.');
  return dot < 0 ? '' : fullname.slice(0, dot);
}

/** Any JSON value with object keys sorted (for defaults and custom properties). */
function sortedJson(v: Json): Json {
  if (Array.isArray(v)) return v.map(sortedJson);
  if (v !== null && typeof v === 'object') {
    const out: { [k: string]: Json } = {};
    for (const k of Object.keys(v).sort()) out[k] = sortedJson(v[k]!);
    return out;
  }
  return v;
}

function orderedObject(entries: Array<[string, Json]>): { [k: string]: Json } {
  entries.sort(([a], [b]) => {
    const ra = ORDER_RANK.get(a) ?? ORDER.length;
    const rb = ORDER_RANK.get(b) ?? ORDER.length;
    return ra !== rb ? ra - rb : a < b ? -1 : a > b ? 1 : 0;
  });
  const out: { [k: string]: Json } = {};
  for (const [k, v] of entries) out[k] = v;
  return out;
}

function canon(s: Json, ns: string): Json {
  if (typeof s === 'string') return PRIMITIVES.has(s) ? s : qualify(s, ns);
  if (Array.isArray(s)) return s.map((b) => canon(b, ns));
  if (s === null || typeof s !== 'object') return s;
  const type = s['type'];
  if (type !== undefined && typeof type !== 'string') {
    // {"type": {...}} or {"type": [...]}: the inner schema is the schema.
    if (Object.keys(s).length === 1) return canon(type, ns);
  }
  if (typeof type === 'string' && PRIMITIVES.has(type) && Object.keys(s).length === 1) return type;
  let childNs = ns;
  const entries: Array<[string, Json]> = [];
  if (typeof type === 'string' && NAMED.has(type) && typeof s['name'] === 'string') {
    const explicitNs = typeof s['namespace'] === 'string' ? s['namespace'] : ns;
    const fullname = qualify(s['name'], explicitNs);
    childNs = namespaceOf(fullname);
    entries.push(['name', fullname]);
  }
  for (const [k, v] of Object.entries(s)) {
    switch (k) {
      case 'name':
      case 'namespace':
        if (!entries.some(([e]) => e === 'name')) entries.push([k, v]); // not a named type: keep as a property
        break;
      case 'type':
        entries.push([k, typeof v === 'string' && (PRIMITIVES.has(v) || NAMED.has(v) || v === 'array' || v === 'map') ? v : canon(v, childNs)]);
        break;
      case 'fields':
        entries.push([k, Array.isArray(v) ? v.map((f) => canonField(f, childNs)) : v]);
        break;
      case 'items':
      case 'values':
        entries.push([k, canon(v, childNs)]);
        break;
      case 'aliases':
        entries.push([k, Array.isArray(v) ? v.map((a) => (typeof a === 'string' ? qualify(a, childNs) : a)) : v]);
        break;
      default:
        entries.push([k, sortedJson(v)]);
    }
  }
  return orderedObject(entries);
}

function canonField(f: Json, ns: string): Json {
  if (f === null || typeof f !== 'object' || Array.isArray(f)) return f;
  const entries: Array<[string, Json]> = [];
  for (const [k, v] of Object.entries(f)) {
    // Field names and field aliases are not namespaced.
    entries.push([k, k === 'type' ? canon(v, ns) : sortedJson(v)]);
  }
  return orderedObject(entries);
}

/** The identity string of an Avro schema given as parsed JSON (see the file comment). */
export function canonicalAvro(schema: unknown): string {
  return JSON.stringify(canon(schema as Json, ''));
}
