/**
 * Finding a Docker engine for the compose test, or the reason there is none.
 *
 * `docker info` answering means an engine runs. If it does not, and this process is root with
 * Debian's `dockerd` installed (what .ci/run installs), the engine is started here in the
 * background (log: $TMPDIR/runnel-dockerd.log) and left running for later runs — other tests or
 * people on the machine may use it too. Only when no engine answers after that does the test skip,
 * and it prints why. Compose is `docker-compose` (1.29, Debian's) or the `docker compose` plugin.
 */
import { spawn, spawnSync } from 'node:child_process';
import { openSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface DockerEngine {
  /** The compose command line prefix: ['docker-compose'] or ['docker', 'compose']. */
  compose: string[] | null;
  serverVersion: string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function serverVersion(): string | null {
  const r = spawnSync('docker', ['info', '--format', '{{.ServerVersion}}'], { encoding: 'utf8', timeout: 20_000 });
  return r.status === 0 && r.stdout.trim() !== '' ? r.stdout.trim() : null;
}

const onPath = (cmd: string): boolean => spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;

function composeCommand(): string[] | null {
  if (spawnSync('docker-compose', ['version'], { stdio: 'ignore' }).status === 0) return ['docker-compose'];
  if (spawnSync('docker', ['compose', 'version'], { stdio: 'ignore' }).status === 0) return ['docker', 'compose'];
  return null;
}

/** The running engine (started here if needed and possible), or why there is none. */
export async function findDockerEngine(): Promise<DockerEngine | { reason: string }> {
  if (!onPath('docker')) return { reason: 'no `docker` client on the PATH (apt-get install docker.io docker-compose; .ci/run does)' };
  let version = serverVersion();
  if (version === null) {
    if (!onPath('dockerd')) return { reason: 'no Docker engine answers `docker info` and `dockerd` is not installed (apt-get install docker.io)' };
    if (process.getuid?.() !== 0) return { reason: 'no Docker engine answers `docker info`, and only root can start dockerd here' };
    const log = join(tmpdir(), 'runnel-dockerd.log');
    const fd = openSync(log, 'a');
    const child = spawn('dockerd', [], { detached: true, stdio: ['ignore', fd, fd] });
    child.unref();
    console.log(`compose test: started dockerd (pid ${child.pid}, log ${log}); it keeps running`);
    for (let i = 0; i < 60 && version === null; i++) {
      await sleep(500);
      version = serverVersion();
    }
    if (version === null) return { reason: `dockerd did not come up within 30 s (see ${log})` };
  }
  return { compose: composeCommand(), serverVersion: version };
}
