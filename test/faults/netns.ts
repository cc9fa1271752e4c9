/**
 * Network namespaces for fault tests (issue 17): every node (broker, etcd member) runs in its own
 * namespace with its own address 10.77.S.x, and the test cuts, slows or drops traffic between
 * chosen nodes with nftables rules inside those namespaces.
 *
 * Topology (S = a subnet number unique to this run, 1..250):
 *
 *   root ns: rnfS-h 10.77.S.1 ──veth── [ns rnfS-sw: bridge br0] ──veth── ns rnfS-<node>: eth0 10.77.S.(10+i)
 *
 * The bridge lives in a namespace of its own, not in the root namespace: a Docker engine on the
 * host sets the root's iptables FORWARD policy to DROP and loads br_netfilter, which would drop
 * bridged node-to-node traffic there. Clients (kafkajs in the test process) stay in the root
 * namespace and reach every node through 10.77.S.1; that path is never cut, so "isolated" means
 * isolated from the other nodes (the Jepsen setup: clients can still reach the old leader).
 *
 * Ownership and cleanup: /run/runnel-faults/sS/owner holds this process's pid. `destroy()` (afterAll)
 * kills every process left in the namespaces, unmounts the tmpfs disks and deletes the namespaces;
 * a process exit does the same synchronously; and `createFaultNet()` first sweeps subnets whose
 * owner pid is gone (a crashed run of this harness) — only names this harness makes (rnf<S>-*).
 */
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Launcher } from '../helpers/broker.js';

const run = promisify(execFile);
const STATE = '/run/runnel-faults';
/** The cgroup v1 blkio hierarchy (its throttle files slow one block device for chosen processes). */
const BLKIO = '/sys/fs/cgroup/blkio';

/** Why the fault tests cannot run here, or null. */
export const faultsUnavailable: string | null = (() => {
  if (process.platform !== 'linux') return 'fault tests need Linux network namespaces';
  if (process.getuid?.() !== 0) return 'fault tests need root (ip netns, nft, mount)';
  for (const bin of ['/usr/sbin/ip', '/usr/sbin/nft']) if (!existsSync(bin)) return `${bin} missing (Debian packages iproute2, nftables; .ci/run installs them)`;
  return null;
})();

/** Why slowDisk() cannot run here (no loop devices or no cgroup v1 blkio throttling), or null. */
export const slowDiskUnavailable: string | null = (() => {
  if (!existsSync('/dev/loop-control')) return 'no loop devices (/dev/loop-control)';
  if (!existsSync('/usr/sbin/mkfs.ext4')) return 'mkfs.ext4 missing (Debian package e2fsprogs)';
  if (!existsSync(join(BLKIO, 'blkio.throttle.write_iops_device'))) return `no cgroup v1 blkio throttling (${BLKIO})`;
  return null;
})();

async function sh(cmd: string, args: string[]): Promise<string> {
  try {
    return (await run(cmd, args, { maxBuffer: 1 << 20 })).stdout;
  } catch (e: any) {
    throw new Error(`${cmd} ${args.join(' ')}: ${e.stderr || e.message}`);
  }
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e: any) {
    return e.code === 'EPERM';
  }
}

const namesOf = (s: number) => ({ prefix: `rnf${s}-`, hostIf: `rnf${s}h`, sw: `rnf${s}-sw` });

/** Synchronous teardown of subnet `s` (also used from process 'exit' and by the stale sweep). */
function teardownSync(s: number): void {
  const { prefix, hostIf } = namesOf(s);
  const q = (cmd: string, args: string[]) => {
    try {
      return execFileSync(cmd, args, { stdio: ['ignore', 'pipe', 'ignore'] }).toString();
    } catch {
      return '';
    }
  };
  const nss = q('ip', ['netns', 'list'])
    .split('\n')
    .map((l) => l.split(' ')[0]!)
    .filter((n) => n.startsWith(prefix));
  for (const ns of nss) {
    for (const pid of q('ip', ['netns', 'pids', ns]).split('\n').filter(Boolean)) {
      try {
        process.kill(Number(pid), 'SIGKILL');
      } catch {
        /* gone */
      }
    }
  }
  const dir = join(STATE, `s${s}`);
  if (existsSync(join(dir, 'mounts'))) {
    for (const m of readFileSync(join(dir, 'mounts'), 'utf8').split('\n').filter(Boolean)) q('umount', ['-l', m]);
  }
  if (existsSync(join(dir, 'loops'))) {
    for (const l of readFileSync(join(dir, 'loops'), 'utf8').split('\n').filter(Boolean)) {
      const [dev, image] = l.split(' ');
      q('losetup', ['-d', dev!]);
      rmSync(image!, { force: true });
    }
  }
  if (existsSync(join(dir, 'cgroups'))) {
    for (const g of readFileSync(join(dir, 'cgroups'), 'utf8').split('\n').filter(Boolean)) {
      // Empty once its processes died (killed above); a live one goes back to the root group first.
      for (const pid of (existsSync(join(g, 'cgroup.procs')) ? readFileSync(join(g, 'cgroup.procs'), 'utf8') : '').split('\n').filter(Boolean)) {
        try {
          writeFileSync(join(BLKIO, 'cgroup.procs'), pid);
        } catch {
          /* gone */
        }
      }
      try {
        rmSync(g, { recursive: false });
      } catch {
        q('rmdir', [g]);
      }
    }
  }
  for (const ns of nss) q('ip', ['netns', 'del', ns]);
  q('ip', ['link', 'del', hostIf]);
  rmSync(dir, { recursive: true, force: true });
}

/** Removes what crashed runs of this harness left (their owner pid is gone). */
export function sweepStale(): void {
  if (!existsSync(STATE)) return;
  for (const d of readdirSync(STATE)) {
    const m = /^s(\d+)$/.exec(d);
    if (!m) continue;
    let owner = 0;
    try {
      owner = Number(readFileSync(join(STATE, d, 'owner'), 'utf8'));
    } catch {
      /* half-made: sweep */
    }
    if (owner > 0 && pidAlive(owner)) continue;
    teardownSync(Number(m[1]));
  }
}

/** Claims a free subnet number atomically (mkdir) for this process. */
function claimSubnet(): number {
  mkdirSync(STATE, { recursive: true });
  for (let tries = 0; tries < 500; tries++) {
    const s = 1 + Math.floor(Math.random() * 250);
    try {
      mkdirSync(join(STATE, `s${s}`));
    } catch {
      continue;
    }
    writeFileSync(join(STATE, `s${s}`, 'owner'), String(process.pid));
    return s;
  }
  throw new Error('no free 10.77.x subnet for the fault harness');
}

export type Direction = 'both' | 'out' | 'in';

export class FaultNet {
  private readonly addrs = new Map<string, string>();
  private destroyed = false;
  private readonly onExit = () => this.destroySync();
  /** nft rule handles per node, so that heal() can remove only what was added. */
  private readonly ruled = new Set<string>();
  /** Loop devices of mountLoopDisk(), by mount point. */
  private readonly loopDevs = new Map<string, string>();

  private constructor(readonly subnet: number) {
    process.on('exit', this.onExit);
  }

  /** The host side's address (the clients' source address). */
  get hostIp(): string {
    return `10.77.${this.subnet}.1`;
  }

  ip(node: string): string {
    const a = this.addrs.get(node);
    if (!a) throw new Error(`no node ${node}`);
    return a;
  }

  ns(node: string): string {
    this.ip(node);
    return `${namesOf(this.subnet).prefix}${node}`;
  }

  get nodes(): string[] {
    return [...this.addrs.keys()];
  }

  static async create(nodes: string[]): Promise<FaultNet> {
    if (faultsUnavailable) throw new Error(faultsUnavailable);
    sweepStale();
    const s = claimSubnet();
    const net = new FaultNet(s);
    try {
      await net.build(nodes);
    } catch (e) {
      net.destroySync();
      throw e;
    }
    return net;
  }

  private async build(nodes: string[]): Promise<void> {
    const { prefix, hostIf, sw } = namesOf(this.subnet);
    const S = this.subnet;
    await sh('ip', ['netns', 'add', sw]);
    await sh('ip', ['-n', sw, 'link', 'add', 'br0', 'type', 'bridge']);
    await sh('ip', ['-n', sw, 'link', 'set', 'br0', 'up']);
    await sh('ip', ['-n', sw, 'link', 'set', 'lo', 'up']);
    // Host leg.
    await sh('ip', ['link', 'add', hostIf, 'type', 'veth', 'peer', 'name', 'host', 'netns', sw]);
    await sh('ip', ['-n', sw, 'link', 'set', 'host', 'master', 'br0', 'up']);
    await sh('ip', ['addr', 'add', `10.77.${S}.1/24`, 'dev', hostIf]);
    await sh('ip', ['link', 'set', hostIf, 'up']);
    for (const [i, node] of nodes.entries()) {
      if (!/^[a-z0-9]{1,8}$/.test(node)) throw new Error(`node name ${node}: 1-8 of [a-z0-9]`);
      const ns = `${prefix}${node}`;
      const ip = `10.77.${S}.${10 + i}`;
      await sh('ip', ['netns', 'add', ns]);
      await sh('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
      await sh('ip', ['-n', ns, 'link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', `n${i}`, 'netns', sw]);
      await sh('ip', ['-n', sw, 'link', 'set', `n${i}`, 'master', 'br0', 'up']);
      await sh('ip', ['-n', ns, 'addr', 'add', `${ip}/24`, 'dev', 'eth0']);
      await sh('ip', ['-n', ns, 'link', 'set', 'eth0', 'up']);
      // One table per node for the faults: input and output chains, emptied by heal().
      await sh('ip', ['netns', 'exec', ns, 'nft', 'add table inet fault; add chain inet fault in { type filter hook input priority 0; }; add chain inet fault out { type filter hook output priority 0; }']);
      this.addrs.set(node, ip);
    }
  }

  /** Runs the command inside node's namespace (for spawnBroker / spawn). */
  launcher(node: string): Launcher {
    const ns = this.ns(node);
    return (cmd, args) => ({ cmd: 'ip', args: ['netns', 'exec', ns, cmd, ...args] });
  }

  private async nft(node: string, rules: string): Promise<void> {
    this.ruled.add(node);
    await sh('ip', ['netns', 'exec', this.ns(node), 'nft', rules]);
  }

  /**
   * Drops traffic between `a` and each of `others`. 'both': nothing passes either way; 'out': what
   * `a` sends to them is dropped (a still receives); 'in': what they send to `a` is dropped.
   */
  async cut(a: string, others: string[], dir: Direction = 'both'): Promise<void> {
    for (const b of others) {
      if (dir !== 'in') await this.nft(a, `add rule inet fault out ip daddr ${this.ip(b)} drop`);
      if (dir !== 'out') await this.nft(a, `add rule inet fault in ip saddr ${this.ip(b)} drop`);
    }
  }

  /** Drops `percent` % of the packets `a` sends to each of `others` (and, `both`, receives). */
  async loss(a: string, others: string[], percent: number): Promise<void> {
    for (const b of others) {
      await this.nft(a, `add rule inet fault out ip daddr ${this.ip(b)} numgen random mod 100 < ${percent} drop`);
      await this.nft(a, `add rule inet fault in ip saddr ${this.ip(b)} numgen random mod 100 < ${percent} drop`);
    }
  }

  /**
   * `tc netem` delay on node's interface (all its traffic, clients' too). Returns false when the
   * kernel has no sch_netem (this CI's VM kernel does not): the caller falls back to loss().
   */
  async delay(node: string, ms: number, jitterMs = 0): Promise<boolean> {
    try {
      await sh('ip', ['netns', 'exec', this.ns(node), 'tc', 'qdisc', 'replace', 'dev', 'eth0', 'root', 'netem', 'delay', `${ms}ms`, `${jitterMs}ms`]);
      this.ruled.add(node);
      return true;
    } catch (e) {
      if (/unknown|No such file/i.test(String(e))) return false;
      throw e;
    }
  }

  /** Removes every fault rule and qdisc. */
  async heal(): Promise<void> {
    for (const node of this.ruled) {
      const ns = this.ns(node);
      await sh('ip', ['netns', 'exec', ns, 'nft', 'flush table inet fault']);
      await sh('ip', ['netns', 'exec', ns, 'tc', 'qdisc', 'del', 'dev', 'eth0', 'root']).catch(() => undefined);
    }
    this.ruled.clear();
  }

  /** Mounts a tmpfs of `mib` MiB at `dir` (a disk that fills up); unmounted by destroy(). */
  async mountTmpfs(dir: string, mib: number): Promise<void> {
    mkdirSync(dir, { recursive: true });
    await sh('mount', ['-t', 'tmpfs', '-o', `size=${mib}m`, 'tmpfs', dir]);
    writeFileSync(join(STATE, `s${this.subnet}`, 'mounts'), `${dir}\n`, { flag: 'a' });
  }

  /**
   * Mounts a fresh ext4 file system of `mib` MiB at `dir` on a loop device of its own, so that
   * slowDisk() can throttle that one device; detached and deleted by destroy().
   */
  async mountLoopDisk(dir: string, mib: number): Promise<void> {
    mkdirSync(dir, { recursive: true });
    const image = `${dir}.img`;
    await sh('truncate', ['-s', `${mib}M`, image]);
    const dev = (await sh('losetup', ['-f', '--show', image])).trim();
    writeFileSync(join(STATE, `s${this.subnet}`, 'loops'), `${dev} ${image}\n`, { flag: 'a' });
    await sh('mkfs.ext4', ['-q', dev]);
    await sh('mount', [dev, dir]);
    writeFileSync(join(STATE, `s${this.subnet}`, 'mounts'), `${dir}\n`, { flag: 'a' });
    this.loopDevs.set(dir, dev);
  }

  /**
   * A slow disk: the writes process `pid` makes to the loop disk at `dir` (mountLoopDisk) are held
   * to `writeIops` operations and `writeBps` bytes per second by a blkio cgroup (cgroup v1
   * throttling; an fsync's writes count, page-cache writes do not until written back). Returns
   * false where the host has no blkio throttling. `fastDisk` lifts it.
   */
  async slowDisk(dir: string, pid: number, writeIops: number, writeBps: number): Promise<boolean> {
    const dev = this.loopDevs.get(dir);
    if (!dev) throw new Error(`${dir} is not a loop disk of this harness (mountLoopDisk first)`);
    if (!existsSync(join(BLKIO, 'blkio.throttle.write_iops_device'))) return false;
    const majMin = (await sh('lsblk', ['-dno', 'MAJ:MIN', dev])).trim();
    const group = join(BLKIO, `rnf${this.subnet}-slow`);
    if (!existsSync(group)) {
      mkdirSync(group);
      writeFileSync(join(STATE, `s${this.subnet}`, 'cgroups'), `${group}\n`, { flag: 'a' });
    }
    writeFileSync(join(group, 'blkio.throttle.write_iops_device'), `${majMin} ${writeIops}`);
    writeFileSync(join(group, 'blkio.throttle.write_bps_device'), `${majMin} ${writeBps}`);
    writeFileSync(join(group, 'cgroup.procs'), String(pid));
    return true;
  }

  /** Ends slowDisk(): the limits are lifted (0 = none) and the process goes back to the root group. */
  async fastDisk(dir: string, pid: number): Promise<void> {
    const dev = this.loopDevs.get(dir)!;
    const majMin = (await sh('lsblk', ['-dno', 'MAJ:MIN', dev])).trim();
    const group = join(BLKIO, `rnf${this.subnet}-slow`);
    writeFileSync(join(group, 'blkio.throttle.write_iops_device'), `${majMin} 0`);
    writeFileSync(join(group, 'blkio.throttle.write_bps_device'), `${majMin} 0`);
    try {
      writeFileSync(join(BLKIO, 'cgroup.procs'), String(pid));
    } catch {
      /* exited */
    }
  }

  /** Kills what runs in the namespaces, unmounts, deletes the namespaces and the host veth. */
  async destroy(): Promise<void> {
    this.destroySync();
  }

  private destroySync(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    process.off('exit', this.onExit);
    teardownSync(this.subnet);
  }
}
