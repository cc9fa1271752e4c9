/**
 * The metadata image (docs/cluster.md, "Every broker"): the cluster's brokers, topics, partitions,
 * controller, dynamic broker configs and group configs, as one immutable snapshot per etcd revision.
 *
 * Everything under the cluster prefix is read at one revision, then watched from the revision
 * after it (reflect.ts), so the image is always the state of etcd at `image.revision`: a topic
 * created by one transaction appears with all its partitions at once, and disappears the same
 * way. Each applied revision makes a new ClusterImage (unchanged parts are shared, not copied) and
 * emits 'change' with an ImageDelta that says which brokers, topics and partitions changed, and
 * for partitions whether the leader, the ISR or the replicas did.
 *
 * Values that do not decode (another version, a hand edit) are logged and count as absent: a bad
 * key must not take the broker down.
 */
import { EventEmitter } from 'node:events';
import type { Logger } from '../logger.js';
import type { EtcdStore } from './etcd.js';
import type { KeyValue, ReflectHandle, WatchBatch } from './etcd-types.js';
import { reflect } from './reflect.js';
import {
  type BrokerRegistration,
  CLUSTER_KEY,
  type PartitionState,
  type TopicRecord,
  decodeBrokerRegistration,
  decodeConfigs,
  decodeControllerCandidate,
  decodePartitionState,
  decodeTopicRecord,
  type StoredFeatures,
  decodeStoredFeatures,
  parseClusterKey,
} from './records.js';

export interface BrokerImage extends BrokerRegistration {
  shuttingDown: boolean;
  modRevision: number;
}

export interface TopicImage extends TopicRecord {
  modRevision: number;
}

export interface PartitionImage extends PartitionState {
  topic: string;
  partition: number;
  /** The key's mod_revision: the compare of a CAS write of this partition. */
  modRevision: number;
}

export interface ClusterImage {
  /** The etcd revision this image is the state at. */
  readonly revision: number;
  readonly clusterId: string | null;
  /** The controller's broker id (the oldest candidate of the election), -1 when there is none. */
  readonly controllerId: number;
  /** Registered (live) brokers by id. */
  readonly brokers: ReadonlyMap<number, BrokerImage>;
  /**
   * The last registration of each broker that deregistered (lease expired, clean stop) and has not
   * registered again. Partitions may still name it leader until the controller moves them, and a
   * Metadata answer must list every leader it names (metadata-leaders.ts).
   */
  readonly departedBrokers: ReadonlyMap<number, BrokerImage>;
  readonly topics: ReadonlyMap<string, TopicImage>;
  /** Partitions by topic, then partition id. A topic's partitions come and go with its record. */
  readonly partitions: ReadonlyMap<string, ReadonlyMap<number, PartitionImage>>;
  /** Dynamic broker configs by resource: a broker id, or 'default'. */
  readonly brokerConfigs: ReadonlyMap<string, Readonly<Record<string, string>>>;
  /** GROUP config overrides by group id (configs/groups/<id>); a group that sets none is absent. */
  readonly groupConfigs: ReadonlyMap<string, GroupConfigImage>;
  /** The finalized feature levels (key `features`) with the key's mod revision (their epoch); null when absent. */
  readonly features: { readonly stored: StoredFeatures; readonly modRevision: number } | null;
}

export interface GroupConfigImage {
  /** Held as a Map: the coordinators read it on every heartbeat and fetch (share/config.ts). */
  readonly values: ReadonlyMap<string, string>;
  /** The key's mod_revision: the compare of the next change (cluster/topic-store.ts). */
  readonly modRevision: number;
}

export interface PartitionChange {
  topic: string;
  partition: number;
  before: PartitionImage | null;
  after: PartitionImage | null;
  leaderChanged: boolean;
  isrChanged: boolean;
  replicasChanged: boolean;
}

export interface ImageDelta {
  image: ClusterImage;
  previous: ClusterImage;
  /** A whole new read (the first one, or after etcd compacted the history the watch needed). */
  snapshot: boolean;
  brokersAdded: number[];
  brokersRemoved: number[];
  /** Brokers whose registration changed (incarnation, listeners, shuttingDown). */
  brokersChanged: number[];
  topicsCreated: string[];
  topicsDeleted: string[];
  /** Topics whose record changed (configs), not created or deleted. */
  topicsChanged: string[];
  partitions: PartitionChange[];
  controllerChanged: boolean;
  brokerConfigsChanged: boolean;
}

export const EMPTY_IMAGE: ClusterImage = {
  revision: 0,
  clusterId: null,
  controllerId: -1,
  brokers: new Map(),
  departedBrokers: new Map(),
  topics: new Map(),
  partitions: new Map(),
  brokerConfigs: new Map(),
  groupConfigs: new Map(),
  features: null,
};

const sameIds = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((x, i) => x === b[i]);

/**
 * The mutable side of the image: the controller candidates (key → create revision, broker id)
 * are kept here because only their oldest is part of the image.
 */
interface Candidates {
  byKey: Map<string, { createRevision: number; brokerId: number | null }>;
}

export class MetadataImage extends EventEmitter {
  private image: ClusterImage = EMPTY_IMAGE;
  private readonly candidates: Candidates = { byKey: new Map() };
  private view: ReflectHandle | null = null;
  private readonly waiters = new Set<() => void>();

  private constructor(private readonly log: Logger) {
    super();
  }

  /** Reads the cluster at one revision and watches it from there; resolves once the first image is in. */
  static async load(store: EtcdStore, log: Logger): Promise<MetadataImage> {
    const m = new MetadataImage(log.child({ component: 'metadata-image' }));
    m.view = reflect(store, '', {
      snapshot: (kvs, revision) => m.applySnapshot(kvs, revision),
      events: (batch) => m.applyBatch(batch),
      progress: (revision) => m.applyProgress(revision),
    });
    await m.view.ready;
    return m;
  }

  current(): ClusterImage {
    return this.image;
  }

  /**
   * Resolves with the first image (the current one included) that satisfies `predicate`, or null
   * after `timeoutMs`.
   */
  waitFor(predicate: (image: ClusterImage) => boolean, timeoutMs: number): Promise<ClusterImage | null> {
    if (predicate(this.image)) return Promise.resolve(this.image);
    return new Promise((resolve) => {
      const check = () => {
        if (!predicate(this.image)) return;
        done(this.image);
      };
      const done = (result: ClusterImage | null) => {
        clearTimeout(timer);
        this.waiters.delete(check);
        resolve(result);
      };
      const timer = setTimeout(() => done(null), timeoutMs);
      this.waiters.add(check);
    });
  }

  /** Resolves true once the image is at `revision` or later (a write of ours is in), false after `timeoutMs`. */
  async waitForRevision(revision: number, timeoutMs: number): Promise<boolean> {
    return (await this.waitFor((i) => i.revision >= revision, timeoutMs)) !== null;
  }

  async close(): Promise<void> {
    await this.view?.close();
    this.view = null;
  }

  // ---- applying etcd's changes --------------------------------------------------------------------

  private applySnapshot(kvs: KeyValue[], revision: number): void {
    this.candidates.byKey.clear();
    const b = new Builder(EMPTY_IMAGE, this.candidates, this.log);
    for (const kv of kvs) b.put(kv);
    const next = withDeparted(b.build(revision), this.image);
    const delta = diff(this.image, next, true, null);
    this.publish(next, delta);
  }

  private applyBatch(batch: WatchBatch): void {
    const b = new Builder(this.image, this.candidates, this.log);
    for (const ev of batch.events) {
      if (ev.type === 'put') b.put(ev.kv);
      else b.delete(ev.key);
    }
    const next = b.build(batch.revision);
    this.publish(next, diff(this.image, next, false, b.touched));
  }

  private applyProgress(revision: number): void {
    if (revision <= this.image.revision) return;
    this.image = { ...this.image, revision };
    for (const w of [...this.waiters]) w();
  }

  private publish(next: ClusterImage, delta: ImageDelta): void {
    this.image = next;
    for (const w of [...this.waiters]) w();
    this.emit('change', delta);
  }
}

/** What one batch touched, so that its delta compares only those. */
interface Touched {
  brokers: Set<number>;
  topics: Set<string>;
  partitions: Map<string, Set<number>>;
  controller: boolean;
  brokerConfigs: boolean;
}

/** Applies puts and deletes onto a copy of an image, copying only the maps that change. */
class Builder {
  readonly touched: Touched = { brokers: new Set(), topics: new Set(), partitions: new Map(), controller: false, brokerConfigs: false };
  private clusterId: string | null;
  private brokers: Map<number, BrokerImage> | null = null;
  private departed: Map<number, BrokerImage> | null = null;
  private topics: Map<string, TopicImage> | null = null;
  private partitions: Map<string, ReadonlyMap<number, PartitionImage>> | null = null;
  /** Topics whose partition map was already copied in this batch. */
  private readonly copiedTopics = new Set<string>();
  private brokerConfigs: Map<string, Readonly<Record<string, string>>> | null = null;
  private groupConfigs: Map<string, GroupConfigImage> | null = null;
  private features: ClusterImage['features'] | undefined;

  constructor(
    private readonly base: ClusterImage,
    private readonly candidates: Candidates,
    private readonly log: Logger,
  ) {
    this.clusterId = base.clusterId;
  }

  private bad(key: string, kv: KeyValue): void {
    this.log.warn({ key, modRevision: kv.modRevision, bytes: kv.value.length }, 'etcd value does not decode: ignored (counts as absent)');
  }

  put(kv: KeyValue): void {
    if (kv.key === CLUSTER_KEY) {
      const v = safeJson(kv.value) as { clusterId?: unknown } | undefined;
      this.clusterId = typeof v?.clusterId === 'string' ? v.clusterId : null;
      return;
    }
    const k = parseClusterKey(kv.key);
    if (!k) return;
    switch (k.type) {
      case 'broker': {
        const r = decodeBrokerRegistration(kv.value);
        if (!r || r.id !== k.id) {
          this.bad(kv.key, kv);
          return this.deleteBroker(k.id);
        }
        this.touched.brokers.add(k.id);
        (this.brokers ??= new Map(this.base.brokers)).set(k.id, { ...r, shuttingDown: r.shuttingDown === true, modRevision: kv.modRevision });
        if (this.base.departedBrokers.has(k.id)) (this.departed ??= new Map(this.base.departedBrokers)).delete(k.id);
        return;
      }
      case 'topic': {
        const r = decodeTopicRecord(k.name, kv.value);
        if (!r) {
          this.bad(kv.key, kv);
          return this.deleteTopic(k.name);
        }
        this.touched.topics.add(k.name);
        (this.topics ??= new Map(this.base.topics)).set(k.name, { ...r, modRevision: kv.modRevision });
        return;
      }
      case 'partition': {
        const s = decodePartitionState(kv.value);
        if (!s) {
          this.bad(kv.key, kv);
          return this.deletePartition(k.topic, k.partition);
        }
        this.topicPartitions(k.topic, k.partition).set(k.partition, { ...s, topic: k.topic, partition: k.partition, modRevision: kv.modRevision });
        return;
      }
      case 'brokerConfig': {
        const c = decodeConfigs(kv.value);
        if (!c) this.bad(kv.key, kv);
        this.touched.brokerConfigs = true;
        const m = (this.brokerConfigs ??= new Map(this.base.brokerConfigs));
        if (c) m.set(k.resource, c);
        else m.delete(k.resource);
        return;
      }
      case 'groupConfig': {
        const c = decodeConfigs(kv.value);
        if (!c) this.bad(kv.key, kv);
        const m = (this.groupConfigs ??= new Map(this.base.groupConfigs));
        if (c && Object.keys(c).length > 0) m.set(k.group, { values: new Map(Object.entries(c)), modRevision: kv.modRevision });
        else m.delete(k.group);
        return;
      }
      case 'features': {
        const f = decodeStoredFeatures(safeJson(kv.value));
        if (!f) this.bad(kv.key, kv);
        this.features = f ? { stored: f, modRevision: kv.modRevision } : null;
        return;
      }
      case 'controller':
        this.touched.controller = true;
        this.candidates.byKey.set(kv.key, { createRevision: kv.createRevision, brokerId: decodeControllerCandidate(kv.value) });
        return;
    }
  }

  delete(key: string): void {
    if (key === CLUSTER_KEY) {
      this.clusterId = null;
      return;
    }
    const k = parseClusterKey(key);
    if (!k) return;
    switch (k.type) {
      case 'broker':
        return this.deleteBroker(k.id);
      case 'topic':
        return this.deleteTopic(k.name);
      case 'partition':
        return this.deletePartition(k.topic, k.partition);
      case 'brokerConfig':
        this.touched.brokerConfigs = true;
        (this.brokerConfigs ??= new Map(this.base.brokerConfigs)).delete(k.resource);
        return;
      case 'groupConfig':
        (this.groupConfigs ??= new Map(this.base.groupConfigs)).delete(k.group);
        return;
      case 'features':
        this.features = null;
        return;
      case 'controller':
        this.touched.controller = true;
        this.candidates.byKey.delete(key);
        return;
    }
  }

  private deleteBroker(id: number): void {
    this.touched.brokers.add(id);
    const brokers = (this.brokers ??= new Map(this.base.brokers));
    const last = brokers.get(id);
    if (last) (this.departed ??= new Map(this.base.departedBrokers)).set(id, last);
    brokers.delete(id);
  }

  private deleteTopic(name: string): void {
    this.touched.topics.add(name);
    (this.topics ??= new Map(this.base.topics)).delete(name);
  }

  private deletePartition(topic: string, partition: number): void {
    this.topicPartitions(topic, partition).delete(partition);
  }

  /** The topic's partition map, copied once per batch; marks `partition` touched. */
  private topicPartitions(topic: string, partition: number): Map<number, PartitionImage> {
    const all = (this.partitions ??= new Map(this.base.partitions));
    let m = all.get(topic) as Map<number, PartitionImage> | undefined;
    if (!m || !this.copiedTopics.has(topic)) {
      m = new Map(m ?? []);
      all.set(topic, m);
      this.copiedTopics.add(topic);
    }
    const touched = this.touched.partitions.get(topic) ?? new Set<number>();
    this.touched.partitions.set(topic, touched);
    touched.add(partition);
    return m;
  }

  build(revision: number): ClusterImage {
    // A topic whose last partition went is dropped from the map.
    for (const topic of this.copiedTopics) if (this.partitions!.get(topic)!.size === 0) this.partitions!.delete(topic);
    return {
      revision,
      clusterId: this.clusterId,
      controllerId: this.touched.controller || this.base.revision === 0 ? controllerOf(this.candidates) : this.base.controllerId,
      brokers: this.brokers ?? this.base.brokers,
      departedBrokers: this.departed ?? this.base.departedBrokers,
      topics: this.topics ?? this.base.topics,
      partitions: this.partitions ?? this.base.partitions,
      brokerConfigs: this.brokerConfigs ?? this.base.brokerConfigs,
      groupConfigs: this.groupConfigs ?? this.base.groupConfigs,
      features: this.features === undefined ? this.base.features : this.features,
    };
  }
}

/**
 * A snapshot read has no history: brokers registered in `previous` but not in `next` departed in
 * the gap, and what had departed before stays departed unless registered again.
 */
function withDeparted(next: ClusterImage, previous: ClusterImage): ClusterImage {
  const departed = new Map<number, BrokerImage>();
  for (const [id, b] of previous.departedBrokers) if (!next.brokers.has(id)) departed.set(id, b);
  for (const [id, b] of previous.brokers) if (!next.brokers.has(id)) departed.set(id, b);
  return { ...next, departedBrokers: departed };
}

function controllerOf(c: Candidates): number {
  let best: { createRevision: number; brokerId: number | null } | null = null;
  for (const v of c.byKey.values()) if (!best || v.createRevision < best.createRevision) best = v;
  return best?.brokerId ?? -1;
}

function safeJson(value: Buffer): unknown {
  try {
    return JSON.parse(value.toString('utf8'));
  } catch {
    return undefined;
  }
}

/** The delta from `prev` to `next`; `touched` limits the comparison (null: compare everything). */
function diff(prev: ClusterImage, next: ClusterImage, snapshot: boolean, touched: Touched | null): ImageDelta {
  const delta: ImageDelta = {
    image: next,
    previous: prev,
    snapshot,
    brokersAdded: [],
    brokersRemoved: [],
    brokersChanged: [],
    topicsCreated: [],
    topicsDeleted: [],
    topicsChanged: [],
    partitions: [],
    controllerChanged: prev.controllerId !== next.controllerId,
    brokerConfigsChanged: touched ? touched.brokerConfigs : prev.brokerConfigs !== next.brokerConfigs,
  };
  const brokerIds = touched ? touched.brokers : new Set([...prev.brokers.keys(), ...next.brokers.keys()]);
  for (const id of brokerIds) {
    const a = prev.brokers.get(id);
    const b = next.brokers.get(id);
    if (!a && b) delta.brokersAdded.push(id);
    else if (a && !b) delta.brokersRemoved.push(id);
    else if (a && b && a.modRevision !== b.modRevision) delta.brokersChanged.push(id);
  }
  const topicNames = touched ? touched.topics : new Set([...prev.topics.keys(), ...next.topics.keys()]);
  for (const name of topicNames) {
    const a = prev.topics.get(name);
    const b = next.topics.get(name);
    if (b && (!a || a.id !== b.id)) delta.topicsCreated.push(name);
    if (a && (!b || a.id !== b.id)) delta.topicsDeleted.push(name);
    if (a && b && a.id === b.id && a.modRevision !== b.modRevision) delta.topicsChanged.push(name);
  }
  const partitionIds = touched ? touched.partitions : allPartitionIds(prev, next);
  for (const [topic, ids] of partitionIds) {
    for (const partition of ids) {
      const before = prev.partitions.get(topic)?.get(partition) ?? null;
      const after = next.partitions.get(topic)?.get(partition) ?? null;
      if (before === after || (before && after && before.modRevision === after.modRevision)) continue;
      delta.partitions.push({
        topic,
        partition,
        before,
        after,
        leaderChanged: before?.leader !== after?.leader || before?.leaderEpoch !== after?.leaderEpoch,
        isrChanged: !before || !after || !sameIds(before.isr, after.isr),
        replicasChanged: !before || !after || !sameIds(before.replicas, after.replicas),
      });
    }
  }
  return delta;
}

function allPartitionIds(a: ClusterImage, b: ClusterImage): Map<string, Set<number>> {
  const out = new Map<string, Set<number>>();
  for (const img of [a, b]) {
    for (const [topic, m] of img.partitions) {
      const s = out.get(topic) ?? new Set<number>();
      for (const id of m.keys()) s.add(id);
      out.set(topic, s);
    }
  }
  return out;
}
