/**
 * The partitions this broker hosts (Kafka's server/ReplicaManager.scala, written from its
 * behaviour): one Partition (partition.ts) per hosted partition, made and kept as topics come and
 * go, handed out by (topic, index) or topic id. Handlers reach them through the partitions port
 * (ctx.partitions: hosted-partitions.ts over this manager) and do the partition-level half of
 * Produce, Fetch, ListOffsets, DeleteRecords and OffsetsForLeaderEpoch on the Partition, where
 * every check that depends on replica state lives; they keep the request-level work (parsing,
 * validation, producer state, long polls, response building).
 *
 * Design note — what this layer owns, and how cluster mode extends it
 * ------------------------------------------------------------------
 * Owns: one `Partition` (partition.ts) per hosted partition, found by (topic, index) or topic id;
 * each holds the replica state — leader, leader epoch, partition epoch, replicas, ISR — over its
 * `PartitionLog`, whose leader-epoch cache (storage/leader-epoch-cache.ts, file
 * `leader-epoch-checkpoint`) records where each epoch began. Requests carrying a current leader
 * epoch are checked against the partition's (FENCED_LEADER_EPOCH / UNKNOWN_LEADER_EPOCH);
 * appends are stamped with the leader epoch; OffsetsForLeaderEpoch answers from the cache.
 *
 * Single node (now): this broker is the controller of itself. Every partition it hosts is made
 * leader here, at leader epoch 0 (or the newest epoch its log already has) and partition epoch 0,
 * replicas = ISR = {this broker}, when its topic is created or loaded (`hostAsSoleReplica`); the
 * high watermark is the log's visible end (which is the fsynced end under the default flush
 * policy); acks=-1 waits for the local write. Every answer is the one the handlers gave before this
 * layer existed, plus what Kafka adds and a client could not meet before: Fetch and ListOffsets
 * check the request's current leader epoch, Fetch v12+ answers a diverging epoch, and the current
 * epoch ends at the log end offset (OffsetsForLeaderEpoch; the high watermark before, which
 * differs only while a write is in flight).
 *
 * Cluster (next issue; etcd holds membership, controller and partition state, DESIGN.md §5). It
 * adds, and replaces nothing above:
 *  - A controller (elected through etcd) decides leader, leader epoch, partition epoch, replicas
 *    and ISR per partition and writes them with CAS on the partition epoch; every broker watches
 *    its partitions and applies the state: `hostAsSoleReplica` gives way to
 *    `applyPartitionState(topic, index, state)` → Partition.makeLeader / makeFollower. Leader epochs
 *    are bumped only by the controller (on leader change); makeLeader already records a new epoch
 *    at the log end offset in the epoch cache.
 *  - Becoming follower: stop accepting appends (NOT_LEADER_OR_FOLLOWER), truncate the log to where
 *    it diverges from the new leader's — OffsetsForLeaderEpoch for our latest epoch, or Fetch
 *    v12+'s diverging epoch (Partition.divergingEpoch serves it on the leader) — then fetch. Log
 *    truncation calls the epoch cache's truncateFromEnd, like the rewind after a failed write does.
 *  - Fetchers: one per source broker, batching every partition followed from it (Fetch with our
 *    replica id, current leader epoch, last fetched epoch); fetched batches go through a
 *    PartitionLog.appendAsFollower (leader-assigned offsets and epochs; see partition-log.ts).
 *    Under the default flush policy a follower reports its durable end offset
 *    (PartitionLog.durableEndOffset), so acks=all means fsynced on the whole ISR.
 *  - The leader tracks each follower's log end offset from its fetches; high watermark = min log
 *    end offset over the ISR (the Partition then bounds reads by its own high watermark, not the
 *    log's visible end) and is carried to followers in Fetch responses; acks=-1 completes when the
 *    high watermark passes the batch (a delayed produce), NOT_ENOUGH_REPLICAS_AFTER_APPEND if the
 *    ISR shrank meanwhile; DeleteRecords completes when every live replica's log start passed.
 *  - ISR shrink (a follower lagging past replica.lag.time.max.ms) and expand (caught up) are
 *    proposed by the leader to the controller, fenced by partition epoch (Kafka's AlterPartition),
 *    and applied only when accepted.
 *  - Lookups answer NOT_LEADER_OR_FOLLOWER for a partition the cluster has but this broker does not
 *    host, and requests aimed at a follower get NOT_LEADER_OR_FOLLOWER, as Kafka's getPartitionOrError.
 *  - Fencing: a broker that lost its etcd lease stops acting as leader at once.
 *
 * Stays single-node now: no fetchers, no follower state, no ISR changes, no controller; epoch 0
 * throughout; the topic's replication factor is 1.
 *
 * Lifecycle: the broker tells the manager when topics are loaded (startup, after the logs are
 * reconciled), created, grown, or deleted (`onTopicChange` matches TopicManager's change events).
 * Lookups also consult the topic directory, so a partition of a topic being deleted is unknown
 * from the moment the deletion is recorded, exactly as before; and a partition whose log appeared
 * before its change event arrived is hosted on first lookup (`hostLate`).
 *
 * No on-disk format lives here (storage/leader-epoch-checkpoint.ts).
 */
import type { PartitionLookup } from '../data/partitions.js';
import { Partition, type PartitionState, type ReplicaLog } from './partition.js';

/** What the manager needs to know of a topic (TopicStore's Topic satisfies it). */
export interface HostedTopic {
  readonly name: string;
  readonly id: Buffer;
  readonly partitions: number;
}

/** Where the manager looks topics up (TopicManager satisfies it): the durable topic list. */
export interface TopicDirectory {
  get(name: string): HostedTopic | undefined;
}

/** Where the manager finds partition logs (LogManager satisfies it; handler unit tests keep logs in memory). */
export interface LogDirectory {
  get(topic: string, partition: number): ReplicaLog | undefined;
}

export interface ReplicaManagerOptions {
  /** This broker's node.id. */
  brokerId: number;
  topics: TopicDirectory;
  logs: LogDirectory;
}

/** TopicManager's change events. */
export type TopicChange = 'created' | 'deleted' | 'partitions' | 'configs';

export class ReplicaManager implements PartitionLookup {
  readonly brokerId: number;
  private readonly topics: TopicDirectory;
  private readonly logs: LogDirectory;
  /** Partitions by topic name, indexed by partition (a hole where a log is missing). */
  private readonly byTopic = new Map<string, Array<Partition | undefined>>();
  /** Topic name by topic id (hex). */
  private readonly nameById = new Map<string, string>();
  /** The one replica set of every partition on a single node, shared. */
  private readonly soleReplica: readonly number[];

  constructor(opts: ReplicaManagerOptions) {
    this.brokerId = opts.brokerId;
    this.topics = opts.topics;
    this.logs = opts.logs;
    this.soleReplica = Object.freeze([opts.brokerId]);
  }

  // ---- lifecycle -------------------------------------------------------------------------------

  /** At startup, after the logs were loaded and reconciled with the topic list: hosts every partition. */
  loadTopics(topics: Iterable<HostedTopic>): void {
    for (const t of topics) this.topicCreated(t);
  }

  /**
   * A topic was created (or loaded): hosts each partition whose log exists. A partition already
   * hosted over a different log (the topic was deleted and created again) is replaced.
   */
  topicCreated(topic: HostedTopic): void {
    this.nameById.set(topic.id.toString('hex'), topic.name);
    this.hostPartitions(topic);
  }

  /** CreatePartitions: hosts the new partitions. */
  partitionsAdded(topic: HostedTopic): void {
    this.hostPartitions(topic);
  }

  /** The topic was deleted: its partitions are no longer hosted. Returns them (state kept beside them goes too). */
  topicDeleted(name: string): Partition[] {
    const dropped = (this.byTopic.get(name) ?? []).filter((p): p is Partition => p !== undefined);
    this.byTopic.delete(name);
    for (const [id, n] of this.nameById) if (n === name) this.nameById.delete(id);
    return dropped;
  }

  /** Matches TopicManager.onChange, so the broker wires it with one line. */
  onTopicChange(event: TopicChange, topic: HostedTopic): void {
    if (event === 'created') this.topicCreated(topic);
    else if (event === 'partitions') this.partitionsAdded(topic);
    else if (event === 'deleted') this.topicDeleted(topic.name);
  }

  private hostPartitions(topic: HostedTopic): void {
    let parts = this.byTopic.get(topic.name);
    if (!parts) this.byTopic.set(topic.name, (parts = []));
    for (let i = 0; i < topic.partitions; i++) {
      const log = this.logs.get(topic.name, i);
      const held = parts[i];
      if (held && held.log === log && held.topicId.equals(topic.id)) continue;
      parts[i] = log ? this.hostAsSoleReplica(new Partition(log, topic.id, this.brokerId)) : undefined;
    }
  }

  /**
   * Single node: this broker leads every partition (cluster mode: the controller decides). At epoch
   * 0 — every log Runnel wrote so far is at epoch 0 — or at the newest epoch the log already has,
   * should it have one: a leader epoch never goes back (clients that saw it would be fenced).
   */
  private hostAsSoleReplica(p: Partition): Partition {
    const epoch = Math.max(0, p.log.leaderEpochs.latestEpoch);
    const state: PartitionState = { leaderEpoch: epoch, partitionEpoch: 0, replicas: this.soleReplica, isr: this.soleReplica };
    p.makeLeader(state);
    return p;
  }

  // ---- lookup ----------------------------------------------------------------------------------

  /**
   * The hosted partition, or undefined for an unknown topic or partition — including a topic whose
   * deletion is recorded but not yet carried out, and partitions whose creation is recorded but
   * whose logs are not there yet (the answers TopicManager.partitionLog gave). The handlers'
   * lookup (ctx.partitions.get): two map reads, no allocation.
   */
  get(topic: string, index: number): Partition | undefined {
    const t = this.topics.get(topic);
    if (t === undefined || !(index >= 0 && index < t.partitions)) return undefined;
    return this.byTopic.get(topic)?.[index] ?? this.hostLate(t, index);
  }

  /**
   * A partition of a known topic whose log exists but which is not hosted yet: the topic
   * directory and the logs change a few microtasks before the change event reaches us (a
   * lookup in between found the log before this layer), so it is hosted now.
   */
  private hostLate(topic: HostedTopic, index: number): Partition | undefined {
    const log = this.logs.get(topic.name, index);
    if (log === undefined) return undefined;
    let parts = this.byTopic.get(topic.name);
    if (!parts) this.byTopic.set(topic.name, (parts = []));
    this.nameById.set(topic.id.toString('hex'), topic.name);
    return (parts[index] = this.hostAsSoleReplica(new Partition(log, topic.id, this.brokerId)));
  }

  /** The topic named by a topic id (Metadata v10+, Fetch v13+), if hosted. */
  topicNameById(id: Buffer): string | undefined {
    const name = this.nameById.get(id.toString('hex'));
    return name !== undefined && this.topics.get(name)?.id.equals(id) ? name : undefined;
  }

  getPartitionById(id: Buffer, index: number): Partition | undefined {
    const name = this.topicNameById(id);
    return name === undefined ? undefined : this.get(name, index);
  }

  /** The topic's partitions in index order (holes where a log is missing); empty when unknown. */
  partitionsOf(topic: string): ReadonlyArray<Partition | undefined> {
    const t = this.topics.get(topic);
    if (t === undefined) return [];
    return Array.from({ length: t.partitions }, (_, i) => this.get(topic, i));
  }

  /** Every hosted partition. */
  *allPartitions(): IterableIterator<Partition> {
    for (const parts of this.byTopic.values()) for (const p of parts) if (p !== undefined) yield p;
  }

  /** Hosted partitions this broker leads (single node: all). */
  *leaderPartitions(): IterableIterator<Partition> {
    for (const p of this.allPartitions()) if (p.isLeader) yield p;
  }
}
