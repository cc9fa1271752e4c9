/**
 * The broker under attack: a child process (`node dist/runnel.mjs`, built by `npm test`), so a
 * crash is an observed exit, with Node's own stack trace in the report, and RSS and CPU are the
 * broker's own (proc.ts). It is spawned at normal priority while the attacker is niced
 * (priority.ts), restarts on the same port and data directory, and is killed if the test process
 * exits without stopping it.
 */
import { spawnBroker, tempDir, removeDir, type ChildBroker } from '../../helpers/broker.js';
import { BASE_FLAGS } from './limits.js';
import { atNormalPriority } from './priority.js';
import { readCpuSeconds, readRss } from './proc.js';

/** Every broker child still running: killed if the test process exits without stopping them. */
const LIVE = new Set<ChildBroker>();
process.once('exit', () => {
  for (const c of LIVE) c.process.kill('SIGKILL');
});

export class HostileBroker {
  private constructor(
    public child: ChildBroker,
    readonly dataDir: string,
    readonly flags: Record<string, string | number | boolean>,
    readonly ownsDir: boolean,
  ) {}

  static async start(flags: Record<string, string | number | boolean> = {}, dataDir?: string): Promise<HostileBroker> {
    const dir = dataDir ?? tempDir('hostile');
    const all = { ...BASE_FLAGS, ...flags };
    const child = await atNormalPriority(() => spawnBroker(dir, all));
    LIVE.add(child);
    return new HostileBroker(child, dir, all, dataDir === undefined);
  }

  get pid(): number {
    return this.child.process.pid!;
  }
  get host(): string {
    return this.child.host;
  }
  get port(): number {
    return this.child.port;
  }
  get bootstrap(): string {
    return this.child.bootstrap;
  }

  /** Base URL of the schema registry REST API, from the "broker started" log line. */
  get registryUrl(): string {
    const line = this.child.logs.findLast((l) => l.includes('"broker started"'))!;
    return (JSON.parse(line) as { schemaRegistry: string }).schemaRegistry;
  }

  alive(): boolean {
    const p = this.child.process;
    return p.exitCode === null && p.signalCode === null;
  }

  /** How the broker ended, with its last error-level log lines (pino level >= 50). */
  describeExit(): string {
    const p = this.child.process;
    const errors = this.child.logs.filter((l) => /"level":(50|60)/.test(l)).slice(-2);
    // An uncaught exception is printed by Node itself, not as a pino line: its message and stack.
    const crash = this.child.logs.filter((l) => l.trim() !== '' && !l.startsWith('{')).slice(0, 8);
    return `broker exited (code ${p.exitCode}, signal ${p.signalCode}); ${crash.length ? `stderr: ${crash.join(' | ')}` : ''} ${errors.length ? `errors: ${errors.join(' | ')}` : ''}`.trim();
  }

  rssBytes(): number {
    return readRss(this.pid);
  }

  /** Resolves true if the broker exits within `ms` (false: still running). */
  exitedWithin(ms: number): Promise<boolean> {
    if (!this.alive()) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.child.process.off('exit', onExit);
        resolve(false);
      }, ms);
      const onExit = () => {
        clearTimeout(timer);
        resolve(true);
      };
      this.child.process.once('exit', onExit);
    });
  }

  /** User + system CPU seconds the broker has used so far. */
  cpuSeconds(): number {
    return readCpuSeconds(this.pid);
  }

  /** Error-level log lines (uncaught handler failures and the like) since `from`. */
  errorLogs(from = 0): string[] {
    return this.child.logs.slice(from).filter((l) => /"level":(50|60)/.test(l));
  }

  /** Graceful restart on the same port and data directory. */
  async restart(): Promise<void> {
    const port = this.port;
    await this.stopProcess();
    this.child = await atNormalPriority(() => spawnBroker(this.dataDir, this.flags, port));
    LIVE.add(this.child);
  }

  private async stopProcess(): Promise<void> {
    LIVE.delete(this.child);
    if (!this.alive()) return;
    const exited = this.child.kill('SIGTERM');
    const timer = setTimeout(() => void this.child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  }

  async stop(): Promise<void> {
    await this.stopProcess();
    if (this.ownsDir) removeDir(this.dataDir);
  }
}
