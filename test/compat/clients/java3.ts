/**
 * The Java harness built against Apache Kafka's 3.x clients (test/java/kafka3: runnel.Produce,
 * runnel.Consume and runnel.Admin3), for test/compat/clients-java3.test.ts.
 *
 *   await ensureJava3Built();   // mvn -o package in test/java/kafka3 (online if ~/.m2 lacks something)
 *   const r = await runJava3('Produce', ['--bootstrap', b, '--topic', 't']);   // r.json: last line
 *
 * test/java/setup.sh pre-fetches its dependencies (CI). A marker in target/ holds a hash of the
 * pom and the sources it compiles, so an unchanged tree is not rebuilt.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { run } from '../../helpers/clients.js';
import { JAVA_DIR, JVM_FLAGS } from '../../helpers/java.js';

export const KAFKA3_DIR = join(JAVA_DIR, 'kafka3');
const TARGET = join(KAFKA3_DIR, 'target');
const MARKER = join(TARGET, '.runnel-build');
const CLASSPATH_FILE = join(TARGET, 'classpath.txt');
/** The 4.x harness sources this module compiles too (see its pom.xml). */
const SHARED = ['Cli.java', 'Json.java', 'Produce.java', 'Consume.java'].map((f) => join(JAVA_DIR, 'src', 'main', 'java', 'runnel', f));

function sourceHash(): string {
  const h = createHash('sha256');
  const own = join(KAFKA3_DIR, 'src', 'main', 'java', 'runnel');
  const files = [join(KAFKA3_DIR, 'pom.xml'), ...SHARED, ...readdirSync(own).sort().map((f) => join(own, f))];
  for (const f of files) h.update(f).update('\0').update(readFileSync(f)).update('\0');
  return h.digest('hex');
}

function isBuilt(hash: string): boolean {
  if (!existsSync(MARKER) || !existsSync(CLASSPATH_FILE) || readFileSync(MARKER, 'utf8').trim() !== hash) return false;
  return readFileSync(CLASSPATH_FILE, 'utf8').trim().split(':').every((jar) => jar !== '' && existsSync(jar));
}

let built: Promise<void> | null = null;

export function ensureJava3Built(): Promise<void> {
  built ??= (async () => {
    const hash = sourceHash();
    if (isBuilt(hash)) return;
    const goals = ['-q', '-B', '-f', join(KAFKA3_DIR, 'pom.xml'), 'package', 'dependency:build-classpath', `-Dmdep.outputFile=${CLASSPATH_FILE}`, '-DskipTests'];
    let r = await run('mvn', ['-o', ...goals], { timeoutMs: 10 * 60_000 });
    if (r.code !== 0) r = await run('mvn', goals, { timeoutMs: 10 * 60_000 });
    if (r.code !== 0) throw new Error(`mvn package failed in ${KAFKA3_DIR} (exit ${r.code}):\n${r.stdout}\n${r.stderr}`);
    mkdirSync(TARGET, { recursive: true });
    writeFileSync(MARKER, hash + '\n');
  })();
  built.catch(() => (built = null));
  return built;
}

export interface Java3Result {
  code: number | null;
  stdout: string;
  stderr: string;
  json: any;
}

/** Runs runnel.<Main> with the 3.x classpath; resolves with the exit code and the last JSON line. */
export async function runJava3(main: string, args: string[], timeoutMs = 90_000): Promise<Java3Result> {
  await ensureJava3Built();
  const cp = [join(TARGET, 'classes'), readFileSync(CLASSPATH_FILE, 'utf8').trim()].join(':');
  const r = await run('java', [...JVM_FLAGS, '-cp', cp, `runnel.${main}`, ...args], { timeoutMs });
  const lines = r.stdout.trim().split('\n');
  let json: any;
  try {
    json = JSON.parse(lines[lines.length - 1]!);
  } catch {
    json = undefined;
  }
  return { ...r, json };
}

/** Like runJava3, but throws (with stderr) unless the program exits 0. */
export async function runJava3Ok(main: string, args: string[], timeoutMs?: number): Promise<any> {
  const r = await runJava3(main, args, timeoutMs);
  if (r.code !== 0) throw new Error(`${main} ${args.join(' ')} exited ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr.slice(-4000)}`);
  return r.json;
}
