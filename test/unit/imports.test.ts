/**
 * The layering rules of scripts/check-imports.mjs hold for the code base (the script exits 0),
 * and the script itself works: it fails, listing them, on a tree that breaks an enforced rule,
 * reads imports the way TypeScript does (not those in comments or template strings), and finds
 * cycles.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
// @ts-expect-error a plain .mjs script without type declarations
import { findCycles, importSpecifiers } from '../../scripts/check-imports.mjs';

const ROOT = join(import.meta.dirname, '..', '..');
const SCRIPT = join(ROOT, 'scripts', 'check-imports.mjs');
const temps: string[] = [];
afterAll(() => temps.forEach((d) => rmSync(d, { recursive: true, force: true })));

function tree(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'check-imports-'));
  temps.push(root);
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

it('the code base follows every rule', () => {
  const out = execFileSync(process.execPath, [SCRIPT], { encoding: 'utf8' });
  expect(out).toContain('ok       protocol/ imports nothing of ours outside protocol/');
  expect(out).toContain('ok       src/client and src/cli (except src/cli/start.ts) import only protocol/, src/client, src/cli');
  expect(out).toContain('ok       storage/ imports only storage/ and protocol/');
  expect(out).toContain('ok       no import cycles among storage/ files');
  expect(out).toContain('ok       only entry points import src/broker.ts');
  expect(out).toContain('ok       no import cycles among src/ subsystems');
  expect(out).toContain('ok       src/cluster imports only protocol/, storage/, src/config, src/logger.ts and src/cluster');
  expect(out).toContain('ok       only src/cluster/etcd.ts loads etcd3 and cockatiel, with import()');
  expect(out).not.toContain('FAIL');
  expect(out).not.toContain('pending');
});

it('fails on a tree that breaks the rules, listing each violation', () => {
  const root = tree({
    'protocol/codec.ts': "import { log } from '../src/logger.js';\nexport const x = log;\n",
    'src/logger.ts': 'export const log = 1;\n',
    'src/broker.ts': "import { x } from '../protocol/codec.js';\nexport const broker = x;\n",
    'src/groups/records.ts': "export const r = 1;\n",
    // A subsystem importing the composition root, and a cycle between two subsystems.
    'src/groups/index.ts': "import type { broker } from '../broker.js';\nexport type B = typeof broker;\n",
    'src/txn/coordinator.ts': "import { r } from '../groups/records.js';\nexport const c = r;\n",
    'src/groups/offsets-log.ts': "import { c } from '../txn/coordinator.js';\nexport const o = c;\n",
    'src/client/consumer.ts': "import type { r } from '../groups/records.js';\nexport type R = typeof r;\n",
    'src/cli/main.ts': "export async function main() { return import('../broker.js'); }\n",
    // The broker's entry point may import the broker.
    'src/cli/start.ts': "import { broker } from '../broker.js';\nexport const b = broker;\n",
    'storage/log.ts': "import type { StorageLogger } from './logger.js';\nimport { log } from '../src/logger.js';\nexport const l: StorageLogger | number = log;\n",
    'storage/logger.ts': "export interface StorageLogger { info(msg: string): void }\n",
    'storage/segment.ts': "import { cache } from './fd-cache.js';\nexport const seg = cache;\n",
    'storage/fd-cache.ts': "import type { seg } from './segment.js';\nexport const cache = 1;\nexport type S = typeof seg;\n",
  });
  const r = spawnSync(process.execPath, [SCRIPT, '--root', root], { encoding: 'utf8' });
  expect(r.status).toBe(1);
  expect(r.stdout).toContain('FAIL     protocol/ imports nothing of ours outside protocol/');
  expect(r.stdout).toContain('protocol/codec.ts → src/logger.ts');
  expect(r.stdout).toContain('src/client/consumer.ts → src/groups/records.ts');
  expect(r.stdout).toContain('src/cli/main.ts → src/broker.ts');
  expect(r.stdout).toContain('FAIL     only entry points import src/broker.ts');
  expect(r.stdout).toContain('src/groups/index.ts → src/broker.ts');
  expect(r.stdout).toContain('FAIL     no import cycles among src/ subsystems');
  expect(r.stdout).toContain('src/groups ↔ src/txn');
  expect(r.stdout).not.toContain('src/cli/start.ts →');
  expect(r.stdout).toContain('FAIL     storage/ imports only storage/ and protocol/');
  expect(r.stdout).toContain('storage/log.ts → src/logger.ts');
  expect(r.stdout).toContain('FAIL     no import cycles among storage/ files');
  expect(r.stdout).toContain('storage/fd-cache.ts ↔ storage/segment.ts');
});

it('fails when cluster code imports a handler, or etcd3 is loaded outside src/cluster/etcd.ts or statically', () => {
  const root = tree({
    'src/handlers/types.ts': 'export const t = 1;\n',
    'src/logger.ts': 'export const log = 1;\n',
    'src/cluster/topic-store.ts': "import { t } from '../handlers/types.js';\nimport { log } from '../logger.js';\nexport const s = t + log;\n",
    // etcd.ts may name etcd3's types and import() it; a static import loads it with the module.
    'src/cluster/etcd.ts': "import type * as E from 'etcd3';\nimport { circuitBreaker } from 'cockatiel';\nexport const load = () => import('etcd3');\nexport type T = typeof E;\nexport const c = circuitBreaker;\n",
    'src/cluster/election.ts': "export const e = () => import('etcd3/lib/election');\n",
    'src/broker.ts': "import type { Etcd3 } from 'etcd3';\nexport type B = Etcd3;\n",
  });
  const r = spawnSync(process.execPath, [SCRIPT, '--root', root], { encoding: 'utf8' });
  expect(r.status).toBe(1);
  expect(r.stdout).toContain('FAIL     src/cluster imports only protocol/, storage/, src/config, src/logger.ts and src/cluster');
  expect(r.stdout).toContain('src/cluster/topic-store.ts → src/handlers/types.ts');
  expect(r.stdout).not.toContain('src/cluster/topic-store.ts → src/logger.ts');
  expect(r.stdout).toContain('FAIL     only src/cluster/etcd.ts loads etcd3 and cockatiel, with import()');
  expect(r.stdout).toContain('src/cluster/etcd.ts → cockatiel (static: load it with import())');
  expect(r.stdout).toContain('src/cluster/election.ts → etcd3 (dynamic)');
  expect(r.stdout).not.toContain('src/cluster/etcd.ts → etcd3');
  expect(r.stdout).not.toContain('src/broker.ts → etcd3');
});

it('fails on an import that names no file (the script misread something)', () => {
  const root = tree({ 'src/a.ts': "import { b } from './b.js';\nexport const a = b;\n" });
  const r = spawnSync(process.execPath, [SCRIPT, '--root', root], { encoding: 'utf8' });
  expect(r.status).toBe(1);
  expect(r.stdout).toContain('src/a.ts → ./b.js');
});

describe('reading imports', () => {
  it('finds static, type-only, re-export, side-effect and dynamic imports', () => {
    const src = [
      "import { a, type B } from './a.js';",
      "import type { C } from './c.js';",
      "import * as d from './d.js';",
      "import e, {\n  f,\n  g as h,\n} from './e.js';",
      "import './side-effect.js';",
      "export { i } from './i.js';",
      "export * from './j.js';",
      "const k = await import('./k.js');",
      "import { l } from 'some-package';",
    ].join('\n');
    expect(importSpecifiers(src)).toEqual(['./a.js', './c.js', './d.js', './e.js', './side-effect.js', './i.js', './j.js', 'some-package', './k.js']);
  });

  it('ignores imports in comments, template strings and regular expressions', () => {
    const src = [
      "// import { x } from './commented.js';",
      "/* import('./block.js') */",
      ' * import { y } from "./doc.js";',
      "const gen = `import { z } from '${dir}/templated.js'; ${`import('./nested.js')`}`;",
      "const re = /import '(x)'/g; const half = 1 / 2; const s = '/* not a comment */';",
      "import { real } from './real.js';",
    ].join('\n');
    expect(importSpecifiers(src)).toEqual(['./real.js']);
  });
});

describe('findCycles', () => {
  const g = (edges: Record<string, string[]>) => new Map(Object.entries(edges).map(([k, v]) => [k, new Set(v)]));

  it('returns each strongly connected component with more than one node', () => {
    expect(findCycles(g({ a: ['b'], b: ['c'], c: ['a', 'd'], d: ['e'], e: ['d'], f: ['a'] }))).toEqual([
      ['a', 'b', 'c'],
      ['d', 'e'],
    ]);
  });

  it('finds none in a DAG, and a self-loop as a cycle', () => {
    expect(findCycles(g({ a: ['b', 'c'], b: ['c'], c: [] }))).toEqual([]);
    expect(findCycles(g({ a: ['a'] }))).toEqual([['a']]);
  });

  it('handles long chains without recursion', () => {
    const edges: Record<string, string[]> = {};
    for (let i = 0; i < 50_000; i++) edges[`n${i}`] = [`n${i + 1}`];
    edges.n50000 = ['n0'];
    expect(findCycles(g(edges))[0]).toHaveLength(50_001);
  });
});
