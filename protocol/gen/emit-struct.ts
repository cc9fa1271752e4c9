/**
 * Emits everything for one struct — its interface, `isDefaultX` (when it sits in a tagged field),
 * `newX()` with every field present, and straight-line `decodeX` / `encodeX` / `sizeX` — and for a
 * whole message, each nested struct before the struct that holds it. Top-level structs compute
 * `flex` from the version; nested ones receive it. Tagged fields are read by tag in a switch and
 * written in tag order, each only when it differs from its default.
 */
import type { VersionRange } from '../schema.js';
import { cond, untaggedRange } from './conditions.js';
import { readValue } from './emit-decode.js';
import { writeValue } from './emit-encode.js';
import { sizeStmts } from './emit-size.js';
import { defaultExpr, isDefaultExpr, presentExpr, tsType } from './emit-types.js';
import { checkTagged, type Struct } from './model.js';

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

function collectStructs(s: Struct, into: Struct[]): void {
  for (const f of s.fields) {
    if (f.struct) {
      collectStructs(f.struct, into);
      into.push(f.struct);
    }
  }
}

/** A top-level struct with every struct inside it, innermost first. */
export function emitMessage(message: string, top: Struct, out: string[], flexible: VersionRange | null): void {
  checkTagged(message, top, flexible);
  const nested: Struct[] = [];
  collectStructs(top, nested);
  for (const s of nested) emitStruct(s, out, false, flexible);
  emitStruct(top, out, true, flexible);
}
