/**
 * The durable list of topics: name, topic id, partition count, config overrides, internal flag.
 *
 * On disk: `<data dir>/runnel-metadata.json`, rewritten atomically (temp + fsync + rename) on every
 * change, so topics and their configs survive clean stops and kill -9 alike:
 *
 *   { "version": 1, "topics": [ { "name": "orders", "id": "<base64url uuid>", "partitions": 3,
 *                                 "internal": false, "configs": { "retention.ms": "3600000" } } ],
 *     "brokerConfigs": { "default": { "log.retention.ms": "..." }, "node": { ... } } }
 *
 * brokerConfigs are the dynamic broker overrides set through AlterConfigs: "default" for the
 * cluster-wide resource (name ""), "node" for this broker's own resource.
 *
 * Writes are serialized; each writes the whole current state (topics are few and small).
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { TOPIC_CONFIG_BY_NAME, type ConfigValue } from '../config/definitions.js';
import { formatValue, parseValue } from '../config/values.js';
import { readFileIfExists, writeFileAtomic } from './atomic-file.js';

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
  private writes: Promise<void> = Promise.resolve();
  /** Dynamic broker overrides as strings: cluster default ("") and this node. */
  brokerConfigs: { default: Record<string, string>; node: Record<string, string> } = { default: {}, node: {} };

  private constructor(private readonly path: string) {}

  static async load(dataDir: string): Promise<TopicStore> {
    const store = new TopicStore(join(dataDir, METADATA_FILE));
    const text = await readFileIfExists(store.path);
    if (text !== null) {
      const parsed = JSON.parse(text) as { version: number; topics: StoredTopic[]; brokerConfigs?: TopicStore['brokerConfigs'] };
      if (parsed.brokerConfigs) store.brokerConfigs = parsed.brokerConfigs;
      if (parsed.version !== 1) throw new Error(`${store.path}: unsupported metadata version ${parsed.version}`);
      for (const t of parsed.topics) {
        const configs = new Map<string, ConfigValue>();
        for (const [k, v] of Object.entries(t.configs)) {
          const def = TOPIC_CONFIG_BY_NAME.get(k);
          if (def) configs.set(k, parseValue(def, v));
        }
        store.add({ name: t.name, id: Buffer.from(t.id, 'base64url'), partitions: t.partitions, internal: t.internal, configs });
      }
    }
    return store;
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

  async create(name: string, partitions: number, configs: Map<string, ConfigValue>, internal = false): Promise<Topic> {
    const topic: Topic = { name, id: newTopicId(), partitions, configs, internal };
    this.add(topic);
    await this.persist();
    return topic;
  }

  async delete(name: string): Promise<void> {
    const t = this.topics.get(name);
    if (!t) return;
    this.topics.delete(name);
    this.byIdMap.delete(t.id.toString('hex'));
    await this.persist();
  }

  async setPartitions(name: string, partitions: number): Promise<void> {
    this.mustGet(name).partitions = partitions;
    await this.persist();
  }

  async setConfigs(name: string, configs: Map<string, ConfigValue>): Promise<void> {
    this.mustGet(name).configs = configs;
    await this.persist();
  }

  async setBrokerConfigs(perBroker: boolean, values: Record<string, string>): Promise<void> {
    if (perBroker) this.brokerConfigs.node = values;
    else this.brokerConfigs.default = values;
    await this.persist();
  }

  private mustGet(name: string): Topic {
    const t = this.topics.get(name);
    if (!t) throw new Error(`no topic ${name}`);
    return t;
  }

  private add(t: Topic): void {
    this.topics.set(t.name, t);
    this.byIdMap.set(t.id.toString('hex'), t);
  }

  /** Writes the current state; concurrent callers each wait for a write that includes their change. */
  private persist(): Promise<void> {
    const next = this.writes.then(() => writeFileAtomic(this.path, this.serialize()));
    this.writes = next.catch(() => undefined);
    return next;
  }

  private serialize(): string {
    const topics: StoredTopic[] = [...this.topics.values()].map((t) => ({
      name: t.name,
      id: uuidToString(t.id),
      partitions: t.partitions,
      internal: t.internal,
      configs: Object.fromEntries([...t.configs].map(([k, v]) => [k, formatValue(v) ?? ''])),
    }));
    return JSON.stringify({ version: 1, topics, brokerConfigs: this.brokerConfigs }, null, 1);
  }
}
