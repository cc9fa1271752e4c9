/**
 * protocol/generated/ must be exactly what the generator makes from protocol/apis/ and
 * protocol/data/ today.
 * On failure: run `npm run gen` and commit the result with the declaration change.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { generateAll } from '../../../protocol/gen/generate.js';

const dir = join(dirname(fileURLToPath(import.meta.url)), '../../../protocol/generated');
const expected = await generateAll();

/** The first differing line, for a readable failure. */
function firstDifference(want: string, got: string): string {
  const a = want.split('\n');
  const b = got.split('\n');
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    if (a[i] !== b[i]) return `line ${i + 1}: generator says ${JSON.stringify(a[i])}, file has ${JSON.stringify(b[i])}`;
  }
  return 'no line differs';
}

describe('protocol/generated is up to date with protocol/apis and protocol/data', () => {
  it('has no stale or missing files', () => {
    const onDisk = (readdirSync(dir, { recursive: true }) as string[]).map((f) => f.split(sep).join('/')).filter((f) => f.endsWith('.ts')).sort();
    const missing = [...expected.keys()].filter((f) => !onDisk.includes(f));
    const extra = onDisk.filter((f) => !expected.has(f));
    expect({ missing, extra }, 'protocol/generated differs from the declarations: run `npm run gen`').toEqual({ missing: [], extra: [] });
  });

  it.each([...expected.keys()].sort())('%s matches the generator output', (name) => {
    let onDisk: string | null = null;
    try {
      onDisk = readFileSync(join(dir, name), 'utf8');
    } catch {
      onDisk = null;
    }
    const want = expected.get(name)!;
    if (onDisk !== want) {
      const why = onDisk === null ? 'is missing' : `differs (${firstDifference(want, onDisk)})`;
      expect.fail(`protocol/generated/${name} ${why}: run \`npm run gen\` and commit the result`);
    }
  });
});
