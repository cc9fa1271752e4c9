/**
 * One follower fetcher per source broker (Kafka's ReplicaFetcherThread, written from its
 * behaviour; docs/cluster.md, "Replication"): a loop that fetches every partition this broker
 * follows on that leader, in one Fetch request at a time, over one connection.
 *
 * Each round:
 *  1. Fetch v12 (the highest both sides speak; v12 carries last_fetched_epoch and answers with a
 *     diverging epoch) with replica_id = this broker, isolation_level 0, max_wait_ms =
 *     replica.fetch.wait.max.ms, min_bytes = replica.fetch.min.bytes, max_bytes =
 *     replica.fetch.response.max.bytes, and per partition: fetch_offset = our log end — which is
 *     durable, since the previous round waited for its appends to be synced (under the default
 *     flush policy) — current_leader_epoch = the partition's leader epoch, last_fetched_epoch = the
 *     epoch of our newest batch, partition_max_bytes = replica.fetch.max.bytes. The partition
 *     order rotates each round, so every partition is first in turn (the first one always gets a
 *     whole batch, however large).
 *  2. Each partition's answer is applied (fetcher-partition.ts: append, truncate, or back off),
 *     all of them concurrently, and the round waits for the appends to be written.
 * Throttling (replication-quotas.ts, Kafka's shouldFollowerThrottle): a partition named in its
 * topic's follower.replication.throttled.replicas for this broker, not in sync (behind the leader's
 * high watermark at its last answer), is left out of the round while the follower quota
 * (follower.replication.throttled.rate) is exceeded, and fetched again once the bucket refilled;
 * the record bytes such partitions bring are counted against the quota.
 * A partition whose answer was an error waits replica.fetch.backoff.ms; a failed connection or
 * request closes the connection and the whole fetcher waits as long before reconnecting. A
 * partition removed or re-added (new leader epoch) while a fetch is out ignores that fetch's answer.
 */
import { ErrorCode, type ErrorCodeValue, KafkaError, errorName } from '../../protocol/errors.js';
import type { FetchRequestTopic, FetchResponse, FetchResponsePartition, ListOffsetsResponse } from '../../protocol/generated/index.js';
import type { Logger } from '../logger.js';
import type { ClusterReplica } from './cluster-replica.js';
import { type LeaderOffsets, applyFetchedPartition } from './fetcher-partition.js';
import type { Partition } from './partition.js';
import type { ReplicationMetrics } from './replication-metrics.js';
import type { ReplicationQuotas } from './replication-quotas.js';

const FETCH = 1;
const LIST_OFFSETS = 2;
/** Fetch v12 is what followers need (last_fetched_epoch, diverging_epoch) and what Runnel serves. */
export const MIN_FETCH_VERSION = 12;
const EARLIEST = -2;
/** Fetch v12 names topics; the id field is not sent. */
const NO_TOPIC_ID = Buffer.alloc(16);
const LATEST = -1;

/** The follower settings (Kafka's keys). */
export interface FetcherSettings {
  /** This broker's node.id: the replica_id of its fetches. */
  brokerId: number;
  /** replica.fetch.wait.max.ms */
  maxWaitMs: number;
  /** replica.fetch.min.bytes */
  minBytes: number;
  /** replica.fetch.max.bytes (per partition) */
  maxBytes: number;
  /** replica.fetch.response.max.bytes */
  responseMaxBytes: number;
  /** replica.fetch.backoff.ms */
  backoffMs: number;
}

/** The connection to a leader (src/client/connection.ts's BrokerConnection satisfies it). */
export interface LeaderConnection {
  versionFor(apiKey: number): number;
  send<T extends object>(apiKey: number, body: object, options?: { extraTimeoutMs?: number }): Promise<T>;
  close(): void;
  readonly closed: boolean;
}

/** Opens a connection to broker `brokerId` (rejects when its address is unknown or it is unreachable). */
export type ConnectFn = (brokerId: number) => Promise<LeaderConnection>;

interface PartitionFetch {
  readonly partition: Partition;
  readonly replica: ClusterReplica;
  /** Not fetched before this time (ms). */
  delayedUntil: number;
  /** The last back-off reason logged (each new one is logged once). */
  lastReason: string | null;
  /** Caught up with the leader's high watermark at its last answer (Kafka's PartitionFetchState.isReplicaInSync). */
  inSync: boolean;
}

export class ReplicaFetcher {
  private readonly parts = new Map<Partition, PartitionFetch>();
  private conn: LeaderConnection | null = null;
  private stopped = false;
  private wakeUp: (() => void) | null = null;
  private round = 0;
  private readonly done: Promise<void>;

  constructor(
    readonly leaderId: number,
    private readonly settings: FetcherSettings,
    private readonly connect: ConnectFn,
    private readonly log: Logger,
    private readonly metrics: ReplicationMetrics | null,
    private readonly quotas: ReplicationQuotas | null = null,
  ) {
    this.done = this.run();
  }

  get size(): number {
    return this.parts.size;
  }

  has(p: Partition): boolean {
    return this.parts.has(p);
  }

  /** Starts fetching `p` (a follower here, in cluster mode) from the next round. */
  add(p: Partition): void {
    if (p.replication === null || this.stopped) return;
    this.parts.set(p, { partition: p, replica: p.replication, delayedUntil: 0, lastReason: null, inSync: false });
    this.wakeUp?.();
  }

  remove(p: Partition): void {
    this.parts.delete(p);
  }

  /** Stops the loop and closes the connection; resolves when the loop has ended. */
  stop(): Promise<void> {
    this.stopped = true;
    this.parts.clear();
    this.conn?.close();
    this.wakeUp?.();
    return this.done;
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      const now = Date.now();
      const ready: PartitionFetch[] = [];
      let next = Infinity;
      const quota = this.quotas?.follower;
      for (const f of this.parts.values()) {
        if (f.delayedUntil > now) next = Math.min(next, f.delayedUntil);
        else if (quota !== undefined && quota.shouldThrottle(f.partition.topic, f.partition.partition, f.inSync)) next = Math.min(next, now + Math.max(1, quota.delayMs()));
        else ready.push(f);
      }
      if (ready.length === 0) {
        await this.sleep(next === Infinity ? null : next - now, true);
        continue;
      }
      try {
        await this.fetchOnce(ready);
        // One macrotask turn per round: a leader that answers at once with nothing (it should
        // long-poll, but a fake or misbehaving one may not) must not spin this loop on microtasks
        // alone, starving timers and growing memory.
        await new Promise<void>((resolve) => setImmediate(resolve));
      } catch (err) {
        if (this.stopped) break;
        this.log.warn({ leader: this.leaderId, err: (err as Error).message }, 'follower fetch failed; reconnecting after replica.fetch.backoff.ms');
        this.conn?.close();
        this.conn = null;
        await this.sleep(this.settings.backoffMs, false);
      }
    }
  }

  /** Waits `ms` (null: until woken), or until stopped; `wakeable`: a newly added partition ends it too. */
  private sleep(ms: number | null, wakeable: boolean): Promise<void> {
    return new Promise((resolve) => {
      const timer = ms === null ? null : setTimeout(finish, Math.max(0, ms));
      const wake = () => {
        if (wakeable || this.stopped) finish();
      };
      function finish(): void {
        if (timer !== null) clearTimeout(timer);
        resolve();
      }
      this.wakeUp = () => {
        this.wakeUp = null;
        wake();
      };
    });
  }

  private async connection(): Promise<LeaderConnection> {
    if (this.conn !== null && !this.conn.closed) return this.conn;
    this.conn = await this.connect(this.leaderId);
    if (this.stopped) this.conn.close();
    return this.conn;
  }

  private async fetchOnce(ready: PartitionFetch[]): Promise<void> {
    const conn = await this.connection();
    const version = conn.versionFor(FETCH);
    if (version < MIN_FETCH_VERSION) throw new Error(`broker ${this.leaderId} serves Fetch up to v${version}; followers need v${MIN_FETCH_VERSION}`);
    const s = this.settings;
    const start = this.round++ % ready.length;
    const order = start === 0 ? ready : [...ready.slice(start), ...ready.slice(0, start)];
    const topics = new Map<string, FetchRequestTopic>();
    const sent = new Map<string, { f: PartitionFetch; epoch: number }>();
    for (const f of order) {
      const p = f.partition;
      let t = topics.get(p.topic);
      if (!t) topics.set(p.topic, (t = { topic: p.topic, topicId: NO_TOPIC_ID, partitions: [] }));
      const epoch = p.leaderEpoch;
      t.partitions.push({
        partition: p.partition,
        currentLeaderEpoch: epoch,
        fetchOffset: f.replica.fetchOffset,
        lastFetchedEpoch: f.replica.lastFetchedEpoch,
        logStartOffset: p.logStartOffset,
        partitionMaxBytes: s.maxBytes,
        // v17+/v18+ only (the client speaks at most v12: CLIENT_MAX_VERSIONS).
        replicaDirectoryId: NO_TOPIC_ID,
        highWatermark: Number.MAX_SAFE_INTEGER,
      });
      sent.set(`${p.topic}\u0000${p.partition}`, { f, epoch });
    }
    const body = { replicaId: s.brokerId, maxWaitMs: s.maxWaitMs, minBytes: s.minBytes, maxBytes: s.responseMaxBytes, isolationLevel: 0, sessionId: 0, sessionEpoch: -1, topics: [...topics.values()], forgottenTopicsData: [], rackId: '' };
    const res = await conn.send<FetchResponse>(FETCH, body, { extraTimeoutMs: s.maxWaitMs });
    if (res.errorCode !== ErrorCode.NONE) throw new KafkaError(res.errorCode as ErrorCodeValue, `Fetch from broker ${this.leaderId}: ${errorName(res.errorCode)}`);
    const work: Array<Promise<void>> = [];
    for (const t of res.responses) {
      for (const pr of t.partitions) {
        const e = sent.get(`${t.topic}\u0000${pr.partitionIndex}`);
        // Removed, re-added or moved to a new epoch while the fetch was out: this answer is void.
        if (e === undefined || this.stopped || this.parts.get(e.f.partition) !== e.f || e.f.partition.leaderEpoch !== e.epoch) continue;
        const quota = this.quotas?.follower;
        if (quota !== undefined && pr.records !== null && quota.isThrottled(t.topic, pr.partitionIndex)) quota.record((pr.records as Buffer).length);
        work.push(this.apply(conn, e.f, pr));
      }
    }
    await Promise.all(work);
  }

  private async apply(conn: LeaderConnection, f: PartitionFetch, pr: FetchResponsePartition): Promise<void> {
    const out = await applyFetchedPartition(f.replica, pr, this.leaderOffsets(conn, f.partition));
    if (out.kind === 'appended') {
      if (out.written !== null) {
        try {
          await out.written;
        } catch (err) {
          return this.backOff(f, `append failed: ${(err as Error).message}`);
        }
      }
      f.lastReason = null;
      f.inSync = pr.highWatermark - f.replica.fetchOffset <= 0;
      // Not awaited: the move queues behind the log's maintenance (retention, compaction), which must
      // not stall the round; a later fetch reports the new log start (DeleteRecords waits for it).
      void f.replica.followLeaderLogStart(pr.logStartOffset);
      this.metrics?.fetcherLag(f.partition.topic, f.partition.partition, Math.max(0, pr.highWatermark - f.replica.fetchOffset));
    } else if (out.kind === 'backoff') {
      this.backOff(f, out.reason);
    } else {
      f.lastReason = null;
    }
  }

  private backOff(f: PartitionFetch, reason: string): void {
    f.delayedUntil = Date.now() + this.settings.backoffMs;
    if (reason === f.lastReason) return;
    f.lastReason = reason;
    this.log.info({ leader: this.leaderId, topic: f.partition.topic, partition: f.partition.partition, reason }, 'follower fetch of partition backs off');
  }

  /** ListOffsets as a replica (Kafka's fetchLatestOffsetFromLeader / fetchEarliestOffsetFromLeader). */
  private leaderOffsets(conn: LeaderConnection, p: Partition): LeaderOffsets {
    const ask = async (timestamp: number): Promise<number> => {
      const res = await conn.send<ListOffsetsResponse>(LIST_OFFSETS, {
        replicaId: this.settings.brokerId,
        isolationLevel: 0,
        topics: [{ name: p.topic, partitions: [{ partitionIndex: p.partition, currentLeaderEpoch: p.leaderEpoch, timestamp, maxNumOffsets: 1 }] }],
      });
      const r = res.topics[0]?.partitions[0];
      if (r === undefined) throw new Error(`ListOffsets from broker ${this.leaderId} answered nothing for ${p.topic}-${p.partition}`);
      if (r.errorCode !== ErrorCode.NONE) throw new KafkaError(r.errorCode as ErrorCodeValue, `ListOffsets from broker ${this.leaderId}: ${errorName(r.errorCode)}`);
      return r.offset;
    };
    return { latest: () => ask(LATEST), earliest: () => ask(EARLIEST) };
  }
}
