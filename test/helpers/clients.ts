/**
 * Running real Kafka clients from tests: kcat (librdkafka), Debian's confluent-kafka-python and
 * kafka-python (importable from /usr/bin/python3 only), each as a child process with a timeout.
 * Python scripts live in test/compat/py and print one JSON document on stdout.
 */
import { execFile, spawn } from 'node:child_process';
import { join } from 'node:path';
import { REPO_ROOT } from './broker.js';

export const DEBIAN_PYTHON = '/usr/bin/python3';
const PY_DIR = join(REPO_ROOT, 'test', 'compat', 'py');

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function run(cmd: string, args: string[], opts: { input?: string | Buffer; timeoutMs?: number; env?: NodeJS.ProcessEnv; cwd?: string } = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, ...opts.env }, cwd: opts.cwd });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => err.push(d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${cmd} ${args.join(' ')} timed out after ${opts.timeoutMs ?? 60000} ms\nstderr: ${Buffer.concat(err).toString()}`));
    }, opts.timeoutMs ?? 60_000);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() });
    });
    if (opts.input !== undefined) child.stdin.end(opts.input);
    else child.stdin.end();
  });
}

/** Runs kcat; throws with its stderr when it exits non-zero. */
export async function kcat(args: string[], opts: { input?: string | Buffer; timeoutMs?: number } = {}): Promise<string> {
  const r = await run('kcat', args, opts);
  if (r.code !== 0) throw new Error(`kcat ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
  return r.stdout;
}

/** Runs test/compat/py/<script> with Debian's python and parses its JSON output. */
export async function python<T = unknown>(script: string, args: Record<string, unknown>, timeoutMs = 60_000): Promise<T> {
  const r = await run(DEBIAN_PYTHON, [join(PY_DIR, script), JSON.stringify(args)], { timeoutMs });
  if (r.code !== 0) throw new Error(`${script} exited ${r.code}:\n${r.stderr}\n${r.stdout}`);
  const lines = r.stdout.trim().split('\n');
  try {
    return JSON.parse(lines[lines.length - 1]!) as T;
  } catch {
    throw new Error(`${script} printed no JSON:\n${r.stdout}\n${r.stderr}`);
  }
}

export function execOk(cmd: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) =>
    execFile(cmd, args, (err, stdout, stderr) => (err ? reject(new Error(`${cmd}: ${err.message}\n${stderr}`)) : resolve(stdout))),
  );
}
