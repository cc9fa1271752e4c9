/**
 * The durable list of topics: name, topic id, partition count, config overrides, internal flag.
 *
 * On disk: `<data dir>/runnel-metadata.json`, rewritten atomically (temp + fsync + rename, through
 * the storage fs seam) on every change, so topics and their configs survive clean stops and
 * kill -9 alike:
 *
 *   { "version": 1, "topics": [ { "name": "orders", "id": "<base64url uuid>", "partitions": 3,
 *                                 "internal": false, "configs": { "retention.ms": "3600000" } } ],
 *     "brokerConfigs": { "default": { "log.retention.ms": "..." }, "node": { ... } },
 *     "features": { "epoch": 1, "levels": { "metadata.version": 33 } },
 *     "groupConfigs": { "orders-workers": { "share.auto.offset.reset": "earliest" } } }
 *
 * brokerConfigs are the dynamic broker overrides set through AlterConfigs: "default" for the
 * cluster-wide resource (name ""), "node" for this broker's own resource. features are the
 * finalized feature levels (src/features/); absent in a file written before they existed.
 * groupConfigs are the per-group configs (GROUP config resources, admin/group-configs.ts), kept
 * here as Kafka keeps them in its metadata log beside the topic configs (one node only: a cluster
 * keeps them in etcd, cluster/records.ts).
 *
 * Cluster mode (`inMemory`): etcd holds the topics; the store has no file and mirrors the metadata
 * image (metadata/cluster-topics.ts), so every lookup stays a map read.
 *
 * Persist first, then change memory: a change is serialized as the state it leads to, written,
 * and only once the write succeeded applied to the in-memory maps. A failed write (ENOSPC, EIO)
 * leaves memory and disk agreeing on the old state. Writes are serialized; each writes the whole
 * state, and one request's changes go in one write (several topics created or deleted at once).
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { TOPIC_CONFIG_BY_NAME, type ConfigValue } from '../config/definitions.js';
import { formatValue, parseValue } from '../config/values.js';
import { type StorageFs, readTextIfExists, realFs, writeFileAtomic } from '../../storage/fs.js';
import { DataDirError } from './data-dir.js';
import { type StoredFeatures, decodeStoredFeatures } from '../cluster/records.js';

export interface Topic {
  readonly name: string;
  readonly id: Buffer;
  partitions: number;
  configs: Map<string, ConfigValue>;
  readonly internal: boolean;
}

interface StoredTopic {
  name: string;
  id: string;
  partitions: number;
  internal: boolean;
  configs: Record<string, string>;
}

type BrokerConfigs = { default: Record<string, string>; node: Record<string, string> };

/** One change of the stored state: topics added or replaced (by name), topics removed, broker overrides. */
interface Change {
  upsert?: readonly Topic[];
  remove?: readonly string[];
  brokerConfigs?: BrokerConfigs;
  features?: StoredFeatures;
  /** One group's overrides replaced (empty: removed). */
  groupConfigs?: { group: string; values: Record<string, string> };
}

/** Kafka's collision rule: '.' and '_' map to the same metric name, so such topic names clash. */
export function collisionKey(name: string): string {
  return name.replace(/\./g, '_');
}

export const METADATA_FILE = 'runnel-metadata.json';

/** A random Kafka topic id (never all-zero, never the reserved metadata-topic id 1). */
export function newTopicId(): Buffer {
  for (;;) {
    const id = randomBytes(16);
    if (!id.every((b, i) => (i === 15 ? b <= 1 : b === 0))) return id;
  }
}

export function uuidToString(id: Buffer): string {
  return id.toString('base64url');
}

export class TopicStore {
  private readonly topics = new Map<string, Topic>();
  private readonly byIdMap = new Map<string, Topic>();
  /** Partitions of every topic together (runnel.max.partitions). */
  private totalPartitions = 0;
  /** Topic names by collisionKey, so a new name's clash check does not scan every topic. */
  private readonly byCollisionKey = new Map<string, string>();
  private writes: Promise<void> = Promise.resolve();
  /** Dynamic broker overrides as strings: cluster default ("") and this node. */
  brokerConfigs: BrokerConfigs = { default: {}, node: {} };
  /** The finalized feature levels; null until the first are stored (src/features/stores.ts). */
  features: StoredFeatures | null = null;
  /** Per-group config overrides as strings, by group id. */
  readonly groupConfigs = new Map<string, ReadonlyMap<string, string>>();

  private constructor(
    private readonly dir: string,
    private readonly fs: StorageFs,
    /** False in cluster mode: etcd holds the topics, and this store only mirrors them (no file). */
    private readonly durable = true,
  ) {}

  /** Cluster mode: a store without a file, kept equal to the metadata image by `mirror`. */
  static inMemory(): TopicStore {
    return new TopicStore('', realFs, false);
  }

  static async load(dataDir: string, fs: StorageFs = realFs): Promise<TopicStore> {
    const store = new TopicStore(dataDir, fs);
    const path = join(dataDir, METADATA_FILE);
    const text = await readTextIfExists(fs, path);
    if (text !== null) {
      const parsed = parseMetadata(path, text);
      if (parsed.brokerConfigs) store.brokerConfigs = parsed.brokerConfigs;
      for (const [g, values] of Object.entries(parsed.groupConfigs ?? {})) store.groupConfigs.set(g, new Map(Object.entries(values)));
      if (parsed.features !== undefined) {
        store.features = decodeStoredFeatures(parsed.features);
        if (!store.features) throw new DataDirError(`${path}: its "features" entry is not valid; restore the file from a backup`);
      }
      for (const t of parsed.topics) {
        store.add({ name: t.name, id: Buffer.from(t.id, 'base64url'), partitions: t.partitions, internal: t.internal, configs: parseStoredConfigs(t.configs) });
      }
    }
    return store;
  }

  /** The existing topic whose name collides with `name` ('.' and '_' are one in metric names), if any. */
  collidingName(name: string): string | undefined {
    return this.byCollisionKey.get(collisionKey(name));
  }

  get(name: string): Topic | undefined {
    return this.topics.get(name);
  }

  byId(id: Buffer): Topic | undefined {
    return this.byIdMap.get(id.toString('hex'));
  }

  all(): IterableIterator<Topic> {
    return this.topics.values();
  }

  size(): number {
    return this.topics.size;
  }

  /** Creates several topics with one write; resolves with them once durable and listed. */
  async createMany(specs: ReadonlyArray<{ name: string; partitions: number; configs: Map<string, ConfigValue>; internal?: boolean }>): Promise<Topic[]> {
    const topics = specs.map((s): Topic => ({ name: s.name, id: newTopicId(), partitions: s.partitions, configs: s.configs, internal: s.internal ?? false }));
    if (topics.length > 0) await this.commit({ upsert: topics });
    return topics;
  }

  async create(name: string, partitions: number, configs: Map<string, ConfigValue>, internal = false): Promise<Topic> {
    return (await this.createMany([{ name, partitions, configs, internal }]))[0]!;
  }

  /** Removes several topics with one write. */
  async deleteMany(names: readonly string[]): Promise<void> {
    const known = names.filter((n) => this.topics.has(n));
    if (known.length > 0) await this.commit({ remove: known });
  }

  async delete(name: string): Promise<void> {
    await this.deleteMany([name]);
  }

  async setPartitions(name: string, partitions: number): Promise<void> {
    await this.commit({ upsert: [{ ...this.mustGet(name), partitions }] });
  }

  async setConfigs(name: string, configs: Map<string, ConfigValue>): Promise<void> {
    await this.commit({ upsert: [{ ...this.mustGet(name), configs }] });
  }

  async setBrokerConfigs(perBroker: boolean, values: Record<string, string>): Promise<void> {
    await this.commit({ brokerConfigs: perBroker ? { ...this.brokerConfigs, node: values } : { ...this.brokerConfigs, default: values } });
  }

  /** Replaces one group's config overrides (none: the group's entry is removed). */
  async setGroupConfigs(group: string, values: Record<string, string>): Promise<void> {
    await this.commit({ groupConfigs: { group, values } });
  }

  async setFeatures(features: StoredFeatures): Promise<void> {
    await this.commit({ features });
  }

  private mustGet(name: string): Topic {
    const t = this.topics.get(name);
    if (!t) throw new Error(`no topic ${name}`);
    return t;
  }

  /** Partitions of all topics, internal ones included. */
  partitionCount(): number {
    return this.totalPartitions;
  }

  private add(t: Topic): void {
    this.totalPartitions += t.partitions;
    this.topics.set(t.name, t);
    this.byIdMap.set(t.id.toString('hex'), t);
    this.byCollisionKey.set(collisionKey(t.name), t.name);
  }

  /**
   * Cluster mode: applies topics as the metadata image has them (added, replaced by name, removed).
   * A topic that keeps its id is updated in place: everyone holding its object sees the change.
   */
  mirror(change: { upsert?: readonly Topic[]; remove?: readonly string[] }): void {
    this.apply(change);
  }

  /**
   * Writes the state `change` leads to, then applies it to memory. Serialized: each change is
   * computed on the state every earlier change left (and only if that one was written).
   */
  private commit(change: Change): Promise<void> {
    const run = this.writes.then(async () => {
      if (this.durable) await writeFileAtomic(this.fs, this.dir, METADATA_FILE, this.serialize(change));
      this.apply(change);
    });
    this.writes = run.catch(() => undefined);
    return run;
  }

  private apply(change: Change): void {
    for (const name of change.remove ?? []) {
      const t = this.topics.get(name);
      if (!t) continue;
      this.totalPartitions -= t.partitions;
      this.topics.delete(name);
      this.byIdMap.delete(t.id.toString('hex'));
      this.byCollisionKey.delete(collisionKey(name));
    }
    for (const t of change.upsert ?? []) {
      const existing = this.topics.get(t.name);
      if (existing && existing.id.equals(t.id)) {
        // The same topic changed: update the object everyone already holds.
        this.totalPartitions += t.partitions - existing.partitions;
        existing.partitions = t.partitions;
        existing.configs = t.configs;
      } else {
        this.add(t);
      }
    }
    if (change.brokerConfigs) this.brokerConfigs = change.brokerConfigs;
    if (change.features) this.features = change.features;
    if (change.groupConfigs) {
      const { group, values } = change.groupConfigs;
      if (Object.keys(values).length === 0) this.groupConfigs.delete(group);
      else this.groupConfigs.set(group, new Map(Object.entries(values)));
    }
  }

  /** The file contents of the state after `change` (memory untouched). */
  private serialize(change: Change): string {
    const removed = new Set(change.remove ?? []);
    const upserts = new Map((change.upsert ?? []).map((t) => [t.name, t]));
    const out: StoredTopic[] = [];
    for (const t of this.topics.values()) {
      if (removed.has(t.name)) continue;
      const next = upserts.get(t.name);
      upserts.delete(t.name);
      out.push(stored(next ?? t));
    }
    for (const t of upserts.values()) out.push(stored(t));
    const features = change.features ?? this.features ?? undefined;
    const groups: Record<string, Record<string, string>> = {};
    for (const [g, values] of this.groupConfigs) groups[g] = Object.fromEntries(values);
    if (change.groupConfigs) {
      if (Object.keys(change.groupConfigs.values).length === 0) delete groups[change.groupConfigs.group];
      else groups[change.groupConfigs.group] = change.groupConfigs.values;
    }
    const groupConfigs = Object.keys(groups).length > 0 ? groups : undefined;
    return JSON.stringify({ version: 1, topics: out, brokerConfigs: change.brokerConfigs ?? this.brokerConfigs, features, groupConfigs }, null, 1);
  }
}

/** Topic config overrides from their stored strings (unknown keys, from another version, are dropped). */
export function parseStoredConfigs(stored: Readonly<Record<string, string>>): Map<string, ConfigValue> {
  const configs = new Map<string, ConfigValue>();
  for (const [k, v] of Object.entries(stored)) {
    const def = TOPIC_CONFIG_BY_NAME.get(k);
    if (def) configs.set(k, parseValue(def, v));
  }
  return configs;
}

/** Topic config overrides as the strings they are stored as. */
export function formatConfigs(configs: ReadonlyMap<string, ConfigValue>): Record<string, string> {
  return Object.fromEntries([...configs].map(([k, v]) => [k, formatValue(v) ?? '']));
}

/**
 * The file's contents, or a DataDirError naming it. It is the only record of topic ids and
 * configs, so a file that does not parse (torn by a non-atomic copy, a bad disk) stops the start:
 * starting without it would drop every topic's logs as orphans (TopicManager.reconcile).
 */
type StoredMetadata = { version: number; topics: StoredTopic[]; brokerConfigs?: BrokerConfigs; features?: unknown; groupConfigs?: Record<string, Record<string, string>> };

function parseMetadata(path: string, text: string): StoredMetadata {
  let parsed: StoredMetadata;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new DataDirError(`${path} is corrupt (${(e as Error).message}); restore it from a backup, it holds the topics and their configs`);
  }
  if (parsed?.version !== 1) throw new DataDirError(`${path}: unsupported metadata version ${parsed?.version}`);
  if (!Array.isArray(parsed.topics)) throw new DataDirError(`${path} is corrupt (no topics list); restore it from a backup, it holds the topics and their configs`);
  return parsed;
}

function stored(t: Topic): StoredTopic {
  return {
    name: t.name,
    id: uuidToString(t.id),
    partitions: t.partitions,
    internal: t.internal,
    configs: formatConfigs(t.configs),
  };
}
