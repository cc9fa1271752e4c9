/**
 * Version conditions: the JavaScript expressions over the version number `v` that the generated
 * code branches on, computed from a field's version ranges and simplified to 'true' / 'false'
 * where a range covers every version or none, so that the generated code tests only what varies.
 */
import type { VersionRange } from '../schema.js';
import type { Field } from './model.js';

export function cond(r: VersionRange | null): string {
  if (r === null) return 'false';
  const parts: string[] = [];
  if (r.min > 0) parts.push(`v >= ${r.min}`);
  if (r.max !== Infinity) parts.push(`v <= ${r.max}`);
  return parts.length === 0 ? 'true' : parts.join(' && ');
}

/** The range of versions in which a field sits in the regular (untagged) body. */
export function untaggedRange(f: Field): VersionRange | null {
  if (f.versions === null) return null;
  if (f.tagged === null) return f.versions;
  // A field is either tagged or not in a given version; in Kafka's specs a tagged field is tagged
  // in every version it exists in.
  return null;
}

/** The nullable-versions condition, simplified to 'true' where it covers every version of the field. */
export function nullableCond(f: Field): string {
  const n = f.nullable;
  if (n === null) return 'false';
  const r = f.tagged ?? f.versions;
  if (r !== null && n.min <= r.min && n.max >= r.max) return 'true';
  return cond(n);
}

export function everNullable(f: Field): boolean {
  return f.nullable !== null;
}
