/**
 * Starting real Runnel brokers for tests: in-process through the embedding API (startBroker), or
 * as a child process (`node dist/runnel.mjs`) when a test needs to kill -9 it.
 * Every broker listens on 127.0.0.1 on a free port with a fresh data directory.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdtempSync, rmSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { BROKER_NODE_FLAGS } from '../../src/node-flags.js';
import { startBroker, type RunningBroker, type StartBrokerOptions } from '../../src/index.js';

export const REPO_ROOT = resolve(import.meta.dirname, '..', '..');
const WORK = join(REPO_ROOT, 'test', '.work');

export function tempDir(prefix = 'broker'): string {
  mkdirSync(WORK, { recursive: true });
  return mkdtempSync(join(WORK, `${prefix}-`));
}

export interface TestBroker extends RunningBroker {
  dataDir: string;
  /** Stops the broker and removes its data directory. */
  cleanup(): Promise<void>;
}

export async function startTestBroker(opts: StartBrokerOptions & { keepData?: boolean } = {}): Promise<TestBroker> {
  const dataDir = opts.dataDir ?? tempDir();
  const running = await startBroker({ host: '127.0.0.1', port: 0, logLevel: process.env.RUNNEL_TEST_LOG ?? 'silent', ...opts, dataDir });
  return {
    ...running,
    dataDir,
    async cleanup() {
      await running.stop();
      if (!opts.keepData) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export interface ChildBroker {
  process: ChildProcess;
  host: string;
  port: number;
  bootstrap: string;
  dataDir: string;
  /** The broker's pid as it logged it (inside a pid namespace: its pid there, e.g. 1). */
  brokerPid: number;
  /** Lines the broker wrote to stderr (pino JSON). */
  logs: string[];
  /** Resolves with the exit code when the child process exits. */
  exited: Promise<number | null>;
  kill(signal?: NodeJS.Signals): Promise<number | null>;
}

/**
 * How the broker's command line is started: by default node itself is the child process; a test
 * can wrap it (`sh -c ...`, `unshare ...`) to run the broker the way a container or script does.
 */
export type Launcher = (node: string, args: string[]) => { cmd: string; args: string[] };

/**
 * Runs `node dist/runnel.mjs` (build first: `npm test` does) and waits for its "broker started"
 * log line, which carries the bound port.
 */
export function spawnBroker(dataDir: string, flags: Record<string, string | number | boolean> = {}, port = 0, launcher?: Launcher): Promise<ChildBroker> {
  const args = [...BROKER_NODE_FLAGS, join(REPO_ROOT, 'dist', 'runnel.mjs'), `--listeners=PLAINTEXT://127.0.0.1:${port}`, `--log.dirs=${dataDir}`, '--logger.level=info'];
  for (const [k, v] of Object.entries(flags)) args.push(`--${k}=${v}`);
  const launch = launcher ? launcher(process.execPath, args) : { cmd: process.execPath, args };
  const child = spawn(launch.cmd, launch.args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, KAFKA_HEAP_OPTS: undefined } });
  const logs: string[] = [];
  // Debugging aid: RUNNEL_TEST_LOG_DIR=/dir keeps every spawned broker's log lines in a file there
  // (broker-<node.id>-<pid>.log), which outlives the test's temp dirs and a killed process.
  const logDir = process.env.RUNNEL_TEST_LOG_DIR;
  if (logDir) mkdirSync(logDir, { recursive: true });
  const logFile = logDir ? createWriteStream(join(logDir, `broker-${flags['node.id'] ?? 'x'}-${child.pid}.log`)) : null;
  return new Promise((resolveStart, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`broker did not start in 20 s:\n${logs.join('\n')}`));
    }, 20_000);
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`broker exited with ${code} before starting:\n${logs.join('\n')}`));
    });
    createInterface({ input: child.stderr! }).on('line', (line) => {
      logs.push(line);
      logFile?.write(line + '\n');
      if (!line.includes('"broker started"')) return;
      clearTimeout(timer);
      const entry = JSON.parse(line) as { listeners: string[]; pid: number };
      const m = /:\/\/(.*):(\d+)$/.exec(entry.listeners[0]!)!;
      resolveStart({
        process: child,
        host: m[1]!,
        port: Number(m[2]),
        bootstrap: `${m[1]}:${m[2]}`,
        dataDir,
        brokerPid: entry.pid,
        logs,
        exited,
        kill(signal: NodeJS.Signals = 'SIGTERM') {
          if (child.exitCode === null && child.signalCode === null) child.kill(signal);
          return exited;
        },
      });
    });
    child.stdout!.resume();
  });
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}
