/**
 * TopicManager's cluster side (docs/cluster.md): in cluster mode the topics live in etcd.
 *
 * - Writes: a topic change a client asks this broker for (create, delete, add partitions, alter
 *   configs, dynamic broker configs, group configs) is validated by TopicManager as on a single node, then written
 *   to etcd by the cluster topic store (cluster/topic-store.ts: one transaction each, replicas
 *   placed over the live brokers). The answer waits until this broker has applied the metadata
 *   image that contains the change (bounded by runnel.etcd.request.timeout.ms; the change is
 *   made either way), so the client's next Metadata request to this broker sees it.
 * - Reads: the topic list is the broker's in-memory TopicStore, kept equal to the metadata image
 *   by `mirror` (topics created, deleted, grown, re-configured — by whichever broker), so lookups
 *   stay map reads. Partition logs follow the image in the replica manager, not here.
 * - The broker-state topics (__consumer_offsets, __transaction_state, _schemas) get their
 *   configured replication factor (offsets.topic.replication.factor,
 *   transaction.state.log.replication.factor; _schemas the offsets one), capped at the live brokers,
 *   as Kafka caps them when it creates them.
 */
import { ErrorCode, KafkaError } from '../../protocol/errors.js';
import type { ConfigView } from '../config/view.js';
import type { ClusterImage } from '../cluster/metadata-image.js';
import { type ClusterTopicStore, type NewTopic, placementBrokers } from '../cluster/topic-store.js';
import { TRANSACTION_STATE_TOPIC, isBrokerStateTopic } from '../data/internal-topic.js';
import type { TopicEvent } from './port.js';
import { type Topic, type TopicStore, parseStoredConfigs } from './topic-store.js';

/** Compare-and-swap rounds of a group config change that keeps losing to other brokers' changes. */
const MAX_GROUP_CONFIG_ATTEMPTS = 10;

export interface ClusterTopicsOptions {
  nodeId: number;
  store: ClusterTopicStore;
  /** The metadata image now. */
  image: () => ClusterImage;
  /** Resolves true once this broker has applied an image in which `done()` holds, false after `timeoutMs`. */
  applied: (done: () => boolean, timeoutMs: number) => Promise<boolean>;
  /** runnel.etcd.request.timeout.ms: how long an answer waits for its change to be applied here. */
  applyTimeoutMs: number;
}

export class ClusterTopics {
  /** Each mirrored topic's record revision: a new one means its configs changed. */
  private readonly recordRevision = new Map<string, number>();

  constructor(private readonly opts: ClusterTopicsOptions) {}

  /** Brokers that may get new replicas (registered, not shutting down). */
  liveBrokers(): number {
    return placementBrokers(this.opts.image()).length;
  }

  /** A broker-state topic's replication factor: the configured one, capped at the live brokers (at least 1). */
  internalReplicationFactor(name: string, config: ConfigView): number {
    const key = name === TRANSACTION_STATE_TOPIC ? 'transaction.state.log.replication.factor' : 'offsets.topic.replication.factor';
    return Math.max(1, Math.min(config.int(key), this.liveBrokers()));
  }

  /** Creates the topic in etcd (validateOnly: checks it against the live brokers only). Throws KafkaError. */
  async create(spec: NewTopic, validateOnly: boolean, local: TopicStore): Promise<void> {
    const created = await this.opts.store.createTopic(spec, validateOnly);
    if (validateOnly) return;
    const id = Buffer.from(created.id, 'base64url');
    await this.applied(() => local.get(spec.name)?.id.equals(id) === true);
  }

  async delete(name: string, local: TopicStore): Promise<void> {
    const held = local.get(name);
    await this.opts.store.deleteTopic(name);
    await this.applied(() => local.get(name) === undefined || (held !== undefined && !local.get(name)!.id.equals(held.id)));
  }

  async createPartitions(name: string, count: number, assignments: number[][] | null, validateOnly: boolean, local: TopicStore): Promise<void> {
    await this.opts.store.createPartitions(name, count, assignments, validateOnly);
    if (!validateOnly) await this.applied(() => (local.get(name)?.partitions ?? count) >= count);
  }

  async setConfigs(name: string, configs: Record<string, string>): Promise<void> {
    const before = this.recordRevision.get(name) ?? 0;
    await this.opts.store.setTopicConfigs(name, configs);
    await this.applied(() => (this.recordRevision.get(name) ?? 0) > before);
  }

  /** Replaces a broker resource's dynamic configs in etcd (this broker's own, or the cluster default). */
  async setBrokerConfigs(perBroker: boolean, values: Record<string, string>): Promise<void> {
    const resource = perBroker ? String(this.opts.nodeId) : 'default';
    await this.opts.store.setBrokerConfigs(resource, values);
    const want = JSON.stringify(values);
    await this.applied(() => JSON.stringify(this.opts.image().brokerConfigs.get(resource) ?? {}) === want);
  }

  /**
   * Replaces a group's config overrides in etcd (key configs/groups/<id>): every broker reads them
   * from its metadata image, so the group's coordinator and its share-partition leaders apply
   * them wherever the AlterConfigs landed.
   */
  async updateGroupConfigs(group: string, next: (current: ReadonlyMap<string, string> | undefined) => ReadonlyMap<string, string> | null): Promise<void> {
    // First from the image (no read); after a lost compare, from etcd itself (the image may lag).
    const img = this.opts.image().groupConfigs.get(group);
    let held: { values: ReadonlyMap<string, string> | undefined; modRevision: number } = { values: img?.values, modRevision: img?.modRevision ?? 0 };
    for (let attempt = 1; ; attempt++) {
      const values = next(held.values);
      // Nothing to write: validateOnly, or every override removed from a group that has none.
      if (values === null || (values.size === 0 && held.values === undefined)) return;
      const revision = held.modRevision;
      if (await this.opts.store.setGroupConfigs(group, Object.fromEntries(values), revision)) {
        // Answered once this broker's image has it (or a later change).
        await this.applied(() => (this.opts.image().groupConfigs.get(group)?.modRevision ?? 0) !== revision);
        return;
      }
      // Another broker changed the group meanwhile: recompute on its state.
      if (attempt >= MAX_GROUP_CONFIG_ATTEMPTS) {
        throw new KafkaError(ErrorCode.REQUEST_TIMED_OUT, `alter group configs ${group}: the group's configs kept changing under ${MAX_GROUP_CONFIG_ATTEMPTS} attempts; retry`);
      }
      const now = await this.opts.store.groupConfigs(group);
      held = { values: now.values && Object.keys(now.values).length > 0 ? new Map(Object.entries(now.values)) : undefined, modRevision: now.modRevision };
    }
  }

  /** One group's overrides as the image holds them; undefined when it sets none. */
  groupConfigs(group: string): ReadonlyMap<string, string> | undefined {
    return this.opts.image().groupConfigs.get(group)?.values;
  }

  groupConfigCount(): number {
    return this.opts.image().groupConfigs.size;
  }

  groupConfigIds(): string[] {
    return [...this.opts.image().groupConfigs.keys()];
  }

  /** The dynamic broker configs the image holds: the cluster default and this broker's own. */
  brokerConfigs(image: ClusterImage): { default: Readonly<Record<string, string>>; node: Readonly<Record<string, string>> } {
    return { default: image.brokerConfigs.get('default') ?? {}, node: image.brokerConfigs.get(String(this.opts.nodeId)) ?? {} };
  }

  private applied(done: () => boolean): Promise<boolean> {
    return this.opts.applied(done, this.opts.applyTimeoutMs);
  }

  /**
   * Makes `local` equal to the image's topics; returns the topic events it implies, to be emitted
   * once the partitions followed (deleted first, so a topic re-created under the same name is
   * dropped before its successor arrives).
   */
  mirror(local: TopicStore, image: ClusterImage): Array<[TopicEvent, Topic]> {
    const deleted: Array<[TopicEvent, Topic]> = [];
    const changed: Array<[TopicEvent, Topic]> = [];
    const remove: string[] = [];
    const upsert: Topic[] = [];
    const created: string[] = [];
    for (const t of local.all()) {
      const record = image.topics.get(t.name);
      if (record && Buffer.from(record.id, 'base64url').equals(t.id)) continue;
      remove.push(t.name);
      deleted.push(['deleted', t]);
      this.recordRevision.delete(t.name);
    }
    for (const [name, record] of image.topics) {
      const partitions = image.partitions.get(name)?.size ?? 0;
      const id = Buffer.from(record.id, 'base64url');
      const held = local.get(name);
      const revisionChanged = this.recordRevision.get(name) !== record.modRevision;
      this.recordRevision.set(name, record.modRevision);
      if (!held || !held.id.equals(id)) {
        upsert.push({ name, id, partitions, configs: parseStoredConfigs(record.configs), internal: isBrokerStateTopic(name) });
        created.push(name);
        continue;
      }
      if (partitions <= held.partitions && !revisionChanged) continue;
      upsert.push({ ...held, partitions: Math.max(partitions, held.partitions), configs: revisionChanged ? parseStoredConfigs(record.configs) : held.configs });
      if (partitions > held.partitions) changed.push(['partitions', held]);
      if (revisionChanged) changed.push(['configs', held]);
    }
    local.mirror({ remove, upsert });
    return [...deleted, ...created.map((name): [TopicEvent, Topic] => ['created', local.get(name)!]), ...changed];
  }
}
