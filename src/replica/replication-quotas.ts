/**
 * The replication quotas of one broker (Kafka's QuotaFactory leader/follower ReplicationQuotaManager
 * pair, written from its behaviour): what kafka-reassign-partitions --throttle sets, enforced.
 *
 *  - The rates are the dynamic broker configs leader.replication.throttled.rate and
 *    follower.replication.throttled.rate (bytes/s; Long.MAX_VALUE: none), read from the broker
 *    config whenever a throttled partition is looked at, so an AlterConfigs shows at once.
 *  - The replicas they apply to are each topic's leader./follower.replication.throttled.replicas
 *    (`partition:broker` entries naming this broker, or `*`), followed through the topic events.
 *  - Leader side (the Fetch handler serving a follower, Kafka's ReplicaManager.readFromLog): a
 *    throttled partition whose follower is outside the ISR gets no records while the leader quota
 *    is exceeded; the bytes of throttled partitions sent to followers are recorded afterwards.
 *  - Follower side (fetcher.ts, Kafka's ReplicaFetcherThread.buildFetch): a throttled partition
 *    this replica is not in sync for (behind the leader's high watermark at the last answer) is
 *    left out of the fetch while the follower quota is exceeded; the bytes it brings are recorded.
 * Only replicas outside the ISR are held back (Kafka: "to avoid ISR thrashing"), so a throttle
 * never slows the ISR or acks=all. Cost: a Map lookup per partition per follower fetch; the rest
 * only for throttled partitions.
 *
 * Metrics with Kafka's names: kafka_server_leaderreplication_byte_rate and
 * kafka_server_followerreplication_byte_rate (the bytes of throttled partitions, averaged over
 * the last ~10 s like Kafka's replication.quota.window.num × window.size), plus Runnel's count of
 * partitions held back.
 */
import type { ConfigValue } from '../config/definitions.js';
import type { ConfigView } from '../config/view.js';
import { ReplicationThrottle } from './replication-throttle.js';

const LEADER_RATE = 'leader.replication.throttled.rate';
const FOLLOWER_RATE = 'follower.replication.throttled.rate';
const LEADER_REPLICAS = 'leader.replication.throttled.replicas';
const FOLLOWER_REPLICAS = 'follower.replication.throttled.replicas';

/** Bytes per one-second slot over the last SLOTS seconds: the byte-rate gauge. */
class ByteRate {
  private static readonly SLOTS = 11;
  private readonly bytes = new Float64Array(ByteRate.SLOTS);
  private readonly second = new Float64Array(ByteRate.SLOTS).fill(-1);

  record(n: number, nowMs: number): void {
    const s = Math.floor(nowMs / 1000);
    const i = s % ByteRate.SLOTS;
    if (this.second[i] !== s) {
      this.second[i] = s;
      this.bytes[i] = 0;
    }
    this.bytes[i]! += n;
  }

  /** Bytes/s over the complete seconds of the window (the current one left out: it is partial). */
  rate(nowMs: number): number {
    const s = Math.floor(nowMs / 1000);
    let sum = 0;
    for (let i = 0; i < ByteRate.SLOTS; i++) {
      const at = this.second[i]!;
      if (at < s && at >= s - (ByteRate.SLOTS - 1)) sum += this.bytes[i]!;
    }
    return sum / (ByteRate.SLOTS - 1);
  }
}

/** One side (leader or follower): the bucket, its rate key and its metrics. */
class QuotaSide {
  readonly throttle: ReplicationThrottle;
  readonly byteRate = new ByteRate();
  /** Times a partition was held back. */
  heldBack = 0;

  constructor(
    brokerId: number,
    private readonly rateKey: string,
    private readonly config: ConfigView,
    private readonly now: () => number,
  ) {
    this.throttle = new ReplicationThrottle(brokerId, { now });
  }

  /** The rate may have been changed by AlterConfigs since: take the current one. */
  private syncRate(): void {
    const rate = this.config.int(this.rateKey);
    if (rate !== this.throttle.rate) this.throttle.setRate(rate);
  }

  isThrottled(topic: string, partition: number): boolean {
    return this.throttle.isThrottled(topic, partition);
  }

  shouldThrottle(topic: string, partition: number, replicaInSync: boolean): boolean {
    if (replicaInSync || !this.throttle.isThrottled(topic, partition)) return false;
    this.syncRate();
    if (!this.throttle.isQuotaExceeded()) return false;
    this.heldBack++;
    return true;
  }

  record(bytes: number): void {
    if (!(bytes > 0)) return;
    this.syncRate();
    this.throttle.record(bytes);
    this.byteRate.record(bytes, this.now());
  }

  delayMs(): number {
    this.syncRate();
    return this.throttle.delayMs();
  }
}

/** What the quotas read of a topic (TopicManager's Topic satisfies it). */
export interface ThrottledTopic {
  readonly name: string;
  readonly configs: ReadonlyMap<string, ConfigValue>;
}

export class ReplicationQuotas {
  readonly leader: QuotaSide;
  readonly follower: QuotaSide;

  constructor(
    brokerId: number,
    config: ConfigView,
    private readonly now: () => number = Date.now,
  ) {
    this.leader = new QuotaSide(brokerId, LEADER_RATE, config, now);
    this.follower = new QuotaSide(brokerId, FOLLOWER_RATE, config, now);
  }

  /** A topic was created or its configs changed: its throttled-replicas lists, as stored now. */
  topicChanged(topic: ThrottledTopic): void {
    this.leader.throttle.setThrottledReplicas(topic.name, listOf(topic.configs.get(LEADER_REPLICAS)));
    this.follower.throttle.setThrottledReplicas(topic.name, listOf(topic.configs.get(FOLLOWER_REPLICAS)));
  }

  topicDeleted(name: string): void {
    this.leader.throttle.removeTopic(name);
    this.follower.throttle.removeTopic(name);
  }

  /** /metrics (through Replication.render). */
  render(w: { family(name: string, type: 'counter' | 'gauge', help: string): unknown; sample(name: string, value: number, labels?: Record<string, string | number>): unknown }): void {
    const now = this.now();
    w.family('kafka_server_leaderreplication_byte_rate', 'gauge', 'Bytes/s this broker as leader sent to followers of throttled replicas (leader.replication.throttled.replicas), over the last 10 s.');
    w.sample('kafka_server_leaderreplication_byte_rate', this.leader.byteRate.rate(now));
    w.family('kafka_server_followerreplication_byte_rate', 'gauge', 'Bytes/s this broker as follower fetched for throttled replicas (follower.replication.throttled.replicas), over the last 10 s.');
    w.sample('kafka_server_followerreplication_byte_rate', this.follower.byteRate.rate(now));
    w.family('runnel_replication_throttled_total', 'counter', 'Times a throttled partition was held back because the replication quota was exceeded (side: leader answered no records, follower left it out of its fetch).');
    w.sample('runnel_replication_throttled_total', this.leader.heldBack, { side: 'leader' });
    w.sample('runnel_replication_throttled_total', this.follower.heldBack, { side: 'follower' });
  }
}

function listOf(v: ConfigValue | undefined): string | readonly string[] | null {
  if (v === undefined || v === null) return null;
  return Array.isArray(v) ? v : String(v);
}
