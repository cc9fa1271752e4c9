/**
 * Driving Faust workers (test/streams/faust/*.py, run by the venv's Python) from vitest: each
 * worker is one child process, stopped by its pid (SIGTERM, then SIGKILL after a bound); it reports
 * what it holds through a JSON snapshot file it rewrites every 200 ms. Also the orders the tests
 * produce and the totals they are checked against, computed here from the input alone, the way
 * Faust's windows are defined (faust/windows.py: hopping windows start at multiples of the step).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Kafka } from 'kafkajs';
import { REPO_ROOT, tempDir } from '../../helpers/broker.js';
import { VENV_PYTHON, pythonModuleMissing } from '../../compat/clients/scenario.js';

export const FAUST_DIR = join(REPO_ROOT, 'test', 'streams', 'faust');

/** Why Faust cannot run here (for describe.skipIf), or null. .ci/run installs it into test/.venv. */
export function faustMissing(): string | null {
  return pythonModuleMissing('faust') ?? pythonModuleMissing('fastavro');
}

export class FaustWorker {
  /** Every line the worker wrote, stdout and stderr. */
  readonly output: string[] = [];
  private stderr = '';
  readonly exited: Promise<number | null>;

  private constructor(
    readonly name: string,
    readonly child: ChildProcess,
    readonly snapshotPath: string,
  ) {
    this.exited = new Promise((r) => child.once('exit', (code) => r(code)));
    // Faust's worker redirects print() to its logger (stderr, "[WARNING] <text>"): both streams
    // are kept as lines, and stderr's tail for error messages.
    for (const stream of [child.stdout!, child.stderr!]) {
      let partial = '';
      stream.on('data', (d: Buffer) => {
        const lines = (partial + d.toString()).split('\n');
        partial = lines.pop()!;
        this.output.push(...lines);
        if (stream === child.stderr) this.stderr = (this.stderr + d.toString()).slice(-8000);
      });
    }
  }

  /** `python -m faust -A <module> worker` with a fresh data dir (empty local state). */
  static start(module: string, name: string, env: Record<string, string>): FaustWorker {
    const dir = tempDir(`faust-${name}`);
    const snapshot = join(dir, 'snapshot.json');
    const child = spawn(VENV_PYTHON, ['-m', 'faust', '-A', module, 'worker', '--without-web', '-l', 'warn'], {
      cwd: FAUST_DIR,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, PYTHONPATH: FAUST_DIR, PYTHONUNBUFFERED: '1', DATADIR: join(dir, 'data'), SNAPSHOT: snapshot, ...env },
    });
    return new FaustWorker(name, child, snapshot);
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  snapshot<T>(): T | null {
    if (!existsSync(this.snapshotPath)) return null;
    return JSON.parse(readFileSync(this.snapshotPath, 'utf8')) as T;
  }

  /** Polls the snapshot until `ok` holds; fails with the last snapshot and the worker's stderr. */
  async waitFor<T>(what: string, ok: (s: T) => boolean, timeoutMs: number): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    let last: T | null = null;
    for (;;) {
      last = this.snapshot<T>() ?? last;
      if (last !== null && ok(last)) return last;
      if (!this.running) throw new Error(`${this.name} exited (${this.child.exitCode ?? this.child.signalCode}) waiting for ${what}:\n${this.stderr}`);
      if (Date.now() > deadline) throw new Error(`${this.name}: no ${what} in ${timeoutMs} ms; last snapshot ${JSON.stringify(last)?.slice(0, 1500)}\nstderr:\n${this.stderr}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  /** SIGTERM (Faust commits and leaves the group), SIGKILL if it has not exited in `graceMs`. */
  async stop(graceMs = 20_000): Promise<void> {
    if (!this.running) return;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
  }

  async kill(): Promise<void> {
    if (this.running) this.child.kill('SIGKILL');
    await this.exited;
  }

  get stderrTail(): string {
    return this.stderr;
  }
}

export interface Order {
  key: string;
  sales_id: number;
  sales_amt: number;
  /** Record timestamp, ms. */
  ts: number;
}

export const KEYS = 16;

/**
 * Order i: key k<i mod 16> (the murmur2 partitioner puts 16 such keys into all 4 partitions, 7
 * into only 2), amount a multiple of 0.25 between -5.25 and 16.75 (so every sum is exact in a
 * double, in any order), event time base + 37 ms * i (several 10 s windows per run).
 */
export function order(i: number, baseTs: number): Order {
  return { key: `k${i % KEYS}`, sales_id: i, sales_amt: ((i * 7) % 23) - 5.25, ts: baseTs + i * 37 };
}

/** An event-time base a little in the past, on a 10 s boundary. */
export function baseTimestamp(): number {
  return Math.floor(Date.now() / 10_000) * 10_000 - 600_000;
}

export async function produceOrders(kafka: Kafka, topic: string, orders: Order[], chunk = 250): Promise<void> {
  const producer = kafka.producer();
  await producer.connect();
  try {
    for (let i = 0; i < orders.length; i += chunk) {
      await producer.send({
        topic,
        acks: -1,
        messages: orders.slice(i, i + chunk).map((o) => ({
          key: o.key,
          value: JSON.stringify({ sales_id: o.sales_id, sales_amt: o.sales_amt }),
          timestamp: String(o.ts),
        })),
      });
    }
  } finally {
    await producer.disconnect();
  }
}

/** [count, sum, min, max], as orders_tables.py reports them. */
export type Stats = [number, number, number, number];

function fold(s: Stats | undefined, amt: number): Stats {
  return s === undefined ? [1, amt, amt, amt] : [s[0] + 1, s[1] + amt, Math.min(s[2], amt), Math.max(s[3], amt)];
}

export interface Expected {
  totals: Record<string, Stats>;
  /** "<key>@<window start, s>" */
  tumbling: Record<string, Stats>;
  hopping: Record<string, Stats>;
}

/** Totals from the input alone: per key, per 10 s tumbling window, per 10 s window hopping by 5 s. */
export function expectedTotals(orders: Order[]): Expected {
  const e: Expected = { totals: {}, tumbling: {}, hopping: {} };
  for (const o of orders) {
    e.totals[o.key] = fold(e.totals[o.key], o.sales_amt);
    const ts = o.ts / 1000;
    const t = `${o.key}@${Math.floor(ts / 10) * 10}`;
    e.tumbling[t] = fold(e.tumbling[t], o.sales_amt);
    // Faust: starts from floor(ts / step) * step - size + step, by step, while start <= ts.
    for (let start = Math.floor(ts / 5) * 5 - 10 + 5; start <= Math.floor(ts); start += 5) {
      const h = `${o.key}@${start}`;
      e.hopping[h] = fold(e.hopping[h], o.sales_amt);
    }
  }
  return e;
}

export function expectedCounts(orders: Order[]): Record<string, number> {
  const c: Record<string, number> = {};
  for (const o of orders) c[o.key] = (c[o.key] ?? 0) + 1;
  return c;
}

export interface TablesSnapshot extends Expected {
  pid: number;
  processed: number;
  actives: number[];
  raw_counts: Record<string, number>;
}

/** The three aggregated tables equal the expected ones (same keys, same windows, same values). */
export function tablesEqual(s: TablesSnapshot, e: Expected): boolean {
  const same = (a: Record<string, Stats>, b: Record<string, Stats>) =>
    Object.keys(a).length === Object.keys(b).length && Object.entries(b).every(([k, v]) => a[k] !== undefined && a[k]!.every((x, i) => x === v[i]));
  return same(s.totals, e.totals) && same(s.tumbling, e.tumbling) && same(s.hopping, e.hopping);
}

/** Reads a whole topic (up to its high watermarks at the call) with a throwaway consumer group. */
export async function readTopic(kafka: Kafka, topic: string, timeoutMs = 30_000): Promise<{ partition: number; key: Buffer | null; value: Buffer | null }[]> {
  const admin = kafka.admin();
  await admin.connect();
  const ends = await admin.fetchTopicOffsets(topic);
  await admin.disconnect();
  const remaining = new Map(ends.filter((e) => Number(e.high) > 0).map((e) => [e.partition, Number(e.high)]));
  const out: { partition: number; key: Buffer | null; value: Buffer | null }[] = [];
  if (remaining.size === 0) return out;
  const consumer = kafka.consumer({ groupId: `read-${topic}-${Date.now()}` });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`reading ${topic}: still waiting for partitions ${[...remaining.keys()]}`)), timeoutMs);
      void consumer.run({
        eachMessage: async ({ partition, message }) => {
          const end = remaining.get(partition);
          if (end === undefined || Number(message.offset) >= end) return;
          out.push({ partition, key: message.key, value: message.value });
          if (Number(message.offset) + 1 >= end) remaining.delete(partition);
          if (remaining.size === 0) {
            clearTimeout(timer);
            resolve();
          }
        },
      });
    });
  } finally {
    await consumer.disconnect();
  }
  return out;
}
