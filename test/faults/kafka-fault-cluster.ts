/**
 * A 3-node Apache Kafka cluster for the fault scenarios (issue 17; bench/cluster/faults.ts), each
 * node in its own network namespace (netns.ts) like the Runnel brokers of fault-cluster.ts, so the
 * same cuts, SIGSTOPs and disks apply. Implements FaultTarget (fault-target.ts).
 *
 * Shape: three COMBINED KRaft nodes (process.roles=broker,controller, node ids 1..3, a static
 * 3-voter quorum): the closest to Runnel, where the controller is one of the brokers and the
 * metadata store (etcd) keeps a majority when one node is cut off. (scripts/apache-kafka-cluster.sh
 * uses one separate controller instead, which cannot be isolated without losing the quorum.) Each
 * node listens on <ip>:9092 (PLAINTEXT, clients and replication) and <ip>:9093 (CONTROLLER).
 * Broker settings are Kafka's defaults (broker.session.timeout.ms 9000 ...) plus `props`.
 *
 * Needs Java and the jars scripts/apache-kafka.sh resolves (`prefetch`). Not part of `npm test`:
 * three JVMs per scenario are too slow for CI. Everything runs inside the namespaces, so the
 * FaultNet teardown (also on process exit) kills whatever is left.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { REPO_ROOT } from '../helpers/broker.js';
import { type BrokerEndpoint, metadataFrom, sleep, waitUntil } from '../helpers/cluster-target.js';
import { RawClient } from '../helpers/raw-client.js';
import type { FaultStartOptions, FaultTarget } from './fault-target.js';
import { FaultNet } from './netns.js';

const run = promisify(execFile);
const BROKER_PORT = 9092;
const CONTROLLER_PORT = 9093;

export interface KafkaFaultClusterOptions extends FaultStartOptions {
  /** server.properties entries on top of Kafka's defaults (every node). */
  props?: Record<string, string | number | boolean>;
  /** Heap flags per node (default -Xmx512m -Xms512m). */
  heap?: string;
  /** Extra JVM flags per node (G1 is always on). */
  jvmOpts?: string;
  /** How long a node may take to serve after its start (default 180 s; a loaded 2-core machine). */
  startTimeoutMs?: number;
}

/** The broker classpath scripts/apache-kafka.sh resolves and caches. */
async function kafkaClasspath(): Promise<string> {
  await run('bash', [join(REPO_ROOT, 'scripts', 'apache-kafka.sh'), 'prefetch'], { maxBuffer: 1 << 22 });
  return readFileSync(join(REPO_ROOT, 'scripts', 'reference-kafka', 'target', `classpath-${process.env.KAFKA_VERSION ?? 'default'}.txt`), 'utf8').trim();
}

const LOG4J = (dir: string) => `status = warn
appender.file.type = File
appender.file.name = file
appender.file.fileName = ${dir}/logs/server.log
appender.file.append = true
appender.file.layout.type = PatternLayout
appender.file.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = INFO
rootLogger.appenderRef.file.ref = file
logger.requests.name = kafka.request.logger
logger.requests.level = WARN
`;

export class KafkaFaultCluster implements FaultTarget {
  readonly kind = 'kafka';
  readonly brokerIds = [1, 2, 3];
  readonly metadataNodes: string[] = [];
  version = '';
  private readonly procs = new Map<number, ChildProcess>();
  private readonly exits = new Map<number, Promise<number | null>>();
  private readonly frozen = new Set<number>();
  private readonly root = mkdtempSync(join(tmpdir(), 'kafka-faults-'));
  private cp = '';

  private constructor(
    readonly net: FaultNet,
    private readonly opts: KafkaFaultClusterOptions,
  ) {}

  static async start(opts: KafkaFaultClusterOptions = {}): Promise<KafkaFaultCluster> {
    const net = await FaultNet.create(['b1', 'b2', 'b3']);
    const c = new KafkaFaultCluster(net, opts);
    try {
      c.cp = await kafkaClasspath();
      c.version = /kafka_2\.13-([^/]+)\.jar/.exec(c.cp)?.[1] ?? '';
      for (const [id, mib] of Object.entries(opts.tmpfsMiB ?? {})) await net.mountTmpfs(c.dataDir(Number(id)), mib);
      for (const [id, mib] of Object.entries(opts.loopDiskMiB ?? {})) {
        await net.mountLoopDisk(c.dataDir(Number(id)), mib);
        // Kafka refuses to start on a log dir holding a directory that is not <topic>-<partition>.
        rmSync(join(c.dataDir(Number(id)), 'lost+found'), { recursive: true, force: true });
      }
      const clusterId = Buffer.from(crypto.getRandomValues(new Uint8Array(16))).toString('base64url').replace(/^-/, 'A');
      await Promise.all(c.brokerIds.map((id) => c.format(id, clusterId)));
      for (const id of c.brokerIds) c.launch(id);
      await Promise.all(c.brokerIds.map((id) => c.waitServing(id)));
      await waitUntil('every Kafka node to list three brokers', async () => {
        const all = await Promise.all(c.brokerIds.map((id) => metadataFrom(c, id, [])));
        return all.every((m) => m.brokers.length === 3) ? true : undefined;
      }, 60_000);
    } catch (e) {
      await c.stop();
      throw e;
    }
    return c;
  }

  get bootstrap(): string {
    return this.brokerIds.map((id) => `${this.net.ip(`b${id}`)}:${BROKER_PORT}`).join(',');
  }

  endpoint(id: number): BrokerEndpoint {
    return { host: this.net.ip(`b${id}`), port: BROKER_PORT };
  }

  private nodeDir(id: number): string {
    return join(this.root, `b${id}`);
  }

  dataDir(id: number): string {
    return join(this.nodeDir(id), 'data');
  }

  isUp(id: number): boolean {
    return this.procs.has(id) && !this.frozen.has(id);
  }

  pid(id: number): number | null {
    return this.procs.get(id)?.pid ?? null;
  }

  private writeConfig(id: number): string {
    const dir = this.nodeDir(id);
    mkdirSync(join(dir, 'logs'), { recursive: true });
    mkdirSync(this.dataDir(id), { recursive: true });
    const ip = this.net.ip(`b${id}`);
    const voters = this.brokerIds.map((n) => `${n}@${this.net.ip(`b${n}`)}:${CONTROLLER_PORT}`).join(',');
    const props: Record<string, string | number | boolean> = {
      'process.roles': 'broker,controller',
      'node.id': id,
      'controller.quorum.voters': voters,
      listeners: `PLAINTEXT://${ip}:${BROKER_PORT},CONTROLLER://${ip}:${CONTROLLER_PORT}`,
      'advertised.listeners': `PLAINTEXT://${ip}:${BROKER_PORT}`,
      'controller.listener.names': 'CONTROLLER',
      'inter.broker.listener.name': 'PLAINTEXT',
      'listener.security.protocol.map': 'CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT',
      'log.dirs': this.dataDir(id),
      ...this.opts.props,
    };
    const file = join(dir, 'server.properties');
    writeFileSync(file, Object.entries(props).map(([k, v]) => `${k}=${v}`).join('\n') + '\n');
    writeFileSync(join(dir, 'log4j2.properties'), LOG4J(dir));
    return file;
  }

  private jvm(id: number): string[] {
    const dir = this.nodeDir(id);
    const heap = (this.opts.heap ?? '-Xmx512m -Xms512m').split(/\s+/).filter(Boolean);
    const extra = (this.opts.jvmOpts ?? '').split(/\s+/).filter(Boolean);
    return ['java', ...heap, ...extra, '-XX:+UseG1GC', '-Djava.awt.headless=true', `-Dlog4j2.configurationFile=${dir}/log4j2.properties`, `-Dkafka.logs.dir=${dir}/logs`, '-cp', this.cp];
  }

  private async format(id: number, clusterId: string): Promise<void> {
    const file = this.writeConfig(id);
    const [java, ...args] = this.jvm(id);
    await run(java!, [...args, 'kafka.tools.StorageTool', 'format', '-t', clusterId, '-c', file], { maxBuffer: 1 << 22 }).catch((e) => {
      throw new Error(`storage format of node ${id} failed: ${e.stderr || e.message}`);
    });
  }

  /** Starts node `id`'s JVM inside its namespace (on its existing config and data). */
  private launch(id: number): void {
    const dir = this.nodeDir(id);
    const out = openSync(join(dir, 'logs', 'stdout.log'), 'a');
    const p = spawn('ip', ['netns', 'exec', this.net.ns(`b${id}`), ...this.jvm(id), 'kafka.Kafka', join(dir, 'server.properties')], { stdio: ['ignore', out, out] });
    closeSync(out);
    this.procs.set(id, p);
    this.exits.set(id, new Promise((r) => p.once('exit', (code, signal) => {
      if (this.procs.get(id) === p) this.procs.delete(id);
      r(code ?? (signal ? -1 : null));
    })));
  }

  /** Waits until node `id` answers Metadata and lists itself (a KRaft broker opens its port once unfenced). */
  private async waitServing(id: number): Promise<void> {
    const p = this.procs.get(id);
    await waitUntil(`Kafka node ${id} serving`, async () => {
      if (!p || p.exitCode !== null || p.signalCode !== null) throw new Error(`Kafka node ${id} exited during start-up:\n${this.logTail(id, 30).join('\n')}`);
      const m = await metadataFrom(this, id, []);
      return m.brokers.some((b: any) => b.nodeId === id) ? true : undefined;
    }, this.opts.startTimeoutMs ?? 180_000, 250).catch((e) => {
      if (/exited during start-up/.test(String(e))) throw e;
      throw new Error(`${String(e)}\n${this.logTail(id, 30).join('\n')}`);
    });
  }

  async startBroker(id: number): Promise<void> {
    if (this.procs.has(id)) throw new Error(`Kafka node ${id} is already running`);
    this.launch(id);
    await this.waitServing(id);
  }

  async killBroker(id: number): Promise<void> {
    const p = this.procs.get(id);
    if (!p) return;
    this.frozen.delete(id);
    const gone = this.exits.get(id)!;
    p.kill('SIGKILL');
    await gone;
  }

  freeze(id: number): void {
    const pid = this.pid(id);
    if (!pid) throw new Error(`Kafka node ${id} is not running`);
    process.kill(pid, 'SIGSTOP');
    this.frozen.add(id);
  }

  thaw(id: number): void {
    const pid = this.pid(id);
    if (pid) process.kill(pid, 'SIGCONT');
    this.frozen.delete(id);
  }

  /**
   * The active KRaft controller as node `asked` knows it: DescribeCluster v1 with endpointType 2
   * (controllers, KIP-919) on its CONTROLLER listener. (A KRaft broker's Metadata answer names a
   * random live broker as controllerId, so it cannot tell.)
   */
  async controller(asked = this.brokerIds.find((id) => this.isUp(id))!): Promise<number> {
    const raw = await RawClient.connect(this.net.ip(`b${asked}`), CONTROLLER_PORT);
    try {
      const r: any = await raw.request(60, 1, { includeClusterAuthorizedOperations: false, endpointType: 2 });
      if (r === null) throw new Error(`node ${asked} closed the connection on DescribeCluster`);
      if (r.errorCode !== 0) throw new Error(`DescribeCluster on node ${asked}'s controller listener: error ${r.errorCode}`);
      return r.controllerId as number;
    } finally {
      raw.close();
    }
  }

  exited(id: number): Promise<number | null> | null {
    return this.exits.get(id) ?? null;
  }

  logTail(id: number, n = 15): string[] {
    const f = join(this.nodeDir(id), 'logs', 'server.log');
    if (!existsSync(f)) return [`(no log for node ${id})`];
    return readFileSync(f, 'utf8').split('\n').filter((l) => /\] (WARN|ERROR|FATAL) /.test(l)).slice(-n);
  }

  async stop(): Promise<void> {
    for (const id of [...this.frozen]) this.thaw(id);
    await Promise.all([...this.procs.keys()].map((id) => this.killBroker(id)));
    await sleep(50);
    await this.net.destroy();
    rmSync(this.root, { recursive: true, force: true });
  }
}
