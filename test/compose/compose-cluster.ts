/**
 * The users' docker-compose.yml brought up as a test cluster, seen through the ClusterTarget
 * interface (test/helpers/cluster-target.ts) so the cluster helpers (waitPartition, waitIsrFull,
 * createTopicReady ...) work on it as on the in-process clusters.
 *
 * What the test changes in the file, and nothing else (a copy in a temp dir):
 *  - the Runnel image name, so the image built from this checkout is run, not another one of the
 *    same name (other worktrees may build `runnel:latest` on the same engine);
 *  - the host ports: each `127.0.0.1:<host>:<container>` mapping and each `EXTERNAL://127.0.0.1:<host>`
 *    advertised listener gets a free port instead, the same one in both places, since tests beside
 *    this one (the schema registry's on 8081, other people's brokers on 9092) may hold the defaults;
 *  - `build: .` becomes the checkout's path, as the copy lives elsewhere.
 * The project name (`-p`) keeps containers, network and volumes apart from anything else.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { type BrokerEndpoint, type ClusterTarget, sleep, waitUntil } from '../helpers/cluster-target.js';
import { run } from '../helpers/clients.js';

export interface BrokerPorts {
  service: string;
  kafka: number;
  admin: number;
  registry: number;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

/** docker / compose, throwing with the output on a non-zero exit. */
export async function sh(cmd: string[], timeoutMs = 120_000): Promise<string> {
  const r = await run(cmd[0]!, cmd.slice(1), { timeoutMs });
  if (r.code !== 0) throw new Error(`${cmd.join(' ')} exited ${r.code}:\n${r.stdout.slice(-3000)}\n${r.stderr.slice(-3000)}`);
  return r.stdout;
}

/**
 * Rewrites the compose file as the header says. Returns the text and, per broker node id, the
 * host ports it got. Throws when the file no longer has the shape this relies on.
 */
export async function rewriteComposeFile(text: string, opts: { runnelImage: string; buildDir: string }): Promise<{ text: string; brokers: Map<number, BrokerPorts> }> {
  const hostPorts = new Map<number, number>();
  for (const m of text.matchAll(/"127\.0\.0\.1:(\d+):(\d+)"/g)) if (!hostPorts.has(Number(m[1]))) hostPorts.set(Number(m[1]), await freePort());
  let out = text.replace(/"127\.0\.0\.1:(\d+):(\d+)"/g, (_, h: string, c: string) => `"127.0.0.1:${hostPorts.get(Number(h))}:${c}"`);
  out = out.replace(/EXTERNAL:\/\/127\.0\.0\.1:(\d+)/g, (all, h: string) => {
    const p = hostPorts.get(Number(h));
    if (p === undefined) throw new Error(`compose file: ${all} is advertised but not published`);
    return `EXTERNAL://127.0.0.1:${p}`;
  });
  const images = out.match(/^\s*image: runnel:latest$/gm)?.length ?? 0;
  if (images === 0) throw new Error('compose file: no `image: runnel:latest` to point at the test image');
  out = out.replace(/^(\s*)image: runnel:latest$/gm, `$1image: ${opts.runnelImage}`);
  out = out.replace(/^(\s*)build: \.$/gm, `$1build: ${opts.buildDir}`);

  // The brokers and their (new) ports, from the rewritten file itself.
  const doc = parse(out, { merge: true }) as { services: Record<string, { environment?: Record<string, string>; ports?: string[] }> };
  const brokers = new Map<number, BrokerPorts>();
  for (const [service, svc] of Object.entries(doc.services)) {
    const env = svc.environment ?? {};
    if (env.KAFKA_NODE_ID === undefined) continue;
    const published = (container: number) => {
      const p = (svc.ports ?? []).map((x) => x.split(':')).find((x) => Number(x[2]) === container);
      if (!p) throw new Error(`compose file: ${service} does not publish container port ${container}`);
      return Number(p[1]);
    };
    const external = /EXTERNAL:\/\/127\.0\.0\.1:(\d+)/.exec(env.KAFKA_ADVERTISED_LISTENERS ?? '');
    if (!external) throw new Error(`compose file: ${service} advertises no EXTERNAL://127.0.0.1 listener`);
    brokers.set(Number(env.KAFKA_NODE_ID), { service, kafka: Number(external[1]), admin: published(9644), registry: published(8081) });
  }
  return { text: out, brokers };
}

/** A compose project of the users' file; see the file header. */
export class ComposeCluster implements ClusterTarget {
  readonly kind = 'runnel-compose';
  readonly version = '';
  readonly brokerIds: readonly number[];
  readonly bootstrap: string;
  private readonly down = new Set<number>();
  private readonly dir: string;
  private readonly file: string;

  private constructor(
    private readonly composeCmd: string[],
    readonly project: string,
    text: string,
    readonly brokers: Map<number, BrokerPorts>,
  ) {
    this.dir = mkdtempSync(join(tmpdir(), 'runnel-compose-'));
    this.file = join(this.dir, 'docker-compose.yml');
    writeFileSync(this.file, text);
    this.brokerIds = [...brokers.keys()].sort((a, b) => a - b);
    this.bootstrap = this.brokerIds.map((id) => `127.0.0.1:${brokers.get(id)!.kafka}`).join(',');
  }

  static async create(o: { composeCmd: string[]; project: string; composeFile: string; runnelImage: string; buildDir: string }): Promise<ComposeCluster> {
    const { text, brokers } = await rewriteComposeFile(readFileSync(o.composeFile, 'utf8'), o);
    return new ComposeCluster(o.composeCmd, o.project, text, brokers);
  }

  compose(args: string[], timeoutMs = 180_000): Promise<string> {
    return sh([...this.composeCmd, '-p', this.project, '-f', this.file, ...args], timeoutMs);
  }

  /** `up -d` without building (the images are built beforehand), then every service healthy. */
  async up(timeoutMs = 180_000): Promise<void> {
    await this.compose(['up', '-d', '--no-build'], timeoutMs);
    await this.waitHealthy(null, timeoutMs);
  }

  async containerId(service: string): Promise<string> {
    const id = (await this.compose(['ps', '-q', service])).trim();
    if (!id) throw new Error(`no container for ${service}`);
    return id;
  }

  /** Waits until the service's container (all of them: null) reports healthy. */
  async waitHealthy(service: string | null, timeoutMs = 120_000): Promise<void> {
    const ids = service ? [await this.containerId(service)] : (await this.compose(['ps', '-q'])).trim().split('\n').filter(Boolean);
    await waitUntil(
      `${service ?? 'every service'} healthy`,
      async () => {
        const states = (await sh(['docker', 'inspect', '--format', '{{.Name}} {{.State.Status}} {{if .State.Health}}{{.State.Health.Status}}{{else}}none{{end}}', ...ids])).trim().split('\n');
        return states.every((s) => s.endsWith(' healthy') || s.endsWith(' running none')) ? true : undefined;
      },
      timeoutMs,
      1000,
    ).catch(async (e) => {
      throw new Error(`${(e as Error).message}\n${await this.logs(40)}`);
    });
  }

  /** The last lines of every container's log (for failure messages). */
  async logs(tail: number): Promise<string> {
    return this.compose(['logs', '--no-color', `--tail=${tail}`]).catch((e) => String(e));
  }

  endpoint(id: number): BrokerEndpoint {
    return { host: '127.0.0.1', port: this.brokers.get(id)!.kafka };
  }

  isUp(id: number): boolean {
    return this.brokerIds.includes(id) && !this.down.has(id);
  }

  /** `docker kill` (SIGKILL) of the broker's container; its volume stays. */
  async killBroker(id: number): Promise<void> {
    const cid = await this.containerId(this.brokers.get(id)!.service);
    this.down.add(id);
    await sh(['docker', 'kill', cid]);
    await waitUntil(`broker ${id}'s container stopped`, async () => ((await sh(['docker', 'inspect', '--format', '{{.State.Running}}', cid])).trim() === 'false' ? true : undefined), 30_000, 200);
  }

  /** `docker start` of the killed container (same volume, same published ports), then healthy. */
  async startBroker(id: number): Promise<void> {
    const service = this.brokers.get(id)!.service;
    await sh(['docker', 'start', await this.containerId(service)]);
    await this.waitHealthy(service, 120_000);
    this.down.delete(id);
  }

  pid(): number | null {
    return null;
  }

  /** `down -v`: containers, network and volumes; then the temp dir. Images stay (the cache). */
  async stop(): Promise<void> {
    try {
      await this.compose(['down', '-v', '--remove-orphans', '--timeout', '10'], 180_000);
    } finally {
      rmSync(this.dir, { recursive: true, force: true });
    }
  }
}

/**
 * Removes what earlier runs of the test left behind when they were killed before `down`:
 * containers and volumes of projects named `<prefix><pid>` whose process is gone.
 */
export async function removeStaleProjects(prefix: string): Promise<void> {
  const alive = (pid: number) => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  const label = 'com.docker.compose.project';
  const listed = spawnSync('docker', ['ps', '-a', '--filter', `label=${label}`, '--format', `{{.Label "${label}"}}`], { encoding: 'utf8' }).stdout ?? '';
  const volumes = spawnSync('docker', ['volume', 'ls', '--filter', `label=${label}`, '--format', `{{.Label "${label}"}}`], { encoding: 'utf8' }).stdout ?? '';
  const stale = new Set([...listed.split('\n'), ...volumes.split('\n')].filter((p) => p.startsWith(prefix) && !alive(Number(p.slice(prefix.length)))));
  for (const project of stale) {
    const ids = spawnSync('docker', ['ps', '-aq', '--filter', `label=${label}=${project}`], { encoding: 'utf8' }).stdout.trim().split('\n').filter(Boolean);
    if (ids.length) spawnSync('docker', ['rm', '-f', '-v', ...ids], { stdio: 'ignore' });
    const vols = spawnSync('docker', ['volume', 'ls', '-q', '--filter', `label=${label}=${project}`], { encoding: 'utf8' }).stdout.trim().split('\n').filter(Boolean);
    if (vols.length) spawnSync('docker', ['volume', 'rm', '-f', ...vols], { stdio: 'ignore' });
    spawnSync('docker', ['network', 'rm', `${project}_default`], { stdio: 'ignore' });
    await sleep(0);
  }
}
