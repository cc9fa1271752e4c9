/**
 * The librdkafka driver (bench/drivers/rdbench.c): compiled on first use with gcc against the
 * system's librdkafka.so.1 (the one Debian's kcat uses), cached under bench/.work/suite by a hash
 * of its source, and run once per measurement. See the C file for the operations.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT, WORK, lastJson, run } from './common.js';

const SOURCE = join(REPO_ROOT, 'bench', 'drivers', 'rdbench.c');
const LIB_DIRS = ['/usr/lib/x86_64-linux-gnu', '/usr/lib/aarch64-linux-gnu', '/usr/lib64', '/usr/lib', '/usr/local/lib'];

let binary: string | null = null;

/** Builds the driver if needed; throws with the reason when it cannot (no gcc, no librdkafka.so.1). */
export async function ensureRdbench(): Promise<string> {
  if (binary) return binary;
  const src = readFileSync(SOURCE);
  const hash = createHash('sha256').update(src).digest('hex').slice(0, 12);
  mkdirSync(WORK, { recursive: true });
  const out = join(WORK, `rdbench-${hash}`);
  if (!existsSync(out)) {
    const libDir = LIB_DIRS.find((d) => existsSync(d) && readdirSync(d).includes('librdkafka.so.1'));
    if (!libDir) throw new Error('librdkafka.so.1 not found (apt-get install librdkafka1, or kcat which depends on it)');
    const r = await run('gcc', ['-O2', '-Wall', '-o', out, SOURCE, `-L${libDir}`, '-l:librdkafka.so.1', '-lpthread'], { timeoutMs: 60_000 });
    if (r.code !== 0) throw new Error(`building rdbench failed:\n${r.stderr}`);
  }
  binary = out;
  return out;
}

/** Runs one rdbench operation and returns its JSON result; throws with stderr when it fails. */
export async function rdbench<T>(op: string, args: Array<string | number>, timeoutMs = 300_000): Promise<T> {
  const bin = await ensureRdbench();
  const r = await run(bin, [op, ...args.map(String)], { timeoutMs });
  if (r.code !== 0) throw new Error(`rdbench ${op} ${args.join(' ')} exited ${r.code}:\n${r.stderr.slice(-2000)}\n${r.stdout.slice(-500)}`);
  return lastJson<T>(r.stdout, `rdbench ${op}`);
}

export interface RdProduce {
  elapsed: number;
  acked: number;
  errors: number;
  error: string;
  librdkafka: string;
}
export interface RdConsume {
  elapsed: number;
  count: number;
  bytes: number;
  firstMs: number;
  lastMs: number;
  /** CLOCK_MONOTONIC ms of the first and last record: comparable across consumer processes. */
  firstAt: number;
  lastAt: number;
}
export interface RdSequential {
  elapsed: number;
  acked: number;
  p50: number;
  p99: number;
  max: number;
}
export interface RdLatency {
  sent: number;
  count: number;
  p50: number;
  p99: number;
  p999: number;
  max: number;
}
export interface RdFanout {
  joinMs: number;
  produceSecs: number;
  acked: number;
  groupSecs: number[];
  doneSecs: number;
  consumed: number;
}
