/**
 * Writes protocol/generated/ from the declarations in protocol/apis/ and protocol/data/
 * (`npm run gen`). test/unit/protocol/drift.test.ts regenerates in memory and fails if the
 * committed files differ.
 */
import { readdirSync, writeFileSync, mkdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { ApiDeclaration, DataDeclaration } from '../schema.js';
import { dataFileBaseName, fileBaseName, generateApi, generateData, generateDataIndex, generateIndex } from './codegen.js';

const protocolDir = join(dirname(fileURLToPath(import.meta.url)), '..');

/** The default exports of the .ts files in protocol/<sub>/ matching `pattern`, each checked to be named `expectedName(decl)`.ts. */
async function loadDir<T>(sub: string, pattern: RegExp, expectedName: (decl: T) => string): Promise<T[]> {
  const dir = join(protocolDir, sub);
  const files = readdirSync(dir).filter((f) => pattern.test(f)).sort();
  const decls: T[] = [];
  for (const f of files) {
    const mod = (await import(pathToFileURL(join(dir, f)).href)) as { default: T };
    const expected = expectedName(mod.default);
    if (`${expected}.ts` !== f) throw new Error(`protocol/${sub}/${f} should be named ${expected}.ts`);
    decls.push(mod.default);
  }
  return decls;
}

export function loadDeclarations(): Promise<ApiDeclaration[]> {
  return loadDir('apis', /^\d\d-.*\.ts$/, fileBaseName);
}

export function loadDataDeclarations(): Promise<DataDeclaration[]> {
  return loadDir('data', /^[a-z][a-z0-9-]*\.ts$/, dataFileBaseName);
}

/** Path relative to protocol/generated/ → contents, for everything in protocol/generated/. */
export async function generateAll(): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  const decls = await loadDeclarations();
  for (const d of decls) files.set(`${fileBaseName(d)}.ts`, generateApi(d));
  files.set('index.ts', generateIndex(decls));
  const data = await loadDataDeclarations();
  for (const d of data) files.set(`data/${dataFileBaseName(d)}.ts`, generateData(d));
  files.set('data/index.ts', generateDataIndex(data));
  return files;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const out = join(protocolDir, 'generated');
  rmSync(out, { recursive: true, force: true });
  const files = await generateAll();
  for (const [name, text] of files) {
    mkdirSync(dirname(join(out, name)), { recursive: true });
    writeFileSync(join(out, name), text);
  }
  console.log(`wrote ${files.size} files to protocol/generated`);
}
