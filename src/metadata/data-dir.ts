/**
 * The data directory's identity and ownership:
 * - `meta.properties` (Kafka's file): `version=1`, `cluster.id`, `node.id`. Written on first start;
 *   a later start with another node.id is refused, as Kafka does.
 * - `.lock`: the pid of the broker using the directory, so two brokers never share one. A lock
 *   left by a dead process (kill -9) is taken over.
 */
import { mkdir, open, readFile, unlink, access, constants } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { join, resolve } from 'node:path';
import { type StorageFs, readTextIfExists, realFs, writeFileAtomic } from '../../storage/fs.js';
import { parseProperties } from '../config/broker-config.js';

export class DataDirError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DataDirError';
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Creates (if needed) and locks the data directory; returns a function that releases the lock. */
export async function lockDataDir(dir: string): Promise<() => Promise<void>> {
  const abs = resolve(dir);
  try {
    await mkdir(abs, { recursive: true });
    await access(abs, constants.R_OK | constants.W_OK);
  } catch (err) {
    throw new DataDirError(`Data directory ${abs} is not usable: ${(err as Error).message}`);
  }
  const lockPath = join(abs, '.lock');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fh = await open(lockPath, 'wx');
      await fh.writeFile(String(process.pid));
      await fh.close();
      return async () => {
        await unlink(lockPath).catch(() => undefined);
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw new DataDirError(`Data directory ${abs} is not usable: ${(err as Error).message}`);
      const owner = Number((await readFile(lockPath, 'utf8').catch(() => '')).trim());
      if (Number.isInteger(owner) && owner > 0 && owner !== process.pid && processAlive(owner)) {
        throw new DataDirError(`Data directory ${abs} is in use by another broker (pid ${owner})`);
      }
      if (owner === process.pid) throw new DataDirError(`Data directory ${abs} is already used by a broker in this process`);
      await unlink(lockPath).catch(() => undefined);
    }
  }
  throw new DataDirError(`Data directory ${abs}: could not take the lock`);
}

const META_PROPERTIES = 'meta.properties';

export function newClusterId(): string {
  return randomBytes(16).toString('base64url');
}

/** Reads or creates meta.properties (through the storage fs seam); returns the cluster id. */
export async function loadMetaProperties(dir: string, nodeId: number, configuredClusterId: string | null, fs: StorageFs = realFs): Promise<string> {
  const path = join(dir, META_PROPERTIES);
  const text = await readTextIfExists(fs, path);
  if (text !== null) {
    const props = parseProperties(text);
    const storedNode = props.get('node.id') ?? props.get('broker.id');
    if (storedNode !== undefined && Number(storedNode) !== nodeId) {
      throw new DataDirError(`Stored node id ${storedNode} in ${path} doesn't match node.id ${nodeId}`);
    }
    const stored = props.get('cluster.id');
    if (stored && configuredClusterId && stored !== configuredClusterId) {
      throw new DataDirError(`Stored cluster.id ${stored} in ${path} doesn't match configured cluster.id ${configuredClusterId}`);
    }
    if (stored) return stored;
  }
  const clusterId = configuredClusterId ?? newClusterId();
  await writeFileAtomic(fs, dir, META_PROPERTIES, `#\n#${new Date().toISOString()}\ncluster.id=${clusterId}\nnode.id=${nodeId}\nversion=1\n`);
  return clusterId;
}
