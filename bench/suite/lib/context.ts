/**
 * What every workload gets: the running brokers, the options (quick mode, repeats), the clients,
 * and the result collector. Results are samples (one number per run, broker and client);
 * report.ts turns them into medians with ranges and ratios.
 */
import { join } from 'node:path';
import { COMPILED, PhaseMeter, lastJson, run, settleDisk } from './common.js';
import type { Broker, BrokerKind } from './brokers.js';

export type Better = 'higher' | 'lower';

export interface Sample {
  workload: string;
  /** e.g. "1 KiB × 200,000, acks=1" */
  case: string;
  /** e.g. "produce MB/s" */
  metric: string;
  better: Better;
  /** A broker, or "limit" for the machine's own figures. */
  broker: BrokerKind | 'limit' | 'node';
  client: string;
  value: number;
  rep: number;
  /** CPU pressure over the run (% of wall time some task waited for a CPU), when measured. */
  pressurePct?: number | null;
  /** The broker process's CPU use over the run (100 = one core). */
  brokerCpuPct?: number;
  extra?: Record<string, unknown>;
}

export class Results {
  readonly samples: Sample[] = [];
  readonly notes: string[] = [];
  readonly errors: string[] = [];
  add(s: Sample): void {
    this.samples.push(s);
  }
  note(n: string): void {
    if (!this.notes.includes(n)) this.notes.push(n);
  }
}

export interface Options {
  quick: boolean;
  /** Interleaved repetitions of each throughput/latency measurement. */
  repeats: number;
  /** Brokers to compare (subset of all four). */
  brokers: BrokerKind[];
  /** Run the kafkajs client too. */
  kafkajs: boolean;
  log: (s: string) => void;
}

export interface Ctx extends Options {
  running: Map<BrokerKind, Broker>;
  results: Results;
}

/** The brokers in a different order on each repetition (rotation), so drift in machine load hits all alike. */
export function rotation<T>(items: T[], rep: number): T[] {
  if (items.length === 0) return items;
  const k = rep % items.length;
  return [...items.slice(k), ...items.slice(0, k)];
}

/** Flushes the disk's dirty pages (settleDisk), then runs fn while measuring wall time, CPU pressure and the broker's CPU. */
export async function measured<T>(broker: Broker | undefined, fn: () => Promise<T>): Promise<{ r: T; pressurePct: number | null; brokerCpuPct: number; wallSecs: number }> {
  await settleDisk();
  const m = new PhaseMeter(broker?.pid);
  const r = await fn();
  const e = m.end();
  return { r, pressurePct: e.pressurePct, brokerCpuPct: (100 * e.cpuSecs) / e.wallSecs, wallSecs: e.wallSecs };
}

/** Runs one operation of the kafkajs driver in its own Node process. */
export async function kafkajsDriver<T>(args: Record<string, unknown>, timeoutMs = 600_000): Promise<T> {
  const file = join(import.meta.dirname, '..', 'drivers', COMPILED ? 'kafkajs-driver.js' : 'kafkajs-driver.ts');
  const nodeArgs = COMPILED ? [file] : ['--import', 'tsx', file];
  const r = await run(process.execPath, [...nodeArgs, JSON.stringify(args)], { timeoutMs });
  if (r.code !== 0) throw new Error(`kafkajs ${String(args.op)} failed (${r.code}):\n${r.stderr.slice(-2000)}`);
  return lastJson<T>(r.stdout, 'kafkajs driver');
}

let topicSeq = 0;
/** A topic name unique in this run. */
export function topicName(prefix: string): string {
  return `${prefix}-${process.pid}-${++topicSeq}`;
}

/** Runs fn, recording (not throwing) a failure so one broken measurement does not end the suite. */
export async function attempt(ctx: Ctx, what: string, fn: () => Promise<void>): Promise<void> {
  try {
    await fn();
  } catch (e) {
    const msg = `${what}: ${(e as Error).message.split('\n').slice(0, 6).join(' | ')}`;
    ctx.log(`  ${(e as Error).message.split('\n').slice(6, 40).join('\n  ')}`);
    ctx.results.errors.push(msg);
    ctx.log(`  FAILED ${msg}`);
  }
}
