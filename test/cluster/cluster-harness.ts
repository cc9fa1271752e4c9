/**
 * A real Runnel cluster for tests: one etcd (etcd-harness.ts) and N broker processes
 * (`node dist/runnel.mjs`, spawnBroker from test/helpers/broker.ts; build first), each with its own
 * node.id, data dir and fixed loopback port, all under one unique runnel.etcd.prefix. It implements
 * ClusterTarget (test/helpers/cluster-target.ts), the interface the Apache Kafka cluster harness
 * implements too, so the cluster scenarios and benches run against either.
 *
 *   const c = await startRunnelCluster({ brokers: 3, racks: ['a', 'a', 'b'] });
 *   await c.kill(2, 'SIGKILL'); await c.restart(2);      // same data dir, same port
 *   await c.stop();                                      // afterAll: every process by PID
 *
 * `initiallyDown` brokers exist only as a port and an empty data dir until started: a broker that
 * joins a running cluster for the first time (adding capacity).
 *
 * Short timings by default (broker.session.timeout.ms 3000, heartbeat 500) so that a killed
 * broker is out of the cluster within seconds. A broker can reach etcd through a TcpProxy
 * (`viaProxy`), which a test cuts to isolate that one broker from etcd.
 */
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { type ChildBroker, REPO_ROOT, spawnBroker, tempDir } from '../helpers/broker.js';
import { type BrokerEndpoint, type ClusterTarget, waitRegistered } from '../helpers/cluster-target.js';
import { type EtcdCluster, TcpProxy, freePort, startEtcd, uniquePrefix } from './etcd-harness.js';
import { installStallWatchdog } from '../helpers/stall-watchdog.js';

export interface RunnelClusterOptions {
  /** Number of brokers, node ids 1..n (default 3). */
  brokers?: number;
  /** broker.rack per broker (index 0 is broker 1); null or absent: none. */
  racks?: Array<string | null>;
  /** Extra broker configs for every broker. */
  props?: Record<string, string | number | boolean>;
  /** broker.session.timeout.ms (default 3000; heartbeat 500). */
  sessionTimeoutMs?: number;
  /** Brokers whose etcd connection goes through a TcpProxy the test can cut. */
  viaProxy?: number[];
  /** An etcd to share (not stopped by stop()); default: one of its own. */
  etcd?: EtcdCluster;
  /** Brokers given a port and data dir but not started (a broker added later: startBroker(id)). */
  initiallyDown?: number[];
}

export interface RunnelCluster extends ClusterTarget {
  readonly etcd: EtcdCluster;
  /** The cluster's runnel.etcd.prefix. */
  readonly prefix: string;
  /** The broker's data dir (kept across restarts). */
  dataDir(id: number): string;
  /** The broker's running process (logs, exit), null when down. */
  process(id: number): ChildBroker | null;
  /** The broker's etcd proxy (viaProxy), else null. */
  proxy(id: number): TcpProxy | null;
  /** Sends `signal` and resolves with the exit code once the process is gone. */
  kill(id: number, signal: NodeJS.Signals): Promise<number | null>;
  /** Starts the broker again on its data dir and port; resolves once it has registered and serves. */
  restart(id: number): Promise<void>;
  /** Spawns one more broker process with the cluster's settings (e.g. a duplicate node.id); the caller stops it. */
  spawnExtra(nodeId: number, flags?: Record<string, string | number | boolean>, dataDir?: string): Promise<ChildBroker>;
  /** The broker configs broker `id` is started with. */
  flags(id: number): Record<string, string | number | boolean>;
}

const VERSION = (JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string }).version;

/** `kill` resolves once the process exited and its stderr is read to the end (every log line in `logs`). */
function withClose(b: ChildBroker): ChildBroker {
  const closed = new Promise<void>((r) => b.process.once('close', () => r()));
  const kill = b.kill.bind(b);
  b.kill = async (signal) => {
    const code = await kill(signal);
    await closed;
    return code;
  };
  return b;
}

/**
 * The settings every test cluster's brokers share (a prefix of their own in etcd, a short session,
 * no admin or registry port): for tests that start their brokers themselves with listeners of
 * their own (test/security/), beside node.id and runnel.etcd.endpoints.
 */
export function clusterTestFlags(prefix: string, sessionTimeoutMs = 3000): Record<string, string | number | boolean> {
  return {
    'runnel.etcd.prefix': prefix,
    'runnel.etcd.request.timeout.ms': 2000,
    'broker.session.timeout.ms': sessionTimeoutMs,
    'broker.heartbeat.interval.ms': 500,
    'runnel.admin.listener': 'none',
    'runnel.schema.registry.listener': 'none',
    'runnel.shutdown.timeout.ms': 5000,
  };
}

export async function startRunnelCluster(opts: RunnelClusterOptions = {}): Promise<RunnelCluster> {
  installStallWatchdog();
  const n = opts.brokers ?? 3;
  const ownEtcd = opts.etcd === undefined;
  const etcd = opts.etcd ?? (await startEtcd());
  const prefix = uniquePrefix('runnel');
  const session = opts.sessionTimeoutMs ?? 3000;
  const ids = Array.from({ length: n }, (_, i) => i + 1);
  const ports = new Map<number, number>();
  const dirs = new Map<number, string>();
  const proxies = new Map<number, TcpProxy>();
  const running = new Map<number, ChildBroker>();
  const extras = new Set<ChildBroker>();
  const extraDirs: string[] = [];
  for (const id of ids) {
    ports.set(id, await freePort());
    dirs.set(id, tempDir(`cluster-b${id}`));
    if (opts.viaProxy?.includes(id)) proxies.set(id, await new TcpProxy(Number(new URL(etcd.member.endpoint).port)).start());
  }
  const baseFlags = (): Record<string, string | number | boolean> => ({ ...clusterTestFlags(prefix, session), ...opts.props });
  const flags = (id: number): Record<string, string | number | boolean> => {
    const rack = opts.racks?.[id - 1];
    return {
      ...baseFlags(),
      'node.id': id,
      'runnel.etcd.endpoints': proxies.get(id)?.endpoint ?? etcd.endpoints.join(','),
      ...(rack ? { 'broker.rack': rack } : {}),
    };
  };
  const check = (id: number) => {
    if (!ports.has(id)) throw new Error(`no broker ${id} (brokers are ${ids.join(', ')})`);
  };
  const start = async (id: number) => {
    check(id);
    if (running.has(id)) throw new Error(`broker ${id} is already running`);
    running.set(id, withClose(await spawnBroker(dirs.get(id)!, flags(id), ports.get(id)!)));
  };
  const kill = async (id: number, signal: NodeJS.Signals) => {
    check(id);
    const b = running.get(id);
    if (!b) return null;
    const code = await b.kill(signal);
    running.delete(id);
    return code;
  };
  const cluster: RunnelCluster = {
    kind: 'runnel',
    version: VERSION,
    brokerIds: ids,
    bootstrap: ids.map((id) => `127.0.0.1:${ports.get(id)}`).join(','),
    etcd,
    prefix,
    endpoint(id): BrokerEndpoint {
      check(id);
      return { host: '127.0.0.1', port: ports.get(id)! };
    },
    isUp: (id) => running.has(id),
    killBroker: async (id) => void (await kill(id, 'SIGKILL')),
    startBroker: (id) => start(id),
    pid: (id) => running.get(id)?.process.pid ?? null,
    dataDir: (id) => (check(id), dirs.get(id)!),
    process: (id) => running.get(id) ?? null,
    proxy: (id) => proxies.get(id) ?? null,
    kill,
    restart: (id) => start(id),
    flags,
    async spawnExtra(nodeId, extra = {}, dataDir) {
      const dir = dataDir ?? tempDir(`cluster-extra${nodeId}`);
      extraDirs.push(dir);
      const b = await spawnBroker(dir, { ...baseFlags(), 'runnel.etcd.endpoints': etcd.endpoints.join(','), 'node.id': nodeId, ...extra }, await freePort());
      extras.add(b);
      return b;
    },
    async stop() {
      // SIGKILL by PID (the ChildProcess handles): a stop must not wait for controlled shutdowns.
      await Promise.all([...running.values(), ...extras].map((b) => b.kill('SIGKILL')));
      running.clear();
      for (const p of proxies.values()) await p.close();
      for (const d of [...dirs.values(), ...extraDirs]) rmSync(d, { recursive: true, force: true });
      if (ownEtcd) await etcd.stop();
    },
  };
  // Every start settles before a failure stops the others (none is left running behind the test).
  const started = await Promise.allSettled(ids.filter((id) => !opts.initiallyDown?.includes(id)).map((id) => start(id)));
  const failed = started.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) {
    await cluster.stop();
    throw failed.reason;
  }
  // A started process is not yet a registered broker: CreateTopics with a manual assignment naming
  // an unregistered broker fails (as Kafka's), so no test starts before all of them list each other.
  const up = ids.filter((id) => !opts.initiallyDown?.includes(id));
  try {
    await waitRegistered(cluster, up, 60_000);
  } catch (e) {
    await cluster.stop();
    throw e;
  }
  return cluster;
}
