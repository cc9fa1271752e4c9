/**
 * A seeded mutation fuzzer for the broker's request path (issue 14).
 *
 * Corpus: the request frames real clients sent (test/golden, see its README): kafkajs, librdkafka,
 * kafka-python and Java, every API they use. Each mutant is one to four stacked mutations of a
 * corpus frame: bit flips, bytes/int16/int32 replaced by boundary values (0, -1, 0x7f.., 0x80..),
 * small counts blown up (int32 and varint), varints made over-long, truncation, a splice of two
 * frames, duplicated/deleted/inserted regions, and the version swapped. Most mutants get a
 * correct 4-byte size prefix (so they reach the decoders and handlers); some keep a wrong one.
 *
 * A round sends a batch of mutants on each of several connections at once, then waits for
 * answers or closes. After every round the broker child must still be alive and the ApiVersions
 * canary must answer; the broker's RSS must stay under a bound throughout, and its data
 * directory must not explode (runaway topic/partition creation). Error-level broker logs are
 * collected as findings (a handler threw: UNKNOWN_SERVER_ERROR), not failures.
 *
 * On failure the mutants of the last rounds are saved to test/.work/fuzz-crash-<seed>.bin (with a
 * .json description beside it) and the command to replay them is printed. Replaying sends the
 * saved mutants one connection each, against a fresh broker, and names the first one the broker
 * does not survive.
 *
 *   npm run fuzz                                   # 300 s, random seed
 *   npm run fuzz -- --seconds 1800 --seed 42
 *   npm run fuzz -- --replay test/.work/fuzz-crash-42.bin
 *   RUNNEL_FUZZ_SECONDS=600 RUNNEL_FUZZ_SEED=42 npx vitest run test/hostile/fuzz.test.ts
 */
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { REPO_ROOT } from '../helpers/broker.js';
import { HostileBroker, LIMITS, Monitor, mib, sleep } from './harness.js';

// ---------------------------------------------------------------------------------------------
// Corpus

export interface CorpusFrame {
  client: string;
  apiKey: number;
  version: number;
  file: string;
  /** Request header + body, without the size prefix. */
  bytes: Buffer;
}

export function loadCorpus(): CorpusFrame[] {
  const dir = join(REPO_ROOT, 'test', 'golden');
  const index = JSON.parse(readFileSync(join(dir, 'INDEX.json'), 'utf8')) as {
    frames: Array<{ client: string; apiKey: number; version: number; direction: string; file: string }>;
  };
  return index.frames
    .filter((f) => f.direction === 'request')
    .map((f) => ({ client: f.client, apiKey: f.apiKey, version: f.version, file: f.file, bytes: readFileSync(join(dir, f.file)) }));
}

// ---------------------------------------------------------------------------------------------
// Seeded randomness (xorshift32: tiny, fast, and the same sequence everywhere)

export class Rng {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0 || 0x9e3779b9;
  }
  next(): number {
    let x = this.s;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.s = x >>> 0;
    return this.s;
  }
  /** 0 <= n < max */
  int(max: number): number {
    return max <= 0 ? 0 : this.next() % max;
  }
  chance(p: number): boolean {
    return this.next() / 0x100000000 < p;
  }
  pick<T>(a: readonly T[]): T {
    return a[this.int(a.length)]!;
  }
}

// ---------------------------------------------------------------------------------------------
// Mutations

const BYTES = [0x00, 0xff, 0x7f, 0x80, 0x01, 0xfe];
const INT16S = [0, -1, 0x7fff, -0x8000, 1, 0x100];
const INT32S = [0, -1, 0x7fffffff, -0x80000000, 1, 0xffff, 0x10000, 1_000_000];
/** Over-long or huge unsigned varints. */
const VARINTS = [
  [0xff, 0xff, 0xff, 0xff, 0x0f], // 2^32-1
  [0xff, 0xff, 0xff, 0xff, 0x07], // 2^31-1
  [0x80, 0x80, 0x80, 0x80, 0x80, 0x01], // six bytes
  [0xe8, 0x07], // 1000
  [0x00],
];

/** Where mutations land: mostly past the fixed header start (api key, version, correlation id). */
function position(rng: Rng, b: Buffer): number {
  if (b.length <= 8 || rng.chance(0.08)) return rng.int(b.length);
  return 8 + rng.int(b.length - 8);
}

type Mutator = (b: Buffer, rng: Rng, corpus: readonly CorpusFrame[]) => [Buffer, string];

const MUTATORS: Array<[string, number, Mutator]> = [
  [
    'bitflip',
    3,
    (b, rng) => {
      const out = Buffer.from(b);
      const n = 1 + rng.int(4);
      for (let i = 0; i < n; i++) {
        const p = position(rng, out);
        out[p]! ^= 1 << rng.int(8);
      }
      return [out, `flip ${n} bit(s)`];
    },
  ],
  [
    'byte',
    3,
    (b, rng) => {
      const out = Buffer.from(b);
      const p = position(rng, out);
      const v = rng.pick(BYTES);
      out[p] = v;
      return [out, `byte@${p}=0x${v.toString(16)}`];
    },
  ],
  [
    'int16',
    2,
    (b, rng) => {
      if (b.length < 2) return [b, 'noop'];
      const out = Buffer.from(b);
      const p = Math.min(position(rng, out), out.length - 2);
      const v = rng.pick(INT16S);
      out.writeInt16BE(v, p);
      return [out, `int16@${p}=${v}`];
    },
  ],
  [
    'int32',
    3,
    (b, rng) => {
      if (b.length < 4) return [b, 'noop'];
      const out = Buffer.from(b);
      const p = Math.min(position(rng, out), out.length - 4);
      const v = rng.pick(INT32S);
      out.writeInt32BE(v, p);
      return [out, `int32@${p}=${v}`];
    },
  ],
  [
    // A small int32 (a likely array count or length) made large.
    'count32',
    3,
    (b, rng) => {
      const spots: number[] = [];
      for (let i = 8; i + 4 <= b.length; i++) {
        const v = b.readInt32BE(i);
        if (v >= 1 && v <= 64) spots.push(i);
      }
      if (spots.length === 0) return [b, 'noop'];
      const out = Buffer.from(b);
      const p = rng.pick(spots);
      const v = rng.pick([0x7fffffff, 1000, 100_000, out.readInt32BE(p) + 1, -2]);
      out.writeInt32BE(v, p);
      return [out, `count32@${p}=${v}`];
    },
  ],
  [
    // A byte that looks like a compact length/count (n+1 in 1..64) replaced by a huge varint.
    'varint',
    3,
    (b, rng) => {
      const spots: number[] = [];
      for (let i = 8; i < b.length; i++) if (b[i]! >= 1 && b[i]! <= 64) spots.push(i);
      if (spots.length === 0) return [b, 'noop'];
      const p = rng.pick(spots);
      const v = Buffer.from(rng.pick(VARINTS));
      return [Buffer.concat([b.subarray(0, p), v, b.subarray(p + 1)]), `varint@${p}=${v.toString('hex')}`];
    },
  ],
  [
    // Often to almost nothing: empty and 1-7 byte frames stress the header reader.
    'truncate',
    2,
    (b, rng) => {
      const n = rng.chance(0.3) ? rng.int(Math.min(b.length, 8)) : rng.int(b.length);
      return [b.subarray(0, n), `truncate to ${n}`];
    },
  ],
  [
    'splice',
    2,
    (b, rng, corpus) => {
      const other = rng.pick(corpus).bytes;
      const i = rng.int(b.length + 1);
      const j = rng.int(other.length + 1);
      return [Buffer.concat([b.subarray(0, i), other.subarray(j)]), `splice ${i} + other@${j}`];
    },
  ],
  [
    'duplicate',
    2,
    (b, rng) => {
      if (b.length < 9) return [b, 'noop'];
      const i = position(rng, b);
      const len = 1 + rng.int(Math.min(64, b.length - i));
      const times = 1 + rng.int(rng.chance(0.2) ? 200 : 4);
      const region = b.subarray(i, i + len);
      const at = position(rng, b);
      return [Buffer.concat([b.subarray(0, at), ...Array.from({ length: times }, () => region), b.subarray(at)]), `dup [${i},+${len}) x${times} @${at}`];
    },
  ],
  [
    'delete',
    1,
    (b, rng) => {
      const i = position(rng, b);
      const len = 1 + rng.int(Math.min(16, b.length - i));
      return [Buffer.concat([b.subarray(0, i), b.subarray(i + len)]), `delete [${i},+${len})`];
    },
  ],
  [
    'insert',
    1,
    (b, rng) => {
      const i = position(rng, b);
      const junk = Buffer.alloc(1 + rng.int(16));
      for (let k = 0; k < junk.length; k++) junk[k] = rng.next() & 0xff;
      return [Buffer.concat([b.subarray(0, i), junk, b.subarray(i)]), `insert ${junk.length} @${i}`];
    },
  ],
  [
    // The same body read as another version of the API (fields shift, flexible or not).
    'version',
    1,
    (b, rng) => {
      if (b.length < 4) return [b, 'noop'];
      const out = Buffer.from(b);
      const v = rng.chance(0.1) ? rng.pick([-1, 0x7fff, 100]) : rng.int(16);
      out.writeInt16BE(v, 2);
      return [out, `version=${v}`];
    },
  ],
];
const TOTAL_WEIGHT = MUTATORS.reduce((n, [, w]) => n + w, 0);

export interface Mutant {
  /** The bytes sent, size prefix included. */
  bytes: Buffer;
  source: string;
  description: string;
}

export function mutate(rng: Rng, corpus: readonly CorpusFrame[]): Mutant {
  const src = rng.pick(corpus);
  let b = src.bytes;
  const steps: string[] = [];
  const n = 1 + (rng.chance(0.5) ? 0 : rng.int(4));
  for (let i = 0; i < n; i++) {
    let r = rng.int(TOTAL_WEIGHT);
    const entry = MUTATORS.find(([, w]) => (r -= w) < 0)!;
    const [out, what] = entry[2](b, rng, corpus);
    b = out;
    steps.push(`${entry[0]}: ${what}`);
  }
  const prefix = Buffer.alloc(4);
  if (rng.chance(0.9)) prefix.writeInt32BE(b.length);
  else {
    const wrong = rng.pick([b.length + 1 + rng.int(100), Math.max(0, b.length - 1 - rng.int(8)), 0, -1, 0x7fffffff, 104857601]);
    prefix.writeInt32BE(wrong);
    steps.push(`size prefix ${wrong} (body ${b.length})`);
  }
  return { bytes: Buffer.concat([prefix, b]), source: src.file, description: steps.join('; ') };
}

// ---------------------------------------------------------------------------------------------
// Sending

/** Sends `frames` on one connection and waits until answered, closed or `waitMs`. */
export function sendOnOneConnection(host: string, port: number, frames: Buffer[], waitMs: number): Promise<'answered' | 'closed' | 'waiting' | 'refused'> {
  return new Promise((resolve) => {
    let got = 0;
    let pending = Buffer.alloc(0);
    let done = false;
    const s: Socket = connect({ host, port });
    const finish = (how: 'answered' | 'closed' | 'waiting' | 'refused') => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      s.destroy();
      resolve(how);
    };
    const timer = setTimeout(() => finish('waiting'), waitMs);
    s.on('connect', () => s.write(Buffer.concat(frames)));
    s.on('data', (d: Buffer) => {
      pending = Buffer.concat([pending, d]);
      while (pending.length >= 4 && pending.length >= 4 + pending.readInt32BE(0)) {
        pending = pending.subarray(4 + pending.readInt32BE(0));
        got++;
      }
      if (got >= frames.length) finish('answered');
    });
    s.on('error', (e: NodeJS.ErrnoException) => finish(e.code === 'ECONNREFUSED' ? 'refused' : 'closed'));
    s.on('close', () => finish('closed'));
  });
}

// ---------------------------------------------------------------------------------------------
// The run

export interface FuzzOptions {
  seed: number;
  seconds: number;
  /** Connections per round. */
  connections?: number;
  /** Most mutants per connection per round (each connection gets 1..this many). */
  perConnection?: number;
  /** Extra broker flags. */
  flags?: Record<string, string | number | boolean>;
  log?: (line: string) => void;
}

export interface FuzzResult {
  seed: number;
  rounds: number;
  mutants: number;
  seconds: number;
  outcomes: Record<string, number>;
  peakRssMiB: number;
  worstCanaryMs: number;
  /** Distinct error-level broker log messages (a handler threw), with one example each. */
  findings: string[];
  /** Why the run failed (crash, stall, memory, disk), or null. */
  failure: string | null;
  crashFile: string | null;
  /** Rounds during which the canary waited longer than LIMITS.canaryMs. */
  slowRounds: number;
  /** The slowest round's mutants, when it was slower than LIMITS.canaryMs (replayable). */
  slowFile: string | null;
}

/** A round during which the canary waits this long fails the run (a stall, not a hiccup). */
const STALL_MS = 2000;
const MAX_DATA_DIR_ENTRIES = 20_000;

export async function runFuzz(opts: FuzzOptions): Promise<FuzzResult> {
  const log = opts.log ?? ((l: string) => console.log(l));
  const connections = opts.connections ?? 16;
  const perConnection = opts.perConnection ?? 3;
  const corpus = loadCorpus();
  const rng = new Rng(opts.seed);
  log(`[fuzz] seed ${opts.seed}, ${opts.seconds} s, corpus ${corpus.length} request frames, ${connections} connections × 1-${perConnection} mutants per round`);
  const broker = await HostileBroker.start(opts.flags ?? {});
  const monitor = new Monitor(broker);
  const outcomes: Record<string, number> = {};
  const recent: Mutant[][][] = [];
  const findings = new Map<string, string>();
  let rounds = 0;
  let mutants = 0;
  let failure: string | null = null;
  let worst = 0;
  let peak = 0;
  let slowRounds = 0;
  let slowest: { ms: number; batch: Mutant[][] } = { ms: 0, batch: [] };
  const t0 = performance.now();
  try {
    await monitor.answersAgain(5000);
    // Warm-up: every corpus frame once, unmutated, so topics and groups they name exist.
    for (const f of [...corpus].sort((a, b) => (a.apiKey === 19 ? -1 : b.apiKey === 19 ? 1 : 0))) {
      const framed = Buffer.concat([Buffer.alloc(4), f.bytes]);
      framed.writeInt32BE(f.bytes.length);
      await sendOnOneConnection(broker.host, broker.port, [framed], 300);
    }
    const deadline = t0 + opts.seconds * 1000;
    let logFrom = broker.child.logs.length;
    while (performance.now() < deadline && failure === null) {
      monitor.reset();
      const batch = Array.from({ length: connections }, () => Array.from({ length: 1 + rng.int(perConnection) }, () => mutate(rng, corpus)));
      recent.push(batch);
      if (recent.length > 3) recent.shift();
      const results = await Promise.all(batch.map((ms) => sendOnOneConnection(broker.host, broker.port, ms.map((m) => m.bytes), 1500)));
      for (const r of results) outcomes[r] = (outcomes[r] ?? 0) + 1;
      rounds++;
      mutants += batch.reduce((n, ms) => n + ms.length, 0);
      for (const line of broker.errorLogs(logFrom)) {
        const msg = summarizeError(line);
        if (!findings.has(msg)) findings.set(msg, line.slice(0, 600));
      }
      // Keep the test process's copy of the broker's log short on long runs.
      if (broker.child.logs.length > 2000) broker.child.logs.splice(0, broker.child.logs.length - 200);
      logFrom = broker.child.logs.length;
      const roundWorst = monitor.worstMs();
      worst = Math.max(worst, roundWorst);
      peak = Math.max(peak, monitor.peakRss());
      if (roundWorst > LIMITS.canaryMs) slowRounds++;
      if (roundWorst > slowest.ms) slowest = { ms: roundWorst, batch };
      if (!broker.alive()) failure = broker.describeExit();
      else if (roundWorst > STALL_MS || !(await monitor.answersAgain(STALL_MS))) failure = `the canary waited ${Math.round(Math.max(roundWorst, STALL_MS))} ms in round ${rounds}`;
      else if (peak > LIMITS.rssBytes) failure = `broker RSS reached ${mib(peak)} MiB (> ${mib(LIMITS.rssBytes)} MiB)`;
      else if (rounds % 10 === 0) {
        const entries = readdirSync(broker.dataDir).length;
        if (entries > MAX_DATA_DIR_ENTRIES) failure = `the data directory holds ${entries} entries (runaway topic or partition creation)`;
      }
      if (rounds % 50 === 0) log(`[fuzz] ${rounds} rounds, ${mutants} mutants, ${((performance.now() - t0) / 1000).toFixed(0)} s, canary worst ${Math.round(worst)} ms, peak RSS ${mib(peak)} MiB`);
    }
  } finally {
    await monitor.stop();
    await broker.stop();
  }
  let crashFile: string | null = null;
  let slowFile: string | null = null;
  if (slowest.ms > LIMITS.canaryMs) {
    slowFile = saveMutants(`fuzz-slow-${opts.seed}`, [slowest.batch], `the canary waited ${Math.round(slowest.ms)} ms during this round`);
    log(`[fuzz] ${slowRounds} round(s) made the canary wait over ${LIMITS.canaryMs} ms; the slowest (${Math.round(slowest.ms)} ms) is in ${slowFile}; replay: npx tsx test/hostile/fuzz.ts --replay ${slowFile}`);
  }
  if (failure !== null) {
    crashFile = saveMutants(`fuzz-crash-${opts.seed}`, recent, failure);
    log(`[fuzz] FAILED (seed ${opts.seed}): ${failure}`);
    log(`[fuzz] the last ${recent.length} rounds' mutants are in ${crashFile}; replay them with:\n  npm run build && npx tsx test/hostile/fuzz.ts --replay ${crashFile}`);
  }
  const result: FuzzResult = {
    seed: opts.seed,
    rounds,
    mutants,
    seconds: (performance.now() - t0) / 1000,
    outcomes,
    peakRssMiB: mib(peak),
    worstCanaryMs: Math.round(worst),
    findings: [...findings.values()],
    failure,
    crashFile,
    slowRounds,
    slowFile,
  };
  log(
    `[fuzz] seed ${opts.seed}: ${rounds} rounds, ${mutants} mutants in ${result.seconds.toFixed(0)} s; connections ${JSON.stringify(outcomes)}; ` +
      `canary worst ${result.worstCanaryMs} ms; peak RSS ${result.peakRssMiB} MiB; ${findings.size} distinct handler error(s)`,
  );
  for (const [msg, example] of findings) log(`[fuzz] handler error: ${msg}\n    ${example}`);
  return result;
}

/** A stable key for an error log line: its message and the error's first line. */
function summarizeError(line: string): string {
  try {
    const e = JSON.parse(line) as { msg?: string; api?: string; err?: { message?: string } };
    return `${e.msg ?? '?'}${e.api ? ` (${e.api})` : ''}: ${(e.err?.message ?? '').replace(/\d+/g, 'N').slice(0, 160)}`;
  } catch {
    return line.slice(0, 160);
  }
}

// ---------------------------------------------------------------------------------------------
// Crash files: "RNFZ" + entries of [uint16 round, uint16 connection, uint32 length, bytes]

function saveMutants(name: string, rounds: Mutant[][][], failure: string): string {
  const dir = join(REPO_ROOT, 'test', '.work');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${name}.bin`);
  const parts: Buffer[] = [Buffer.from('RNFZ')];
  const described: Array<{ round: number; connection: number; source: string; mutations: string }> = [];
  rounds.forEach((batch, r) =>
    batch.forEach((conn, c) =>
      conn.forEach((m) => {
        const head = Buffer.alloc(8);
        head.writeUInt16BE(r, 0);
        head.writeUInt16BE(c, 2);
        head.writeUInt32BE(m.bytes.length, 4);
        parts.push(head, m.bytes);
        described.push({ round: r, connection: c, source: m.source, mutations: m.description });
      }),
    ),
  );
  writeFileSync(file, Buffer.concat(parts));
  writeFileSync(file.replace(/\.bin$/, '.json'), JSON.stringify({ failure, mutants: described }, null, 1));
  return file;
}

export function readCrash(file: string): Array<{ round: number; connection: number; bytes: Buffer }> {
  const b = readFileSync(file);
  if (b.subarray(0, 4).toString() !== 'RNFZ') throw new Error(`${file} is not a fuzz crash file`);
  const out: Array<{ round: number; connection: number; bytes: Buffer }> = [];
  for (let at = 4; at + 8 <= b.length; ) {
    const len = b.readUInt32BE(at + 4);
    out.push({ round: b.readUInt16BE(at), connection: b.readUInt16BE(at + 2), bytes: b.subarray(at + 8, at + 8 + len) });
    at += 8 + len;
  }
  return out;
}

/**
 * Replays a crash file against a fresh broker: first each mutant alone on its own connection
 * (naming the first one the broker does not survive), then, if none kills it alone, the rounds
 * as they were sent (a crash that needs several requests together).
 */
export async function replay(file: string, log: (l: string) => void = console.log): Promise<string | null> {
  const entries = readCrash(file);
  log(`[fuzz] replaying ${entries.length} mutants from ${file}`);
  let broker = await HostileBroker.start();
  let monitor = new Monitor(broker);
  try {
    await monitor.answersAgain(5000);
    for (const [i, e] of entries.entries()) {
      monitor.reset();
      await sendOnOneConnection(broker.host, broker.port, [e.bytes], 1000);
      await sleep(50);
      const waited = monitor.worstMs();
      if (waited > LIMITS.canaryMs) log(`[fuzz] mutant #${i} (round ${e.round}, connection ${e.connection}) made the canary wait ${Math.round(waited)} ms\n  bytes: ${e.bytes.toString('hex')}`);
      if (!broker.alive()) {
        const why = broker.describeExit();
        log(`[fuzz] mutant #${i} (round ${e.round}, connection ${e.connection}) alone kills the broker: ${why}\n  bytes: ${e.bytes.toString('hex')}`);
        return `mutant #${i}: ${why}`;
      }
    }
    log('[fuzz] no single mutant kills the broker; replaying the rounds as sent');
    await monitor.stop();
    await broker.stop();
    broker = await HostileBroker.start();
    monitor = new Monitor(broker);
    const rounds = new Map<number, Map<number, Buffer[]>>();
    for (const e of entries) {
      const r = rounds.get(e.round) ?? new Map<number, Buffer[]>();
      rounds.set(e.round, r);
      r.set(e.connection, [...(r.get(e.connection) ?? []), e.bytes]);
    }
    for (const [r, conns] of rounds) {
      monitor.reset();
      await Promise.all([...conns.values()].map((frames) => sendOnOneConnection(broker.host, broker.port, frames, 1500)));
      await sleep(100);
      log(`[fuzz] round ${r}: canary worst ${Math.round(monitor.worstMs())} ms, RSS ${mib(monitor.peakRss())} MiB`);
      if (!broker.alive()) {
        const why = broker.describeExit();
        log(`[fuzz] round ${r} kills the broker: ${why}`);
        return `round ${r}: ${why}`;
      }
    }
    log('[fuzz] the broker survived the replay (the failure may need the run\'s earlier state, or it was a stall or memory failure)');
    return null;
  } finally {
    await monitor.stop();
    await broker.stop();
  }
}

// ---------------------------------------------------------------------------------------------
// Command line: npx tsx test/hostile/fuzz.ts [--seconds N] [--seed N] [--replay FILE]

export function fuzzSeed(): number {
  const env = process.env.RUNNEL_FUZZ_SEED;
  return env !== undefined && env !== '' ? Number(env) >>> 0 : (Math.random() * 0x100000000) >>> 0;
}

async function main(argv: string[]): Promise<number> {
  const arg = (name: string) => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const replayFile = arg('replay');
  if (replayFile) return (await replay(replayFile)) === null ? 0 : 1;
  const seed = arg('seed') !== undefined ? Number(arg('seed')) >>> 0 : fuzzSeed();
  const seconds = Number(arg('seconds') ?? process.env.RUNNEL_FUZZ_SECONDS ?? 300);
  const result = await runFuzz({ seed, seconds });
  return result.failure === null ? 0 : 1;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err) => {
      console.error(err);
      process.exit(2);
    },
  );
}
