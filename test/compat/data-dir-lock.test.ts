/**
 * Issue 14 item 0b: the data directory's lock is a kernel file lock on `.lock`, released when the
 * holder dies, so a broker killed with -9 can always be restarted on its directory — also when the
 * dead broker is a zombie its parent never reaps (a `sh -c` wrapper) and when it ran as PID 1 of a
 * pid namespace (a container), where the old pid-file lock found its own pid and refused forever.
 * Two live brokers on one directory are still refused, across processes and within one.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, removeDir, spawnBroker, startTestBroker, tempDir, type ChildBroker, type Launcher } from '../helpers/broker.js';
import { run } from '../helpers/clients.js';

const CLI = join(REPO_ROOT, 'dist', 'runnel.mjs');
const dirs: string[] = [];
const cleanups: (() => Promise<unknown> | void)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
  dirs.forEach(removeDir);
});

function dir(): string {
  const d = tempDir('dirlock');
  dirs.push(d);
  return d;
}

function tracked(b: ChildBroker): ChildBroker {
  cleanups.push(() => b.kill('SIGKILL'));
  return b;
}

/** Process state letter from /proc (R, S, Z ...), or null once the pid is gone. */
function procState(pid: number): string | null {
  try {
    return /\) (\w) /.exec(readFileSync(`/proc/${pid}/stat`, 'utf8'))![1]!;
  } catch {
    return null;
  }
}

async function waitFor(cond: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 20));
  }
}

// `unshare --pid` needs root (or user namespaces); skip where the sandbox refuses it.
const canUnshare = spawnSync('unshare', ['--pid', '--fork', '--mount-proc', 'true'], { stdio: 'ignore' }).status === 0;
// --kill-child: killing unshare (the tests' cleanup) kills the broker too. unshare ignores SIGTERM
// while it waits, so a graceful stop signals the broker itself.
const asPid1: Launcher = (node, args) => ({ cmd: 'unshare', args: ['--pid', '--fork', '--mount-proc', '--kill-child', node, ...args] });

/** The pid, outside the namespace, of unshare --fork's only child: the broker. */
function namespacedPid(b: ChildBroker): number {
  const unsharePid = b.process.pid!;
  return Number(readFileSync(`/proc/${unsharePid}/task/${unsharePid}/children`, 'utf8').trim());
}

describe('data directory lock', () => {
  it('a broker killed with -9 is restarted on its directory; .lock shows the live pid', async () => {
    const d = dir();
    const first = tracked(await spawnBroker(d));
    expect(readFileSync(join(d, '.lock'), 'utf8').trim()).toBe(String(first.brokerPid));
    await first.kill('SIGKILL');
    const second = tracked(await spawnBroker(d));
    expect(readFileSync(join(d, '.lock'), 'utf8').trim()).toBe(String(second.brokerPid));
    await second.kill('SIGTERM');
  });

  it('restarts while the killed broker is still an unreaped zombie of its sh -c wrapper', async () => {
    const d = dir();
    // The wrapper starts the broker in the background and becomes `sleep`, which never reaps it.
    const zombieMaker: Launcher = (node, args) => ({ cmd: '/bin/sh', args: ['-c', '"$0" "$@" & exec sleep 120', node, ...args] });
    const first = tracked(await spawnBroker(d, {}, 0, zombieMaker));
    process.kill(first.brokerPid, 'SIGKILL');
    await waitFor(() => procState(first.brokerPid) === 'Z');
    const second = tracked(await spawnBroker(d));
    expect(second.brokerPid).not.toBe(first.brokerPid);
    await second.kill('SIGTERM');
    await first.kill('SIGKILL'); // the wrapper; the zombie goes to init, which reaps it
  });

  it.skipIf(!canUnshare)('restarts as PID 1 of a new pid namespace after kill -9 (a crashed container)', async () => {
    const d = dir();
    const first = tracked(await spawnBroker(d, {}, 0, asPid1));
    expect(first.brokerPid).toBe(1);
    const outerPid = namespacedPid(first);
    expect(outerPid).toBeGreaterThan(1);
    process.kill(outerPid, 'SIGKILL');
    await first.exited;
    expect(readFileSync(join(d, '.lock'), 'utf8').trim()).toBe('1');
    const second = tracked(await spawnBroker(d, {}, 0, asPid1));
    expect(second.brokerPid).toBe(1);
    process.kill(namespacedPid(second), 'SIGTERM');
    expect(await second.exited).toBe(0);
  });

  it('refuses a second live broker process on the same directory, naming the holder', async () => {
    const d = dir();
    const first = tracked(await spawnBroker(d));
    const r = await run(process.execPath, [CLI, '--listeners=PLAINTEXT://127.0.0.1:0', `--log.dirs=${d}`], { timeoutMs: 15000 });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`is in use by another broker (pid ${first.brokerPid})`);
    expect(r.stderr).toContain('.lock is locked');
    // The refused start did not disturb the holder's lock file.
    expect(readFileSync(join(d, '.lock'), 'utf8').trim()).toBe(String(first.brokerPid));
    await first.kill('SIGTERM');
  });

  it('refuses a second broker on the same directory within one process, and frees it on stop', async () => {
    const d = dir();
    const first = await startTestBroker({ dataDir: d, keepData: true });
    try {
      await expect(startTestBroker({ dataDir: join(d, '.', ''), keepData: true })).rejects.toThrow(/already used by a broker in this process/);
    } finally {
      await first.stop();
    }
    const again = await startTestBroker({ dataDir: d, keepData: true });
    await again.stop();
  });
});
