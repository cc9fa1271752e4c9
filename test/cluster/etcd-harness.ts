/**
 * Real etcd for the cluster tests: Debian's /usr/bin/etcd (package etcd-server, installed by
 * .ci/run) started on free loopback ports in a temp dir, stopped by PID.
 *
 * - `startEtcd()`: one member. `stop()`, `restart()` (same data dir and ports), `freeze()` /
 *   `thaw()` (SIGSTOP / SIGCONT: the process holds its sockets but answers nothing).
 * - `startEtcdCluster(3)`: a cluster of members (for quorum tests).
 * - `TcpProxy`: a plain TCP relay in front of an endpoint that a test can cut, to drop one
 *   client's connections while others keep theirs.
 * - `etcdMissing`: the reason to skip when /usr/bin/etcd is not installed.
 *
 * Every process started here is SIGKILLed if the test process exits without stopping it.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { Etcd3 } from 'etcd3';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '../../src/logger.js';
import { connectEtcd, type EtcdStore } from '../../src/cluster/etcd.js';

export const ETCD_BIN = '/usr/bin/etcd';
/** Why the cluster tests are skipped, or null when etcd is installed. */
export const etcdMissing: string | null = existsSync(ETCD_BIN) ? null : `${ETCD_BIN} is not installed (Debian package etcd-server; .ci/run installs it): cluster tests skipped`;
if (etcdMissing) console.warn(etcdMissing);

const running = new Set<ChildProcess>();
process.on('exit', () => {
  for (const p of running) if (p.pid) try { process.kill(p.pid, 'SIGKILL'); } catch { /* gone */ }
});

/**
 * Where freePort() looks: below Linux's ephemeral range (32768-60999 by default). A test broker or
 * etcd member keeps its port across kills and restarts; an ephemeral port would be free for the
 * kernel to hand out meanwhile — to another test's listen(0), which then takes the restarted
 * broker's port, or as the source port of a client reconnecting to that very port, which then
 * connects to itself and reads its own request back.
 */
const STABLE_PORTS = { from: 20_000, to: 32_000 };

/** A free loopback port outside the ephemeral range (bound, then released: a small race the tests accept). */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const port = STABLE_PORTS.from + Math.floor(Math.random() * (STABLE_PORTS.to - STABLE_PORTS.from));
    if (await bindable(port)) return port;
  }
  throw new Error(`no free loopback port in ${STABLE_PORTS.from}-${STABLE_PORTS.to} after 100 tries`);
}

function bindable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen({ port, host: '127.0.0.1', exclusive: true }, () => server.close(() => resolve(true)));
  });
}

interface MemberSpec {
  name: string;
  clientPort: number;
  peerPort: number;
}

/** etcd could not bind a port freePort() had found free (another process took it meanwhile). */
class PortTakenError extends Error {}

export class EtcdMember {
  proc: ChildProcess | null = null;
  private stderr = '';

  constructor(
    readonly spec: MemberSpec,
    readonly dataDir: string,
    private readonly initialCluster: string,
    private readonly token: string,
  ) {}

  get endpoint(): string {
    return `http://127.0.0.1:${this.spec.clientPort}`;
  }

  get pid(): number {
    return this.proc?.pid ?? -1;
  }

  start(): void {
    const { name, clientPort, peerPort } = this.spec;
    this.stderr = '';
    const proc = spawn(
      ETCD_BIN,
      [
        `--name=${name}`,
        `--data-dir=${this.dataDir}`,
        `--listen-client-urls=http://127.0.0.1:${clientPort}`,
        `--advertise-client-urls=http://127.0.0.1:${clientPort}`,
        `--listen-peer-urls=http://127.0.0.1:${peerPort}`,
        `--initial-advertise-peer-urls=http://127.0.0.1:${peerPort}`,
        `--initial-cluster=${this.initialCluster}`,
        `--initial-cluster-token=${this.token}`,
        '--initial-cluster-state=new',
        '--logger=zap',
        '--log-level=error',
        // Fast elections keep the tests short (defaults: 100 ms heartbeat, 1 s election timeout).
        '--heartbeat-interval=50',
        '--election-timeout=500',
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    proc.stderr!.on('data', (d) => {
      if (this.stderr.length < 16384) this.stderr += d;
    });
    running.add(proc);
    proc.on('exit', () => running.delete(proc));
    this.proc = proc;
  }

  private exited(): boolean {
    return !this.proc || this.proc.exitCode !== null || this.proc.signalCode !== null;
  }

  /**
   * Waits until the member answers /health (it has a leader) and is still running a moment later:
   * a port another test's etcd took between freePort() and this bind makes this one exit at once
   * while the other answers /health (PortTakenError: start again on new ports).
   */
  async waitHealthy(timeoutMs = 15_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (this.exited()) throw this.exitError();
      try {
        const r = await fetch(`${this.endpoint}/health`, { signal: AbortSignal.timeout(500) });
        const body = (await r.json()) as { health?: string };
        if (body.health === 'true') {
          await new Promise((r) => setTimeout(r, 300));
          if (this.exited()) throw this.exitError();
          return;
        }
      } catch (err) {
        if (err instanceof PortTakenError || this.exited()) throw err instanceof PortTakenError ? err : this.exitError();
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`etcd ${this.spec.name} not healthy within ${timeoutMs} ms: ${this.stderr}`);
  }

  private exitError(): Error {
    const how = `etcd ${this.spec.name} exited (${this.proc?.exitCode ?? this.proc?.signalCode}): ${this.stderr}`;
    return /address already in use/.test(this.stderr) ? new PortTakenError(how) : new Error(how);
  }

  /** Stops the process by PID (SIGTERM, SIGKILL after 3 s); a frozen one is thawed first. */
  async stop(): Promise<void> {
    const proc = this.proc;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise<void>((r) => proc.once('exit', () => r()));
    process.kill(proc.pid!, 'SIGCONT');
    process.kill(proc.pid!, 'SIGTERM');
    const timer = setTimeout(() => process.kill(proc.pid!, 'SIGKILL'), 3000);
    await exited;
    clearTimeout(timer);
    this.proc = null;
  }

  async kill(): Promise<void> {
    const proc = this.proc;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise<void>((r) => proc.once('exit', () => r()));
    process.kill(proc.pid!, 'SIGKILL');
    await exited;
    this.proc = null;
  }

  /** SIGSTOP by PID (never a pid <= 0: kill(-1) would signal every process of the user). */
  freeze(): void {
    if (this.pid <= 0 || this.exited()) throw new Error(`etcd ${this.spec.name} is not running`);
    process.kill(this.pid, 'SIGSTOP');
  }

  thaw(): void {
    if (this.pid > 0 && !this.exited()) process.kill(this.pid, 'SIGCONT');
  }
}

export class EtcdCluster {
  constructor(
    readonly members: EtcdMember[],
    private readonly dir: string,
  ) {}

  get endpoints(): string[] {
    return this.members.map((m) => m.endpoint);
  }

  /** The single member of a one-member cluster. */
  get member(): EtcdMember {
    return this.members[0]!;
  }

  /** Stops and starts a member with its data (revisions and leases survive; so do the ports). */
  async restart(i = 0): Promise<void> {
    const m = this.members[i]!;
    await m.stop();
    m.start();
    await m.waitHealthy();
  }

  /** A client of this etcd, with a short request timeout so tests stay bounded. */
  connect(prefix: string, requestTimeoutMs = 2000, endpoints = this.endpoints): Promise<EtcdStore> {
    return connectEtcd({ endpoints, prefix, requestTimeoutMs, log: silentLogger() });
  }

  /** Compacts etcd's history up to `revision` (Runnel never compacts; operators' etcd does). */
  async compact(revision: number): Promise<void> {
    const client = new Etcd3({ hosts: this.endpoints.map((e) => e.replace('http://', '')) });
    try {
      await client.kv.compact({ revision, physical: true });
    } finally {
      client.close();
    }
  }

  async stop(): Promise<void> {
    await Promise.all(this.members.map((m) => m.stop()));
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/**
 * A cluster of `size` members on loopback, each with its own data dir; resolves once all are
 * healthy. Started again on new ports (up to 3 times) when a port was taken meanwhile.
 */
export async function startEtcdCluster(size = 3): Promise<EtcdCluster> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startEtcdClusterOnce(size);
    } catch (err) {
      if (!(err instanceof PortTakenError) || attempt >= 3) throw err;
    }
  }
}

async function startEtcdClusterOnce(size: number): Promise<EtcdCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'runnel-etcd-'));
  const specs: MemberSpec[] = [];
  for (let i = 0; i < size; i++) specs.push({ name: `m${i}`, clientPort: await freePort(), peerPort: await freePort() });
  const initial = specs.map((s) => `${s.name}=http://127.0.0.1:${s.peerPort}`).join(',');
  const token = `t-${process.pid}-${Date.now()}`;
  const members = specs.map((s) => new EtcdMember(s, join(dir, s.name), initial, token));
  const cluster = new EtcdCluster(members, dir);
  try {
    for (const m of members) m.start();
    await Promise.all(members.map((m) => m.waitHealthy()));
  } catch (err) {
    await cluster.stop();
    throw err;
  }
  return cluster;
}

/** One etcd member. */
export function startEtcd(): Promise<EtcdCluster> {
  return startEtcdCluster(1);
}

/** A unique key prefix per test, so tests can share one etcd. */
let prefixes = 0;
export const uniquePrefix = (name: string) => `test-${process.pid}-${++prefixes}-${name}`;

/**
 * A TCP relay to an upstream port. `cut()` closes every relayed connection; while `blocked`, new
 * connections are closed at once.
 */
export class TcpProxy {
  private readonly server: net.Server;
  private readonly sockets = new Set<net.Socket>();
  blocked = false;
  port = 0;

  constructor(private readonly upstreamPort: number) {
    this.server = net.createServer((client) => {
      if (this.blocked) {
        client.destroy();
        return;
      }
      const upstream = net.connect(this.upstreamPort, '127.0.0.1');
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on('close', () => this.sockets.delete(s));
        s.on('error', () => undefined);
      }
      client.pipe(upstream);
      upstream.pipe(client);
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
  }

  async start(): Promise<this> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.port = (this.server.address() as net.AddressInfo).port;
    return this;
  }

  get endpoint(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  cut(): void {
    for (const s of this.sockets) s.destroy();
  }

  async close(): Promise<void> {
    this.cut();
    await new Promise<void>((r) => this.server.close(() => r()));
  }
}

/** Polls `fn` until it returns a truthy value, or fails after `timeoutMs`. */
export async function eventually<T>(fn: () => T | Promise<T>, timeoutMs = 5000, what = 'condition'): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`${what} not reached within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
