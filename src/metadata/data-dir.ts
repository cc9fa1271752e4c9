/**
 * The data directory's identity and ownership:
 * - `meta.properties` (Kafka's file): `version=1`, `cluster.id`, `node.id`. Written on first start;
 *   a later start with another node.id is refused, as Kafka does. One that cannot be read whole
 *   (no version, or a version without its required keys: a torn or hand-mangled file) is refused
 *   too, as Kafka refuses it: guessing would give the directory a new cluster id, or a prefix of
 *   the old one.
 * - `.lock`: held by the broker using the directory (dir-lock.ts).
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { type StorageFs, readTextIfExists, realFs, writeFileAtomic } from '../../storage/fs.js';
import { parseProperties } from '../config/broker-config.js';

export class DataDirError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DataDirError';
  }
}

const META_PROPERTIES = 'meta.properties';

export function newClusterId(): string {
  return randomBytes(16).toString('base64url');
}

/**
 * What makes a meta.properties unusable, or null. Kafka's versions: 1 (KRaft) needs node.id and
 * cluster.id; 0 (ZooKeeper era) needs broker.id. We write `version=1` last, so a file cut short
 * anywhere before it has no version.
 */
function metaPropertiesProblem(props: Map<string, string>): string | null {
  const version = props.get('version');
  if (version === '1') {
    if (!/^\d+$/.test(props.get('node.id') ?? '')) return 'version 1 without a node.id';
    if (!props.get('cluster.id')) return 'version 1 without a cluster.id';
    return null;
  }
  if (version === '0') return /^\d+$/.test(props.get('broker.id') ?? '') ? null : 'version 0 without a broker.id';
  return version === undefined ? 'no version' : `unknown version ${JSON.stringify(version)}`;
}

/** Reads or creates meta.properties (through the storage fs seam); returns the cluster id. */
export async function loadMetaProperties(dir: string, nodeId: number, configuredClusterId: string | null, fs: StorageFs = realFs): Promise<string> {
  const stored = await readMetaProperties(dir, nodeId, fs);
  if (stored && configuredClusterId && stored !== configuredClusterId) {
    throw new DataDirError(`Stored cluster.id ${stored} in ${join(dir, META_PROPERTIES)} doesn't match configured cluster.id ${configuredClusterId}`);
  }
  if (stored) return stored;
  const clusterId = configuredClusterId ?? newClusterId();
  await writeMetaProperties(dir, nodeId, clusterId, fs);
  return clusterId;
}

/**
 * The cluster id stored in meta.properties, or null when there is none yet (cluster mode: etcd
 * decides it, then writeMetaProperties records it). A stored node id other than `nodeId` is refused.
 */
export async function readMetaProperties(dir: string, nodeId: number, fs: StorageFs = realFs): Promise<string | null> {
  const path = join(dir, META_PROPERTIES);
  const text = await readTextIfExists(fs, path);
  if (text === null) return null;
  const props = parseProperties(text);
  const problem = metaPropertiesProblem(props);
  if (problem) throw new DataDirError(`${path} is corrupt (${problem}); restore it (cluster.id, node.id, version=1) or move the data directory aside`);
  const storedNode = props.get('node.id') ?? props.get('broker.id');
  if (storedNode !== undefined && Number(storedNode) !== nodeId) {
    throw new DataDirError(`Stored node id ${storedNode} in ${path} doesn't match node.id ${nodeId}`);
  }
  return props.get('cluster.id') || null;
}

export async function writeMetaProperties(dir: string, nodeId: number, clusterId: string, fs: StorageFs = realFs): Promise<void> {
  await writeFileAtomic(fs, dir, META_PROPERTIES, `#\n#${new Date().toISOString()}\ncluster.id=${clusterId}\nnode.id=${nodeId}\nversion=1\n`);
}
