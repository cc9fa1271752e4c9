/**
 * The field model of the code generator and the parser that builds it: a declaration's field
 * tables (protocol/schema.ts: `[type, versions, children?, options?]`) become a tree of Structs
 * whose Fields carry parsed version ranges, nullability, tags and defaults. Every rule a
 * declaration must follow (lowerCamelCase names, no collision with the generated code's own
 * names, nullable only where Kafka allows it, tags unique and only in flexible versions, closed
 * version ranges) is checked here, so the emitters can trust the tree.
 */
import { parseVersions, type ApiDeclaration, type DataDeclaration, type FieldOptions, type Fields, type FieldSpec, type VersionRange } from '../schema.js';

export interface Field {
  name: string;
  type: string; // primitive, or struct name (already prefixed) for struct kinds
  kind: 'primitive' | 'primitiveArray' | 'struct' | 'structArray';
  versions: VersionRange | null;
  nullable: VersionRange | null;
  tag: number | null;
  tagged: VersionRange | null;
  default: boolean | number | string | null | undefined;
  about?: string;
  struct?: Struct;
}

export interface Struct {
  name: string;
  fields: Field[];
  /** Set when the struct (or a struct containing it) is a tagged field: it needs an isDefault check. */
  needsIsDefault?: boolean;
}

const PRIMITIVES = new Set(['bool', 'int8', 'int16', 'uint16', 'int32', 'uint32', 'int64', 'float64', 'string', 'bytes', 'uuid', 'records']);

function isFieldsObject(x: unknown): x is Fields {
  if (typeof x !== 'object' || x === null) return false;
  const values = Object.values(x);
  return values.length > 0 && values.every((v) => Array.isArray(v));
}

function parseFields(prefix: string, fields: Fields, structs: Map<string, Struct>, where: string): Field[] {
  const out: Field[] = [];
  const tags = new Set<number>();
  for (const [name, spec] of Object.entries(fields)) {
    const f = parseField(prefix, name, spec, structs, `${where}.${name}`);
    if (f.tag !== null) {
      if (tags.has(f.tag)) throw new Error(`${where}.${name}: tag ${f.tag} used twice`);
      tags.add(f.tag);
    }
    out.push(f);
  }
  return out;
}

/** Parameter names of the generated functions (their own locals all start with $). */
const RESERVED = new Set(['r', 'v', 'w', 'm', 'p', 'flex', 'uvarintSize', 'stringSize', 'nullableStringSize', 'compactStringSize', 'bytesSize', 'compactBytesSize', 'recordsFieldSize']);

function parseField(prefix: string, name: string, spec: FieldSpec, structs: Map<string, Struct>, where: string): Field {
  if (!/^[a-z][A-Za-z0-9]*$/.test(name)) throw new Error(`${where}: field names are lowerCamelCase identifiers`);
  if (RESERVED.has(name)) throw new Error(`${where}: '${name}' collides with a name the generated code uses`);
  const [rawType, versions] = spec;
  const third = spec[2];
  let opts: FieldOptions = {};
  let children: Fields | undefined;
  if (third !== undefined && isFieldsObject(third)) {
    children = third;
    opts = (spec[3] as FieldOptions | undefined) ?? {};
  } else {
    opts = (third as FieldOptions | undefined) ?? {};
  }
  const isArray = rawType.startsWith('[]');
  const base = isArray ? rawType.slice(2) : rawType;
  const field: Field = {
    name,
    type: base,
    kind: 'primitive',
    versions: parseVersions(versions),
    nullable: opts.nullable ? parseVersions(opts.nullable) : null,
    tag: opts.tag ?? null,
    tagged: opts.tagged ? parseVersions(opts.tagged) : null,
    default: opts.default,
    about: opts.about,
  };
  if ((field.tag === null) !== (field.tagged === null)) throw new Error(`${where}: tag and tagged go together`);
  if (field.nullable !== null && !isArray && !children && !['string', 'bytes', 'records'].includes(base)) {
    throw new Error(`${where}: ${rawType} cannot be nullable`);
  }
  if (PRIMITIVES.has(base)) {
    if (children) throw new Error(`${where}: primitive type ${base} cannot have fields`);
    if (isArray && base === 'records') throw new Error(`${where}: arrays of records are not a Kafka type`);
    field.kind = isArray ? 'primitiveArray' : 'primitive';
  } else {
    if (!/^[A-Z]/.test(base)) throw new Error(`${where}: unknown type ${rawType}`);
    if (!children) throw new Error(`${where}: struct ${base} needs fields`);
    const structName = prefix + base;
    if (structs.has(structName)) throw new Error(`${where}: struct ${structName} declared twice`);
    const struct: Struct = { name: structName, fields: [] };
    structs.set(structName, struct);
    struct.fields = parseFields(prefix, children, structs, where);
    field.kind = isArray ? 'structArray' : 'struct';
    field.type = structName;
    field.struct = struct;
  }
  return field;
}

function markIsDefault(s: Struct): void {
  if (s.needsIsDefault) return;
  s.needsIsDefault = true;
  for (const f of s.fields) if (f.kind === 'struct' && f.struct) markIsDefault(f.struct);
}

/** Parses a top-level struct and the structs inside it; nested struct names get `prefix`. */
function parseTop(prefix: string, declared: Fields, where: string): Struct {
  const structs = new Map<string, Struct>();
  const fields = parseFields(prefix, declared, structs, where);
  const top: Struct = { name: prefix, fields };
  for (const st of [top, ...structs.values()]) {
    for (const f of st.fields) if (f.tagged !== null && f.kind === 'struct' && f.struct) markIsDefault(f.struct);
  }
  return top;
}

/** Parses one side of a declaration into its field tree (used by the generator and by tests). */
export function parseMessage(decl: ApiDeclaration, kind: 'request' | 'response'): Struct {
  const prefix = decl.name + (kind === 'request' ? 'Request' : 'Response');
  return parseTop(prefix, kind === 'request' ? decl.request : decl.response, `${decl.name}.${kind}`);
}

/** Parses a data message into its field tree (used by the generator and by tests). */
export function parseData(decl: DataDeclaration): Struct {
  return parseTop(decl.name, decl.fields, decl.name);
}

/** Tagged fields exist only in flexible versions. */
export function checkTagged(message: string, s: Struct, flexible: VersionRange | null): void {
  for (const f of s.fields) {
    if (f.tagged !== null && (flexible === null || f.tagged.min < flexible.min)) {
      throw new Error(`${message}: ${s.name}.${f.name} is tagged in versions that are not flexible`);
    }
    if (f.struct) checkTagged(message, f.struct, flexible);
  }
}

export function closedRange(message: string, versions: string): VersionRange {
  const range = parseVersions(versions);
  if (range === null || range.max === Infinity) throw new Error(`${message}: versions must be a closed range`);
  return range;
}
