/**
 * The cluster's etcd key layout and the JSON records stored under it (docs/cluster.md, "etcd
 * keys"). Keys here are relative to the cluster prefix (EtcdStore adds `<prefix>/`).
 *
 * Records are decoded defensively: etcd is shared, and a value written by another version or by
 * hand must not crash a broker. A record that fails its checks decodes to null and is logged by
 * the caller; the key then counts as absent.
 */
import { randomBytes } from 'node:crypto';

export const CLUSTER_KEY = 'cluster';
export const PRODUCER_IDS_KEY = 'producer-ids';
/** The finalized feature levels (src/features/): `{ "levels": { "metadata.version": 33 } }`; its mod revision is the epoch. */
export const FEATURES_KEY = 'features';
export const BROKERS_PREFIX = 'brokers/';
export const TOPICS_PREFIX = 'topics/';
export const PARTITIONS_PREFIX = 'partitions/';
export const BROKER_CONFIGS_PREFIX = 'configs/brokers/';
/** GROUP config resources (KIP-848/932): `configs/groups/<group id>` → the group's overrides. */
export const GROUP_CONFIGS_PREFIX = 'configs/groups/';
/** The controller election (etcd's recipe): candidates' keys are `controller/<lease>`, the oldest leads. */
export const CONTROLLER_PREFIX = 'controller/';

/** Kafka's leader id for "no leader" (an offline partition). */
export const NO_LEADER = -1;

export const brokerKey = (id: number) => `${BROKERS_PREFIX}${id}`;
export const controllerKey = (leaseId: string) => `${CONTROLLER_PREFIX}${leaseId}`;
export const topicKey = (name: string) => `${TOPICS_PREFIX}${name}`;
/** Topic names cannot contain '/', so `partitions/<topic>/` holds exactly that topic's partitions. */
export const topicPartitionsPrefix = (topic: string) => `${PARTITIONS_PREFIX}${topic}/`;
export const partitionKey = (topic: string, partition: number) => `${PARTITIONS_PREFIX}${topic}/${partition}`;
/** `resource` is a broker id, or 'default' for the cluster-wide resource (Kafka's ""). */
export const brokerConfigKey = (resource: string) => `${BROKER_CONFIGS_PREFIX}${resource}`;
/** Group ids may hold any character ('/' too): everything after the prefix is the id. */
export const groupConfigKey = (group: string) => `${GROUP_CONFIGS_PREFIX}${group}`;

// ---- records ------------------------------------------------------------------------------------

export interface BrokerListener {
  name: string;
  host: string;
  port: number;
  securityProtocol: string;
}

/** P/brokers/<id>, written under the broker's lease. */
export interface BrokerRegistration {
  id: number;
  listeners: BrokerListener[];
  rack: string | null;
  /** The id of the lease the registration lives under: a new one each time the broker registers. */
  incarnation: string;
  /** Controlled shutdown: the broker asks the controller to move its leaderships away. */
  shuttingDown?: boolean;
  /**
   * Base URL (`http://host:port`) of the broker's schema registry listener, where other brokers
   * forward registry writes when this one leads `_schemas`; absent when it serves none.
   */
  schemaRegistry?: string;
  /** The feature levels this broker's build supports (name → [min, max]), checked by UpdateFeatures on other brokers. */
  features?: Record<string, [number, number]>;
}

/** P/topics/<name>. */
export interface TopicRecord {
  name: string;
  /** Kafka topic id, base64url of its 16 bytes. */
  id: string;
  /** Config overrides as Kafka's strings. */
  configs: Record<string, string>;
}

/** P/partitions/<topic>/<p>: Kafka's partition state (KRaft's PartitionRecord fields). */
export interface PartitionState {
  leader: number;
  leaderEpoch: number;
  partitionEpoch: number;
  replicas: number[];
  isr: number[];
  /** Replicas being added by a reassignment (not yet in the ISR). */
  adding: number[];
  /** Replicas being removed by a reassignment. */
  removing: number[];
}

/** P/producer-ids: the last block handed out (Kafka's ProducerIdBlock: first and last id, inclusive). */
export interface ProducerIdBlock {
  brokerId: number;
  firstProducerId: number;
  lastProducerId: number;
}

/** A parsed key of the cluster, or null for keys the metadata image does not track. */
export type ClusterKey =
  | { type: 'broker'; id: number }
  | { type: 'topic'; name: string }
  | { type: 'partition'; topic: string; partition: number }
  | { type: 'brokerConfig'; resource: string }
  | { type: 'groupConfig'; group: string }
  | { type: 'features' }
  | { type: 'controller'; lease: string };

const INT = /^(0|[1-9]\d{0,9})$/;

export function parseClusterKey(key: string): ClusterKey | null {
  if (key === FEATURES_KEY) return { type: 'features' };
  if (key.startsWith(BROKERS_PREFIX)) {
    const id = key.slice(BROKERS_PREFIX.length);
    return INT.test(id) && Number(id) <= 0x7fffffff ? { type: 'broker', id: Number(id) } : null;
  }
  if (key.startsWith(TOPICS_PREFIX)) {
    const name = key.slice(TOPICS_PREFIX.length);
    return name.length > 0 && !name.includes('/') ? { type: 'topic', name } : null;
  }
  if (key.startsWith(PARTITIONS_PREFIX)) {
    const rest = key.slice(PARTITIONS_PREFIX.length);
    const slash = rest.indexOf('/');
    if (slash <= 0) return null;
    const p = rest.slice(slash + 1);
    return INT.test(p) && Number(p) <= 0x7fffffff ? { type: 'partition', topic: rest.slice(0, slash), partition: Number(p) } : null;
  }
  if (key.startsWith(CONTROLLER_PREFIX)) {
    const lease = key.slice(CONTROLLER_PREFIX.length);
    return /^\d{1,20}$/.test(lease) ? { type: 'controller', lease } : null;
  }
  if (key.startsWith(BROKER_CONFIGS_PREFIX)) {
    const resource = key.slice(BROKER_CONFIGS_PREFIX.length);
    return resource === 'default' || INT.test(resource) ? { type: 'brokerConfig', resource } : null;
  }
  if (key.startsWith(GROUP_CONFIGS_PREFIX)) {
    const group = key.slice(GROUP_CONFIGS_PREFIX.length);
    return group.length > 0 ? { type: 'groupConfig', group } : null;
  }
  return null;
}

// ---- encoding -----------------------------------------------------------------------------------

export const encode = (record: object): string => JSON.stringify(record);

function parseJson(value: Buffer): unknown {
  try {
    return JSON.parse(value.toString('utf8'));
  } catch {
    return undefined;
  }
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isId = (v: unknown): v is number => Number.isInteger(v) && (v as number) >= -1 && (v as number) <= 0x7fffffff;
const isEpoch = (v: unknown): v is number => Number.isInteger(v) && (v as number) >= 0 && (v as number) <= 0x7fffffff;
const isIdList = (v: unknown): v is number[] => Array.isArray(v) && v.every((x) => isId(x) && x >= 0);
const isStringMap = (v: unknown): v is Record<string, string> => isObject(v) && Object.values(v).every((x) => typeof x === 'string');

export function decodeBrokerRegistration(value: Buffer): BrokerRegistration | null {
  const v = parseJson(value);
  if (!isObject(v) || !isId(v.id) || v.id < 0 || typeof v.incarnation !== 'string' || !Array.isArray(v.listeners)) return null;
  if (v.rack !== null && v.rack !== undefined && typeof v.rack !== 'string') return null;
  const listeners: BrokerListener[] = [];
  for (const l of v.listeners as unknown[]) {
    if (!isObject(l) || typeof l.name !== 'string' || typeof l.host !== 'string' || !Number.isInteger(l.port) || typeof l.securityProtocol !== 'string') return null;
    listeners.push({ name: l.name, host: l.host, port: l.port as number, securityProtocol: l.securityProtocol });
  }
  if (v.shuttingDown !== undefined && typeof v.shuttingDown !== 'boolean') return null;
  if (v.schemaRegistry !== undefined && typeof v.schemaRegistry !== 'string') return null;
  const out: BrokerRegistration = { id: v.id, listeners, rack: (v.rack as string | null | undefined) ?? null, incarnation: v.incarnation };
  if (v.shuttingDown) out.shuttingDown = true;
  if (typeof v.schemaRegistry === 'string' && v.schemaRegistry !== '') out.schemaRegistry = v.schemaRegistry;
  // Supported feature ranges: a malformed entry is dropped (the broker then counts as not supporting it).
  if (isObject(v.features)) {
    const features: Record<string, [number, number]> = {};
    for (const [name, r] of Object.entries(v.features)) {
      if (Array.isArray(r) && r.length === 2 && r.every((x) => Number.isInteger(x) && x >= 0 && x <= 0x7fff) && r[0] <= r[1]) features[name] = [r[0], r[1]];
    }
    out.features = features;
  }
  return out;
}

export function decodeTopicRecord(name: string, value: Buffer): TopicRecord | null {
  const v = parseJson(value);
  if (!isObject(v) || typeof v.id !== 'string' || !/^[A-Za-z0-9_-]{22}$/.test(v.id)) return null;
  const configs = v.configs ?? {};
  if (!isStringMap(configs)) return null;
  return { name, id: v.id, configs };
}

/** A random Kafka topic id as base64url (never all-zero, never the reserved metadata-topic id 1). */
export function newTopicId(): string {
  for (;;) {
    const id = randomBytes(16);
    if (!id.every((b, i) => (i === 15 ? b <= 1 : b === 0))) return id.toString('base64url');
  }
}

export function encodeTopicRecord(t: TopicRecord): string {
  return encode({ id: t.id, configs: t.configs });
}

export function decodePartitionState(value: Buffer): PartitionState | null {
  const v = parseJson(value);
  if (!isObject(v) || !isId(v.leader) || !isEpoch(v.leaderEpoch) || !isEpoch(v.partitionEpoch)) return null;
  if (!isIdList(v.replicas) || !isIdList(v.isr)) return null;
  const adding = v.adding ?? [];
  const removing = v.removing ?? [];
  if (!isIdList(adding) || !isIdList(removing)) return null;
  return { leader: v.leader, leaderEpoch: v.leaderEpoch, partitionEpoch: v.partitionEpoch, replicas: v.replicas, isr: v.isr, adding, removing };
}

export function encodePartitionState(s: PartitionState): string {
  return encode({ leader: s.leader, leaderEpoch: s.leaderEpoch, partitionEpoch: s.partitionEpoch, replicas: s.replicas, isr: s.isr, adding: s.adding, removing: s.removing });
}

export function decodeConfigs(value: Buffer): Record<string, string> | null {
  const v = parseJson(value);
  return isStringMap(v) ? v : null;
}

export function decodeProducerIdBlock(value: Buffer): ProducerIdBlock | null {
  const v = parseJson(value);
  if (!isObject(v) || !isId(v.brokerId)) return null;
  const ok = (n: unknown): n is number => Number.isSafeInteger(n) && (n as number) >= 0;
  if (!ok(v.firstProducerId) || !ok(v.lastProducerId) || v.lastProducerId < v.firstProducerId) return null;
  return { brokerId: v.brokerId, firstProducerId: v.firstProducerId, lastProducerId: v.lastProducerId };
}

export function samePartitionState(a: PartitionState | null, b: PartitionState | null): boolean {
  if (a === null || b === null) return a === b;
  return encodePartitionState(a) === encodePartitionState(b);
}

/** P/controller/<lease>: the candidate's broker id. */
export function encodeControllerCandidate(brokerId: number): string {
  return encode({ brokerId });
}

export function decodeControllerCandidate(value: Buffer): number | null {
  const v = parseJson(value);
  return isObject(v) && isId(v.brokerId) && v.brokerId >= 0 ? v.brokerId : null;
}

/**
 * The finalized feature levels as stored (src/features/): under the key `features` here, and in a
 * single node's runnel-metadata.json with a counter epoch (the etcd key's mod revision is the
 * epoch here): `{ "epoch": 3, "levels": { "metadata.version": 33 } }`.
 */
export interface StoredFeatures {
  epoch?: number;
  levels: Record<string, number>;
}

const isLevel = (v: unknown): v is number => Number.isInteger(v) && (v as number) >= 0 && (v as number) <= 0x7fff;

/** The stored object, or null when it is not one (another version, a hand edit). */
export function decodeStoredFeatures(v: unknown): StoredFeatures | null {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return null;
  const o = v as Record<string, unknown>;
  if (o.epoch !== undefined && !(Number.isSafeInteger(o.epoch) && (o.epoch as number) >= 0)) return null;
  if (typeof o.levels !== 'object' || o.levels === null || Array.isArray(o.levels)) return null;
  const levels: Record<string, number> = {};
  for (const [name, level] of Object.entries(o.levels as Record<string, unknown>)) {
    if (!isLevel(level)) return null;
    if (level > 0) levels[name] = level;
  }
  return o.epoch === undefined ? { levels } : { epoch: o.epoch as number, levels };
}
