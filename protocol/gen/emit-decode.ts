/**
 * Emits the decoding of one field's value: the Reader calls for its type in the current version
 * (compact or not, nullable or not; conditions folded where the version decides them), nested
 * struct decoders, and arrays read element by element, stopping at the Reader's sticky error.
 */
import { nullableCond } from './conditions.js';
import { tsScalar } from './emit-types.js';
import type { Field } from './model.js';

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

export function readValue(f: Field, compact: string, ind: string, target: string): string[] {
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
