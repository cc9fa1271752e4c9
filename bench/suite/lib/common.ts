/**
 * Shared plumbing of the benchmark suite (bench/suite/): where things are, child processes that
 * never outlive the suite, /proc readings (CPU time, RSS, CPU pressure), ports, statistics.
 *
 * The suite runs both as compiled JavaScript (`npm run bench` → dist/bench/...) and through tsx
 * (`npx tsx bench/suite/run.ts`), so the repository root is found by walking up to package.json
 * rather than by a fixed number of `..`.
 */
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { dirname, join } from 'node:path';

function findRoot(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'bench'))) return dir;
    if (dirname(dir) === dir) throw new Error(`no repository root above ${from}`);
  }
}

export const REPO_ROOT = findRoot(import.meta.dirname);
/** Scratch space of the suite: broker data dirs, the compiled C driver, result files. Same disk as the repo. */
export const WORK = join(REPO_ROOT, 'bench', '.work', 'suite');
/** True when running from dist/ (compiled), false under tsx. */
export const COMPILED = import.meta.url.endsWith('.js');

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

// ---------------------------------------------------------------------------------------------
// Child processes: every process the suite starts is registered and killed if the suite exits
// early (an error, Ctrl-C), so nothing is left running.

const children = new Set<ChildProcess>();
let guardsInstalled = false;

function installGuards(): void {
  if (guardsInstalled) return;
  guardsInstalled = true;
  const killAll = (): void => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  };
  process.once('exit', killAll);
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.once(sig, () => {
      killAll();
      process.exit(130);
    });
  }
}

/** spawn() whose child is SIGKILLed when the suite exits before it. */
export function spawnTracked(cmd: string, args: string[], opts: SpawnOptions = {}): ChildProcess {
  installGuards();
  const child = spawn(cmd, args, opts);
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

/** Extra cleanup to run at exit (e.g. stopping a broker started by a script). */
export function onExit(fn: () => void): () => void {
  installGuards();
  process.once('exit', fn);
  return () => process.off('exit', fn);
}

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
  secs: number;
}

export function run(cmd: string, args: string[], opts: { timeoutMs?: number; input?: string; env?: NodeJS.ProcessEnv; cwd?: string } = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawnTracked(cmd, args, { stdio: [opts.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'], env: { ...process.env, ...opts.env }, cwd: opts.cwd });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout!.on('data', (d: Buffer) => out.push(d));
    child.stderr!.on('data', (d: Buffer) => err.push(d));
    const timeoutMs = opts.timeoutMs ?? 120_000;
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${cmd} ${args.join(' ')} timed out after ${timeoutMs} ms\n${Buffer.concat(err).toString().slice(-2000)}`));
    }, timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString(), secs: (performance.now() - t0) / 1000 });
    });
    if (opts.input !== undefined) {
      // A child that exits without reading its input must not crash the suite (EPIPE).
      child.stdin!.on('error', () => undefined);
      child.stdin!.end(opts.input);
    }
  });
}

/** The last stdout line as JSON. */
export function lastJson<T>(stdout: string, what: string): T {
  const lines = stdout.trim().split('\n');
  try {
    return JSON.parse(lines[lines.length - 1]!) as T;
  } catch {
    throw new Error(`${what} printed no JSON:\n${stdout.slice(-2000)}`);
  }
}

export function commandExists(cmd: string): boolean {
  return (process.env.PATH ?? '').split(':').some((d) => d !== '' && existsSync(join(d, cmd)));
}

// ---------------------------------------------------------------------------------------------
// /proc

/** User + system CPU seconds of a process (all its threads: the main thread and libuv's pool, or a JVM). */
export function cpuSeconds(pid: number): number {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(f[11]) + Number(f[12])) / 100;
  } catch {
    return NaN;
  }
}

/** Resident set size in MB (VmRSS). */
export function rssMb(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : NaN;
  } catch {
    return NaN;
  }
}

/** Cumulative CPU pressure stall time ("some", µs) and the current avg10, or null without PSI. */
export function cpuPressure(): { totalUs: number; avg10: number } | null {
  try {
    const line = readFileSync('/proc/pressure/cpu', 'utf8').split('\n')[0]!;
    return { totalUs: Number(/total=(\d+)/.exec(line)![1]), avg10: Number(/avg10=([\d.]+)/.exec(line)![1]) };
  } catch {
    return null;
  }
}

/** Measures one phase: wall time, CPU pressure over it (% of the time some task waited for a CPU), and a process's CPU use. */
export class PhaseMeter {
  private readonly t0 = performance.now();
  private readonly psi0 = cpuPressure();
  private readonly cpu0: number;
  constructor(private readonly pid?: number) {
    this.cpu0 = pid === undefined ? NaN : cpuSeconds(pid);
  }
  end(): { wallSecs: number; pressurePct: number | null; cpuSecs: number } {
    const wallSecs = (performance.now() - this.t0) / 1000;
    const psi1 = cpuPressure();
    const pressurePct = this.psi0 && psi1 ? (100 * (psi1.totalUs - this.psi0.totalUs)) / 1e6 / wallSecs : null;
    const cpuSecs = this.pid === undefined ? NaN : cpuSeconds(this.pid) - this.cpu0;
    return { wallSecs, pressurePct, cpuSecs };
  }
}

/**
 * Flushes the data disk's dirty pages (syncfs through `sync -f`) so that a measurement does not pay
 * for write-back of what an earlier one left in the page cache: brokers without fsync leave
 * hundreds of MB dirty, and the kernel writing them out during the next run slows every fsync on
 * the same disk (which would charge one broker for another's data).
 */
export async function settleDisk(): Promise<void> {
  await run('sync', ['-f', WORK], { timeoutMs: 120_000 }).catch(() => undefined);
}

// ---------------------------------------------------------------------------------------------
// Ports

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

export function canConnect(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const c = connect({ host, port });
    c.once('connect', () => {
      c.destroy();
      resolve(true);
    });
    c.once('error', () => resolve(false));
  });
}

/** Polls a TCP connect every millisecond until it succeeds; resolves with the time it took. */
export async function waitForAccept(port: number, t0: number, timeoutMs: number, alive: () => boolean = () => true): Promise<number> {
  const deadline = t0 + timeoutMs;
  for (;;) {
    if (await canConnect(port)) return performance.now() - t0;
    if (!alive()) throw new Error(`process exited before accepting on ${port}`);
    if (performance.now() > deadline) throw new Error(`nothing accepted on ${port} within ${timeoutMs} ms`);
    await sleep(1);
  }
}

// ---------------------------------------------------------------------------------------------
// Statistics

export interface Summary {
  median: number;
  min: number;
  max: number;
  n: number;
}

export function summarize(values: number[]): Summary | null {
  const v = values.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return null;
  const mid = v.length >> 1;
  const median = v.length % 2 ? v[mid]! : (v[mid - 1]! + v[mid]!) / 2;
  return { median, min: v[0]!, max: v[v.length - 1]!, n: v.length };
}

/** A number for people: 3 significant digits, thousands separators above 1,000. */
export function fmt(x: number | null | undefined): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return '–';
  const a = Math.abs(x);
  if (a >= 1000) return Math.round(x).toLocaleString('en-US');
  if (a >= 100) return x.toFixed(0);
  if (a >= 10) return x.toFixed(1);
  if (a >= 1) return x.toFixed(2);
  return x.toPrecision(2);
}
