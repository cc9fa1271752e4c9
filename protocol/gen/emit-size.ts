/**
 * Emits the size computation of one field's value — exactly the bytes the encoder writes, so a
 * Writer can be allocated once at the right size: fixed widths as constants, strings and byte
 * strings through the size helpers of protocol/primitives.ts, arrays of fixed-width elements as a
 * product rather than a loop.
 */
import { nullableCond } from './conditions.js';
import type { Field } from './model.js';

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
export function sizeStmts(f: Field, value: string, compact: string, target: string, ind: string): string[] {
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
