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
import * as m from '../../protocol/generated/index.js';
import { API_CODECS } from '../../protocol/generated/index.js';
import { readRequestHeaderRest, readRequestHeaderStart, requestHeaderSize, writeRequestHeader } from '../../protocol/headers.js';
import { Reader, Writer } from '../../protocol/primitives.js';
import { REPO_ROOT } from '../helpers/broker.js';
import { HostileBroker, LIMITS, Monitor, mib, niceAttacker, sleep } from './harness.js';
import { CompressionType, batchWithRecords, buildBatchSync, noise, realRecords } from './batches.js';

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
  const golden = index.frames
    .filter((f) => f.direction === 'request')
    .map((f) => ({ client: f.client, apiKey: f.apiKey, version: f.version, file: f.file, bytes: readFileSync(join(dir, f.file)) }));
  const captured = new Set(golden.map((f) => f.apiKey));
  return [...golden, ...syntheticCorpus().filter((f) => !captured.has(f.apiKey))];
}

/**
 * Requests of the APIs no captured client sent (ACLs, quotas, reassignments, transactions
 * admin...), written with our codecs at their first and last versions, naming a topic and group
 * the captured frames create, so every served API is fuzzed.
 */
export function syntheticCorpus(): CorpusFrame[] {
  const topic = 'golden-kafkajs';
  const group = 'golden-kafkajs-group';
  const bodies: Array<[number, object]> = [
    [17, { mechanism: 'PLAIN' }],
    [23, { replicaId: -1, topics: [m.newOffsetForLeaderEpochRequestTopic({ topic, partitions: [m.newOffsetForLeaderEpochRequestPartition({ partition: 0, leaderEpoch: 0 })] })] }],
    [25, { transactionalId: 'golden-txn', producerId: 1, producerEpoch: 0, groupId: group }],
    [
      28,
      {
        transactionalId: 'golden-txn',
        groupId: group,
        producerId: 1,
        producerEpoch: 0,
        generationId: -1,
        memberId: '',
        topics: [m.newTxnOffsetCommitRequestTopic({ name: topic, partitions: [m.newTxnOffsetCommitRequestPartition({ partitionIndex: 0, committedOffset: 1, committedMetadata: 'm' })] })],
      },
    ],
    [29, { resourceTypeFilter: 1, patternTypeFilter: 1, operation: 1, permissionType: 1 }],
    [30, { creations: [m.newCreateAclsRequestCreation({ resourceType: 2, resourceName: topic, resourcePatternType: 3, principal: 'User:x', host: '*', operation: 3, permissionType: 3 })] }],
    [31, { filters: [m.newDeleteAclsRequestFilter({ resourceTypeFilter: 2, resourceNameFilter: topic, patternTypeFilter: 3, operation: 3, permissionType: 3 })] }],
    [33, { resources: [m.newAlterConfigsRequestResource({ resourceType: 2, resourceName: topic, configs: [m.newAlterConfigsRequestConfig({ name: 'retention.ms', value: '600000' })] })] }],
    [35, { topics: [m.newDescribeLogDirsRequestTopic({ topic, partitions: [0] })] }],
    [36, { authBytes: Buffer.from('\0user\0password') }],
    [43, { electionType: 0, topicPartitions: [m.newElectLeadersRequestTopic({ topic, partitions: [0] })], timeoutMs: 1000 }],
    [45, { timeoutMs: 1000, topics: [m.newAlterPartitionReassignmentsRequestTopic({ name: topic, partitions: [m.newAlterPartitionReassignmentsRequestPartition({ partitionIndex: 0, replicas: [1] })] })] }],
    [46, { timeoutMs: 1000, topics: [m.newListPartitionReassignmentsRequestTopic({ name: topic, partitionIndexes: [0] })] }],
    [47, { groupId: group, topics: [m.newOffsetDeleteRequestTopic({ name: topic, partitions: [m.newOffsetDeleteRequestPartition({ partitionIndex: 0 })] })] }],
    [48, { components: [m.newDescribeClientQuotasRequestComponent({ entityType: 'user', matchType: 1 })] }],
    [50, { users: [m.newDescribeUserScramCredentialsRequestUser({ name: 'x' })] }],
    [61, { topics: [m.newDescribeProducersRequestTopic({ name: topic, partitionIndexes: [0] })] }],
    [65, { transactionalIds: ['golden-txn'] }],
    [66, { stateFilters: ['Ongoing'], producerIdFilters: [1], durationFilter: -1 }],
  ];
  const out: CorpusFrame[] = [];
  for (const [apiKey, body] of bodies) {
    const codec = API_CODECS.get(apiKey)!;
    for (const version of new Set([codec.minVersion, codec.maxVersion])) {
      const flexible = codec.flexibleFrom >= 0 && version >= codec.flexibleFrom;
      const header = { apiKey, apiVersion: version, correlationId: 1, clientId: 'synthetic' };
      const req = codec.newRequest(body);
      const w = new Writer(requestHeaderSize(header, flexible) + codec.sizeRequest(version, req));
      writeRequestHeader(w, header, flexible);
      codec.encodeRequest(w, version, req);
      out.push({ client: 'synthetic', apiKey, version, file: `synthetic/${apiKey}-${codec.name}-v${version}`, bytes: w.finish() });
    }
  }
  return out;
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
MUTATORS.push(['field', 6, (b, rng) => mutateField(b, rng)]);
const TOTAL_WEIGHT = MUTATORS.reduce((n, [, w]) => n + w, 0);

// Structure-aware mutation: decode the request with our codecs, change one value, encode it
// again. The frame stays well-formed, so the hostile value reaches the handler.

const NUMBERS = [0, -1, 1, -2, 0x7fff, 0x7fffffff, -0x80000000, 1_000_000_000, Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER];
const STRINGS = ['', 'x'.repeat(249), 'x'.repeat(250), 'y'.repeat(5000), '__consumer_offsets', '__transaction_state', '_schemas', '..', 'a.b', 'a_b', 'é\u{1F600}', '\0', 'range'];

type Path = Array<string | number>;

function leaves(v: unknown, path: Path, out: Array<{ path: Path; value: unknown }>): void {
  out.push({ path, value: v });
  if (Buffer.isBuffer(v) || v === null || typeof v !== 'object') return;
  if (Array.isArray(v)) v.forEach((e, i) => leaves(e, [...path, i], out));
  else for (const [k, e] of Object.entries(v)) leaves(e, [...path, k], out);
}

function setAt(root: any, path: Path, value: unknown): void {
  let o = root;
  for (const k of path.slice(0, -1)) o = o[k];
  o[path[path.length - 1]!] = value;
}

function hostileValue(v: unknown, rng: Rng): [unknown, string] | null {
  if (typeof v === 'number') {
    const n = rng.chance(0.2) ? v + (rng.chance(0.5) ? 1 : -1) : rng.pick(NUMBERS);
    return [n, String(n)];
  }
  if (typeof v === 'boolean') return [!v, String(!v)];
  if (typeof v === 'string') {
    const t = rng.pick(STRINGS);
    return [t, `string(${t.length})`];
  }
  if (Buffer.isBuffer(v)) {
    // Records (Produce) and protocol metadata (JoinGroup): lies a CRC check cannot catch.
    const choice = rng.int(5);
    if (choice === 0) return [Buffer.alloc(0), 'empty bytes'];
    if (choice === 1) return [noise(1 + rng.int(300), rng.next()), 'noise bytes'];
    if (choice === 2) return [batchWithRecords(noise(1 + rng.int(200), rng.next()), { recordCount: rng.pick([1, 5, 0x7fffffff, -1]) }), 'batch of noise'];
    if (choice === 3) {
      const codec = rng.pick([CompressionType.Gzip, CompressionType.Snappy, CompressionType.Lz4, CompressionType.Zstd]);
      return [batchWithRecords(noise(1 + rng.int(200), rng.next()), { recordCount: 3, compression: codec }), `noise claiming codec ${codec}`];
    }
    return [Buffer.concat([buildBatchSync([{ value: 'a' }]), batchWithRecords(realRecords(2))]), 'two batches'];
  }
  if (Array.isArray(v)) {
    const choice = rng.int(3);
    if (choice === 0 || v.length === 0) return [[], 'empty array'];
    if (choice === 1) return [null, 'null array'];
    const times = rng.pick([2, 10, 1000]);
    return [Array.from({ length: v.length * times }, (_, i) => v[i % v.length]), `array x${times}`];
  }
  if (v === null) return [rng.chance(0.5) ? '' : 0, 'null replaced'];
  return null;
}

function mutateField(b: Buffer, rng: Rng): [Buffer, string] {
  const r = new Reader(b);
  const header = readRequestHeaderStart(r);
  const codec = API_CODECS.get(header.apiKey);
  if (!codec || header.apiVersion < codec.minVersion || header.apiVersion > codec.maxVersion) return [b, 'noop'];
  const flexible = codec.flexibleFrom >= 0 && header.apiVersion >= codec.flexibleFrom;
  readRequestHeaderRest(r, header, flexible);
  const body = codec.decodeRequest(r, header.apiVersion);
  if (r.error) return [b, 'noop'];
  const all: Array<{ path: Path; value: unknown }> = [];
  leaves(body, [], all);
  const target = rng.pick(all.slice(1));
  if (!target) return [b, 'noop'];
  const change = hostileValue(target.value, rng);
  if (!change) return [b, 'noop'];
  setAt(body, target.path, change[0]);
  try {
    const w = new Writer(requestHeaderSize(header, flexible) + codec.sizeRequest(header.apiVersion, body));
    writeRequestHeader(w, header, flexible);
    codec.encodeRequest(w, header.apiVersion, body);
    return [w.finish(), `${codec.name}.${target.path.join('.')} = ${change[1]}`];
  } catch {
    return [b, 'noop (value does not fit the field)'];
  }
}

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

/**
 * Sends `frames` on one connection and waits until answered, closed or `waitMs`. With `cuts`, the
 * bytes go out in pieces cut at those offsets, one per event-loop turn, so frame boundaries land
 * inside and at the end of TCP reads (where a frame reader's edge cases live).
 */
export function sendOnOneConnection(host: string, port: number, frames: Buffer[], waitMs: number, cuts: number[] = []): Promise<'answered' | 'closed' | 'waiting' | 'refused'> {
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
    s.setNoDelay(true);
    s.on('connect', () => {
      const all = Buffer.concat(frames);
      let from = 0;
      const next = () => {
        if (done) return;
        const to = cuts.find((c) => c > from && c < all.length) ?? all.length;
        s.write(all.subarray(from, to));
        from = to;
        if (from < all.length) setTimeout(next, 1);
      };
      next();
    });
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
  /** Connections open at a time. */
  connections?: number;
  /** Most mutants per connection (each gets 1..this many, pipelined). */
  perConnection?: number;
  /** Extra broker flags. */
  flags?: Record<string, string | number | boolean>;
  log?: (line: string) => void;
}

export interface FuzzResult {
  seed: number;
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
  /** Health checks (every 250 ms) that saw the canary wait longer than LIMITS.canaryMs. */
  slowChecks: number;
  /** What was sent around the worst canary wait, when it exceeded LIMITS.canaryMs (replayable). */
  slowFile: string | null;
}

/**
 * Mutated CreateTopics/CreatePartitions ask for up to 10,000 partitions (the per-topic cap) again
 * and again: each partition costs the broker ~12 KiB and a directory, and nothing caps the total,
 * so an hour's run would end on memory, not on a bug. A small per-topic cap keeps the broker's
 * state bounded; runaway creation has its own cases in hostile.test.ts.
 */
const FUZZ_FLAGS = { 'runnel.max.partitions.per.topic': 64 };

/** A canary wait this long fails the run (a stall, not a hiccup). */
const STALL_MS = 2000;
const MAX_DATA_DIR_ENTRIES = 20_000;

export async function runFuzz(opts: FuzzOptions): Promise<FuzzResult> {
  const log = opts.log ?? ((l: string) => console.log(l));
  const connections = opts.connections ?? 8;
  const perConnection = opts.perConnection ?? 3;
  const corpus = loadCorpus();
  const rng = new Rng(opts.seed);
  log(`[fuzz] seed ${opts.seed}, ${opts.seconds} s, corpus ${corpus.length} request frames, ${connections} connections at a time, 1-${perConnection} mutants each`);
  const broker = await HostileBroker.start({ ...FUZZ_FLAGS, ...opts.flags });
  const monitor = new Monitor(broker);
  const outcomes: Record<string, number> = {};
  // The most recent mutants, oldest first: what a crash file holds.
  const recent: Array<{ slot: number; mutants: Mutant[] }> = [];
  // What each connection slot sent since the last check: the suspects of a slow check.
  let sinceCheck: Array<{ slot: number; mutants: Mutant[] }> = [];
  const findings = new Map<string, string>();
  let checks = 0;
  let mutants = 0;
  let failure: string | null = null;
  let worst = 0;
  let peak = 0;
  let slowChecks = 0;
  let slowest: { ms: number; sent: Array<{ slot: number; mutants: Mutant[] }> } = { ms: 0, sent: [] };
  let dirEntries = 0;
  const t0 = performance.now();
  const deadline = t0 + opts.seconds * 1000;
  try {
    await monitor.answersAgain(5000);
    // Warm-up: every corpus frame once, unmutated, so the topics and groups they name exist.
    for (const f of [...corpus].sort((a, b) => (a.apiKey === 19 ? -1 : b.apiKey === 19 ? 1 : 0))) {
      const framed = Buffer.concat([Buffer.alloc(4), f.bytes]);
      framed.writeInt32BE(f.bytes.length);
      await sendOnOneConnection(broker.host, broker.port, [framed], 300);
    }
    let running = true;
    // Connection slots: each sends 1..perConnection mutants on a fresh connection, waits briefly
    // for answers (or the broker closing it), and starts over. Mutants come from one seeded
    // sequence; which slot sends which depends on timing, the mutants themselves do not.
    const slot = async (id: number): Promise<void> => {
      while (running) {
        const ms = Array.from({ length: 1 + rng.int(perConnection) }, () => mutate(rng, corpus));
        const entry = { slot: id, mutants: ms };
        recent.push(entry);
        if (recent.length > 300) recent.shift();
        sinceCheck.push(entry);
        mutants += ms.length;
        // A third of the connections send their bytes in pieces: cut at frame ends and at random.
        const total = ms.reduce((n, m) => n + m.bytes.length, 0);
        const cuts: number[] = [];
        if (rng.chance(0.33)) {
          let end = 0;
          for (const m of ms) cuts.push((end += m.bytes.length));
          for (let k = rng.int(4); k > 0; k--) cuts.push(1 + rng.int(Math.max(1, total - 1)));
          cuts.sort((a, b) => a - b);
        }
        const how = await sendOnOneConnection(broker.host, broker.port, ms.map((m) => m.bytes), 500, cuts);
        outcomes[how] = (outcomes[how] ?? 0) + 1;
        if (how === 'refused') await sleep(50);
      }
    };
    // The mutant generator and senders are the attacker: niced, as in the attack suite (harness.ts).
    niceAttacker(true);
    const slots = Array.from({ length: connections }, (_, i) => slot(i));
    // Health checks, every 250 ms: alive, canary answering, RSS, error logs, data directory size.
    let logFrom = broker.child.logs.length;
    monitor.reset();
    while (performance.now() < deadline && failure === null) {
      await sleep(250);
      checks++;
      const waited = monitor.worstMs();
      const suspects = sinceCheck;
      sinceCheck = [];
      worst = Math.max(worst, waited);
      peak = Math.max(peak, monitor.peakRss());
      if (waited > LIMITS.canaryMs) slowChecks++;
      if (waited > slowest.ms) slowest = { ms: waited, sent: suspects };
      monitor.reset();
      for (const line of broker.errorLogs(logFrom)) {
        const msg = summarizeError(line);
        if (!findings.has(msg)) findings.set(msg, line.slice(0, 600));
      }
      // Keep the test process's copy of the broker's log short on long runs.
      if (broker.child.logs.length > 2000) broker.child.logs.splice(0, broker.child.logs.length - 200);
      logFrom = broker.child.logs.length;
      if (!broker.alive()) failure = broker.describeExit();
      else if (waited > STALL_MS) {
        // The exit event of a broker that just crashed may come while the canary waits.
        await sleep(200);
        failure = broker.alive() ? `the canary waited ${Math.round(waited)} ms (a stall)` : broker.describeExit();
      } else if (peak > LIMITS.rssBytes) failure = `broker RSS reached ${mib(peak)} MiB (> ${mib(LIMITS.rssBytes)} MiB)`;
      else if (checks % 10 === 0) {
        dirEntries = readdirSync(broker.dataDir).length;
        if (dirEntries > MAX_DATA_DIR_ENTRIES) failure = `the data directory holds ${dirEntries} entries (runaway topic or partition creation)`;
      }
      if (checks % 120 === 0) log(`[fuzz] ${mutants} mutants, ${((performance.now() - t0) / 1000).toFixed(0)} s, canary worst ${Math.round(worst)} ms, peak RSS ${mib(peak)} MiB, ${dirEntries} partition directories`);
    }
    running = false;
    await Promise.all(slots);
  } finally {
    niceAttacker(false);
    await monitor.stop();
    await broker.stop();
  }
  let crashFile: string | null = null;
  let slowFile: string | null = null;
  if (slowest.ms > LIMITS.canaryMs) {
    slowFile = saveMutants(`fuzz-slow-${opts.seed}`, slowest.sent, `the canary waited ${Math.round(slowest.ms)} ms while these were sent`);
    log(`[fuzz] ${slowChecks} check(s) saw the canary wait over ${LIMITS.canaryMs} ms; the worst (${Math.round(slowest.ms)} ms) with what was sent meanwhile is in ${slowFile}; replay: npx tsx test/hostile/fuzz.ts --replay ${slowFile}`);
  }
  if (failure !== null) {
    crashFile = saveMutants(`fuzz-crash-${opts.seed}`, recent, failure);
    log(`[fuzz] FAILED (seed ${opts.seed}): ${failure}`);
    log(`[fuzz] the last ${recent.length} connections' mutants are in ${crashFile}; replay them with:\n  npm run build && npx tsx test/hostile/fuzz.ts --replay ${crashFile}`);
  }
  const result: FuzzResult = {
    seed: opts.seed,
    mutants,
    seconds: (performance.now() - t0) / 1000,
    outcomes,
    peakRssMiB: mib(peak),
    worstCanaryMs: Math.round(worst),
    findings: [...findings.values()],
    failure,
    crashFile,
    slowChecks,
    slowFile,
  };
  log(
    `[fuzz] seed ${opts.seed}: ${mutants} mutants in ${result.seconds.toFixed(0)} s; connections ${JSON.stringify(outcomes)}; ` +
      `canary worst ${result.worstCanaryMs} ms; peak RSS ${result.peakRssMiB} MiB; ${dirEntries} partition directories; ${findings.size} distinct handler error(s)`,
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
// Crash files: "RNFZ" + entries of [uint32 connection, uint32 length, bytes], and a .json beside
// them describing each mutant (its corpus frame and mutations)

function saveMutants(name: string, sent: Array<{ slot: number; mutants: Mutant[] }>, failure: string): string {
  const dir = join(REPO_ROOT, 'test', '.work');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${name}.bin`);
  const parts: Buffer[] = [Buffer.from('RNFZ')];
  const described: Array<{ connection: number; slot: number; source: string; mutations: string }> = [];
  sent.forEach((conn, c) =>
    conn.mutants.forEach((m) => {
      const head = Buffer.alloc(8);
      head.writeUInt32BE(c, 0);
      head.writeUInt32BE(m.bytes.length, 4);
      parts.push(head, m.bytes);
      described.push({ connection: c, slot: conn.slot, source: m.source, mutations: m.description });
    }),
  );
  writeFileSync(file, Buffer.concat(parts));
  writeFileSync(file.replace(/\.bin$/, '.json'), JSON.stringify({ failure, mutants: described }, null, 1));
  return file;
}

export function readCrash(file: string): Array<{ connection: number; bytes: Buffer }> {
  const b = readFileSync(file);
  if (b.subarray(0, 4).toString() !== 'RNFZ') throw new Error(`${file} is not a fuzz crash file`);
  const out: Array<{ connection: number; bytes: Buffer }> = [];
  for (let at = 4; at + 8 <= b.length; ) {
    const len = b.readUInt32BE(at + 4);
    out.push({ connection: b.readUInt32BE(at), bytes: b.subarray(at + 8, at + 8 + len) });
    at += 8 + len;
  }
  return out;
}

/**
 * Replays a crash file against a fresh broker: first each mutant alone on its own connection,
 * naming the first one the broker does not survive (and any that make the canary wait); then, if
 * none does alone, the connections as they were sent, 16 at a time (a crash that needs several
 * requests together).
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
      if (waited > LIMITS.canaryMs) log(`[fuzz] mutant #${i} (connection ${e.connection}) made the canary wait ${Math.round(waited)} ms\n  bytes: ${e.bytes.toString('hex')}`);
      if (!broker.alive()) {
        const why = broker.describeExit();
        log(`[fuzz] mutant #${i} (connection ${e.connection}) alone kills the broker: ${why}\n  bytes: ${e.bytes.toString('hex')}`);
        return `mutant #${i}: ${why}`;
      }
    }
    log('[fuzz] no single mutant kills the broker; replaying the connections as sent');
    await monitor.stop();
    await broker.stop();
    broker = await HostileBroker.start();
    monitor = new Monitor(broker);
    const conns = new Map<number, Buffer[]>();
    for (const e of entries) conns.set(e.connection, [...(conns.get(e.connection) ?? []), e.bytes]);
    const all = [...conns.values()];
    for (let i = 0; i < all.length; i += 16) {
      monitor.reset();
      await Promise.all(all.slice(i, i + 16).map((frames) => sendOnOneConnection(broker.host, broker.port, frames, 500)));
      await sleep(100);
      const waited = monitor.worstMs();
      if (waited > LIMITS.canaryMs) log(`[fuzz] connections ${i}-${i + 15}: the canary waited ${Math.round(waited)} ms`);
      if (!broker.alive()) {
        const why = broker.describeExit();
        log(`[fuzz] connections ${i}-${i + 15} kill the broker: ${why}`);
        return `connections ${i}-${i + 15}: ${why}`;
      }
    }
    log(`[fuzz] the broker survived the replay (peak RSS ${mib(monitor.peakRss())} MiB); the failure may need the run's earlier state`);
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
