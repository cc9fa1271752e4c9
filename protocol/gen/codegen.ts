/**
 * Turns API declarations (protocol/apis) and data-message declarations (protocol/data) into
 * TypeScript source: interfaces, `newX()` constructors with every field present (fixed object
 * shapes for V8), and straight-line decode / encode / size functions that branch on the version
 * number only where a field's presence or encoding changes. Data messages also get `writeX` /
 * `readX`, the version-prefixed form in which Kafka stores and embeds them.
 *
 * Kept free of file I/O so the drift test can run it in memory and compare with the committed
 * output in protocol/generated/.
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

// ---- version conditions -------------------------------------------------------------------------

function cond(r: VersionRange | null): string {
  if (r === null) return 'false';
  const parts: string[] = [];
  if (r.min > 0) parts.push(`v >= ${r.min}`);
  if (r.max !== Infinity) parts.push(`v <= ${r.max}`);
  return parts.length === 0 ? 'true' : parts.join(' && ');
}

/** The range of versions in which a field sits in the regular (untagged) body. */
function untaggedRange(f: Field): VersionRange | null {
  if (f.versions === null) return null;
  if (f.tagged === null) return f.versions;
  // A field is either tagged or not in a given version; in Kafka's specs a tagged field is tagged
  // in every version it exists in.
  return null;
}

/** The nullable-versions condition, simplified to 'true' where it covers every version of the field. */
function nullableCond(f: Field): string {
  const n = f.nullable;
  if (n === null) return 'false';
  const r = f.tagged ?? f.versions;
  if (r !== null && n.min <= r.min && n.max >= r.max) return 'true';
  return cond(n);
}

function everNullable(f: Field): boolean {
  return f.nullable !== null;
}

// ---- TypeScript types and defaults --------------------------------------------------------------

function tsScalar(t: string): string {
  switch (t) {
    case 'bool':
      return 'boolean';
    case 'string':
      return 'string';
    case 'bytes':
    case 'uuid':
      return 'Buffer';
    case 'records':
      return 'Records';
    default:
      return 'number';
  }
}

function tsType(f: Field): string {
  let t: string;
  if (f.kind === 'primitive') t = tsScalar(f.type);
  else if (f.kind === 'primitiveArray') t = `${tsScalar(f.type)}[]`;
  else if (f.kind === 'struct') t = f.type;
  else t = `${f.type}[]`;
  if (everNullable(f) || f.type === 'records' || f.default === null) t += ' | null';
  return t;
}

function defaultExpr(f: Field): string {
  if (f.default === null) return 'null';
  switch (f.kind) {
    case 'primitiveArray':
    case 'structArray':
      return '[]';
    case 'struct':
      return `new${f.type}()`;
    default:
      break;
  }
  const d = f.default;
  switch (f.type) {
    case 'bool':
      return d === undefined ? 'false' : String(d === true || d === 'true');
    case 'string':
      return JSON.stringify(d === undefined ? '' : String(d));
    case 'bytes':
      return 'EMPTY';
    case 'uuid':
      return 'ZERO_UUID';
    case 'records':
      return 'null';
    default:
      return d === undefined ? '0' : String(Number(d));
  }
}

// ---- reading ------------------------------------------------------------------------------------

function scalarRead(t: string, nullable: string, compact: string): string {
  switch (t) {
    case 'bool':
    case 'int8':
    case 'int16':
    case 'uint16':
    case 'int32':
    case 'uint32':
    case 'int64':
    case 'float64':
    case 'uuid':
      return `r.${t}()`;
    case 'string':
      return nullableChoice(nullable, compact, 'compactNullableString', 'nullableString', 'compactString', 'string');
    case 'bytes':
    case 'records':
      return nullableChoice(nullable, compact, 'compactNullableBytes', 'nullableBytes', 'compactBytes', 'bytes');
    default:
      throw new Error(`no reader for ${t}`);
  }
}

function nullableChoice(nullable: string, compact: string, cn: string, n: string, c: string, plain: string): string {
  const pick = (a: string, b: string) => (compact === 'true' ? `r.${a}()` : compact === 'false' ? `r.${b}()` : `(${compact} ? r.${a}() : r.${b}())`);
  if (nullable === 'false') return pick(c, plain);
  if (nullable === 'true') return pick(cn, n);
  return `(${nullable} ? ${pick(cn, n)} : ${pick(c, plain)})`;
}

function readValue(f: Field, compact: string, ind: string, target: string): string[] {
  const nullable = nullableCond(f);
  const lines: string[] = [];
  if (f.kind === 'primitive') {
    lines.push(`${ind}${target} = ${scalarRead(f.type, nullable, compact)};`);
    return lines;
  }
  if (f.kind === 'struct') {
    if (nullable !== 'false') {
      lines.push(`${ind}if (${nullable} && r.int8() < 0) ${target} = null;`);
      lines.push(`${ind}else ${target} = decode${f.type}(r, v, flex);`);
    } else lines.push(`${ind}${target} = decode${f.type}(r, v, flex);`);
    return lines;
  }
  const lenExpr = compact === 'true' ? 'r.compactArrayLength()' : compact === 'false' ? 'r.arrayLength()' : `(${compact} ? r.compactArrayLength() : r.arrayLength())`;
  lines.push(`${ind}{`);
  lines.push(`${ind}  const $n = ${lenExpr};`);
  const elem = f.kind === 'structArray' ? `decode${f.type}(r, v, flex)` : scalarRead(f.type, 'false', compact);
  const elemType = f.kind === 'structArray' ? f.type : tsScalar(f.type);
  if (nullable === 'false') lines.push(`${ind}  if ($n < 0) r.fail('null array in non-nullable field ${f.name}');`);
  else lines.push(`${ind}  if ($n < 0) { if (!(${nullable})) r.fail('null array in non-nullable field ${f.name}'); ${target} = null; }`);
  lines.push(`${ind}  else {`);
  lines.push(`${ind}    const $a: ${elemType}[] = [];`);
  lines.push(`${ind}    for (let $i = 0; $i < $n && r.error === null; $i++) $a.push(${elem});`);
  lines.push(`${ind}    ${target} = $a;`);
  lines.push(`${ind}  }`);
  lines.push(`${ind}}`);
  return lines;
}

// ---- writing ------------------------------------------------------------------------------------

function scalarWrite(t: string, value: string, nullable: string, compact: string): string {
  switch (t) {
    case 'bool':
    case 'int8':
    case 'int16':
    case 'uint16':
    case 'int32':
    case 'uint32':
    case 'int64':
    case 'float64':
    case 'uuid':
      return `w.${t}(${value});`;
    case 'records':
      return `w.records(${value}, ${compact});`;
    case 'string':
      return writeChoice(value, nullable, compact, 'compactNullableString', 'nullableString', 'compactString', 'string', "''");
    case 'bytes':
      return writeChoice(value, nullable, compact, 'compactNullableBytes', 'nullableBytes', 'compactBytes', 'bytes', 'EMPTY');
    default:
      throw new Error(`no writer for ${t}`);
  }
}

function writeChoice(value: string, nullable: string, compact: string, cn: string, n: string, c: string, plain: string, empty: string): string {
  const pick = (a: string, b: string, val: string) =>
    compact === 'true' ? `w.${a}(${val});` : compact === 'false' ? `w.${b}(${val});` : `if (${compact}) w.${a}(${val}); else w.${b}(${val});`;
  if (nullable === 'true') return pick(cn, n, value);
  // A null value in a version that cannot carry null is written as empty, as Kafka does for defaults.
  const nonNull = `(${value} ?? ${empty})`;
  if (nullable === 'false') return pick(c, plain, nonNull);
  return `if (${nullable}) { ${pick(cn, n, value)} } else { ${pick(c, plain, nonNull)} }`;
}

function writeValue(f: Field, value: string, compact: string, ind: string): string[] {
  const nullable = nullableCond(f);
  const lines: string[] = [];
  if (f.kind === 'primitive') {
    lines.push(`${ind}${scalarWrite(f.type, value, nullable, compact)}`);
    return lines;
  }
  if (f.kind === 'struct') {
    const plain = `encode${f.type}(w, v, flex, ${value} ?? new${f.type}());`;
    const withMarker = `w.int8(${value} === null ? -1 : 1); if (${value} !== null) encode${f.type}(w, v, flex, ${value});`;
    // A null struct in a version that cannot carry null is written as the default struct.
    if (nullable === 'false') lines.push(`${ind}${plain}`);
    else if (nullable === 'true') lines.push(`${ind}${withMarker}`);
    else lines.push(`${ind}if (${nullable}) { ${withMarker} } else { ${plain} }`);
    return lines;
  }
  const lenWrite = (n: string) =>
    compact === 'true' ? `w.uvarint(${n} + 1);` : compact === 'false' ? `w.int32(${n});` : `if (${compact}) w.uvarint(${n} + 1); else w.int32(${n});`;
  const nullWrite = compact === 'true' ? 'w.uvarint(0);' : compact === 'false' ? 'w.int32(-1);' : `if (${compact}) w.uvarint(0); else w.int32(-1);`;
  const elemWrite = f.kind === 'structArray' ? `encode${f.type}(w, v, flex, $e);` : scalarWrite(f.type, '$e', 'false', compact);
  lines.push(`${ind}{`);
  lines.push(`${ind}  const $a = ${value};`);
  if (nullable !== 'false') lines.push(`${ind}  if ($a === null && (${nullable})) { ${nullWrite} }`);
  lines.push(`${ind}  ${nullable !== 'false' ? 'else ' : ''}if ($a === null) { ${lenWrite('0')} }`);
  lines.push(`${ind}  else { ${lenWrite('$a.length')} for (const $e of $a) { ${elemWrite} } }`);
  lines.push(`${ind}}`);
  return lines;
}

// ---- sizing -------------------------------------------------------------------------------------

function scalarSize(t: string, value: string, nullable: string, compact: string): string {
  switch (t) {
    case 'bool':
    case 'int8':
      return '1';
    case 'int16':
    case 'uint16':
      return '2';
    case 'int32':
    case 'uint32':
      return '4';
    case 'int64':
    case 'float64':
      return '8';
    case 'uuid':
      return '16';
    case 'records':
      return `recordsFieldSize(${value}, ${compact})`;
    case 'string': {
      const c = `compactStringSize(${nullable === 'false' ? `(${value} ?? '')` : value})`;
      const p = nullable === 'false' ? `stringSize(${value} ?? '')` : `nullableStringSize(${value})`;
      return compact === 'true' ? c : compact === 'false' ? p : `(${compact} ? ${c} : ${p})`;
    }
    case 'bytes': {
      const c = `compactBytesSize(${value})`;
      const p = `bytesSize(${value})`;
      return compact === 'true' ? c : compact === 'false' ? p : `(${compact} ? ${c} : ${p})`;
    }
    default:
      throw new Error(`no size for ${t}`);
  }
}

/** Statements adding the encoded size of a field's value to `target`. */
function sizeStmts(f: Field, value: string, compact: string, target: string, ind: string): string[] {
  const nullable = nullableCond(f);
  if (f.kind === 'primitive') return [`${ind}${target} += ${scalarSize(f.type, value, nullable, compact)};`];
  if (f.kind === 'struct') {
    const body = `size${f.type}(v, flex, ${value} ?? new${f.type}())`;
    if (nullable === 'false') return [`${ind}${target} += ${body};`];
    const withMarker = `1 + (${value} === null ? 0 : size${f.type}(v, flex, ${value}))`;
    if (nullable === 'true') return [`${ind}${target} += ${withMarker};`];
    return [`${ind}${target} += (${nullable}) ? ${withMarker} : ${body};`];
  }
  const lenSize = (n: string) => (compact === 'true' ? `uvarintSize(${n} + 1)` : compact === 'false' ? '4' : `(${compact} ? uvarintSize(${n} + 1) : 4)`);
  const elem = f.kind === 'structArray' ? `size${f.type}(v, flex, $e)` : scalarSize(f.type, '$e', 'false', compact);
  const lines = [`${ind}{`, `${ind}  const $a = ${value};`, `${ind}  if ($a === null) ${target} += ${lenSize('0')};`];
  if (/^\d+$/.test(elem)) lines.push(`${ind}  else ${target} += ${lenSize('$a.length')} + $a.length * ${elem};`);
  else {
    lines.push(`${ind}  else {`);
    lines.push(`${ind}    ${target} += ${lenSize('$a.length')};`);
    lines.push(`${ind}    for (const $e of $a) ${target} += ${elem};`);
    lines.push(`${ind}  }`);
  }
  lines.push(`${ind}}`);
  return lines;
}

// ---- struct emitters ----------------------------------------------------------------------------

function emitStruct(s: Struct, out: string[], top: boolean, flexible: VersionRange | null): void {
  const flexCond = cond(flexible);
  const fields = s.fields;
  const tagged = fields.filter((f) => f.tagged !== null && f.versions !== null).sort((a, b) => a.tag! - b.tag!);

  // interface
  out.push(`export interface ${s.name} {`);
  for (const f of fields) {
    if (f.about) out.push(`  /** ${f.about} */`);
    out.push(`  ${f.name}: ${tsType(f)};`);
  }
  out.push('}');
  out.push('');

  if (s.needsIsDefault) {
    out.push(`/** Whether every field holds its default (a tagged field equal to its default is not written). */`);
    out.push(`export function isDefault${s.name}(m: ${s.name}): boolean {`);
    out.push(`  return ${fields.length === 0 ? 'true' : fields.map((f) => `(${isDefaultExpr(f, `m.${f.name}`)})`).join(' && ')};`);
    out.push('}');
    out.push('');
  }

  // constructor with every field present
  out.push(`export function new${s.name}(p: Partial<${s.name}> = {}): ${s.name} {`);
  out.push('  return {');
  for (const f of fields) out.push(`    ${f.name}: p.${f.name} === undefined ? ${defaultExpr(f)} : p.${f.name},`);
  out.push('  };');
  out.push('}');
  out.push('');

  const sig = top ? '(r: Reader, v: number)' : '(r: Reader, v: number, flex: boolean)';
  out.push(`export function decode${s.name}${sig}: ${s.name} {`);
  if (top) out.push(`  const flex = ${flexCond};`);
  for (const f of fields) out.push(`  let ${f.name}: ${tsType(f)} = ${defaultExpr(f)};`);
  for (const f of fields) {
    const c = cond(untaggedRange(f));
    if (c === 'false') continue;
    const body = readValue(f, 'flex', c === 'true' ? '  ' : '    ', f.name);
    if (c === 'true') out.push(...body);
    else {
      out.push(`  if (${c}) {`);
      out.push(...body);
      out.push('  }');
    }
  }
  out.push('  if (flex) {');
  out.push('    const $count = r.tagCount();');
  out.push('    for (let $i = 0; $i < $count && r.error === null; $i++) {');
  out.push('      const $tag = r.uvarint();');
  out.push('      const $end = r.tagEnd(r.uvarint());');
  if (tagged.length > 0) {
    out.push('      switch ($tag) {');
    for (const f of tagged) {
      out.push(`        case ${f.tag}:`);
      out.push(`          if (${cond(f.tagged)}) {`);
      out.push(...readValue(f, 'true', '            ', f.name));
      out.push('          }');
      out.push('          break;');
    }
    out.push('        default:');
    out.push('          break;');
    out.push('      }');
  } else out.push('      void $tag;');
  out.push('      r.seek($end);');
  out.push('    }');
  out.push('  }');
  out.push(`  return { ${fields.map((f) => f.name).join(', ')} };`);
  out.push('}');
  out.push('');

  // encode
  const esig = top ? `(w: Writer, v: number, m: ${s.name})` : `(w: Writer, v: number, flex: boolean, m: ${s.name})`;
  out.push(`export function encode${s.name}${esig}: void {`);
  if (top) out.push(`  const flex = ${flexCond};`);
  for (const f of fields) {
    const c = cond(untaggedRange(f));
    if (c === 'false') continue;
    const body = writeValue(f, `m.${f.name}`, 'flex', c === 'true' ? '  ' : '    ');
    if (c === 'true') out.push(...body);
    else {
      out.push(`  if (${c}) {`);
      out.push(...body);
      out.push('  }');
    }
  }
  if (tagged.length === 0) out.push('  if (flex) w.uvarint(0);');
  else {
    out.push('  if (flex) {');
    out.push('    let $count = 0;');
    for (const f of tagged) out.push(`    const has_${f.name} = (${cond(f.tagged)}) && ${presentExpr(f)};`);
    for (const f of tagged) out.push(`    if (has_${f.name}) $count++;`);
    out.push('    w.uvarint($count);');
    for (const f of tagged) {
      out.push(`    if (has_${f.name}) {`);
      out.push(`      w.uvarint(${f.tag});`);
      out.push('      {');
      out.push('        let $s = 0;');
      out.push(...sizeStmts(f, `m.${f.name}`, 'true', '$s', '        '));
      out.push('        w.uvarint($s);');
      out.push('      }');
      out.push(...writeValue(f, `m.${f.name}`, 'true', '      '));
      out.push('    }');
    }
    out.push('  }');
  }
  out.push('}');
  out.push('');

  // size
  const ssig = top ? `(v: number, m: ${s.name})` : `(v: number, flex: boolean, m: ${s.name})`;
  out.push(`export function size${s.name}${ssig}: number {`);
  if (top) out.push(`  const flex = ${flexCond};`);
  out.push('  let $size = 0;');
  for (const f of fields) {
    const c = cond(untaggedRange(f));
    if (c === 'false') continue;
    if (c === 'true') out.push(...sizeStmts(f, `m.${f.name}`, 'flex', '$size', '  '));
    else {
      out.push(`  if (${c}) {`);
      out.push(...sizeStmts(f, `m.${f.name}`, 'flex', '$size', '    '));
      out.push('  }');
    }
  }
  if (tagged.length === 0) out.push('  if (flex) $size += 1;');
  else {
    out.push('  if (flex) {');
    out.push('    let $count = 0;');
    for (const f of tagged) {
      out.push(`    if ((${cond(f.tagged)}) && ${presentExpr(f)}) {`);
      out.push('      let $s = 0;');
      out.push(...sizeStmts(f, `m.${f.name}`, 'true', '$s', '      '));
      out.push(`      $size += uvarintSize(${f.tag}) + uvarintSize($s) + $s;`);
      out.push('      $count++;');
      out.push('    }');
    }
    out.push('    $size += uvarintSize($count);');
    out.push('  }');
  }
  out.push('  return $size;');
  out.push('}');
  out.push('');
}

/** A tagged field is written only when it differs from its default. */
function presentExpr(f: Field): string {
  return `!(${isDefaultExpr(f, `m.${f.name}`)})`;
}

/** Whether `v` (the value of field f) equals the field's default, as Kafka decides for tagged fields. */
function isDefaultExpr(f: Field, v: string): string {
  if (f.default === null || f.type === 'records') return `${v} === null`;
  // An empty array or byte string is the default; a null one is too where the field cannot be null.
  const empty = everNullable(f) ? `${v} !== null && ${v}.length === 0` : `(${v} === null || ${v}.length === 0)`;
  if (f.kind === 'primitiveArray' || f.kind === 'structArray') return empty;
  if (f.kind === 'struct') return everNullable(f) ? `${v} !== null && isDefault${f.type}(${v})` : `(${v} === null || isDefault${f.type}(${v}))`;
  if (f.type === 'uuid') return `${v}.equals(ZERO_UUID)`;
  if (f.type === 'bytes') return empty;
  return `${v} === ${defaultExpr(f)}`;
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

function collectStructs(s: Struct, into: Struct[]): void {
  for (const f of s.fields) {
    if (f.struct) {
      collectStructs(f.struct, into);
      into.push(f.struct);
    }
  }
}

/** Tagged fields exist only in flexible versions. */
function checkTagged(message: string, s: Struct, flexible: VersionRange | null): void {
  for (const f of s.fields) {
    if (f.tagged !== null && (flexible === null || f.tagged.min < flexible.min)) {
      throw new Error(`${message}: ${s.name}.${f.name} is tagged in versions that are not flexible`);
    }
    if (f.struct) checkTagged(message, f.struct, flexible);
  }
}

function closedRange(message: string, versions: string): VersionRange {
  const range = parseVersions(versions);
  if (range === null || range.max === Infinity) throw new Error(`${message}: versions must be a closed range`);
  return range;
}

/** The opening of a generated file; `up` is the path from its directory to protocol/. */
function preamble(out: string[], source: string, summary: string, up: string): void {
  out.push(`// Generated by protocol/gen/generate.ts from ${source} — do not edit.`);
  out.push(`// ${summary}`);
  out.push('/* eslint-disable */');
  out.push(
    `import { Reader, Writer, uvarintSize, stringSize, nullableStringSize, compactStringSize, bytesSize, compactBytesSize, recordsFieldSize, type Records } from '${up}primitives.js';`,
  );
  out.push(`import { EMPTY, ZERO_UUID } from '${up}codec-support.js';`);
  out.push('');
  out.push('void uvarintSize; void stringSize; void nullableStringSize; void compactStringSize; void bytesSize; void compactBytesSize; void recordsFieldSize; void EMPTY; void ZERO_UUID;');
  out.push('export type { Records };');
  out.push('');
}

/** A top-level struct with every struct inside it, innermost first. */
function emitMessage(message: string, top: Struct, out: string[], flexible: VersionRange | null): void {
  checkTagged(message, top, flexible);
  const nested: Struct[] = [];
  collectStructs(top, nested);
  for (const s of nested) emitStruct(s, out, false, flexible);
  emitStruct(top, out, true, flexible);
}

export function generateApi(decl: ApiDeclaration): string {
  const range = closedRange(decl.name, decl.versions);
  const flexible = parseVersions(decl.flexible);
  const out: string[] = [];
  preamble(out, 'protocol/apis', `${decl.name} (API key ${decl.key}), versions ${decl.versions}, flexible ${decl.flexible}.`, '../');
  out.push(`export const ${decl.name}Api = { key: ${decl.key}, name: '${decl.name}', minVersion: ${range.min}, maxVersion: ${range.max}, flexibleFrom: ${flexible ? flexible.min : -1} } as const;`);
  out.push('');
  for (const kind of ['request', 'response'] as const) emitMessage(decl.name, parseMessage(decl, kind), out, flexible);
  return out.join('\n');
}

export function generateData(decl: DataDeclaration): string {
  const n = decl.name;
  const range = closedRange(n, decl.versions);
  const flexible = parseVersions(decl.flexible);
  const readsNewer = decl.readsNewer === true;
  const out: string[] = [];
  preamble(out, 'protocol/data', `${n} (data message), versions ${decl.versions}, flexible ${decl.flexible}${readsNewer ? ', newer versions read as the latest' : ''}.`, '../../');
  if (decl.about) out.push(`/** ${decl.about} */`);
  out.push(`export const ${n}Data = { name: '${n}', minVersion: ${range.min}, maxVersion: ${range.max}, flexibleFrom: ${flexible ? flexible.min : -1}, readsNewer: ${readsNewer} } as const;`);
  out.push('');
  emitMessage(n, parseData(decl), out, flexible);
  out.push(`/** The message as Kafka stores and embeds it: an int16 version, then the message at that version. */`);
  out.push(`export function write${n}(v: number, m: ${n}): Buffer {`);
  out.push(`  if (!(Number.isInteger(v) && v >= ${range.min} && v <= ${range.max})) throw new RangeError(\`${n} has no version \${v}\`);`);
  out.push(`  const w = new Writer(2 + size${n}(v, m));`);
  out.push('  w.int16(v);');
  out.push(`  encode${n}(w, v, m);`);
  out.push('  return w.finish();');
  out.push('}');
  out.push('');
  const newer = readsNewer ? `versions above ${range.max} are read as ${range.max}` : `versions above ${range.max} are not read`;
  out.push(`/**`);
  out.push(` * Reads a version-prefixed ${n} (bytes after the message are ignored); null when the version`);
  out.push(` * is unknown (${newer}) or the bytes are malformed. \`version\` is the one in the bytes.`);
  out.push(` */`);
  out.push(`export function read${n}(b: Buffer): { version: number; message: ${n} } | null {`);
  out.push('  const r = new Reader(b);');
  out.push('  const version = r.int16();');
  out.push(`  if (r.error !== null || version < ${range.min}${readsNewer ? '' : ` || version > ${range.max}`}) return null;`);
  out.push(`  const message = decode${n}(r, ${readsNewer ? `Math.min(version, ${range.max})` : 'version'});`);
  out.push('  return r.error === null ? { version, message } : null;');
  out.push('}');
  out.push('');
  return out.join('\n');
}

function kebab(name: string): string {
  return name.replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase();
}

export function fileBaseName(decl: ApiDeclaration): string {
  return `${String(decl.key).padStart(2, '0')}-${kebab(decl.name)}`;
}

export function dataFileBaseName(decl: DataDeclaration): string {
  return kebab(decl.name);
}

export function generateDataIndex(decls: DataDeclaration[]): string {
  const sorted = [...decls].sort((a, b) => a.name.localeCompare(b.name));
  const out: string[] = [];
  out.push('// Generated by protocol/gen/generate.ts from protocol/data — do not edit.');
  for (const d of sorted) out.push(`export * from './${dataFileBaseName(d)}.js';`);
  out.push('');
  return out.join('\n');
}

export function generateIndex(decls: ApiDeclaration[]): string {
  const sorted = [...decls].sort((a, b) => a.key - b.key);
  const out: string[] = [];
  out.push('// Generated by protocol/gen/generate.ts from protocol/apis — do not edit.');
  out.push("import type { ApiCodec } from '../codec-support.js';");
  for (const d of sorted) out.push(`import * as m${d.key} from './${fileBaseName(d)}.js';`);
  out.push('');
  for (const d of sorted) out.push(`export * from './${fileBaseName(d)}.js';`);
  out.push('');
  out.push('/** Every declared API by key: versions and the codecs for both directions. */');
  out.push('export const API_CODECS: ReadonlyMap<number, ApiCodec> = new Map<number, ApiCodec>([');
  for (const d of sorted) {
    const n = d.name;
    out.push(
      `  [${d.key}, { ...m${d.key}.${n}Api, decodeRequest: m${d.key}.decode${n}Request, encodeRequest: m${d.key}.encode${n}Request as ApiCodec['encodeRequest'], sizeRequest: m${d.key}.size${n}Request as ApiCodec['sizeRequest'], newRequest: m${d.key}.new${n}Request, decodeResponse: m${d.key}.decode${n}Response, encodeResponse: m${d.key}.encode${n}Response as ApiCodec['encodeResponse'], sizeResponse: m${d.key}.size${n}Response as ApiCodec['sizeResponse'], newResponse: m${d.key}.new${n}Response }],`,
    );
  }
  out.push(']);');
  out.push('');
  return out.join('\n');
}
