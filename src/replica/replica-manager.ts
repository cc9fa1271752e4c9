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
 * Single node: this broker is the controller of itself. Every partition it hosts is made
 * leader here, at leader epoch 0 (or the newest epoch its log already has) and partition epoch 0,
 * replicas = ISR = {this broker}, when its topic is created or loaded (`hostAsSoleReplica`); the
 * high watermark is the log's visible end (which is the fsynced end under the default flush
 * policy); acks=-1 waits for the local write. Every answer is the one the handlers gave before this
 * layer existed, plus what Kafka adds and a client could not meet before: Fetch and ListOffsets
 * check the request's current leader epoch, Fetch v12+ answers a diverging epoch, and the current
 * epoch ends at the log end offset (OffsetsForLeaderEpoch; the high watermark before, which
 * differs only while a write is in flight).
 *
 * Cluster mode (docs/cluster.md; etcd holds membership, controller and partition state). The
 * broker's metadata image drives this layer instead of TopicManager's events:
 *  - `applyAssignment(image)` (run after every image change, one run at a time) hosts exactly the
 *    partitions whose replicas include this broker, creating their logs (ReplicaLogStore), and
 *    makes each Partition leader (makeLeader: the new epoch recorded at the log end offset) or
 *    follower of the image's leader (makeFollower: appends refused with NOT_LEADER_OR_FOLLOWER),
 *    handing followers to the FollowerFetchers port (follower-fetchers.ts). Partitions no longer
 *    assigned here, of deleted topics or of a topic re-created under another id are dropped and
 *    their logs deleted; so are logs on disk nothing assigns here. Leader epochs are bumped only by
 *    the controller.
 *  - Lookups of a partition the cluster has but this broker does not host answer
 *    NOT_LEADER_OR_FOLLOWER (`missingPartitionError`), as Kafka's getPartitionOrError.
 *  - Fencing (`setFenced`): a broker whose lease counts as lost stops leading at once (each
 *    partition it led stays a fenced leader, serving consumers' reads up to its high watermark but
 *    no writes: partition.ts); it leads again where the image says so once it registered again.
 *  - Every role change it makes (leader, newer epoch, follower, fenced, unhosted) is announced
 *    through `leadership` (replica-leadership.ts), the Leadership port the group and transaction
 *    coordinators and the schema registry follow.
 * The replication data path (replication.ts composes it; the broker passes `replication`, the
 * context every Partition gets, and its fetchers): the follower fetchers behind FollowerFetchers
 * (fetcher*.ts: Fetch v12 with our replica id, current and last fetched epoch; appendAsFollower;
 * truncation to the diverging epoch), and inside each Partition its ClusterReplica
 * (cluster-replica.ts, leader-replicas.ts): the followers' fetch state, high watermark = min log end
 * offset over the ISR, acks=-1 as a delayed produce (NOT_ENOUGH_REPLICAS_AFTER_APPEND), and ISR
 * shrink/expand written to etcd fenced by partition epoch (isr-etcd.ts).
 *
 * Lifecycle (single node): the broker tells the manager when topics are loaded (startup, after the logs are
 * reconciled), created, grown, or deleted (`onTopicChange` matches TopicManager's change events).
 * Lookups also consult the topic directory, so a partition of a topic being deleted is unknown
 * from the moment the deletion is recorded, exactly as before; and a partition whose log appeared
 * before its change event arrived is hosted on first lookup (`hostLate`). In cluster mode only
 * applyAssignment hosts (and setFenced changes leadership).
 *
 * No on-disk format lives here (storage/leader-epoch-checkpoint.ts).
 */
import { ErrorCode, type ErrorCodeValue } from '../../protocol/errors.js';
import type { PartitionLookup } from '../data/partitions.js';
import { type FollowerFetchers, NO_FETCHERS } from './follower-fetchers.js';
import { Partition, type PartitionState, type ReplicaLog } from './partition.js';
import { ReplicaLeadership } from './replica-leadership.js';
import type { ReplicationContext } from './replication-context.js';

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

/**
 * Cluster mode: where the manager creates and removes local logs as the metadata image assigns
 * replicas to this broker (the broker's LogManager, with each topic's configs).
 */
export interface ReplicaLogStore extends LogDirectory {
  /** Creates empty logs for these partitions (none of them has one), in one go (one directory fsync). */
  create(partitions: ReadonlyArray<{ readonly topic: string; readonly partition: number }>): Promise<void>;
  /** Takes the partition's log out of service and deletes it; never throws (failures are logged, retried at the next start). */
  remove(topic: string, partition: number): Promise<void>;
  /** Every partition with a log here (at startup: the ones no longer assigned here are removed). */
  all(): Iterable<{ readonly topic: string; readonly partition: number }>;
}

/** One partition's state as the controller decided it (the metadata image's PartitionImage satisfies it). */
export interface AssignedPartition {
  readonly leader: number;
  readonly leaderEpoch: number;
  readonly partitionEpoch: number;
  readonly replicas: readonly number[];
  readonly isr: readonly number[];
}

/** The cluster's topics and partitions (the metadata image's ClusterImage satisfies it). */
export interface ClusterAssignment {
  /** Topic ids as base64url. */
  readonly topics: ReadonlyMap<string, { readonly id: string }>;
  readonly partitions: ReadonlyMap<string, ReadonlyMap<number, AssignedPartition>>;
}

export interface ReplicaManagerOptions {
  /** This broker's node.id. */
  brokerId: number;
  topics: TopicDirectory;
  logs: LogDirectory;
  /** Cluster mode (the metadata image decides what is hosted here); absent: a single node. */
  cluster?: {
    logs: ReplicaLogStore;
    /** The follower fetchers (NO_FETCHERS until the data path lands). */
    fetchers?: FollowerFetchers;
    /** A partition stopped being hosted here (state kept beside it goes too). */
    onRemoved?: (partition: Partition) => void;
    /** A log could not be created (the partition stays unhosted until the next run retries). */
    onError?: (topic: string, partition: number, err: unknown) => void;
  };
  /** Cluster mode: the replication context every Partition gets (replication.ts); absent on a single node. */
  replication?: ReplicationContext;
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
  private readonly cluster: ReplicaManagerOptions['cluster'] | null;
  private readonly fetchers: FollowerFetchers;
  /** Cluster mode: the assignment last applied (lookups of partitions not hosted here consult it). */
  private assignment: ClusterAssignment | null = null;
  /** Cluster mode: the broker's lease counts as lost, so it leads nothing (applyAssignment makes followers). */
  private fenced = false;
  /** Cluster mode: handed to every Partition made (null: single node). */
  private readonly replication: ReplicationContext | null;
  /**
   * Cluster mode: the leadership port the coordinators follow (replica-leadership.ts), told of
   * every role change applyAssignment, setFenced and unhosting make. (A single node announces
   * through data/local-leadership.ts instead.)
   */
  readonly leadership: ReplicaLeadership = new ReplicaLeadership((topic, partition) => this.get(topic, partition));

  constructor(opts: ReplicaManagerOptions) {
    this.brokerId = opts.brokerId;
    this.topics = opts.topics;
    this.logs = opts.logs;
    this.soleReplica = Object.freeze([opts.brokerId]);
    this.cluster = opts.cluster ?? null;
    this.fetchers = opts.cluster?.fetchers ?? NO_FETCHERS;
    this.replication = opts.replication ?? null;
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
    for (const p of dropped) p.unhosted();
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
      parts[i] = log ? this.hostAsSoleReplica(new Partition(log, topic.id, this.brokerId, this.replication)) : undefined;
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
    return this.byTopic.get(topic)?.[index] ?? (this.cluster ? undefined : this.hostLate(t, index));
  }

  /**
   * Why `get` found nothing, as Kafka's getPartitionOrError answers: NOT_LEADER_OR_FOLLOWER for a
   * partition the cluster has but whose replicas do not include this broker (the client's metadata
   * is stale), else UNKNOWN_TOPIC_OR_PARTITION.
   */
  missingPartitionError(topic: string, index: number): ErrorCodeValue {
    return this.assignment?.partitions.get(topic)?.has(index) ? ErrorCode.NOT_LEADER_OR_FOLLOWER : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
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
    return (parts[index] = this.hostAsSoleReplica(new Partition(log, topic.id, this.brokerId, this.replication)));
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

  // ---- cluster mode: the metadata image decides --------------------------------------------------

  /**
   * Applies the controller's decisions (docs/cluster.md, "Every broker"). Idempotent: it is run
   * with the whole current image after every change, one run at a time (the caller serializes).
   * - Partitions hosted here that the image no longer assigns here (topic deleted, or re-created
   *   under another id, replicas moved) are dropped and their logs deleted; so are logs on disk
   *   of partitions not assigned here (a deletion while this broker was down).
   * - Every partition whose replicas include this broker is hosted (its log created when missing)
   *   and made leader when the image names this broker leader (and it is not fenced), else a
   *   follower of the image's leader, which the follower fetchers are told about.
   */
  async applyAssignment(image: ClusterAssignment): Promise<void> {
    const cluster = this.cluster;
    if (!cluster) throw new Error('applyAssignment is for cluster mode');
    this.assignment = image;
    const me = this.brokerId;
    const idOf = (topic: string) => image.topics.get(topic)?.id;
    const assignedHere = (topic: string, index: number) => image.topics.has(topic) && (image.partitions.get(topic)?.get(index)?.replicas.includes(me) ?? false);
    // 1. What is no longer ours goes first (a re-created topic's old partitions before its new ones).
    for (const [topic, parts] of [...this.byTopic]) {
      const id = idOf(topic);
      for (let i = 0; i < parts.length; i++) {
        const p = parts[i];
        if (p && (!assignedHere(topic, i) || p.topicId.toString('base64url') !== id)) await this.unhost(p, image.partitions.get(topic)?.get(i)?.leaderEpoch ?? -1);
      }
    }
    for (const { topic, partition } of [...cluster.logs.all()]) {
      if (!assignedHere(topic, partition) && this.byTopic.get(topic)?.[partition] === undefined) await this.removeLog(topic, partition);
    }
    // 2. Logs for the partitions newly assigned here, all at once.
    const missing: Array<{ topic: string; partition: number }> = [];
    for (const [topic, assigned] of image.partitions) {
      if (!image.topics.has(topic)) continue;
      for (const [partition, a] of assigned) {
        if (a.replicas.includes(me) && this.byTopic.get(topic)?.[partition] === undefined && this.logs.get(topic, partition) === undefined) missing.push({ topic, partition });
      }
    }
    if (missing.length > 0) {
      try {
        await cluster.logs.create(missing);
      } catch (err) {
        // Those whose log exists now are hosted; the others wait for the next run.
        for (const m of missing) if (this.logs.get(m.topic, m.partition) === undefined) cluster.onError?.(m.topic, m.partition, err);
      }
    }
    // 3. Everything assigned here: hosted, leader or follower.
    const leading: Partition[] = [];
    const following = new Map<number, Partition[]>();
    for (const [topic, assigned] of image.partitions) {
      const id = idOf(topic);
      if (id === undefined) continue;
      for (const [index, a] of assigned) {
        if (!a.replicas.includes(me)) continue;
        const p = this.byTopic.get(topic)?.[index] ?? this.hostAssigned(topic, index, id);
        if (p === undefined) continue;
        const state: PartitionState = { leaderEpoch: a.leaderEpoch, partitionEpoch: a.partitionEpoch, replicas: a.replicas, isr: a.isr };
        const before = this.leadership.before(p);
        if (a.leader === me && !this.fenced) {
          if (p.makeLeader(state)) leading.push(p);
        } else if (a.leader === me && p.isFencedLeader && a.leaderEpoch === p.leaderEpoch) {
          // Fenced while leading, and still the leader at that epoch as far as it knows: reads go on.
        } else if (p.makeFollower(state, a.leader) && a.leader >= 0 && a.leader !== me) {
          const list = following.get(a.leader) ?? [];
          following.set(a.leader, list);
          list.push(p);
        }
        this.leadership.changed(p, before);
      }
    }
    const restarted = [...following.values()].flat();
    if (leading.length + restarted.length > 0) this.fetchers.removePartitions([...leading, ...restarted]);
    for (const [leader, parts] of following) this.fetchers.addPartitions(leader, parts);
  }

  /**
   * The broker's lease counts as lost (true) or it registered again (false). Fenced, it stops
   * acting as leader at once: every partition it leads becomes a fenced leader (Partition.fence),
   * so produce gets NOT_LEADER_OR_FOLLOWER while consumers still read what was committed, and the
   * coordinators are told it resigned. Unfenced, the next applyAssignment makes it leader again
   * where the image still says so.
   */
  setFenced(fenced: boolean): void {
    this.fenced = fenced;
    if (!fenced) return;
    for (const p of [...this.leaderPartitions()]) {
      const before = this.leadership.before(p);
      p.fence();
      this.leadership.changed(p, before);
    }
  }

  get isFenced(): boolean {
    return this.fenced;
  }

  /** A partition newly assigned here: its log (undefined: not created) under a new Partition. */
  private hostAssigned(topic: string, index: number, id: string): Partition | undefined {
    const log = this.logs.get(topic, index);
    if (log === undefined) return undefined;
    let parts = this.byTopic.get(topic);
    if (!parts) this.byTopic.set(topic, (parts = []));
    const topicId = Buffer.from(id, 'base64url');
    this.nameById.set(topicId.toString('hex'), topic);
    return (parts[index] = new Partition(log, topicId, this.brokerId, this.replication));
  }

  /** Stops hosting `p` (`epoch`: the partition's leader epoch elsewhere now, -1: gone) and deletes its log. */
  private async unhost(p: Partition, epoch: number): Promise<void> {
    const before = this.leadership.before(p);
    const parts = this.byTopic.get(p.topic);
    if (parts?.[p.partition] === p) parts[p.partition] = undefined;
    if (parts && parts.every((x) => x === undefined)) {
      this.byTopic.delete(p.topic);
      for (const [id, n] of this.nameById) if (n === p.topic) this.nameById.delete(id);
    }
    this.fetchers.removePartitions([p]);
    p.unhosted();
    this.leadership.unhosted(p, before, epoch);
    this.cluster!.onRemoved?.(p);
    await this.removeLog(p.topic, p.partition);
  }

  private async removeLog(topic: string, partition: number): Promise<void> {
    await this.cluster!.logs.remove(topic, partition);
  }
}
