/**
 * Round-trips every version of every declared API, both directions.
 *
 * Messages are built by walking the declaration (parseMessage from the generator), so a field added
 * to a declaration is exercised without touching this file. For each (API, direction, version) and
 * each fill mode (every field set / nulls and empty arrays / a random mix):
 *   - size() equals the encoded length;
 *   - decode(encode(m)) consumes every byte with no error and equals m, where fields absent from
 *     the version hold their defaults;
 *   - fields absent from the version are ignored by encode and size (filled with junk, same bytes);
 *   - re-encoding the decoded message gives identical bytes;
 *   - every truncation (a sample for big messages) sets r.error and never throws.
 */
import { describe, expect, it } from 'vitest';
import { parseMessage } from '../../../protocol/gen/codegen.js';
import { loadDeclarations } from '../../../protocol/gen/generate.js';
import * as G from '../../../protocol/generated/index.js';
import { API_CODECS } from '../../../protocol/generated/index.js';
import { parseVersions } from '../../../protocol/schema.js';
import { MODES, mulberry32, roundTrip, side, taggedFields, taggedSet, type Ctx } from './roundtrip-kit.js';

const decls = await loadDeclarations();
const lib = G as unknown as Record<string, unknown>;

let seed = 1;
let messages = 0;
const taggedSeen = new Set<string>();

describe.each(decls.map((d) => [`${String(d.key).padStart(2, '0')} ${d.name}`, d] as const))('%s', (_label, decl) => {
  const codec = API_CODECS.get(decl.key)!;
  const range = parseVersions(decl.versions)!;
  const versions = Array.from({ length: range.max - range.min + 1 }, (_, i) => range.min + i);

  it('is registered in API_CODECS with its declared versions', () => {
    expect(codec).toBeDefined();
    expect(codec.name).toBe(decl.name);
    expect([codec.minVersion, codec.maxVersion]).toEqual([range.min, range.max]);
    const flex = parseVersions(decl.flexible);
    expect(codec.flexibleFrom).toBe(flex ? flex.min : -1);
  });

  for (const kind of ['request', 'response'] as const) {
    const struct = parseMessage(decl, kind);
    const s = side(codec, kind);
    it.each(versions)(`${kind} v%i round-trips`, (v) => {
      for (const mode of MODES) {
        for (let rep = 0; rep < (mode === 'mixed' ? 4 : 1); rep++) {
          const ctx: Ctx = { rnd: mulberry32(seed++), v, mode, lib };
          const clean = roundTrip(struct, s, ctx, `${decl.name} ${kind} v${v} ${mode}#${rep}`);
          taggedSet(struct, clean, v, decl.name, lib, taggedSeen);
          messages++;
        }
      }
    });
  }
});

describe('coverage', () => {
  it('exercised every tagged field with a value set', () => {
    const all: string[] = [];
    for (const d of decls) {
      const max = parseVersions(d.versions)!.max;
      for (const kind of ['request', 'response'] as const) taggedFields(parseMessage(d, kind), d.name, max, all);
    }
    expect(all.length).toBeGreaterThan(0);
    expect(all.filter((t) => !taggedSeen.has(t))).toEqual([]);
    expect(messages).toBeGreaterThan(1000);
  });
});
