/**
 * A real 3-broker Apache Kafka cluster for tests and the cluster bench: scripts/apache-kafka-cluster.sh
 * (one KRaft controller, node id 100, and brokers 1..3 on free loopback ports) with its own state
 * dir under test/.work, driven through the ClusterTarget interface (test/helpers/cluster-target.ts).
 * The test stops it (afterAll); if the test process dies, the script's watchdog does
 * (APACHE_KAFKA_OWNER_PID).
 *
 *   const kafka = await startApacheKafkaCluster();       // beforeAll, ~15 s
 *   await kafka.killBroker(2); await kafka.startBroker(2);
 *   await kafka.stop();
 *
 * Needs what test/helpers/apache-kafka.ts needs (Java, Maven, the jars in ~/.m2); tests gate on
 * apacheKafkaAvailable(). Broker settings are Kafka's defaults unless `props` sets them.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { REPO_ROOT, tempDir } from './broker.js';
import type { BrokerEndpoint, ClusterTarget } from './cluster-target.js';

/** The script, found from the sources or from their compiled copy in dist/ (the bench runs either way). */
export const APACHE_KAFKA_CLUSTER_SCRIPT =
  [REPO_ROOT, dirname(REPO_ROOT)].map((root) => join(root, 'scripts', 'apache-kafka-cluster.sh')).find((f) => existsSync(f)) ?? join(REPO_ROOT, 'scripts', 'apache-kafka-cluster.sh');

/** The KRaft controller's node id in the script's cluster (brokers are 1..n). */
export const KAFKA_CONTROLLER_ID = 100;

export interface StartApacheKafkaClusterOptions {
  /** Extra server.properties entries for every node (brokers and the controller). */
  props?: Record<string, string | number | boolean>;
  /** Broker heap flags (default -Xmx384m -Xms128m). */
  heap?: string;
  /** JVM flags (default -XX:TieredStopAtLevel=1: C1 only, a faster start and less CPU; benches pass ''). */
  jvmOpts?: string;
  /** Number of brokers (default 3). */
  brokers?: number;
  /** Start timeout, including a first-time jar download (default 180 s). */
  timeoutMs?: number;
  /** The state dir (default: a fresh one under test/.work); deleted by stop(). */
  home?: string;
}

export interface ApacheKafkaCluster extends ClusterTarget {
  /** The state dir (controller/, broker-N/ with server.properties, data, logs/server.log). */
  readonly home: string;
  /** The controller's listener (KRaft; not a Kafka-protocol endpoint for clients). */
  readonly controller: BrokerEndpoint;
  /** Stops broker `id` gracefully (SIGTERM: Kafka's controlled shutdown), resolves once it exited. */
  stopBroker(id: number): Promise<void>;
  /** Broker `id`'s log.dirs (partition directories in Kafka's on-disk format). */
  dataDir(id: number): string;
}

/** The process runs (a killed one stays a zombie until it is reaped: that counts as gone). */
function processAlive(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.[0] !== 'Z';
  } catch {
    return false;
  }
}

interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

function runScript(args: string[], env: NodeJS.ProcessEnv, timeoutMs: number): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [APACHE_KAFKA_CLUSTER_SCRIPT, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => err.push(d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`apache-kafka-cluster.sh ${args.join(' ')} timed out after ${timeoutMs} ms\n${Buffer.concat(err)}`));
    }, timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() });
    });
  });
}

async function runOk(args: string[], env: NodeJS.ProcessEnv, timeoutMs: number): Promise<RunResult> {
  const r = await runScript(args, env, timeoutMs);
  if (r.code !== 0) throw new Error(`scripts/apache-kafka-cluster.sh ${args.join(' ')} failed (exit ${r.code}):\n${r.stderr}`);
  return r;
}

/** Starts the cluster (every broker unfenced and serving) in a fresh state dir under test/.work. */
export async function startApacheKafkaCluster(opts: StartApacheKafkaClusterOptions = {}): Promise<ApacheKafkaCluster> {
  const home = opts.home ?? tempDir('apache-kafka-cluster');
  const n = opts.brokers ?? 3;
  const env: NodeJS.ProcessEnv = {
    APACHE_KAFKA_CLUSTER_HOME: home,
    APACHE_KAFKA_OWNER_PID: String(process.pid),
    APACHE_KAFKA_BROKERS: String(n),
    APACHE_KAFKA_HEAP: opts.heap ?? '-Xmx384m -Xms128m',
    APACHE_KAFKA_JVM_OPTS: opts.jvmOpts ?? '-XX:TieredStopAtLevel=1 -Xshare:auto',
    APACHE_KAFKA_PROPS: Object.entries(opts.props ?? {}).map(([k, v]) => `${k}=${v}`).join('\n'),
  };
  let started: RunResult;
  try {
    started = await runOk(['start'], env, opts.timeoutMs ?? 180_000);
  } catch (e) {
    // A start that timed out was killed before its watchdog ran: stop whatever nodes it launched.
    await runScript(['stop'], env, 60_000).catch(() => undefined);
    rmSync(home, { recursive: true, force: true });
    throw e;
  }
  const bootstrap = started.stdout.trim().split('\n').pop() ?? '';
  const brokerIds = Array.from({ length: n }, (_, i) => i + 1);
  const read = (node: string, file: string): string => readFileSync(join(home, node, file), 'utf8').trim();
  const endpoints = new Map(brokerIds.map((id) => [id, { host: '127.0.0.1', port: Number(read(`broker-${id}`, 'port')) }]));
  const up = new Set(brokerIds);
  const version = readFileSync(join(home, 'version'), 'utf8').trim();
  const check = (id: number): void => {
    if (!endpoints.has(id)) throw new Error(`no broker ${id} (brokers are ${brokerIds.join(', ')})`);
  };
  let stopped: Promise<void> | null = null;
  return {
    kind: 'kafka',
    version,
    brokerIds,
    bootstrap,
    home,
    controller: { host: '127.0.0.1', port: Number(read('controller', 'port')) },
    endpoint(id) {
      check(id);
      return endpoints.get(id)!;
    },
    isUp: (id) => up.has(id),
    async killBroker(id) {
      check(id);
      if (!up.has(id)) throw new Error(`broker ${id} is not running`);
      // The signal straight from here, not through the script's kill-broker: a bash start costs
      // 10-200 ms on a loaded machine, which would blur a failover measured from this call.
      const pid = Number(read(`broker-${id}`, 'pid'));
      process.kill(pid, 'SIGKILL');
      while (processAlive(pid)) await new Promise((r) => setTimeout(r, 5));
      rmSync(join(home, `broker-${id}`, 'pid'), { force: true });
      up.delete(id);
    },
    async stopBroker(id) {
      check(id);
      await runOk(['stop-broker', String(id)], env, 120_000);
      up.delete(id);
    },
    dataDir: (id) => (check(id), join(home, `broker-${id}`, 'data')),
    async startBroker(id) {
      check(id);
      await runOk(['start-broker', String(id)], env, opts.timeoutMs ?? 180_000);
      up.add(id);
    },
    pid(id) {
      check(id);
      if (!up.has(id)) return null;
      try {
        return Number(read(`broker-${id}`, 'pid'));
      } catch {
        return null;
      }
    },
    stop() {
      stopped ??= runOk(['stop'], env, 120_000).then(() => {
        up.clear();
        rmSync(home, { recursive: true, force: true });
      });
      return stopped;
    },
  };
}
