#!/usr/bin/env node
/**
 * Checks which parts of the code base may import which (the layering of DESIGN.md §1):
 *
 *   node scripts/check-imports.mjs [--root DIR] [--verbose]
 *
 * Walks the TypeScript sources under protocol/, storage/ and src/, collects every relative import
 * (static, `export ... from`, `import type`, dynamic `import('...')`), and checks the rules in
 * RULES below. An enforced rule with violations fails the run (exit 1) with the list; a pending
 * rule (one the code does not follow yet) only prints its count (--verbose lists them). Imports of
 * packages and node: builtins are not checked. An import that resolves to no file fails the run:
 * it means this script misread something.
 *
 * To add a rule, append to RULES: `onlyImports(from, may)` for "files matching `from` import only
 * files matching one of `may`", `noImportsOf(target, except)` for "only `except` import `target`",
 * `noCycles(groupOf)` for "no import cycles among the groups files fall into",
 * `packageLoadedOnlyBy(names, file)` for "only `file` loads these packages, and lazily", or any
 * function (graph, packages) => ["a.ts → b.ts", ...] (packages: file → [{ spec, kind }], kind
 * 'static', 'type' or 'dynamic').
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

// ---- rules ----------------------------------------------------------------------------------------

/** A path predicate: under('src/client/') matches everything in that directory. */
export const under = (prefix) => (file) => file.startsWith(prefix);
export const is = (path) => (file) => file === path;
const any = (preds) => (file) => preds.some((p) => p(file));
const all = (...preds) => (file) => preds.every((p) => p(file));
const not = (pred) => (file) => !pred(file);

/** Files matching `from` may import only files matching one of `may`. */
export function onlyImports(from, may) {
  const allowed = any(may);
  return (graph) => {
    const out = [];
    for (const [file, deps] of graph) if (from(file)) for (const d of deps) if (!allowed(d)) out.push(`${file} → ${d}`);
    return out;
  };
}

/** Files matching `target` may be imported only by files matching `except` (and by each other). */
export function noImportsOf(target, except) {
  return (graph) => {
    const out = [];
    for (const [file, deps] of graph) if (!target(file) && !except(file)) for (const d of deps) if (target(d)) out.push(`${file} → ${d}`);
    return out;
  };
}

/** No import cycles among the groups that `groupOf` puts files in (files it maps to null are left out). */
export function noCycles(groupOf) {
  return (graph) => findCycles(groupGraph(graph, groupOf)).map((c) => c.join(' ↔ '));
}

/**
 * Packages `names` are loaded only by `file`, and there only with a dynamic import() (type-only
 * imports are erased, so they load nothing): whoever does not call into `file` never loads them.
 */
export function packageLoadedOnlyBy(names, file) {
  const wanted = new Set(names);
  return (_graph, packages) => {
    const out = [];
    for (const [from, specs] of packages) {
      for (const { spec, kind } of specs) {
        if (!wanted.has(spec) || kind === 'type') continue;
        if (from !== file) out.push(`${from} → ${spec} (${kind})`);
        else if (kind !== 'dynamic') out.push(`${from} → ${spec} (static: load it with import())`);
      }
    }
    return out;
  };
}

/** src/<dir>/... → src/<dir>; src/<file>.ts → src/<file>; anything else → null. */
export function srcSubsystem(file) {
  const m = /^src\/([^/]+?)(\/|\.ts$)/.exec(file);
  return m ? `src/${m[1]}` : null;
}

const CLIENT_SIDE = any([under('src/client/'), under('src/cli/')]);
/** The broker's entry point (`runnel start`): it may import the broker and its config. */
const START = is('src/cli/start.ts');
const ENTRY_POINTS = any([is('src/index.ts'), is('src/cli.ts'), START]);

export const RULES = [
  {
    name: 'protocol/ imports nothing of ours outside protocol/',
    why: 'the wire format is shared by the broker, the bundled client and tools',
    enforce: true,
    check: onlyImports(under('protocol/'), [under('protocol/')]),
  },
  {
    name: 'src/client and src/cli (except src/cli/start.ts) import only protocol/, src/client, src/cli',
    why: 'the bundled Kafka client and CLI talk to any Kafka broker; they must not load ours',
    enforce: true,
    check: onlyImports(all(CLIENT_SIDE, not(START)), [under('protocol/'), under('src/client/'), under('src/cli/')]),
  },
  {
    name: 'storage/ imports only storage/ and protocol/',
    why: 'bytes on disk know nothing of the broker (it passes its logger in: storage/logger.ts)',
    enforce: true,
    check: onlyImports(under('storage/'), [under('storage/'), under('protocol/')]),
  },
  {
    name: 'no import cycles among storage/ files',
    why: 'each storage module can be read and tested on top of the ones it imports',
    enforce: true,
    check: noCycles((file) => (file.startsWith('storage/') ? file : null)),
  },
  {
    name: 'only entry points import src/broker.ts',
    why: 'src/broker.ts is the composition root: subsystems get what they need passed in (ports), not the whole broker',
    enforce: true,
    check: noImportsOf(is('src/broker.ts'), ENTRY_POINTS),
  },
  {
    name: 'no import cycles among src/ subsystems',
    why: 'each subsystem (a directory under src/, or a top-level src/*.ts file) can be understood and tested on top of the ones below it',
    enforce: true,
    check: noCycles(srcSubsystem),
  },
  {
    name: 'src/cluster imports only protocol/, storage/, src/config, src/logger.ts and src/cluster',
    why: 'cluster metadata (etcd) sits below the broker: request handlers and subsystems use it through ports, never the reverse',
    enforce: true,
    check: onlyImports(under('src/cluster/'), [under('protocol/'), under('storage/'), under('src/config/'), is('src/logger.ts'), under('src/cluster/')]),
  },
  {
    name: 'only src/cluster/etcd.ts loads etcd3 and cockatiel, with import()',
    why: 'a single broker (no runnel.etcd.endpoints) must not load etcd3 and gRPC at all',
    enforce: true,
    check: packageLoadedOnlyBy(['etcd3', 'cockatiel'], 'src/cluster/etcd.ts'),
  },
];

// ---- cycles -----------------------------------------------------------------------------------------

/** The graph between groups of files (edges inside a group dropped). */
export function groupGraph(graph, groupOf) {
  const out = new Map();
  for (const [file, deps] of graph) {
    const g = groupOf(file);
    if (g === null) continue;
    if (!out.has(g)) out.set(g, new Set());
    for (const d of deps) {
      const h = groupOf(d);
      if (h !== null && h !== g) out.get(g).add(h);
    }
  }
  return out;
}

/**
 * The cycles of a directed graph (Map node → Set of nodes): its strongly connected components
 * with more than one node, or one node with an edge to itself; each sorted, the list sorted.
 * Tarjan's algorithm, iterative (no recursion limit on deep graphs).
 */
export function findCycles(graph) {
  const index = new Map();
  const low = new Map();
  const onStack = new Set();
  const stack = [];
  const cycles = [];
  let next = 0;
  const succ = (n) => [...(graph.get(n) ?? [])];
  for (const root of graph.keys()) {
    if (index.has(root)) continue;
    const work = [[root, succ(root), 0]];
    index.set(root, next);
    low.set(root, next++);
    stack.push(root);
    onStack.add(root);
    while (work.length > 0) {
      const frame = work[work.length - 1];
      const [node, edges] = frame;
      if (frame[2] < edges.length) {
        const m = edges[frame[2]++];
        if (!index.has(m)) {
          index.set(m, next);
          low.set(m, next++);
          stack.push(m);
          onStack.add(m);
          work.push([m, succ(m), 0]);
        } else if (onStack.has(m)) low.set(node, Math.min(low.get(node), index.get(m)));
        continue;
      }
      work.pop();
      if (work.length > 0) {
        const parent = work[work.length - 1][0];
        low.set(parent, Math.min(low.get(parent), low.get(node)));
      }
      if (low.get(node) === index.get(node)) {
        const scc = [];
        let m;
        do {
          m = stack.pop();
          onStack.delete(m);
          scc.push(m);
        } while (m !== node);
        if (scc.length > 1 || graph.get(node)?.has(node)) cycles.push(scc.sort());
      }
    }
  }
  return cycles.sort((a, b) => a[0].localeCompare(b[0]));
}

// ---- reading imports ------------------------------------------------------------------------------

/**
 * The source with comments and template literals blanked (newlines kept), so that only real
 * import statements remain to be matched. String literals are kept (they hold the specifiers).
 * A `/` starts a regular expression where an operand is expected, as JavaScript's grammar has it.
 */
export function blankCommentsAndTemplates(src) {
  const out = src.split('');
  const blank = (from, to) => {
    for (let k = from; k < to; k++) if (out[k] !== '\n') out[k] = ' ';
  };
  let i = 0;
  /** Scans code until the `}` closing a template's `${` (depth > 0) or the end. */
  function code(depth) {
    let prev = '';
    while (i < src.length) {
      const c = src[i];
      if (c === '/' && src[i + 1] === '/') {
        const end = src.indexOf('\n', i);
        const stop = end < 0 ? src.length : end;
        blank(i, stop);
        i = stop;
      } else if (c === '/' && src[i + 1] === '*') {
        const end = src.indexOf('*/', i + 2);
        const stop = end < 0 ? src.length : end + 2;
        blank(i, stop);
        i = stop;
      } else if (c === '/' && regexAllowed(prev)) {
        i = skipRegex(i);
        prev = 'x';
      } else if (c === "'" || c === '"') {
        i = skipString(i, c);
        prev = 'x';
      } else if (c === '`') {
        const start = i;
        template();
        blank(start, i);
        prev = 'x';
      } else {
        if (c === '{') depth += depth > 0 ? 1 : 0;
        if (c === '}' && depth > 0 && --depth === 0) {
          i++;
          return;
        }
        if (!/\s/.test(c)) prev = /[\w$]/.test(c) ? wordEndingAt(i) : c;
        i++;
      }
    }
  }
  function template() {
    i++;
    while (i < src.length && src[i] !== '`') {
      if (src[i] === '\\') i += 2;
      else if (src[i] === '$' && src[i + 1] === '{') {
        i += 2;
        code(1);
      } else i++;
    }
    i++;
  }
  function skipString(at, quote) {
    let k = at + 1;
    while (k < src.length && src[k] !== quote && src[k] !== '\n') k += src[k] === '\\' ? 2 : 1;
    return k + 1;
  }
  function skipRegex(at) {
    let k = at + 1;
    let inClass = false;
    while (k < src.length && src[k] !== '\n') {
      const c = src[k];
      if (c === '\\') k++;
      else if (c === '[') inClass = true;
      else if (c === ']') inClass = false;
      else if (c === '/' && !inClass) break;
      k++;
    }
    k++;
    while (k < src.length && /[a-z]/.test(src[k])) k++;
    return k;
  }
  function wordEndingAt(k) {
    let s = k;
    while (s > 0 && /[\w$]/.test(src[s - 1])) s--;
    let e = k;
    while (e < src.length && /[\w$]/.test(src[e])) e++;
    return src.slice(s, e);
  }
  code(0);
  return out.join('');
}

const REGEX_AFTER_WORD = new Set(['return', 'typeof', 'instanceof', 'in', 'of', 'new', 'delete', 'void', 'throw', 'case', 'do', 'else', 'yield', 'await']);

function regexAllowed(prev) {
  if (prev === '') return true;
  if (/^[\w$]/.test(prev)) return REGEX_AFTER_WORD.has(prev);
  return !/[)\]}]/.test(prev);
}

const STATIC_IMPORT = /(?:^|[;}\n])\s*(?:import|export)\s+(type\s+)?(?:[\w$*{}\s,]+?\s+from\s*)?['"]([^'"\n]+)['"]/g;
const DYNAMIC_IMPORT = /\bimport\s*\(\s*['"]([^'"\n]+)['"]\s*\)/g;

/** The module specifiers a source file imports. */
export function importSpecifiers(src) {
  return importsWithKinds(src).map((i) => i.spec);
}

/** The module specifiers a source file imports, each with its kind: 'static', 'type' (erased) or 'dynamic'. */
export function importsWithKinds(src) {
  const text = blankCommentsAndTemplates(src);
  const out = [];
  for (const m of text.matchAll(STATIC_IMPORT)) out.push({ spec: m[2], kind: m[1] ? 'type' : 'static' });
  for (const m of text.matchAll(DYNAMIC_IMPORT)) out.push({ spec: m[1], kind: 'dynamic' });
  return out;
}

// ---- the graph ------------------------------------------------------------------------------------

const SOURCE_DIRS = ['protocol', 'storage', 'src'];

function walk(dir, into) {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) {
      if (e.name !== 'node_modules') walk(p, into);
    } else if (/\.(ts|mts)$/.test(e.name) && !e.name.endsWith('.d.ts')) into.push(p);
  }
}

/** A relative specifier → the repo-relative file it names (`.js` written for `.ts`, as NodeNext has it). */
function resolveSpecifier(root, fromFile, spec) {
  const base = resolve(root, dirname(fromFile), spec);
  const candidates = [base.replace(/\.js$/, '.ts'), base.replace(/\.mjs$/, '.mts'), base, `${base}.ts`, join(base, 'index.ts')];
  for (const c of candidates) if (existsSync(c) && statSync(c).isFile()) return relative(root, c).split(sep).join('/');
  return null;
}

/** Map of repo-relative file → the repo-relative files it imports; plus imports that name no file. */
export function importGraph(root) {
  const files = [];
  for (const d of SOURCE_DIRS) if (existsSync(join(root, d))) walk(join(root, d), files);
  const graph = new Map();
  const packages = new Map();
  const unresolved = [];
  let imports = 0;
  for (const abs of files.sort()) {
    const file = relative(root, abs).split(sep).join('/');
    const deps = new Set();
    const pkgs = [];
    for (const { spec, kind } of importsWithKinds(readFileSync(abs, 'utf8'))) {
      if (!spec.startsWith('.')) {
        if (!spec.startsWith('node:')) pkgs.push({ spec: spec.split('/').slice(0, spec.startsWith('@') ? 2 : 1).join('/'), kind });
        continue;
      }
      imports++;
      const target = resolveSpecifier(root, file, spec);
      if (target === null) unresolved.push(`${file} → ${spec}`);
      else deps.add(target);
    }
    graph.set(file, deps);
    packages.set(file, pkgs);
  }
  return { graph, packages, unresolved, imports };
}

// ---- main -----------------------------------------------------------------------------------------

/** Runs every rule; returns the report lines and whether an enforced rule failed. */
export function checkImports(root, { verbose = false } = {}) {
  const { graph, packages, unresolved, imports } = importGraph(root);
  const lines = [`check-imports: ${graph.size} files, ${imports} relative imports`];
  let failed = false;
  if (unresolved.length > 0) {
    failed = true;
    lines.push(`FAIL     imports that name no file (${unresolved.length}):`, ...unresolved.map((v) => `           ${v}`));
  }
  for (const rule of RULES) {
    const violations = rule.check(graph, packages);
    if (violations.length === 0) {
      lines.push(`ok       ${rule.name}`);
    } else if (rule.enforce) {
      failed = true;
      lines.push(`FAIL     ${rule.name} (${rule.why}): ${violations.length} violation${violations.length === 1 ? '' : 's'}`, ...violations.map((v) => `           ${v}`));
    } else {
      lines.push(`pending  ${rule.name}: ${violations.length} violation${violations.length === 1 ? '' : 's'}`);
      if (verbose) lines.push(...violations.map((v) => `           ${v}`));
    }
  }
  return { lines, failed };
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const args = process.argv.slice(2);
  const rootAt = args.indexOf('--root');
  const root = rootAt >= 0 ? resolve(args[rootAt + 1]) : resolve(dirname(fileURLToPath(import.meta.url)), '..');
  const { lines, failed } = checkImports(root, { verbose: args.includes('--verbose') });
  console.log(lines.join('\n'));
  process.exitCode = failed ? 1 : 0;
}
