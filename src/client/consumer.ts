/**
 * A consumer: either assigned partitions directly (no group, positions from a start rule), or a
 * member of a consumer group (partitions from the range assignor, positions from the group's
 * committed offsets, else the start rule — Kafka's auto.offset.reset). It yields the records of
 * each fetch round; in a group, what the caller marks processed is committed every
 * `autoCommitIntervalMs`, before each rebalance and on close.
 */
import { tpKey, type TopicPartition } from './admin.js';
import type { KafkaClient } from './cluster.js';
import { Fetcher, type ConsumedRecord, type FetcherOptions, type StartPosition } from './fetcher.js';
import { GroupMember } from './group-member.js';

export interface ConsumerOptions extends FetcherOptions {
  topics: string[];
  /** Only these partitions (no group). Default: every partition of the topics. */
  partitions?: number[];
  groupId?: string;
  /** Where to start without a committed offset (or always, without a group). */
  start: StartPosition;
  /** Default 5000. */
  autoCommitIntervalMs?: number;
  sessionTimeoutMs?: number;
}

export class Consumer {
  readonly fetcher: Fetcher;
  readonly member: GroupMember | null;
  private stopped = false;
  private readonly processed = new Map<string, TopicPartition & { offset: number }>();
  /** Where each assigned partition started: committed for partitions with nothing processed yet. */
  private readonly startPositions = new Map<string, TopicPartition & { offset: number }>();
  private dirty = false;
  private nextCommitAt = 0;
  private readonly commitInterval: number;

  constructor(
    private readonly client: KafkaClient,
    private readonly opts: ConsumerOptions,
  ) {
    this.fetcher = new Fetcher(client, opts);
    this.member = opts.groupId ? new GroupMember(client, { groupId: opts.groupId, topics: opts.topics, sessionTimeoutMs: opts.sessionTimeoutMs }) : null;
    this.commitInterval = opts.autoCommitIntervalMs ?? 5000;
  }

  /**
   * The records of each fetch round until stop(). Rounds that found nothing yield an empty array
   * (after the fetch long poll), so callers can check idle timeouts and the end of the log.
   */
  async *batches(): AsyncGenerator<ConsumedRecord[]> {
    if (!this.member) await this.assignDirect();
    while (!this.stopped) {
      if (this.member?.needsRejoin) await this.rejoin();
      if (this.stopped) break;
      yield await this.fetcher.fetch();
      if (this.member && this.dirty && Date.now() >= this.nextCommitAt) await this.commit().catch(() => undefined);
    }
  }

  /** Records the caller is done with: what a group commits. */
  markProcessed(records: readonly ConsumedRecord[]): void {
    for (const r of records) {
      const key = tpKey(r.topic, r.partition);
      const p = this.processed.get(key);
      if (p) p.offset = r.offset + 1;
      else this.processed.set(key, { topic: r.topic, partition: r.partition, offset: r.offset + 1 });
    }
    if (records.length > 0) this.dirty = true;
  }

  /** True once every assigned partition was read to its high watermark (as of the last fetch). */
  atEnd(): boolean {
    return this.fetcher.positions.size > 0 && this.fetcher.atEnd();
  }

  stop(): void {
    this.stopped = true;
  }

  async commit(): Promise<void> {
    this.nextCommitAt = Date.now() + this.commitInterval;
    if (!this.member || !this.dirty) return;
    this.dirty = false;
    // As Java's consumer: every assigned partition's position, not only those that had records.
    const offsets = new Map(this.startPositions);
    for (const [k, p] of this.processed) offsets.set(k, p);
    await this.member.commit([...offsets.values()]);
  }

  /** Commits what was processed and leaves the group. */
  async close(): Promise<void> {
    this.stopped = true;
    if (this.member) {
      await this.commit().catch(() => undefined);
      await this.member.leave().catch(() => undefined);
    }
  }

  private async assignDirect(): Promise<void> {
    const parts: Array<TopicPartition & { start: StartPosition }> = [];
    for (const topic of this.opts.topics) {
      const t = await this.client.topic(topic);
      for (const p of t.partitions) {
        if (this.opts.partitions && !this.opts.partitions.includes(p.partition)) continue;
        parts.push({ topic, partition: p.partition, start: this.opts.start });
      }
    }
    if (this.opts.partitions) {
      for (const p of this.opts.partitions) if (!parts.some((x) => x.partition === p)) throw new Error(`partition ${p} does not exist in ${this.opts.topics.join(', ')}`);
    }
    await this.fetcher.assign(parts);
  }

  private async rejoin(): Promise<void> {
    await this.commit().catch(() => undefined);
    const assignment = await this.member!.join();
    const tps: TopicPartition[] = [];
    for (const [topic, ps] of assignment) for (const partition of ps) tps.push({ topic, partition });
    const committed = tps.length > 0 ? await this.member!.committed(tps) : [];
    const byKey = new Map(committed.map((c) => [tpKey(c.topic, c.partition), c.offset]));
    this.processed.clear();
    this.startPositions.clear();
    this.dirty = false;
    await this.fetcher.assign(
      tps.map((tp) => {
        const c = byKey.get(tpKey(tp.topic, tp.partition)) ?? -1;
        return { ...tp, start: c >= 0 ? { kind: 'offset', offset: c } : this.opts.start };
      }),
    );
    for (const [k, p] of this.fetcher.positions) this.startPositions.set(k, { topic: p.topic, partition: p.partition, offset: p.offset });
  }
}
