/**
 * A real Apache Kafka for tests: scripts/apache-kafka.sh started on a free loopback port, with its
 * own state dir under test/.work, stopped by the test (afterAll) or, if the test process dies, by
 * the script's watchdog (APACHE_KAFKA_OWNER_PID).
 *
 *   const kafka = apacheKafkaAvailable() ? await startApacheKafka() : null;   // in beforeAll
 *   describe.skipIf(!apacheKafkaAvailable()) ...
 *   kafka.bootstrap   // '127.0.0.1:41234'
 *   await kafka.stop();
 *
 * The broker's jars come from ~/.m2 (`scripts/apache-kafka.sh prefetch`, which CI runs, fetches
 * them once); without Java or Maven the tests skip. RUNNEL_APACHE_KAFKA=host:port makes tests use a
 * broker that is already running (started with the same script, so its configs match) instead of
 * starting one; RUNNEL_APACHE_KAFKA=off skips them.
 *
 * Runnel started with APACHE_KAFKA_LIKE_CONFIG answers with the same broker settings as the
 * reference (the script's server.properties): one partition for new and internal topics, no
 * initial rebalance delay.
 */
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT, tempDir } from './broker.js';

export const APACHE_KAFKA_SCRIPT = join(REPO_ROOT, 'scripts', 'apache-kafka.sh');

/** Runnel configs matching the reference broker's server.properties (see scripts/apache-kafka.sh). */
export const APACHE_KAFKA_LIKE_CONFIG: Readonly<Record<string, string | number | boolean>> = {
  'node.id': 1,
  'num.partitions': 1,
  'default.replication.factor': 1,
  'offsets.topic.replication.factor': 1,
  'offsets.topic.num.partitions': 1,
  'transaction.state.log.replication.factor': 1,
  'transaction.state.log.num.partitions': 1,
  'group.initial.rebalance.delay.ms': 0,
  'auto.create.topics.enable': true,
};

export interface ApacheKafka {
  bootstrap: string;
  host: string;
  port: number;
  /** The Kafka release, e.g. '4.4.0' ('' for an external broker). */
  version: string;
  /** The state dir (config, data, logs/server.log); null for an external broker. */
  home: string | null;
  /** Stops the broker and deletes its state (a no-op for an external broker). */
  stop(): Promise<void>;
}

let available: boolean | null = null;

/** Java and Maven are on the PATH (or RUNNEL_APACHE_KAFKA names a running broker), and not turned off. */
export function apacheKafkaAvailable(): boolean {
  const env = process.env.RUNNEL_APACHE_KAFKA;
  if (env === 'off' || env === '0') return false;
  if (env) return true;
  if (available === null) {
    const ok = (cmd: string): boolean => spawnSync(cmd, ['-version'], { stdio: 'ignore' }).status === 0;
    available = ok('java') && ok('mvn');
  }
  return available;
}

function run(args: string[], env: NodeJS.ProcessEnv, timeoutMs: number): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [APACHE_KAFKA_SCRIPT, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => err.push(d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`apache-kafka.sh ${args.join(' ')} timed out after ${timeoutMs} ms\n${Buffer.concat(err)}`));
    }, timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() });
    });
  });
}

export interface StartApacheKafkaOptions {
  /** Extra server.properties entries. */
  props?: Record<string, string | number | boolean>;
  /** Heap flags (default -Xmx512m -Xms128m). */
  heap?: string;
  /** Start timeout, including a first-time jar download (default 150 s). */
  timeoutMs?: number;
}

/**
 * Starts a reference Kafka on a free port (about 3-5 s once the jars are cached). Call from a
 * beforeAll with a timeout above `timeoutMs`.
 */
export async function startApacheKafka(opts: StartApacheKafkaOptions = {}): Promise<ApacheKafka> {
  const external = process.env.RUNNEL_APACHE_KAFKA;
  if (external && external !== 'off' && external !== '0') {
    const [host, port] = [external.slice(0, external.lastIndexOf(':')), Number(external.slice(external.lastIndexOf(':') + 1))];
    return { bootstrap: external, host, port, version: '', home: null, stop: async () => {} };
  }
  const home = tempDir('apache-kafka');
  const env: NodeJS.ProcessEnv = {
    APACHE_KAFKA_HOME: home,
    APACHE_KAFKA_OWNER_PID: String(process.pid),
    APACHE_KAFKA_HEAP: opts.heap ?? '-Xmx512m -Xms128m',
    // C1 only: a faster start and less CPU taken from the other tests; throughput does not matter here.
    APACHE_KAFKA_JVM_OPTS: '-XX:TieredStopAtLevel=1 -Xshare:auto',
    APACHE_KAFKA_PROPS: Object.entries(opts.props ?? {}).map(([k, v]) => `${k}=${v}`).join('\n'),
  };
  const r = await run(['start'], env, opts.timeoutMs ?? 150_000);
  const bootstrap = r.stdout.trim().split('\n').pop() ?? '';
  if (r.code !== 0 || !/^[\d.]+:\d+$/.test(bootstrap)) {
    rmSync(home, { recursive: true, force: true });
    throw new Error(`scripts/apache-kafka.sh start failed (exit ${r.code}):\n${r.stderr}`);
  }
  let version = '';
  try {
    version = readFileSync(join(home, 'version'), 'utf8').trim();
  } catch {
    // an older script: no version file
  }
  const port = Number(bootstrap.slice(bootstrap.lastIndexOf(':') + 1));
  let stopped: Promise<void> | null = null;
  return {
    bootstrap,
    host: '127.0.0.1',
    port,
    version,
    home,
    stop() {
      stopped ??= run(['stop'], env, 60_000).then((s) => {
        if (s.code !== 0) throw new Error(`scripts/apache-kafka.sh stop failed (exit ${s.code}):\n${s.stderr}`);
        rmSync(home, { recursive: true, force: true });
      });
      return stopped;
    },
  };
}
