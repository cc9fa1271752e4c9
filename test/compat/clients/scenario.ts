/**
 * The client scenario of the clients-*.test.ts files, its runners and its checker.
 *
 * One scenario per client and version, each a program under test/compat/clients that prints one
 * JSON line (py/scenario_common.py describes the steps and the fields): admin create / describe /
 * list the topic, produce keyed records with a header at acks=all (and whatever else the client
 * does by default: idempotence, compression, its partitioner), consume them in a consumer group
 * and commit, produce more and resume with a new group member (it must see only the new records),
 * describe the group and its committed offsets, delete the topic.
 *
 * Toolchains and where .ci/run installs them:
 *   Python clients   test/.venv (PyPI: confluent-kafka, kafka-python, aiokafka, pinned there);
 *                    kafka-python 2.2 beside it in test/.venv/kafka-python-2.2 (pip --target)
 *   Go clients       test/compat/clients/go (franz-go, sarama; `go mod download`), built here
 *                    into test/.work/compat-go on first use
 *   confluent-kafka-javascript  test/compat/clients/js/node_modules (a native build)
 *   @platformatic/kafka  test/compat/clients/platformatic/node_modules (`npm ci` there)
 *   segmentio/kafka-go   test/compat/clients/kafka-go (a Go module of its own), built into
 *                        test/.work/compat-go/kafka-go
 *   Rust rdkafka         test/compat/clients/rust (a Cargo project; the crate's dynamic-linking
 *                        feature against Debian's librdkafka-dev), built into test/.work/compat-rust
 * A test whose toolchain is absent skips, saying what to install; CI installs all of them.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../../helpers/broker.js';
import { run } from '../../helpers/clients.js';

export const CLIENTS_DIR = join(REPO_ROOT, 'test', 'compat', 'clients');
export const VENV_PYTHON = join(REPO_ROOT, 'test', '.venv', 'bin', 'python');
/** kafka-python 2.2.x, installed with `pip --target` beside the venv's newest kafka-python. */
export const KAFKA_PYTHON_22 = join(REPO_ROOT, 'test', '.venv', 'kafka-python-2.2');
export const CKJS_DIR = join(CLIENTS_DIR, 'js');
const GO_DIR = join(CLIENTS_DIR, 'go');
const GO_BIN = join(REPO_ROOT, 'test', '.work', 'compat-go', 'compat');
/** The built Go program (after ensureGoBuilt), for tests that run its long-lived modes. */
export const GO_BINARY = GO_BIN;

/** [key, value, [[header key, header value]...], partition, offset] */
export type ConsumedRecord = [string | null, string, [string, string][], number, number];

export interface ScenarioResult {
  client: string;
  version: string;
  admin: Record<string, any>;
  /** [value, partition, offset] per acknowledged record. */
  produced: [string, number, number][];
  produceErrors: string[];
  consumed: ConsumedRecord[];
  resumed: ConsumedRecord[];
  consumeErrors: string[];
  /** Partition → committed offset, as the client read it back after committing. */
  committed: Record<string, number>;
  ms?: number;
  fatal?: string;
}

export interface ScenarioOptions {
  bootstrap: string;
  topic: string;
  group: string;
  partitions?: number;
  count?: number;
  resume?: number;
  /** Client config overrides (Python and JS scenarios). */
  producer?: Record<string, unknown>;
  consumer?: Record<string, unknown>;
  /** Go scenarios: compression codec, sarama idempotence and Config.Version. */
  compression?: string;
  idempotent?: boolean;
  version?: string;
}

function parseLast(stdout: string, what: string, stderr: string): ScenarioResult {
  const lines = stdout.trim().split('\n');
  try {
    return JSON.parse(lines[lines.length - 1]!) as ScenarioResult;
  } catch {
    throw new Error(`${what} printed no JSON:\nstdout: ${stdout}\nstderr: ${stderr.slice(-4000)}`);
  }
}

// ---------------------------------------------------------------------------------------------
// Toolchains

export function venvAvailable(): boolean {
  return existsSync(VENV_PYTHON);
}

/** Why a Python client is not there (for it.skipIf messages), or null when it is. */
export function pythonModuleMissing(module: string, extraPath?: string): string | null {
  if (!venvAvailable()) return `no ${VENV_PYTHON} (run .ci/run, or create it as .ci/run does)`;
  if (extraPath !== undefined && !existsSync(extraPath)) return `no ${extraPath} (run .ci/run)`;
  const env = { ...process.env, PYTHONPATH: extraPath ?? '' };
  const r = spawnSync(VENV_PYTHON, ['-c', `import ${module}`], { env, stdio: 'ignore' });
  return r.status === 0 ? null : `${module} is not installed in ${VENV_PYTHON}`;
}

export async function runPythonScenario(script: string, o: ScenarioOptions, opts: { extraPath?: string; timeoutMs?: number } = {}): Promise<ScenarioResult> {
  const pyPath = [join(CLIENTS_DIR, 'py'), ...(opts.extraPath ? [opts.extraPath] : [])].join(':');
  const r = await run(VENV_PYTHON, [join(CLIENTS_DIR, 'py', script), JSON.stringify(o)], { timeoutMs: opts.timeoutMs ?? 120_000, env: { PYTHONPATH: pyPath } });
  if (r.code !== 0) throw new Error(`${script} exited ${r.code}:\n${r.stderr.slice(-4000)}\n${r.stdout.slice(-2000)}`);
  return parseLast(r.stdout, script, r.stderr);
}

/** The go command: on the PATH or in the machine image's /usr/local/go. */
export function goCommand(): string | null {
  for (const cmd of ['go', '/usr/local/go/bin/go']) {
    if (spawnSync(cmd, ['version'], { stdio: 'ignore' }).status === 0) return cmd;
  }
  return null;
}

let goBuilt: Promise<void> | null = null;

/** Builds test/compat/clients/go into test/.work/compat-go/compat once per test process. */
export function ensureGoBuilt(): Promise<void> {
  goBuilt ??= (async () => {
    const go = goCommand();
    if (go === null) throw new Error('go is not installed');
    mkdirSync(join(GO_BIN, '..'), { recursive: true });
    // -mod=readonly: go.sum pins every module; .ci/run ran `go mod download`.
    const r = await run(go, ['-C', GO_DIR, 'build', '-mod=readonly', '-o', GO_BIN, '.'], { timeoutMs: 10 * 60_000 });
    if (r.code !== 0) throw new Error(`go build in ${GO_DIR} failed (exit ${r.code}):\n${r.stderr}`);
  })();
  goBuilt.catch(() => (goBuilt = null));
  return goBuilt;
}

export async function runGoScenario(client: 'franz' | 'sarama' | 'franz-group', o: ScenarioOptions & { timeout?: number }, timeoutMs = 150_000): Promise<ScenarioResult> {
  await ensureGoBuilt();
  const r = await run(GO_BIN, [client, JSON.stringify(o)], { timeoutMs });
  if (r.code !== 0) throw new Error(`compat ${client} exited ${r.code}:\n${r.stderr.slice(-4000)}\n${r.stdout.slice(-2000)}`);
  return parseLast(r.stdout, `compat ${client}`, r.stderr);
}

export const PLATFORMATIC_DIR = join(CLIENTS_DIR, 'platformatic');

/** Why @platformatic/kafka cannot run (for skip messages), or null when it can. */
export function platformaticMissing(): string | null {
  return existsSync(join(PLATFORMATIC_DIR, 'node_modules', '@platformatic', 'kafka', 'package.json'))
    ? null
    : `@platformatic/kafka is not installed in ${PLATFORMATIC_DIR}/node_modules (run test/compat/clients/setup.sh)`;
}

export async function runPlatformaticScenario(o: ScenarioOptions, timeoutMs = 120_000): Promise<ScenarioResult> {
  const script = join(PLATFORMATIC_DIR, 'platformatic_scenario.mjs');
  const r = await run(process.execPath, [script, JSON.stringify(o)], { timeoutMs });
  if (r.code !== 0) throw new Error(`platformatic_scenario.mjs exited ${r.code}:\n${r.stderr.slice(-4000)}\n${r.stdout.slice(-2000)}`);
  return parseLast(r.stdout, 'platformatic_scenario.mjs', r.stderr);
}

const KAFKA_GO_DIR = join(CLIENTS_DIR, 'kafka-go');
const KAFKA_GO_BIN = join(REPO_ROOT, 'test', '.work', 'compat-go', 'kafka-go');
let kafkaGoBuilt: Promise<void> | null = null;

/** Builds test/compat/clients/kafka-go into test/.work/compat-go/kafka-go once per test process. */
export function ensureKafkaGoBuilt(): Promise<void> {
  kafkaGoBuilt ??= (async () => {
    const go = goCommand();
    if (go === null) throw new Error('go is not installed');
    mkdirSync(join(KAFKA_GO_BIN, '..'), { recursive: true });
    const r = await run(go, ['-C', KAFKA_GO_DIR, 'build', '-mod=readonly', '-o', KAFKA_GO_BIN, '.'], { timeoutMs: 10 * 60_000 });
    if (r.code !== 0) throw new Error(`go build in ${KAFKA_GO_DIR} failed (exit ${r.code}):\n${r.stderr}`);
  })();
  kafkaGoBuilt.catch(() => (kafkaGoBuilt = null));
  return kafkaGoBuilt;
}

export async function runKafkaGoScenario(o: ScenarioOptions, timeoutMs = 150_000): Promise<ScenarioResult> {
  await ensureKafkaGoBuilt();
  const r = await run(KAFKA_GO_BIN, [JSON.stringify(o)], { timeoutMs });
  if (r.code !== 0) throw new Error(`kafka-go exited ${r.code}:\n${r.stderr.slice(-4000)}\n${r.stdout.slice(-2000)}`);
  return parseLast(r.stdout, 'kafka-go', r.stderr);
}

const RUST_DIR = join(CLIENTS_DIR, 'rust');
const RUST_TARGET = join(REPO_ROOT, 'test', '.work', 'compat-rust');
const RUST_BIN = join(RUST_TARGET, 'release', 'runnel-compat-rdkafka');

/** The cargo command: on the PATH or in ~/.cargo/bin (rustup's place). */
export function cargoCommand(): string | null {
  for (const cmd of ['cargo', join(process.env.HOME ?? '/root', '.cargo', 'bin', 'cargo')]) {
    if (spawnSync(cmd, ['--version'], { stdio: 'ignore' }).status === 0) return cmd;
  }
  return null;
}

/** Why the Rust rdkafka scenario cannot run (for skip messages), or null when it can. */
export function rustMissing(): string | null {
  if (existsSync(RUST_BIN)) return null;
  if (cargoCommand() === null) return 'no cargo (install Rust, e.g. with rustup)';
  if (spawnSync('pkg-config', ['--exists', 'rdkafka'], { stdio: 'ignore' }).status !== 0) return "no librdkafka-dev (pkg-config rdkafka): the rdkafka crate's dynamic-linking feature links Debian's librdkafka";
  return null;
}

let rustBuilt: Promise<void> | null = null;

/** Builds test/compat/clients/rust (Cargo.lock, --locked) into test/.work/compat-rust once per test process. */
export function ensureRustBuilt(): Promise<void> {
  rustBuilt ??= (async () => {
    const cargo = cargoCommand();
    if (cargo === null) {
      if (existsSync(RUST_BIN)) return;
      throw new Error('cargo is not installed');
    }
    const r = await run(cargo, ['build', '--release', '--locked', '-q', '--manifest-path', join(RUST_DIR, 'Cargo.toml')], { timeoutMs: 15 * 60_000, env: { CARGO_TARGET_DIR: RUST_TARGET } });
    if (r.code !== 0) throw new Error(`cargo build in ${RUST_DIR} failed (exit ${r.code}):\n${r.stderr.slice(-4000)}`);
  })();
  rustBuilt.catch(() => (rustBuilt = null));
  return rustBuilt;
}

export async function runRustScenario(o: ScenarioOptions, timeoutMs = 150_000): Promise<ScenarioResult> {
  await ensureRustBuilt();
  const r = await run(RUST_BIN, [JSON.stringify(o)], { timeoutMs });
  if (r.code !== 0) throw new Error(`runnel-compat-rdkafka exited ${r.code}:\n${r.stderr.slice(-4000)}\n${r.stdout.slice(-2000)}`);
  return parseLast(r.stdout, 'runnel-compat-rdkafka', r.stderr);
}

export function ckjsAvailable(): boolean {
  return existsSync(join(CKJS_DIR, 'node_modules', '@confluentinc', 'kafka-javascript', 'build', 'Release', 'confluent-kafka-javascript.node'));
}

export async function runCkjsScenario(o: ScenarioOptions, timeoutMs = 120_000): Promise<ScenarioResult> {
  const r = await run(process.execPath, [join(CKJS_DIR, 'ckjs_scenario.cjs'), JSON.stringify(o)], { timeoutMs });
  if (r.code !== 0) throw new Error(`ckjs_scenario.cjs exited ${r.code}:\n${r.stderr.slice(-4000)}\n${r.stdout.slice(-2000)}`);
  return parseLast(r.stdout, 'ckjs_scenario.cjs', r.stderr);
}

// ---------------------------------------------------------------------------------------------
// Checking

export interface CheckOptions {
  partitions: number;
  count: number;
  resume: number;
  /** Expected key and header value of a record, from its value (default: the scenario's records). */
  keyOf?: (value: string) => string;
  headerOf?: (value: string) => [string, string][];
  /** Steps a client cannot run (e.g. 'nodes' for a client without DescribeCluster). */
  skipAdmin?: string[];
}

const scenarioKey = (value: string): string => `k${Number(value.slice(1)) % 37}`;
const scenarioHeaders = (value: string): [string, string][] => [['h', `x${value.slice(1)}`]];

/**
 * Every problem with a scenario's result, as readable lines (empty when all is well): admin steps,
 * each record acknowledged once with its own offset, offsets per partition contiguous from 0,
 * every record consumed exactly once with its key, header, partition and offset, keys on one
 * partition each, the resumed member seeing exactly the new records, committed offsets at the end
 * of every partition, the group and the topic gone or empty as expected.
 */
export function checkScenario(r: ScenarioResult, o: CheckOptions): string[] {
  const problems: string[] = [];
  const keyOf = o.keyOf ?? scenarioKey;
  const headerOf = o.headerOf ?? scenarioHeaders;
  const skip = new Set(o.skipAdmin ?? []);
  if (r.fatal) problems.push(`fatal: ${r.fatal}`);
  const admin = (name: string, expected: unknown): void => {
    if (skip.has(name)) return;
    const got = r.admin[name];
    if (JSON.stringify(got) !== JSON.stringify(expected)) problems.push(`admin ${name}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(got)}`);
  };
  admin('create', 'ok');
  admin('partitions', o.partitions);
  admin('listed', true);
  admin('nodes', 1);

  // Produce: every record acknowledged once; offsets per partition are 0..n-1.
  if (r.produceErrors.length > 0) problems.push(`produce errors: ${r.produceErrors.slice(0, 5).join('; ')}`);
  const total = o.count + o.resume;
  if (r.produced.length !== total) problems.push(`acknowledged ${r.produced.length} records, expected ${total}`);
  const where = new Map<string, [number, number]>();
  const byPartition = new Map<number, number[]>();
  for (const [value, p, off] of r.produced) {
    if (where.has(value)) problems.push(`record ${value} acknowledged twice`);
    where.set(value, [p, off]);
    if (!byPartition.has(p)) byPartition.set(p, []);
    byPartition.get(p)!.push(off);
  }
  const ends: Record<string, number> = {};
  for (let p = 0; p < o.partitions; p++) {
    const offs = (byPartition.get(p) ?? []).sort((a, b) => a - b);
    if (offs.some((off, i) => off !== i)) problems.push(`partition ${p}: acknowledged offsets are not 0..${offs.length - 1}: ${offs.slice(0, 10).join(',')}...`);
    ends[String(p)] = offs.length;
  }
  for (const p of byPartition.keys()) if (p < 0 || p >= o.partitions) problems.push(`record acknowledged on partition ${p}`);

  // Consume: each record once, as produced; the resumed member sees only the new ones.
  if (r.consumeErrors.length > 0) problems.push(`consume errors: ${r.consumeErrors.slice(0, 5).join('; ')}`);
  const produced = r.produced.map(([v]) => v);
  const firstValues = new Set(produced.filter((v) => !isResumeValue(v, o.count)));
  const checkPhase = (name: string, records: ConsumedRecord[], expected: Set<string>): void => {
    const seen = new Set<string>();
    const keyPartition = new Map<string, number>();
    for (const [key, value, headers, p, off] of records) {
      if (seen.has(value)) {
        problems.push(`${name}: ${value} delivered twice`);
        continue;
      }
      seen.add(value);
      if (!expected.has(value)) {
        problems.push(`${name}: unexpected record ${value} (partition ${p} offset ${off})`);
        continue;
      }
      const w = where.get(value);
      if (w && (w[0] !== p || w[1] !== off)) problems.push(`${name}: ${value} at ${p}/${off}, acknowledged at ${w[0]}/${w[1]}`);
      if (key !== keyOf(value)) problems.push(`${name}: ${value} has key ${key}, expected ${keyOf(value)}`);
      if (JSON.stringify(headers) !== JSON.stringify(headerOf(value))) problems.push(`${name}: ${value} has headers ${JSON.stringify(headers)}`);
      if (key !== null) {
        const kp = keyPartition.get(key);
        if (kp !== undefined && kp !== p) problems.push(`${name}: key ${key} on partitions ${kp} and ${p}`);
        keyPartition.set(key, p);
      }
    }
    const missing = [...expected].filter((v) => !seen.has(v));
    if (missing.length > 0) problems.push(`${name}: ${missing.length} of ${expected.size} records not delivered (${missing.slice(0, 5).join(',')}...)`);
  };
  checkPhase('first member', r.consumed, firstValues);
  checkPhase('resumed member', r.resumed, new Set(produced.filter((v) => !firstValues.has(v))));

  // Committed offsets: the end of every partition, read back by the consumer and by admin.
  const committed = Object.fromEntries(Object.entries(r.committed).filter(([, off]) => off >= 0));
  if (JSON.stringify(sortKeys(committed)) !== JSON.stringify(sortKeys(ends))) problems.push(`committed ${JSON.stringify(r.committed)}, partition ends ${JSON.stringify(ends)}`);
  admin('listedGroup', true);
  if (!skip.has('describedGroup')) {
    const g = r.admin.describedGroup;
    if (typeof g !== 'object' || g === null || String(g.state).toLowerCase() !== 'empty' || g.members !== 0) problems.push(`describedGroup: expected an Empty group without members, got ${JSON.stringify(g)}`);
  }
  if (!skip.has('groupOffsets') && JSON.stringify(sortKeys(r.admin.groupOffsets ?? {})) !== JSON.stringify(sortKeys(ends))) {
    problems.push(`groupOffsets ${JSON.stringify(r.admin.groupOffsets)}, partition ends ${JSON.stringify(ends)}`);
  }
  admin('delete', 'ok');
  admin('deleted', true);
  return problems;
}

/** Records of the resume phase: v<i> with i >= count (the scenarios), or w<i> (the Java runs). */
function isResumeValue(value: string, count: number): boolean {
  return value.startsWith('w') || Number(value.slice(1)) >= count;
}

function sortKeys(o: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).sort(([a], [b]) => Number(a) - Number(b)));
}
