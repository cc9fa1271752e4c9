/**
 * Emits the encoding of one field's value: the Writer calls for its type in the current version,
 * with null written as empty (or the default struct) where a version cannot carry null, as Kafka
 * does, and arrays written with their length prefix (int32, or uvarint length + 1 when compact).
 */
import { nullableCond } from './conditions.js';
import type { Field } from './model.js';

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

export function writeValue(f: Field, value: string, compact: string, ind: string): string[] {
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
