/**
 * Writes protocol/generated/ from the declarations in protocol/apis/ (`npm run gen`).
 * test/unit/protocol/drift.test.ts regenerates in memory and fails if the committed files differ.
 */
import { readdirSync, writeFileSync, mkdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { ApiDeclaration } from '../schema.js';
import { fileBaseName, generateApi, generateIndex } from './codegen.js';

const protocolDir = join(dirname(fileURLToPath(import.meta.url)), '..');

export async function loadDeclarations(): Promise<ApiDeclaration[]> {
  const dir = join(protocolDir, 'apis');
  const files = readdirSync(dir).filter((f) => /^\d\d-.*\.ts$/.test(f)).sort();
  const decls: ApiDeclaration[] = [];
  for (const f of files) {
    const mod = (await import(pathToFileURL(join(dir, f)).href)) as { default: ApiDeclaration };
    const expected = fileBaseName(mod.default);
    if (`${expected}.ts` !== f) throw new Error(`protocol/apis/${f} should be named ${expected}.ts`);
    decls.push(mod.default);
  }
  return decls;
}

/** File name → contents of everything in protocol/generated/. */
export async function generateAll(): Promise<Map<string, string>> {
  const decls = await loadDeclarations();
  const files = new Map<string, string>();
  for (const d of decls) files.set(`${fileBaseName(d)}.ts`, generateApi(d));
  files.set('index.ts', generateIndex(decls));
  return files;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const out = join(protocolDir, 'generated');
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  const files = await generateAll();
  for (const [name, text] of files) writeFileSync(join(out, name), text);
  console.log(`wrote ${files.size} files to protocol/generated`);
}
