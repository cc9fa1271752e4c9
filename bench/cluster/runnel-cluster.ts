/**
 * Runnel's 3-broker cluster for the cluster bench (run.ts TARGETS): one etcd (Debian's
 * /usr/bin/etcd, started by test/cluster/etcd-harness.ts as the cluster tests do) and three
 * `node dist/runnel.mjs` brokers started the suite's way (bench/suite/lib/brokers.ts runnelArgs:
 * the broker's V8 flags, child processes tracked so none outlives the bench, bounded log buffers),
 * each with its node.id, data dir under bench/.work/cluster and a fixed loopback port, all under
 * one runnel.etcd.prefix. It implements ClusterTarget (test/helpers/cluster-target.ts).
 *
 * Settings are Runnel's defaults (broker.session.timeout.ms 9000 and broker.heartbeat.interval.ms
 * 2000, like Kafka's; fsync per append) unless `props` overrides them: the targets in run.ts.
 * Each broker also serves the admin HTTP endpoint (GET /metrics) on a port of its own, and its
 * log lines are kept (the last 2,000) and counted by message, so that a bench can read
 * replication metrics and count fencings (fencing.ts).
 */
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { startEtcd, type EtcdCluster } from '../../test/cluster/etcd-harness.js';
import { type BrokerEndpoint, type ClusterTarget, metadataFrom, waitUntil } from '../../test/helpers/cluster-target.js';
import { freePort, spawnTracked } from '../suite/lib/common.js';
import { RUNNEL_BIN, runnelArgs, runnelVersion, waitReady } from '../suite/lib/brokers.js';

export interface RunnelBenchClusterOptions {
  /** Broker configs for every broker (Kafka names), over Runnel's defaults. */
  props?: Record<string, string | number | boolean>;
  /** Where the data dirs go (deleted by stop()). */
  home: string;
  brokers?: number;
}

export interface RunnelBenchCluster extends ClusterTarget {
  /** How many log lines with this `msg` broker `id` printed (across restarts). */
  logCount(id: number, msg: string): number;
  /** Broker `id`'s last log lines (up to 2,000, across restarts). */
  logLines(id: number): readonly string[];
  /** The broker's admin endpoint (GET /metrics). */
  adminUrl(id: number): string;
  readonly etcd: EtcdCluster;
}

const KEEP_LINES = 2000;

export async function startRunnelBenchCluster(o: RunnelBenchClusterOptions): Promise<RunnelBenchCluster> {
  if (!existsSync(RUNNEL_BIN)) throw new Error(`${RUNNEL_BIN} missing: run npm run build`);
  const ids = Array.from({ length: o.brokers ?? 3 }, (_, i) => i + 1);
  mkdirSync(o.home, { recursive: true });
  const etcd = await startEtcd();
  const prefix = `bench-${process.pid}-${Date.now().toString(36)}`;
  const ports = new Map<number, number>();
  const adminPorts = new Map<number, number>();
  for (const id of ids) {
    ports.set(id, await freePort());
    adminPorts.set(id, await freePort());
  }
  const running = new Map<number, ChildProcess>();
  const lines = new Map<number, string[]>(ids.map((id) => [id, []]));
  const counts = new Map<number, Map<string, number>>(ids.map((id) => [id, new Map()]));
  const check = (id: number): void => {
    if (!ports.has(id)) throw new Error(`no broker ${id} (brokers are ${ids.join(', ')})`);
  };

  const start = async (id: number): Promise<void> => {
    check(id);
    if (running.has(id)) throw new Error(`broker ${id} is already running`);
    const dataDir = join(o.home, `broker-${id}`);
    mkdirSync(dataDir, { recursive: true });
    const flags = {
      'node.id': id,
      'runnel.etcd.endpoints': etcd.endpoints.join(','),
      'runnel.etcd.prefix': prefix,
      'runnel.admin.listener': `127.0.0.1:${adminPorts.get(id)}`,
      'runnel.schema.registry.listener': 'none',
      ...o.props,
    };
    const t0 = performance.now();
    const child = spawnTracked(process.execPath, runnelArgs({ defaults: true, flags }, dataDir, ports.get(id)!), { stdio: ['ignore', 'pipe', 'pipe'] });
    const log = lines.get(id)!;
    const count = counts.get(id)!;
    let started = false;
    const ready = new Promise<void>((resolve, reject) => {
      child.once('exit', (code) => {
        if (!started) reject(new Error(`broker ${id} exited with ${code}:\n${log.slice(-30).join('\n')}`));
      });
      for (const stream of [child.stdout!, child.stderr!]) {
        createInterface({ input: stream }).on('line', (line) => {
          log.push(line);
          if (log.length > KEEP_LINES) log.splice(0, KEEP_LINES / 2);
          const m = /"msg":"([^"]*)"/.exec(line);
          if (m) count.set(m[1]!, (count.get(m[1]!) ?? 0) + 1);
          if (!started && line.includes('"broker started"')) {
            started = true;
            resolve();
          }
        });
      }
    });
    running.set(id, child);
    // A restart right after a kill waits for the old lease to expire: up to the session timeout.
    await waitReady(ports.get(id)!, t0, 180_000, () => child.exitCode === null);
    await ready;
  };

  const kill = async (id: number): Promise<void> => {
    const child = running.get(id);
    if (!child) throw new Error(`broker ${id} is not running`);
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise<void>((r) => child.once('exit', () => r()));
      child.kill('SIGKILL');
      await exited;
    }
    running.delete(id);
  };

  const cluster: RunnelBenchCluster = {
    kind: 'runnel',
    version: runnelVersion(),
    brokerIds: ids,
    bootstrap: ids.map((id) => `127.0.0.1:${ports.get(id)}`).join(','),
    etcd,
    endpoint(id): BrokerEndpoint {
      check(id);
      return { host: '127.0.0.1', port: ports.get(id)! };
    },
    isUp: (id) => running.has(id),
    killBroker: (id) => kill(id),
    startBroker: (id) => start(id),
    pid: (id) => running.get(id)?.pid ?? null,
    logCount: (id, msg) => counts.get(id)?.get(msg) ?? 0,
    logLines: (id) => lines.get(id) ?? [],
    adminUrl: (id) => `http://127.0.0.1:${adminPorts.get(id)}`,
    async stop() {
      await Promise.all([...running.keys()].map((id) => kill(id)));
      await etcd.stop();
      rmSync(o.home, { recursive: true, force: true });
    },
  };
  const results = await Promise.allSettled(ids.map((id) => start(id)));
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) {
    await cluster.stop();
    throw failed.reason;
  }
  // "broker started" comes before every broker's metadata image has the others: wait for that, or
  // a CreateTopics with explicit assignments may meet a broker it does not know yet.
  try {
    for (const id of ids) await waitUntil(`broker ${id} to know every broker`, async () => ((await metadataFrom(cluster, id, [])).brokers.length === ids.length ? true : undefined), 60_000);
  } catch (e) {
    await cluster.stop();
    throw e;
  }
  return cluster;
}
