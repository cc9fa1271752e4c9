/**
 * TypeScript types and default values of generated fields: the type each field is declared with
 * in the generated interfaces, the expression of its default (what `newX()` fills in and what a
 * field absent in a version decodes as), and whether a value equals that default — Kafka writes a
 * tagged field only when it does not.
 */
import { everNullable } from './conditions.js';
import type { Field } from './model.js';

export function tsScalar(t: string): string {
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

export function tsType(f: Field): string {
  let t: string;
  if (f.kind === 'primitive') t = tsScalar(f.type);
  else if (f.kind === 'primitiveArray') t = `${tsScalar(f.type)}[]`;
  else if (f.kind === 'struct') t = f.type;
  else t = `${f.type}[]`;
  if (everNullable(f) || f.type === 'records' || f.default === null) t += ' | null';
  return t;
}

export function defaultExpr(f: Field): string {
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

/** A tagged field is written only when it differs from its default. */
export function presentExpr(f: Field): string {
  return `!(${isDefaultExpr(f, `m.${f.name}`)})`;
}

/** Whether `v` (the value of field f) equals the field's default, as Kafka decides for tagged fields. */
export function isDefaultExpr(f: Field, v: string): string {
  if (f.default === null || f.type === 'records') return `${v} === null`;
  // An empty array or byte string is the default; a null one is too where the field cannot be null.
  const empty = everNullable(f) ? `${v} !== null && ${v}.length === 0` : `(${v} === null || ${v}.length === 0)`;
  if (f.kind === 'primitiveArray' || f.kind === 'structArray') return empty;
  if (f.kind === 'struct') return everNullable(f) ? `${v} !== null && isDefault${f.type}(${v})` : `(${v} === null || isDefault${f.type}(${v}))`;
  if (f.type === 'uuid') return `${v}.equals(ZERO_UUID)`;
  if (f.type === 'bytes') return empty;
  return `${v} === ${defaultExpr(f)}`;
}
