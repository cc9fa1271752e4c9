/**
 * The data directory's lock: `<dir>/.lock`, held for the broker's lifetime, so two brokers never
 * share one directory.
 *
 * The lock is a kernel file lock on `.lock` (an open-file-description `fcntl` lock on Linux, `flock`
 * on macOS, through fs-native-extensions), the way Kafka holds `FileChannel.tryLock()`. The kernel
 * drops it when the holder's last descriptor closes, so also when the holder dies (kill -9, OOM,
 * crash): a restart never has to decide whether a previous owner is still alive. Deciding by pid
 * liveness broke restarts: a killed broker that is still a zombie (its parent, e.g. `sh -c`, does
 * not reap it) looks alive, and in a container the broker is often PID 1, so a crashed container
 * restarted on its volume found its own pid in `.lock` on every restart.
 *
 * The pid is still written into `.lock` for humans (`cat .lock`) and for the error message, but
 * nothing decides by it. The file is never deleted: a broker that unlinked it on shutdown could let
 * a starting broker lock the unlinked inode while a third one created and locked a new file.
 *
 * Within one process, a second broker on the same directory is refused by a registry of the
 * directories this process holds (clearer than relying on the kernel lock alone, whose semantics
 * within one process differ between lock kinds and platforms).
 */
import { constants, existsSync } from 'node:fs';
import { access, mkdir, open, realpath, type FileHandle } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { DataDirError } from './data-dir.js';

interface FileLockLib {
  /** true if the lock was taken, false if another open file holds it; throws on other errors. */
  tryLock(fd: number, opts?: { shared?: boolean }): boolean;
}

const requireCjs = createRequire(import.meta.url);
let fileLockLib: FileLockLib | undefined;

/** The raw binding: tryLock(fd, offset, length, exclusive) throws EAGAIN when another holds it. */
interface FileLockBinding {
  tryLock(fd: number, offset: number, length: number, exclusive: boolean): void;
}

/**
 * Loaded on first use (embedders that never open a data directory never load the addon):
 * fs-native-extensions' prebuilt binding for this platform, through process.dlopen. The package's
 * entry point loads the same binary through a runtime-neutral loader (require-addon) whose mere
 * presence cost the broker dearly: a 1 GiB produce run took 4x the full GCs ("external memory
 * pressure") and ~40% more CPU. The package itself is the fallback where no prebuild matches.
 */
function fileLocks(): FileLockLib {
  if (fileLockLib) return fileLockLib;
  const dir = dirname(requireCjs.resolve('fs-native-extensions/package.json'));
  const prebuild = join(dir, 'prebuilds', `${process.platform}-${process.arch}`, 'fs-native-extensions.node');
  if (!existsSync(prebuild)) return (fileLockLib = requireCjs('fs-native-extensions') as FileLockLib);
  const mod = { exports: {} as FileLockBinding };
  process.dlopen(mod, prebuild);
  const binding = mod.exports;
  fileLockLib = {
    tryLock(fd) {
      try {
        binding.tryLock(fd, 0, 0, true);
        return true;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'EAGAIN') return false;
        throw err;
      }
    },
  };
  return fileLockLib;
}

/** Real paths of the data directories held by brokers in this process. */
const heldInThisProcess = new Set<string>();

/** Creates (if needed) and locks the data directory; returns a function that releases the lock. */
export async function lockDataDir(dir: string): Promise<() => Promise<void>> {
  const abs = resolve(dir);
  let key: string;
  try {
    await mkdir(abs, { recursive: true });
    await access(abs, constants.R_OK | constants.W_OK);
    key = await realpath(abs);
  } catch (err) {
    throw new DataDirError(`Data directory ${abs} is not usable: ${(err as Error).message}`);
  }
  if (heldInThisProcess.has(key)) throw new DataDirError(`Data directory ${abs} is already used by a broker in this process`);
  heldInThisProcess.add(key); // before the first await below: two concurrent starts cannot both pass
  const lockPath = join(key, '.lock');
  let fh: FileHandle | undefined;
  try {
    // Opened without truncation: the file may belong to a live broker whose pid it shows.
    fh = await open(lockPath, constants.O_RDWR | constants.O_CREAT, 0o644);
    if (!tryLock(fh.fd, lockPath)) {
      const owner = (await fh.readFile('utf8').catch(() => '')).trim();
      throw new DataDirError(`Data directory ${abs} is in use by another broker${/^\d+$/.test(owner) ? ` (pid ${owner})` : ''}: ${lockPath} is locked`);
    }
    await fh.truncate(0);
    await fh.write(`${process.pid}\n`, 0);
  } catch (err) {
    heldInThisProcess.delete(key);
    await fh?.close().catch(() => undefined);
    if (err instanceof DataDirError) throw err;
    throw new DataDirError(`Data directory ${abs} is not usable: ${(err as Error).message}`);
  }
  const held = fh;
  let released = false;
  return async () => {
    if (released) return;
    released = true;
    // Emptied while still locked, so the file never shows a pid nobody holds; closing unlocks.
    await held.truncate(0).catch(() => undefined);
    await held.close().catch(() => undefined);
    heldInThisProcess.delete(key);
  };
}

function tryLock(fd: number, lockPath: string): boolean {
  try {
    return fileLocks().tryLock(fd);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    // POSIX lets a conflicting fcntl lock fail with EACCES as well as EAGAIN.
    if (code === 'EACCES' || code === 'EAGAIN') return false;
    throw new Error(`cannot lock ${lockPath} (${code ?? (err as Error).message}); the file system must support file locks`);
  }
}
