/**
 * The cluster-mode topic store (docs/cluster.md): topic creation, deletion, config changes and
 * partition additions as etcd transactions, written by whichever broker received the admin
 * request. The controller is not involved: each change is one transaction whose compares make it
 * atomic against every other broker's.
 *
 * - Create: one transaction writes `topics/<name>` and every `partitions/<name>/<p>`, on the
 *   condition that the topic key and every key under its partitions prefix are absent. Of two
 *   brokers creating the same name at once exactly one succeeds; the other gets
 *   TOPIC_ALREADY_EXISTS. Replicas are placed as Kafka's AdminUtils places them (assignment.ts)
 *   over the live brokers that are not shutting down; a replication factor above their count is
 *   INVALID_REPLICATION_FACTOR. A new partition's ISR is its live replicas, its leader the first.
 * - Delete: one transaction removes the topic key and its partitions prefix, conditioned on the
 *   topic key being the one read (a topic re-created meanwhile under the same name is not hit).
 * - Configs and partition additions: read, change, compare-and-swap on the topic key's
 *   mod_revision; a lost race is retried on the new state a few times.
 *
 * This layer checks what needs the cluster's state (existence, brokers, assignments); topic names
 * and config values are validated by the caller (src/metadata's TopicManager, as for one broker).
 * etcd unreachable → REQUEST_TIMED_OUT, retriable. A create whose answer was lost is looked up
 * once: found with our topic id, it counts as done.
 */
import { ErrorCode, KafkaError } from '../../protocol/errors.js';
import type { EtcdStore } from './etcd.js';
import { type Compare, type TxnOp, absent, isEtcdError, noKeysUnder, unchanged } from './etcd-types.js';
import { type PlacementBroker, assignAddedPartitions, assignReplicasToBrokers } from './assignment.js';
import type { ClusterImage } from './metadata-image.js';
import {
  type PartitionState,
  NO_LEADER,
  brokerConfigKey,
  groupConfigKey,
  decodeConfigs,
  decodePartitionState,
  decodeTopicRecord,
  encode,
  encodePartitionState,
  encodeTopicRecord,
  newTopicId,
  partitionKey,
  topicKey,
  topicPartitionsPrefix,
} from './records.js';

/** Read-modify-write attempts before a change that keeps losing races gives up (retriable). */
const MAX_CAS_ATTEMPTS = 5;

export interface NewTopic {
  name: string;
  /** Partition count; ignored when `assignments` is given. */
  partitions: number;
  /** Replicas per partition; ignored when `assignments` is given. */
  replicationFactor: number;
  /** Explicit replica lists, partition 0 first (CreateTopics' assignments). */
  assignments?: number[][] | null;
  configs: Record<string, string>;
}

export interface CreatedTopic {
  name: string;
  id: string;
  partitions: PartitionState[];
}

export interface ClusterTopicStoreOptions {
  /** runnel.etcd.max.txn.ops */
  maxTxnOps: number;
  /** The live brokers (and their partitions) right now: the broker's metadata image. */
  image: () => ClusterImage;
}

/** Brokers that may get new replicas: registered and not shutting down, as KRaft's usable brokers. */
export function placementBrokers(image: ClusterImage): PlacementBroker[] {
  return [...image.brokers.values()].filter((b) => !b.shuttingDown).map((b) => ({ id: b.id, rack: b.rack }));
}

/** etcd's failures as Kafka errors: unreachable is retriable, a refusal is not. */
export function asKafkaError(err: unknown, what: string): unknown {
  if (err instanceof KafkaError) return err;
  if (isEtcdError(err, 'Rejected')) return new KafkaError(ErrorCode.POLICY_VIOLATION, `${what}: etcd refused it: ${err.message}`);
  if (isEtcdError(err)) return new KafkaError(ErrorCode.REQUEST_TIMED_OUT, `${what}: etcd did not answer (${err.message}); retry`);
  return err;
}

export class ClusterTopicStore {
  constructor(
    private readonly store: EtcdStore,
    private readonly options: ClusterTopicStoreOptions,
  ) {}

  /** The partition states a new topic starts with (validated against the live brokers). */
  plan(spec: NewTopic): PartitionState[] {
    const image = this.options.image();
    const brokers = placementBrokers(image);
    let replicaLists: number[][];
    if (spec.assignments && spec.assignments.length > 0) {
      replicaLists = spec.assignments;
      checkAssignments(replicaLists, new Set(image.brokers.keys()));
    } else {
      if (spec.replicationFactor > brokers.length) {
        throw new KafkaError(
          ErrorCode.INVALID_REPLICATION_FACTOR,
          `Unable to replicate the partition ${spec.replicationFactor} time(s): The target replication factor of ${spec.replicationFactor} cannot be reached because only ${brokers.length} broker(s) are registered.`,
        );
      }
      const placed = assignReplicasToBrokers(brokers, spec.partitions, spec.replicationFactor);
      replicaLists = [...placed.keys()].sort((a, b) => a - b).map((p) => placed.get(p)!);
    }
    const usable = new Set(brokers.map((b) => b.id));
    return replicaLists.map((replicas, p) => {
      const isr = replicas.filter((r) => usable.has(r));
      if (isr.length === 0) {
        throw new KafkaError(ErrorCode.INVALID_REPLICA_ASSIGNMENT, `All brokers specified in the partition assignment for partition ${p} are fenced or in controlled shutdown.`);
      }
      return { leader: isr[0]!, leaderEpoch: 0, partitionEpoch: 0, replicas: [...replicas], isr, adding: [], removing: [] };
    });
  }

  /** Creates a topic (validateOnly: checks only). Throws KafkaError. */
  async createTopic(spec: NewTopic, validateOnly = false): Promise<CreatedTopic> {
    const partitions = this.plan(spec);
    const ops = partitions.length + 1;
    if (ops > this.options.maxTxnOps) {
      throw new KafkaError(
        ErrorCode.POLICY_VIOLATION,
        `Topic '${spec.name}' with ${partitions.length} partitions needs ${ops} etcd operations in one transaction, more than runnel.etcd.max.txn.ops (${this.options.maxTxnOps}); raise it together with etcd's --max-txn-ops.`,
      );
    }
    if (this.options.image().topics.has(spec.name) && validateOnly) throw alreadyExists(spec.name);
    const id = newTopicId();
    const created: CreatedTopic = { name: spec.name, id, partitions };
    if (validateOnly) return created;
    const puts: TxnOp[] = [
      { op: 'put', key: topicKey(spec.name), value: encodeTopicRecord({ name: spec.name, id, configs: spec.configs }) },
      ...partitions.map((s, p): TxnOp => ({ op: 'put', key: partitionKey(spec.name, p), value: encodePartitionState(s) })),
    ];
    const compares: Compare[] = [absent(topicKey(spec.name)), noKeysUnder(topicPartitionsPrefix(spec.name))];
    let succeeded: boolean;
    try {
      succeeded = (await this.store.txn(compares, puts)).succeeded;
    } catch (err) {
      // The answer may have been lost after etcd applied it: ours if the topic has our id.
      if (isEtcdError(err, 'Unavailable') && (await this.topicIdNow(spec.name)) === id) return created;
      throw asKafkaError(err, `create topic ${spec.name}`);
    }
    if (!succeeded) throw alreadyExists(spec.name);
    return created;
  }

  private async topicIdNow(name: string): Promise<string | null> {
    try {
      const { kv } = await this.store.get(topicKey(name));
      return kv ? (decodeTopicRecord(name, kv.value)?.id ?? null) : null;
    } catch {
      return null;
    }
  }

  /**
   * Deletes a topic and all its partitions in one transaction. `id` (base64url), when given, must
   * be the topic's (DeleteTopics by id). UNKNOWN_TOPIC_OR_PARTITION / UNKNOWN_TOPIC_ID when absent.
   */
  async deleteTopic(name: string, id?: string): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      const { kv } = await this.read(`delete topic ${name}`, topicKey(name));
      const record = kv ? decodeTopicRecord(name, kv.value) : null;
      if (!kv || (id !== undefined && record?.id !== id)) {
        throw id !== undefined
          ? new KafkaError(ErrorCode.UNKNOWN_TOPIC_ID, `Topic id ${id} not found.`)
          : new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `This server does not host this topic-partition.`);
      }
      const ok = await this.write(`delete topic ${name}`, [unchanged(topicKey(name), kv.modRevision)], [
        { op: 'delete', key: topicKey(name) },
        { op: 'delete', key: topicPartitionsPrefix(name), prefix: true },
      ]);
      if (ok) return;
      if (attempt >= MAX_CAS_ATTEMPTS) throw contended(`delete topic ${name}`);
    }
  }

  /** Replaces the topic's config overrides (strings, already validated). */
  async setTopicConfigs(name: string, configs: Record<string, string>): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      const { kv } = await this.read(`alter configs of ${name}`, topicKey(name));
      const record = kv ? decodeTopicRecord(name, kv.value) : null;
      if (!kv || !record) throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `Topic ${name} does not exist.`);
      const ok = await this.write(`alter configs of ${name}`, [unchanged(topicKey(name), kv.modRevision)], [
        { op: 'put', key: topicKey(name), value: encodeTopicRecord({ ...record, configs }) },
      ]);
      if (ok) return;
      if (attempt >= MAX_CAS_ATTEMPTS) throw contended(`alter configs of ${name}`);
    }
  }

  /**
   * Grows a topic to `count` partitions (CreatePartitions). New replicas as Kafka places added
   * partitions, or `assignments` (one list per new partition). Returns the new partitions' states.
   */
  async createPartitions(name: string, count: number, assignments: number[][] | null, validateOnly = false): Promise<PartitionState[]> {
    for (let attempt = 1; ; attempt++) {
      const { kvs } = await this.readRange(`create partitions of ${name}`, topicPartitionsPrefix(name));
      const { kv: topicKv } = await this.read(`create partitions of ${name}`, topicKey(name));
      if (!topicKv) throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `The topic ${name} does not exist.`);
      const existing = new Map<number, number[]>();
      for (const kv of kvs) {
        const s = decodePartitionState(kv.value);
        const p = Number(kv.key.slice(topicPartitionsPrefix(name).length));
        if (s) existing.set(p, s.replicas);
      }
      if (count <= existing.size) {
        throw new KafkaError(ErrorCode.INVALID_PARTITIONS, `Topic currently has ${existing.size} partitions, which is higher than the requested ${count}.`);
      }
      const added = count - existing.size;
      if (added + 1 > this.options.maxTxnOps) {
        throw new KafkaError(ErrorCode.POLICY_VIOLATION, `Adding ${added} partitions needs ${added + 1} etcd operations in one transaction, more than runnel.etcd.max.txn.ops (${this.options.maxTxnOps}).`);
      }
      let lists: number[][];
      if (assignments) {
        if (assignments.length !== added) throw new KafkaError(ErrorCode.INVALID_REPLICA_ASSIGNMENT, `Increasing the number of partitions by ${added} but ${assignments.length} assignments provided.`);
        checkAssignments(assignments, new Set(this.options.image().brokers.keys()));
        lists = assignments;
      } else {
        const placed = assignAddedPartitions(placementBrokers(this.options.image()), existing, count);
        lists = [...placed.keys()].sort((a, b) => a - b).map((p) => placed.get(p)!);
      }
      const usable = new Set(placementBrokers(this.options.image()).map((b) => b.id));
      const states = lists.map((replicas, i): PartitionState => {
        const isr = replicas.filter((r) => usable.has(r));
        if (isr.length === 0) throw new KafkaError(ErrorCode.INVALID_REPLICA_ASSIGNMENT, `All brokers specified in the partition assignment for partition ${existing.size + i} are fenced or in controlled shutdown.`);
        return { leader: isr[0] ?? NO_LEADER, leaderEpoch: 0, partitionEpoch: 0, replicas: [...replicas], isr, adding: [], removing: [] };
      });
      if (validateOnly) return states;
      // The topic record as read and the new partitions still absent: nobody deleted, re-created
      // or grew the topic meanwhile (its leaders' ISR changes do not conflict).
      const compares: Compare[] = [unchanged(topicKey(name), topicKv.modRevision), ...states.map((_, i) => absent(partitionKey(name, existing.size + i)))];
      const ops = states.map((s, i): TxnOp => ({ op: 'put', key: partitionKey(name, existing.size + i), value: encodePartitionState(s) }));
      if (await this.write(`create partitions of ${name}`, compares, ops)) return states;
      if (attempt >= MAX_CAS_ATTEMPTS) throw contended(`create partitions of ${name}`);
    }
  }

  /** Replaces the dynamic configs of a broker resource (a broker id, or 'default'); empty deletes the key. */
  async setBrokerConfigs(resource: string, values: Record<string, string>): Promise<void> {
    const key = brokerConfigKey(resource);
    const ops: TxnOp[] = Object.keys(values).length === 0 ? [{ op: 'delete', key }] : [{ op: 'put', key, value: encode(values) }];
    await this.write(`alter broker configs ${resource || 'default'}`, [], ops);
  }

  /**
   * Replaces one group's config overrides (GROUP config resources, validated by the caller); empty
   * deletes the key. Each write is the whole resource, conditioned on the key's mod revision
   * being `modRevision` (0: absent), the one the new values were computed from. False: another
   * broker changed the group meanwhile (recompute on the newer state).
   */
  async setGroupConfigs(group: string, values: Record<string, string>, modRevision: number): Promise<boolean> {
    const key = groupConfigKey(group);
    const ops: TxnOp[] = Object.keys(values).length === 0 ? [{ op: 'delete', key }] : [{ op: 'put', key, value: encode(values) }];
    return this.write(`alter group configs ${group}`, [modRevision === 0 ? absent(key) : unchanged(key, modRevision)], ops);
  }

  /** One group's overrides as etcd has them now, with the key's mod revision (0: absent). */
  async groupConfigs(group: string): Promise<{ values: Record<string, string> | null; modRevision: number }> {
    const { kv } = await this.read(`describe group configs ${group}`, groupConfigKey(group));
    return { values: kv ? decodeConfigs(kv.value) : null, modRevision: kv?.modRevision ?? 0 };
  }

  /** The dynamic configs of a broker resource as stored. */
  async brokerConfigs(resource: string): Promise<Record<string, string>> {
    const { kv } = await this.read(`describe broker configs ${resource}`, brokerConfigKey(resource));
    return (kv && decodeConfigs(kv.value)) ?? {};
  }

  private async read(what: string, key: string) {
    try {
      return await this.store.get(key);
    } catch (err) {
      throw asKafkaError(err, what);
    }
  }

  private async readRange(what: string, prefix: string) {
    try {
      return await this.store.range(prefix);
    } catch (err) {
      throw asKafkaError(err, what);
    }
  }

  /** One conditional write: true when applied, false when a compare failed. */
  private async write(what: string, compares: Compare[], ops: TxnOp[]): Promise<boolean> {
    try {
      return (await this.store.txn(compares, ops)).succeeded;
    } catch (err) {
      throw asKafkaError(err, what);
    }
  }
}

const alreadyExists = (name: string) => new KafkaError(ErrorCode.TOPIC_ALREADY_EXISTS, `Topic '${name}' already exists.`);
const contended = (what: string) => new KafkaError(ErrorCode.REQUEST_TIMED_OUT, `${what}: the topic kept changing under ${MAX_CAS_ATTEMPTS} attempts; retry`);

/** Kafka's checks of explicit assignments: non-empty, one replication factor, no duplicates, known brokers. */
export function checkAssignments(lists: number[][], brokers: ReadonlySet<number>): void {
  const rf = lists[0]?.length ?? 0;
  lists.forEach((replicas, p) => {
    if (replicas.length === 0) throw new KafkaError(ErrorCode.INVALID_REPLICA_ASSIGNMENT, `The manual partition assignment includes a partition with no replicas. (partition ${p})`);
    if (replicas.length !== rf) throw new KafkaError(ErrorCode.INVALID_REPLICA_ASSIGNMENT, `The manual partition assignment includes partitions with different replication factors.`);
    if (new Set(replicas).size !== replicas.length) throw new KafkaError(ErrorCode.INVALID_REPLICA_ASSIGNMENT, `The manual partition assignment includes the broker ${replicas.find((r, i) => replicas.indexOf(r) !== i)} more than once.`);
    const unknown = replicas.find((r) => !brokers.has(r));
    if (unknown !== undefined) throw new KafkaError(ErrorCode.INVALID_REPLICA_ASSIGNMENT, `The manual partition assignment includes broker ${unknown}, but no such broker is registered.`);
  });
}
