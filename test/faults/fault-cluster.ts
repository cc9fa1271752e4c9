/**
 * A Runnel cluster for fault tests (issue 17): `etcds` etcd members and `brokers` broker processes,
 * each in its own network namespace (netns.ts), so a test can cut the network between chosen
 * nodes, drop packets, SIGKILL / SIGSTOP any process and fill a broker's disk (a tmpfs log dir).
 * Implements FaultTarget (fault-target.ts, a ClusterTarget), so the scenarios of scenarios.ts and
 * the protocol helpers of test/helpers/cluster-target.ts work on it.
 *
 * Node names in the FaultNet: `b1..bN` (brokers, node.id 1..N, listening on <ip>:9092) and
 * `e1..eM` (etcd members, client port 2379, peer port 2380). Clients run in the test process.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ChildBroker, spawnBroker } from '../helpers/broker.js';
import { type BrokerEndpoint, type PartitionState, metadataFrom, sleep, upBrokers, waitRegistered, waitUntil } from '../helpers/cluster-target.js';
import { ETCD_BIN } from '../cluster/etcd-harness.js';
import { type FaultStartOptions, type FaultTarget, type StartFaultTarget, waitController, waitPartitionSeenBy } from './fault-target.js';
import { FaultNet } from './netns.js';

export interface FaultClusterOptions {
  brokers?: number;
  etcds?: number;
  /** Extra broker configs. */
  props?: Record<string, string | number | boolean>;
  /** Brokers whose log dir is a tmpfs of this many MiB (a disk that fills). */
  tmpfsMiB?: Record<number, number>;
  /** Brokers whose log dir is an ext4 loop disk of this many MiB (a disk net.slowDisk() can slow). */
  loopDiskMiB?: Record<number, number>;
}

const BROKER_PORT = 9092;

export class FaultCluster implements FaultTarget {
  readonly kind = 'runnel';
  readonly version = '';
  readonly brokerIds: number[];
  private readonly running = new Map<number, ChildBroker>();
  private readonly etcdProcs = new Map<number, ChildProcess>();
  private readonly frozen = new Set<number>();
  private readonly root: string;

  private constructor(
    readonly net: FaultNet,
    private readonly opts: FaultClusterOptions,
  ) {
    this.brokerIds = Array.from({ length: opts.brokers ?? 3 }, (_, i) => i + 1);
    this.root = mkdtempSync(join(tmpdir(), 'runnel-faults-'));
  }

  static async start(opts: FaultClusterOptions = {}): Promise<FaultCluster> {
    const nb = opts.brokers ?? 3;
    const ne = opts.etcds ?? 1;
    const names = [...Array.from({ length: ne }, (_, i) => `e${i + 1}`), ...Array.from({ length: nb }, (_, i) => `b${i + 1}`)];
    const net = await FaultNet.create(names);
    const c = new FaultCluster(net, opts);
    try {
      for (const [id, mib] of Object.entries(opts.tmpfsMiB ?? {})) await net.mountTmpfs(c.dataDir(Number(id)), mib);
      for (const [id, mib] of Object.entries(opts.loopDiskMiB ?? {})) await net.mountLoopDisk(c.dataDir(Number(id)), mib);
      for (let i = 1; i <= ne; i++) c.startEtcd(i);
      await Promise.all(Array.from({ length: ne }, (_, i) => c.waitEtcd(i + 1)));
      await Promise.all(c.brokerIds.map((id) => c.startBroker(id)));
      // Serving is not registered: a CreateTopics before every registration is in every broker's
      // image is refused with INVALID_REPLICATION_FACTOR (seen on a loaded machine).
      await waitRegistered(c, c.brokerIds);
    } catch (e) {
      await c.stop();
      throw e;
    }
    return c;
  }

  get metadataNodes(): string[] {
    return Array.from({ length: this.etcdCount }, (_, i) => `e${i + 1}`);
  }

  exited(id: number): Promise<number | null> | null {
    return this.running.get(id)?.exited ?? null;
  }

  logTail(id: number, n = 15): string[] {
    return (this.process(id)?.logs ?? [`(broker ${id} exited)`]).filter((l) => !/"level":30/.test(l)).slice(-n);
  }

  get etcdCount(): number {
    return this.opts.etcds ?? 1;
  }

  get bootstrap(): string {
    return this.brokerIds.map((id) => `${this.net.ip(`b${id}`)}:${BROKER_PORT}`).join(',');
  }

  endpoint(id: number): BrokerEndpoint {
    return { host: this.net.ip(`b${id}`), port: BROKER_PORT };
  }

  dataDir(id: number): string {
    return join(this.root, `b${id}`);
  }

  isUp(id: number): boolean {
    return this.running.has(id) && !this.frozen.has(id);
  }

  pid(id: number): number | null {
    return this.running.get(id)?.process.pid ?? null;
  }

  process(id: number): ChildBroker | null {
    return this.running.get(id) ?? null;
  }

  private etcdEndpoints(): string {
    return Array.from({ length: this.etcdCount }, (_, i) => `http://${this.net.ip(`e${i + 1}`)}:2379`).join(',');
  }

  flags(id: number): Record<string, string | number | boolean> {
    const ip = this.net.ip(`b${id}`);
    return {
      'node.id': id,
      listeners: `PLAINTEXT://${ip}:${BROKER_PORT}`,
      'runnel.etcd.endpoints': this.etcdEndpoints(),
      'runnel.etcd.prefix': 'faults',
      'runnel.etcd.request.timeout.ms': 2000,
      'broker.session.timeout.ms': 3000,
      'broker.heartbeat.interval.ms': 500,
      'runnel.admin.listener': 'none',
      'runnel.schema.registry.listener': 'none',
      'runnel.shutdown.timeout.ms': 5000,
      ...this.opts.props,
    };
  }

  async startBroker(id: number): Promise<void> {
    if (this.running.has(id)) throw new Error(`broker ${id} is already running`);
    const b = await spawnBroker(this.dataDir(id), this.flags(id), 0, this.net.launcher(`b${id}`));
    this.running.set(id, b);
    b.exited.then(() => {
      if (this.running.get(id) === b) this.running.delete(id);
    });
  }

  /** Sends `signal`; resolves once the process is gone. */
  async killBroker(id: number, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const b = this.running.get(id);
    if (!b) return;
    this.frozen.delete(id);
    if (signal === 'SIGKILL' || signal === 'SIGTERM') process.kill(b.process.pid!, 'SIGCONT');
    await b.kill(signal);
    this.running.delete(id);
  }

  /** SIGSTOP: the process keeps its sockets and answers nothing (a long GC pause). */
  freeze(id: number): void {
    const pid = this.pid(id);
    if (!pid || pid <= 0) throw new Error(`broker ${id} is not running`);
    process.kill(pid, 'SIGSTOP');
    this.frozen.add(id);
  }

  thaw(id: number): void {
    const pid = this.pid(id);
    if (pid && pid > 0) process.kill(pid, 'SIGCONT');
    this.frozen.delete(id);
  }

  startEtcd(i: number): void {
    const ip = this.net.ip(`e${i}`);
    const initial = Array.from({ length: this.etcdCount }, (_, k) => `m${k + 1}=http://${this.net.ip(`e${k + 1}`)}:2380`).join(',');
    const proc = spawn(
      'ip',
      [
        'netns', 'exec', this.net.ns(`e${i}`), ETCD_BIN,
        `--name=m${i}`,
        `--data-dir=${join(this.root, `e${i}`)}`,
        `--listen-client-urls=http://${ip}:2379`,
        `--advertise-client-urls=http://${ip}:2379`,
        `--listen-peer-urls=http://${ip}:2380`,
        `--initial-advertise-peer-urls=http://${ip}:2380`,
        `--initial-cluster=${initial}`,
        '--initial-cluster-token=faults',
        '--initial-cluster-state=new',
        '--log-level=error',
        '--heartbeat-interval=50',
        '--election-timeout=500',
      ],
      { stdio: ['ignore', 'ignore', 'ignore'] },
    );
    this.etcdProcs.set(i, proc);
  }

  async waitEtcd(i: number): Promise<void> {
    await waitUntil(`etcd e${i} healthy`, async () => {
      const r = await fetch(`http://${this.net.ip(`e${i}`)}:2379/health`, { signal: AbortSignal.timeout(500) });
      return ((await r.json()) as { health?: string }).health === 'true' ? true : undefined;
    }, 20_000);
  }

  async killEtcd(i: number): Promise<void> {
    const p = this.etcdProcs.get(i);
    if (!p || p.exitCode !== null || p.signalCode !== null) return;
    const gone = new Promise<void>((r) => p.once('exit', () => r()));
    p.kill('SIGKILL');
    await gone;
    this.etcdProcs.delete(i);
  }

  /** The controller as broker `asked` (default: the first up) reports it. */
  async controller(asked = upBrokers(this)[0]!): Promise<number> {
    return (await metadataFrom(this, asked, [])).controllerId as number;
  }

  /** Waits until every up broker names the same live controller, and returns it. */
  waitController(not?: number, timeoutMs = 30_000): Promise<number> {
    return waitController(this, not, upBrokers(this), timeoutMs);
  }

  /** waitPartitionSeenBy (fault-target.ts) on this cluster. */
  waitPartitionSeenBy(topic: string, partition: number, ok: (p: PartitionState) => boolean, askers = upBrokers(this), timeoutMs = 30_000): Promise<PartitionState> {
    return waitPartitionSeenBy(this, topic, partition, ok, askers, timeoutMs);
  }

  async stop(): Promise<void> {
    for (const id of [...this.frozen]) this.thaw(id);
    await Promise.all([...this.running.keys()].map((id) => this.killBroker(id, 'SIGKILL')));
    await Promise.all([...this.etcdProcs.keys()].map((i) => this.killEtcd(i)));
    await sleep(50);
    await this.net.destroy();
    rmSync(this.root, { recursive: true, force: true });
  }
}

/** The scenario settings of the fault tests (min ISR 2, a 3 s replica lag) for every broker. */
export const RUNNEL_FAULT_PROPS = { 'min.insync.replicas': 2, 'replica.lag.time.max.ms': 3000 };

/**
 * How scenarios.ts starts a Runnel cluster: the fault tests' settings, `props` on top (the bench's
 * 9 s session row), then what the scenario itself asks for.
 */
export function startRunnelFaultTarget(props: Record<string, string | number | boolean> = {}): StartFaultTarget {
  return (o: FaultStartOptions) => FaultCluster.start({ props: { ...RUNNEL_FAULT_PROPS, ...props, ...o.runnelProps }, tmpfsMiB: o.tmpfsMiB, loopDiskMiB: o.loopDiskMiB });
}
