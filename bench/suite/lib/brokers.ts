/**
 * The brokers the suite compares, each started fresh on a free 127.0.0.1 port and stopped by the
 * suite:
 *
 * - `runnel`: `node dist/runnel.mjs start`, Runnel's defaults (log.flush.interval.messages=1:
 *   every append fsynced before acks=all is answered and before consumers see it; group commit);
 * - `runnel-nofsync`: the same with log.flush.interval.messages relaxed to "never" (Kafka's
 *   default: the page cache, no fsync per append) — labelled as such in every table;
 * - `mock`: librdkafka's built-in mock cluster (rdbench mock; the same code as
 *   `kcat -X test.mock.num.brokers=1`), an in-memory C broker for client tests. It keeps only the
 *   last 5 MiB (or 100,000 batches) of each partition and does not wake waiting fetches on produce;
 * - `kafka`: Apache Kafka 4.x, single KRaft node, through scripts/apache-kafka.sh, with Kafka's
 *   stock start-script heap and GC flags (-Xmx1G -Xms1G, G1, MaxGCPauseMillis=20) and defaults
 *   (no fsync per append).
 *
 * Runnel and Kafka get the same broker settings where they differ by default (one partition for
 * auto-created and internal topics, group.initial.rebalance.delay.ms=0: the script's
 * server.properties).
 */
import { BROKER_NODE_FLAGS } from '../../../src/node-flags.js';
import type { ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import kafkajsPkg from 'kafkajs';
import { REPO_ROOT, WORK, cpuSeconds, lastJson, onExit, rssMb, run, sleep, spawnTracked } from './common.js';
import { ensureRdbench } from './rdbench.js';

const { Kafka, logLevel } = kafkajsPkg;

export type BrokerKind = 'runnel' | 'runnel-nofsync' | 'mock' | 'kafka';
export const BROKER_LABEL: Record<BrokerKind, string> = {
  runnel: 'Runnel (fsync per append, default)',
  'runnel-nofsync': 'Runnel (no fsync, Kafka-like)',
  mock: 'librdkafka mock',
  kafka: 'Apache Kafka',
};
export const SHORT_LABEL: Record<BrokerKind, string> = { runnel: 'Runnel', 'runnel-nofsync': 'Runnel nofsync', mock: 'mock', kafka: 'Kafka' };

export interface Broker {
  kind: BrokerKind;
  bootstrap: string;
  /** The broker process (for the mock: the process hosting it). */
  pid: number;
  version: string;
  createTopic(name: string, partitions: number): Promise<void>;
  /** Clean stop and start on the same data; resolves with the time to the first answered request. */
  restart?(): Promise<StartTiming>;
  stop(): Promise<void>;
  rssMb(): number;
  cpuSeconds(): number;
}

export interface StartTiming {
  /** Process spawn → a TCP connect succeeds. */
  acceptMs: number;
  /** Process spawn → an ApiVersions request is answered. */
  readyMs: number;
}

/** Runnel's settings that match the reference Kafka's server.properties (scripts/apache-kafka.sh). */
export const KAFKA_LIKE_SETTINGS: Record<string, string | number> = {
  'num.partitions': 1,
  'offsets.topic.num.partitions': 1,
  'transaction.state.log.num.partitions': 1,
  'group.initial.rebalance.delay.ms': 0,
};
/** Kafka's default flush policy (Long.MAX_VALUE) as a number Runnel's config accepts. */
export const NO_FSYNC = { 'log.flush.interval.messages': Number.MAX_SAFE_INTEGER };

// ---------------------------------------------------------------------------------------------
// Readiness: an ApiVersions v0 request answered (stricter than a TCP connect: a listening socket
// completes handshakes before the server reads anything).

const API_VERSIONS_V0 = (() => {
  const clientId = Buffer.from('bench');
  const b = Buffer.alloc(4 + 2 + 2 + 4 + 2 + clientId.length);
  b.writeInt32BE(b.length - 4, 0);
  b.writeInt16BE(18, 4);
  b.writeInt16BE(0, 6);
  b.writeInt32BE(1, 8);
  b.writeInt16BE(clientId.length, 12);
  clientId.copy(b, 14);
  return b;
})();

function apiVersionsAnswered(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port });
    let got = 0;
    const done = (ok: boolean): void => {
      clearTimeout(timer);
      s.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), 2000);
    s.once('connect', () => s.write(API_VERSIONS_V0));
    s.on('data', (d: Buffer) => {
      got += d.length;
      if (got >= 10) done(true);
    });
    s.once('error', () => done(false));
    s.once('close', () => done(false));
  });
}

/** From t0 (performance.now() at spawn): first TCP connect, then first answered ApiVersions. */
export async function waitReady(port: number, t0: number, timeoutMs: number, alive: () => boolean): Promise<StartTiming> {
  const deadline = t0 + timeoutMs;
  let acceptMs = NaN;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const c = connect({ host: '127.0.0.1', port });
      c.once('connect', () => {
        c.destroy();
        resolve(true);
      });
      c.once('error', () => resolve(false));
    });
    if (ok) {
      acceptMs = performance.now() - t0;
      break;
    }
    if (!alive()) throw new Error(`broker exited before accepting on ${port}`);
    if (performance.now() > deadline) throw new Error(`nothing accepted on ${port} within ${timeoutMs} ms`);
    await sleep(1);
  }
  for (;;) {
    if (await apiVersionsAnswered(port)) return { acceptMs, readyMs: performance.now() - t0 };
    if (!alive()) throw new Error(`broker exited before answering on ${port}`);
    if (performance.now() > deadline) throw new Error(`no ApiVersions answer on ${port} within ${timeoutMs} ms`);
    await sleep(1);
  }
}

// ---------------------------------------------------------------------------------------------
// Topic creation through the protocol (kafkajs admin), for Runnel and Kafka.
/**
 * Creates a topic and waits until Metadata shows every partition with a leader. Above 5,000
 * partitions it takes two requests (CreateTopics with 5,000, then CreatePartitions): KRaft Kafka
 * refuses a single controller operation of more than 10,000 records (one per partition), so
 * 10,000 partitions cannot be created at once there. Runnel gets the same two requests.
 */
export const CREATE_STEP = 5000;

export async function createTopicAdmin(bootstrap: string, name: string, partitions: number): Promise<void> {
  const admin = new Kafka({ brokers: [bootstrap], clientId: 'bench-admin', logLevel: logLevel.NOTHING, requestTimeout: 300_000 }).admin();
  await admin.connect();
  try {
    await admin.createTopics({ topics: [{ topic: name, numPartitions: Math.min(partitions, CREATE_STEP) }], waitForLeaders: true, timeout: 300_000 });
    if (partitions > CREATE_STEP) await admin.createPartitions({ topicPartitions: [{ topic: name, count: partitions }], timeout: 300_000 });
    // Wait until Metadata lists every partition with a leader (Kafka creates them asynchronously).
    const deadline = Date.now() + 300_000;
    for (;;) {
      const md = await admin.fetchTopicMetadata({ topics: [name] }).catch(() => null);
      const parts = md?.topics[0]?.partitions ?? [];
      if (parts.length === partitions && parts.every((p) => p.leader >= 0)) break;
      if (Date.now() > deadline) throw new Error(`topic ${name}: ${parts.length} of ${partitions} partitions after 300 s`);
      await sleep(50);
    }
  } finally {
    await admin.disconnect();
  }
}

// ---------------------------------------------------------------------------------------------
// Runnel

export interface RunnelOptions {
  kind?: 'runnel' | 'runnel-nofsync';
  /** Broker configs (Kafka names); KAFKA_LIKE_SETTINGS unless `defaults` is set. */
  flags?: Record<string, string | number | boolean>;
  /** Runnel's defaults only (no Kafka-like settings): W6. */
  defaults?: boolean;
  dataDir?: string;
  /** A fixed port (else 0: any free port). */
  port?: number;
  nodeArgs?: string[];
  /** The broker's V8 flags (src/node-flags.ts) unless given; [] runs a build as it shipped before them. */
  nodeFlags?: readonly string[];
  logLevel?: string;
  /** Another build's dist/runnel.mjs (A/B measurements, e.g. bench/records/walk-ab.ts); default this one's. */
  bin?: string;
}

export const RUNNEL_BIN = join(REPO_ROOT, 'dist', 'runnel.mjs');

export function runnelVersion(): string {
  try {
    return (JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return '?';
  }
}

export function runnelArgs(o: RunnelOptions, dataDir: string, port: number): string[] {
  const flags: Record<string, string | number | boolean> = {
    ...(o.defaults ? {} : KAFKA_LIKE_SETTINGS),
    ...(o.kind === 'runnel-nofsync' ? NO_FSYNC : {}),
    ...o.flags,
  };
  const args = [...(o.nodeFlags ?? BROKER_NODE_FLAGS), ...(o.nodeArgs ?? []), o.bin ?? RUNNEL_BIN, 'start', `--listeners=PLAINTEXT://127.0.0.1:${port}`, `--log.dirs=${dataDir}`, '--runnel.admin.listener=none', `--logger.level=${o.logLevel ?? 'info'}`];
  for (const [k, v] of Object.entries(flags)) args.push(`--${k}=${v}`);
  return args;
}

export async function startRunnel(o: RunnelOptions = {}): Promise<Broker & { dataDir: string; lastStart: StartTiming }> {
  const bin = o.bin ?? RUNNEL_BIN;
  if (!existsSync(bin)) throw new Error(`${bin} missing: run npm run build`);
  const kind = o.kind ?? 'runnel';
  const dataDir = o.dataDir ?? join(WORK, `${kind}-${process.pid}-${Date.now()}`);
  mkdirSync(dataDir, { recursive: true });
  let child: ChildProcess;
  let port = o.port ?? 0;
  const logs: string[] = [];

  const launch = async (): Promise<StartTiming> => {
    const t0 = performance.now();
    child = spawnTracked(process.execPath, runnelArgs(o, dataDir, port), { stdio: ['ignore', 'pipe', 'pipe'] });
    const c = child;
    const started = new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`Runnel did not start in 120 s:\n${logs.slice(-30).join('\n')}`)), 120_000);
      c.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`Runnel exited with ${code}:\n${logs.slice(-30).join('\n')}`));
      });
      for (const stream of [c.stdout!, c.stderr!]) {
        createInterface({ input: stream }).on('line', (line) => {
          logs.push(line);
          if (logs.length > 400) logs.splice(0, 200);
          if (!line.includes('"broker started"')) return;
          clearTimeout(timer);
          const l = (JSON.parse(line) as { listeners: string[] }).listeners[0]!;
          resolve(Number(l.slice(l.lastIndexOf(':') + 1)));
        });
      }
    });
    if (port !== 0) {
      const timing = await waitReady(port, t0, 120_000, () => c.exitCode === null);
      await started;
      return timing;
    }
    port = await started;
    const ms = performance.now() - t0;
    return { acceptMs: ms, readyMs: ms };
  };

  const stopProcess = async (): Promise<void> => {
    const c = child;
    if (c.exitCode !== null || c.signalCode !== null) return;
    const exited = new Promise<void>((r) => c.once('exit', () => r()));
    c.kill('SIGTERM');
    const t = setTimeout(() => c.kill('SIGKILL'), 60_000);
    await exited;
    clearTimeout(t);
  };

  const first = await launch();
  const handle = {
    kind,
    dataDir,
    lastStart: first,
    get bootstrap() {
      return `127.0.0.1:${port}`;
    },
    get pid() {
      return child.pid!;
    },
    version: runnelVersion(),
    createTopic: (name: string, partitions: number) => createTopicAdmin(`127.0.0.1:${port}`, name, partitions),
    async restart(): Promise<StartTiming> {
      await stopProcess();
      // Same port, so the timing below is a real accept/answer poll.
      const t = await launch();
      handle.lastStart = t;
      return t;
    },
    async stop(): Promise<void> {
      await stopProcess();
      if (!o.dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
    rssMb: () => rssMb(child.pid!),
    cpuSeconds: () => cpuSeconds(child.pid!),
  };
  return handle;
}

// ---------------------------------------------------------------------------------------------
// librdkafka mock cluster

export async function startMock(): Promise<Broker> {
  const bin = await ensureRdbench();
  const child = spawnTracked(bin, ['mock'], { stdio: ['pipe', 'pipe', 'inherit'] });
  child.stdin!.on('error', () => undefined); // a dead mock fails the next create, not the suite
  const lines = createInterface({ input: child.stdout! });
  const waiting: Array<(l: string) => void> = [];
  const queued: string[] = [];
  lines.on('line', (l) => {
    const w = waiting.shift();
    if (w) w(l);
    else queued.push(l);
  });
  const nextLine = (timeoutMs = 30_000): Promise<string> =>
    queued.length > 0
      ? Promise.resolve(queued.shift()!)
      : new Promise((resolve, reject) => {
          const t = setTimeout(() => reject(new Error('mock cluster did not answer')), timeoutMs);
          waiting.push((l) => {
            clearTimeout(t);
            resolve(l);
          });
        });
  const hello = lastJson<{ bootstrap: string; librdkafka: string }>(await nextLine(), 'rdbench mock');
  let chain: Promise<unknown> = Promise.resolve();
  return {
    kind: 'mock',
    bootstrap: hello.bootstrap,
    pid: child.pid!,
    version: `librdkafka ${hello.librdkafka}`,
    createTopic(name, partitions) {
      const p = chain.then(async () => {
        child.stdin!.write(`create ${name} ${partitions}\n`);
        const answer = await nextLine();
        if (answer !== 'ok') throw new Error(`mock create ${name}: ${answer}`);
      });
      chain = p.catch(() => undefined);
      return p;
    },
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise<void>((r) => child.once('exit', () => r()));
      child.stdin!.end();
      const t = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(t);
    },
    rssMb: () => rssMb(child.pid!),
    cpuSeconds: () => cpuSeconds(child.pid!),
  };
}

// ---------------------------------------------------------------------------------------------
// Apache Kafka

/** scripts/apache-kafka.sh (or its older name), or null when neither exists or Java/Maven are missing. */
export function kafkaScript(): string | null {
  for (const name of ['apache-kafka.sh', 'reference-kafka.sh']) {
    const p = join(REPO_ROOT, 'scripts', name);
    if (existsSync(p)) return p;
  }
  return null;
}

export const KAFKA_HEAP = '-Xmx1G -Xms1G';
export const KAFKA_JVM_OPTS = '-XX:MaxGCPauseMillis=20 -XX:InitiatingHeapOccupancyPercent=35 -XX:+ExplicitGCInvokesConcurrent';

export interface KafkaBroker extends Broker {
  home: string;
  /** The start script's own time (storage format + JVM start + wait for "Kafka Server started"). */
  scriptStartSecs: number;
}

function readCmdline(pid: number): string[] {
  return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter((s) => s !== '');
}

/**
 * Starts Kafka through the script (fresh KRaft storage, free ports). `restart()` stops it through
 * the script keeping the data, then launches the very same JVM command line itself (read from
 * /proc) so the start can be timed the same way as Runnel's; from then on the suite owns the JVM.
 */
export async function startKafka(tag = 'kafka'): Promise<KafkaBroker> {
  const script = kafkaScript();
  if (!script) throw new Error('scripts/apache-kafka.sh not found');
  const home = join(WORK, `${tag}-${process.pid}-${Date.now()}`);
  mkdirSync(WORK, { recursive: true });
  const env: NodeJS.ProcessEnv = {
    APACHE_KAFKA_HOME: home,
    REF_KAFKA_HOME: home,
    APACHE_KAFKA_OWNER_PID: String(process.pid),
    APACHE_KAFKA_HEAP: KAFKA_HEAP,
    REF_KAFKA_HEAP: KAFKA_HEAP,
    APACHE_KAFKA_JVM_OPTS: KAFKA_JVM_OPTS,
  };
  const r = await run('bash', [script, 'start', '0'], { env, timeoutMs: 300_000 });
  const bootstrap = r.stdout.trim().split('\n').pop() ?? '';
  if (r.code !== 0 || !/^[\d.]+:\d+$/.test(bootstrap)) throw new Error(`${script} start failed (exit ${r.code}):\n${r.stderr.slice(-3000)}`);
  const port = Number(bootstrap.slice(bootstrap.lastIndexOf(':') + 1));
  let pid = Number(readFileSync(join(home, 'pid'), 'utf8').trim());
  const cmdline = readCmdline(pid);
  let own: ChildProcess | null = null;
  let version = '';
  try {
    version = readFileSync(join(home, 'version'), 'utf8').trim();
  } catch {
    version = '?';
  }
  const scriptStop = async (keep: boolean): Promise<void> => {
    const s = await run('bash', [script, 'stop'], { env: { ...env, APACHE_KAFKA_KEEP: keep ? '1' : '0', REF_KAFKA_KEEP: keep ? '1' : '0' }, timeoutMs: 120_000 });
    if (s.code !== 0) throw new Error(`${script} stop failed:\n${s.stderr}`);
  };
  const stopOwn = async (): Promise<void> => {
    const c = own;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    const exited = new Promise<void>((r) => c.once('exit', () => r()));
    c.kill('SIGTERM');
    const t = setTimeout(() => c.kill('SIGKILL'), 60_000);
    await exited;
    clearTimeout(t);
  };
  const removeGuard = onExit(() => {
    // The script's watchdog also stops the broker once this process is gone.
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  });
  return {
    kind: 'kafka',
    home,
    scriptStartSecs: r.secs,
    bootstrap,
    get pid() {
      return pid;
    },
    version: `Apache Kafka ${version}`,
    createTopic: (name, partitions) => createTopicAdmin(bootstrap, name, partitions),
    async restart(): Promise<StartTiming> {
      if (own) await stopOwn();
      else await scriptStop(true);
      const out = openSync(join(home, 'logs', 'relaunch.log'), 'a');
      const t0 = performance.now();
      const c = spawnTracked(cmdline[0]!, cmdline.slice(1), { stdio: ['ignore', out, out] });
      closeSync(out);
      own = c;
      pid = c.pid!;
      try {
        return await waitReady(port, t0, 300_000, () => c.exitCode === null);
      } catch (e) {
        const tail = (f: string): string => {
          try {
            return readFileSync(join(home, 'logs', f), 'utf8').split('\n').slice(-15).join('\n');
          } catch {
            return '';
          }
        };
        throw new Error(`${(e as Error).message} (exit ${c.exitCode})\n${tail('relaunch.log')}\n${tail('server.log')}`);
      }
    },
    async stop(): Promise<void> {
      if (own) await stopOwn();
      else await scriptStop(false);
      removeGuard();
      rmSync(home, { recursive: true, force: true });
    },
    rssMb: () => rssMb(pid),
    cpuSeconds: () => cpuSeconds(pid),
  };
}

/** Waits until `pid`'s RSS stops growing (idle), up to `maxMs`; returns the last reading. */
export async function settledRss(read: () => number, minMs = 2000, maxMs = 6000): Promise<number> {
  await sleep(minMs);
  let last = read();
  for (let waited = minMs; waited < maxMs; waited += 500) {
    await sleep(500);
    const now = read();
    if (Math.abs(now - last) < 0.5) return now;
    last = now;
  }
  return last;
}
