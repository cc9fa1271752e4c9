/**
 * Replication throttling (Kafka's ReplicationQuotaManager, the quota behind
 * kafka-reassign-partitions --throttle): one instance on the leader side and one on the follower
 * side of a broker, each a bytes/s token bucket plus the set of replicas it applies to.
 *
 *   const leader = new ReplicationThrottle(brokerId);       // and one `follower`
 *   leader.setRate(config leader.replication.throttled.rate);            // dynamic broker config
 *   leader.setThrottledReplicas(topic, topic config leader.replication.throttled.replicas);
 *   // leader, serving a follower's fetch, per partition:
 *   if (leader.shouldThrottle(topic, p, followerInIsr)) -> answer no records for it this time
 *   else after reading: if (leader.isThrottled(topic, p)) leader.record(bytes)
 *   // follower, building its fetch: leave out partitions where
 *   follower.shouldThrottle(topic, p, thisReplicaInIsr); record(bytes) what throttled ones brought;
 *   follower.delayMs() says when the bucket has bytes again.
 *
 * Kafka's rules: a replica is throttled when its topic's list names it (`partition:thisBroker`, or
 * `*`); only replicas outside the ISR are ever held back (a reassignment's new replicas catching
 * up), so a throttle never slows the ISR or acks=all; bytes are recorded after they moved, so one
 * fetch may overdraw the bucket and the next ones wait until it refilled. The bucket holds one
 * second of the rate (Kafka averages over replication.quota.window.num windows of
 * replication.quota.window.size.seconds, 11 × 1 s; a one-second bucket is the smoother of the
 * two). A rate of Long.MAX_VALUE (the default) never throttles; a rate of 0 holds throttled
 * replicas back entirely.
 *
 * No I/O and no timers: the caller asks; a clock can be injected for tests.
 */
import { type ThrottledPartitions, throttledPartitions } from '../config/throttled-replicas.js';

/** Kafka's Long.MAX_VALUE default of the rates, as the config table stores it: no limit. */
export const UNLIMITED_RATE = Number.MAX_SAFE_INTEGER;

export interface ReplicationThrottleOptions {
  /** Bytes/s; default UNLIMITED_RATE. */
  rate?: number;
  /** How much of the rate the bucket holds, in ms (default 1000). */
  burstMs?: number;
  /** The clock, in ms (default Date.now). */
  now?: () => number;
}

export class ReplicationThrottle {
  private ratePerSec: number;
  private readonly burstMs: number;
  private readonly now: () => number;
  /** Bytes that may still move; negative after an overdraw. */
  private tokens: number;
  private refilledAt: number;
  private readonly topics = new Map<string, ThrottledPartitions>();

  constructor(
    /** This broker: entries `partition:broker` naming another broker do not apply here. */
    readonly brokerId: number,
    options: ReplicationThrottleOptions = {},
  ) {
    this.now = options.now ?? Date.now;
    this.burstMs = options.burstMs ?? 1000;
    this.ratePerSec = UNLIMITED_RATE;
    this.tokens = 0;
    this.refilledAt = this.now();
    this.setRate(options.rate ?? UNLIMITED_RATE);
  }

  get rate(): number {
    return this.ratePerSec;
  }

  get unlimited(): boolean {
    return this.ratePerSec >= UNLIMITED_RATE;
  }

  private get capacity(): number {
    return (this.ratePerSec * this.burstMs) / 1000;
  }

  /** A new rate (bytes/s) from now on; an overdraw is kept, the bucket capped at the new size. */
  setRate(bytesPerSecond: number): void {
    if (!(bytesPerSecond >= 0)) throw new RangeError(`a replication throttle rate must be >= 0, got ${bytesPerSecond}`);
    this.refill();
    const wasUnlimited = this.unlimited;
    this.ratePerSec = Math.min(bytesPerSecond, UNLIMITED_RATE);
    if (this.unlimited) return;
    // Leaving "unlimited" starts with a full bucket; otherwise keep what is left, capped.
    this.tokens = wasUnlimited ? this.capacity : Math.min(this.tokens, this.capacity);
  }

  /**
   * A topic's throttled-replicas config (its `leader.` or `follower.replication.throttled.replicas`,
   * as stored: a comma-separated string or the parsed list); null or empty: the topic is not throttled.
   */
  setThrottledReplicas(topic: string, value: string | readonly string[] | null | undefined): void {
    const parsed = throttledPartitions(value, this.brokerId);
    if (parsed === 'all' || parsed.size > 0) this.topics.set(topic, parsed);
    else this.topics.delete(topic);
  }

  /** Forgets a topic (deleted, or its config removed). */
  removeTopic(topic: string): void {
    this.topics.delete(topic);
  }

  /** Whether this broker's replica of the partition is throttled (Kafka's isThrottled). */
  isThrottled(topic: string, partition: number): boolean {
    const t = this.topics.get(topic);
    return t !== undefined && (t === 'all' || t.has(partition));
  }

  /** Whether the bytes recorded are over the rate right now. */
  isQuotaExceeded(): boolean {
    if (this.unlimited) return false;
    this.refill();
    return this.tokens <= 0;
  }

  /**
   * Kafka's shouldLeaderThrottle / shouldFollowerThrottle: hold the partition back now? Only a
   * replica outside the ISR (`replicaInSync` false: the follower being served, or this follower),
   * of a throttled partition, while over quota.
   */
  shouldThrottle(topic: string, partition: number, replicaInSync: boolean): boolean {
    return !replicaInSync && this.isThrottled(topic, partition) && this.isQuotaExceeded();
  }

  /** Bytes of throttled partitions that moved (served by the leader, or fetched by the follower). */
  record(bytes: number): void {
    if (this.unlimited || !(bytes > 0)) return;
    this.refill();
    this.tokens -= bytes;
  }

  /** Bytes that may move now before the quota is exceeded (Infinity when unlimited): to size a fetch. */
  available(): number {
    if (this.unlimited) return Number.POSITIVE_INFINITY;
    this.refill();
    return Math.max(0, this.tokens);
  }

  /**
   * How long until the quota is no longer exceeded, in ms (0 when it is not); at most one bucket
   * period, after which a caller asks again (the rate may have changed meanwhile).
   */
  delayMs(): number {
    if (!this.isQuotaExceeded()) return 0;
    if (this.ratePerSec === 0) return this.burstMs;
    return Math.min(this.burstMs, Math.ceil(((1 - this.tokens) * 1000) / this.ratePerSec));
  }

  private refill(): void {
    const now = this.now();
    const elapsed = now - this.refilledAt;
    this.refilledAt = now;
    if (this.unlimited || elapsed <= 0) return;
    this.tokens = Math.min(this.capacity, this.tokens + (elapsed * this.ratePerSec) / 1000);
  }
}
