/**
 * Dead-letter topics for share groups (KIP-1191, as Kafka 4.4 does it): a record a consumer
 * REJECTs, or one archived at the delivery count limit, is written to the group's dead-letter
 * topic with Kafka's context headers (__dlq.errors.topic, .partition, .offset, .group,
 * .delivery.count, .message), its key and value copied only with the group config
 * errors.deadletterqueue.copy.record.enable=true. Partition: source partition modulo the DLQ
 * topic's partition count.
 *
 * Which topic: the group config errors.deadletterqueue.topic.name. Kafka's checks: the name must
 * not start with "__" and must start with errors.deadletterqueue.topic.name.prefix; an existing
 * topic must have errors.deadletterqueue.group.enable=true; a missing one is created (with that
 * config) only when errors.deadletterqueue.auto.create.topics.enable is true. Otherwise records
 * are archived without a copy, and the refusal is logged.
 * Deprecated: `runnel.group.share.dead.letter.topics` (group=topic) for groups without the group
 * config keeps its earlier behaviour: key and value copied, no group.enable needed, no auto-create.
 *
 * Exactly once: the share partition persists an archived record as "dead-letter pending" before
 * the copy is written and as done after, so a crash between the two re-writes it at startup — but
 * first the tail of the dead-letter partition is searched for a copy of that very record (group,
 * topic, partition, offset), which closes the window where the copy was written and the
 * "done" state was not.
 *
 * Cluster mode: the dead-letter partition may be led by another broker than the share partition.
 * Then the copy goes to that leader as an idempotent Produce with acks=all (remote-dead-letter.ts,
 * dead-letter-producer.ts), and the range stays "dead-letter pending" in the share state (at the
 * share coordinator) until the Produce is acknowledged. A retry of a copy whose answer was
 * uncertain is the same batch (producer id, sequence) again, which the leader appends at most once,
 * even when the first one is committed late. Any other attempt after an uncertain one (this broker
 * restarted, the share partition moved to another leader which read the pending state, the leader
 * lost the producer's state) first reads the committed tail of the dead-letter partition from its
 * current leader and skips records already copied. A copy acknowledged with acks=all is on every
 * in-sync replica, so a new dead-letter leader has it; one never acknowledged is either committed
 * (found by the scan) or truncated (written again). Failed copies are retried by the share
 * partitions (share-partitions.ts) on a backoff timer and on the next fetch, never inline.
 */
import { buildBatchSync } from '../../protocol/records/builder.js';
import { forEachRecord, type BatchRecord } from '../../protocol/records/records.js';
import type { ConfigView } from '../config/view.js';
import type { Partition, PartitionLookup } from '../data/partitions.js';
import type { Logger } from '../logger.js';
import type { Topic, TopicsPort } from '../metadata/port.js';
import type { ArchiveReason } from './partition-state.js';
import type { RemoteDeadLetterSink } from './remote-dead-letter.js';
import { copyKey, DeadLetterProducer } from './dead-letter-producer.js';
import { ErrorCode, KafkaError } from '../../protocol/errors.js';

/** Header names of a dead-lettered record (Kafka 4.4's ShareGroupDLQStateManager). */
export const DLQ_HEADERS = {
  topic: '__dlq.errors.topic',
  partition: '__dlq.errors.partition',
  offset: '__dlq.errors.offset',
  group: '__dlq.errors.group',
  deliveryCount: '__dlq.errors.delivery.count',
  message: '__dlq.errors.message',
} as const;

/** Kafka's __dlq.errors.message texts by archive reason. */
const DLQ_MESSAGES: Record<ArchiveReason, string> = {
  rejected: 'Offset rejected by client.',
  'delivery-count-limit': 'Offset delivery count exceeded the threshold.',
};

/** A group's dead-letter destination. */
export interface DeadLetterTarget {
  topic: string;
  copyRecord: boolean;
  /** Named by the deprecated runnel.group.share.dead.letter.topics. */
  legacy: boolean;
}

/** How far back a recovery looks for a copy already written (bytes of the dead-letter partition). */
const RECOVERY_SCAN_BYTES = 4 * 1024 * 1024;
/** ...and at most this many offsets back: a copy written just before a crash is near the end. */
const RECOVERY_SCAN_OFFSETS = 10000;

export class DeadLetterWriter {
  /** Records copied to dead-letter topics (metric). */
  written = 0;
  /**
   * Whether the groups' own dead-letter configs (KIP-1191, errors.deadletterqueue.topic.name) are
   * honoured: Kafka 4.4 copies only while share.version is finalized at 2 or more, and so does
   * Runnel (src/share/start.ts wires the feature in). The broker-wide
   * runnel.group.share.dead.letter.topics list predates the KIP and is not gated.
   */
  groupDeadLettersEnabled: () => boolean = () => true;

  constructor(
    private readonly config: ConfigView,
    private readonly topics: TopicsPort,
    private readonly logs: PartitionLookup,
    private readonly log: Logger,
    private readonly groupConfigsOf: (groupId: string) => ReadonlyMap<string, string> | undefined = () => undefined,
    /** Cluster mode: how a dead-letter partition led by another broker is reached (null: one node). */
    private readonly remote: RemoteDeadLetterSink | null = null,
  ) {
    this.producer = remote ? new DeadLetterProducer(() => remote.allocateProducerId()) : null;
  }

  /** Cluster mode: the idempotent producer of copies sent to other brokers (dead-letter-producer.ts). */
  private readonly producer: DeadLetterProducer | null;

  /** The group's dead-letter destination, or null when it has none. */
  target(groupId: string): DeadLetterTarget | null {
    const g = this.groupConfigsOf(groupId);
    const name = g?.get('errors.deadletterqueue.topic.name');
    if (name && this.groupDeadLettersEnabled()) return { topic: name, copyRecord: g!.get('errors.deadletterqueue.copy.record.enable')?.toLowerCase() === 'true', legacy: false };
    const list = this.config.get('runnel.group.share.dead.letter.topics');
    if (!Array.isArray(list)) return null;
    for (const entry of list as string[]) {
      const eq = entry.indexOf('=');
      if (eq > 0 && entry.slice(0, eq) === groupId) return { topic: entry.slice(eq + 1), copyRecord: true, legacy: true };
    }
    return null;
  }

  /** The group's dead-letter topic name, or null. */
  topicFor(groupId: string): string | null {
    return this.target(groupId)?.topic ?? null;
  }

  /** The dead-letter topic if Kafka's checks allow writing to it (creating it when allowed), else null with a reason logged. */
  private async usableTopic(groupId: string, t: DeadLetterTarget): Promise<Topic | null> {
    const refuse = (why: string): null => {
      this.log.warn({ groupId, deadLetterTopic: t.topic, why }, 'dead-letter topic not usable: records archived without a copy');
      return null;
    };
    const prefix = this.config.string('errors.deadletterqueue.topic.name.prefix') ?? '';
    if (t.topic.startsWith('__')) return refuse('the name starts with __');
    if (!t.topic.startsWith(prefix)) return refuse(`the name does not start with errors.deadletterqueue.topic.name.prefix (${prefix})`);
    let topic = this.topics.get(t.topic);
    if (!topic) {
      if (t.legacy || this.config.get('errors.deadletterqueue.auto.create.topics.enable') !== true) return refuse('it does not exist and errors.deadletterqueue.auto.create.topics.enable is false');
      const [r] = await this.topics.createTopics([{ name: t.topic, partitions: -1, replicationFactor: -1, configs: [['errors.deadletterqueue.group.enable', 'true'], ['message.timestamp.type', 'CreateTime']] }], false);
      topic = this.topics.get(t.topic);
      if (!topic) return refuse(`creating it failed: ${r?.error?.message ?? 'unknown'}`);
    }
    if (!t.legacy && topic.configs.get('errors.deadletterqueue.group.enable') !== true) return refuse('its errors.deadletterqueue.group.enable is false');
    return topic;
  }

  /**
   * Copies the records [first, last] of `source` to the group's dead-letter topic; resolves once
   * durable. `recovering`: skip records a copy of which is already in the topic's tail.
   */
  async write(groupId: string, source: Partition, first: number, last: number, deliveryCount: number, reason: ArchiveReason, recovering: boolean): Promise<void> {
    const t = this.target(groupId);
    if (t === null) return;
    const topic = await this.usableTopic(groupId, t);
    if (!topic) return;
    const name = topic.name;
    const dlqPartition = source.partition % topic.partitions;
    const target = this.logs.get(name, dlqPartition);
    const local = target !== undefined && target !== null && target.isLeader;
    // A follower replica is never appended to: the copy goes to the leader (cluster mode).
    const leader = local ? -1 : (this.remote?.leaderOf(name, dlqPartition) ?? -1);
    if (!local && leader < 0) throw new Error(`${name}-${dlqPartition} has no leader reachable from here`);
    const copy = copyKey(groupId, source.topic, source.partition, first, last, name, dlqPartition);
    // A copy sent before with an uncertain answer is always followed by the tail check when not resent.
    const uncertain = this.producer?.uncertainBatch(copy) !== undefined;
    if (!local && (await this.resendUncertain(copy, leader, name, dlqPartition))) return;
    if (local) this.producer?.forget(copy);
    const originals = await readRange(source, first, last);
    let done = new Set<number>();
    if (recovering || uncertain) {
      const tail = local ? await target!.readBatches(Math.max(target!.logStartOffset, target!.highWatermark - RECOVERY_SCAN_OFFSETS), RECOVERY_SCAN_BYTES) : await this.remote!.tail(leader, name, dlqPartition, RECOVERY_SCAN_OFFSETS, RECOVERY_SCAN_BYTES);
      done = await copiesIn(tail, groupId, source.topic, source.partition);
    }
    const now = Date.now();
    const records = originals
      .filter((r) => !done.has(r.offset))
      .map((r) => ({
        key: t.copyRecord ? r.key : null,
        value: t.copyRecord ? r.value : null,
        timestamp: now,
        headers: [
          { key: DLQ_HEADERS.topic, value: source.topic },
          { key: DLQ_HEADERS.partition, value: String(source.partition) },
          { key: DLQ_HEADERS.offset, value: String(r.offset) },
          { key: DLQ_HEADERS.group, value: groupId },
          { key: DLQ_HEADERS.deliveryCount, value: String(deliveryCount) },
          { key: DLQ_HEADERS.message, value: DLQ_MESSAGES[reason] },
        ],
      }));
    if (records.length === 0) return;
    if (local) {
      const settings = this.topics.settings(topic);
      const appended = target!.append(buildBatchSync(records), -1, settings.minInsyncReplicas);
      await (target!.acknowledgement(appended, -1) ?? Promise.resolve());
    } else {
      const batch = await this.producer!.build(name, dlqPartition, records);
      await this.produceOnce(copy, leader, name, dlqPartition, batch);
    }
    this.written += records.length;
  }

  /**
   * Sends again the batch of this copy whose answer was uncertain (same producer id and sequence:
   * the leader appends it at most once). True when acknowledged; false when there is none or the
   * leader no longer knows its producer (then the copy is written anew after a tail check).
   */
  private async resendUncertain(copy: string, leader: number, topic: string, partition: number): Promise<boolean> {
    const batch = this.producer?.uncertainBatch(copy);
    if (batch === undefined) return false;
    try {
      await this.produceOnce(copy, leader, topic, partition, batch);
    } catch (err) {
      if (this.producer!.uncertainBatch(copy) !== undefined) throw err;
      this.log.info({ deadLetterTopic: topic, partition, err: (err as Error).message }, 'dead-letter copy retry refused for its producer state: written anew after a tail check');
      return false;
    }
    this.written += batch.readInt32BE(57);
    return true;
  }

  /** One Produce of an idempotent copy batch; its outcome recorded for a retry. */
  private async produceOnce(copy: string, leader: number, topic: string, partition: number, batch: Buffer): Promise<void> {
    try {
      await this.remote!.produce(leader, topic, partition, batch);
    } catch (err) {
      // Kafka's broker answers DUPLICATE_SEQUENCE_NUMBER for a duplicate it no longer has the offsets of: appended.
      const code = err instanceof KafkaError ? err.code : undefined;
      if (code !== ErrorCode.DUPLICATE_SEQUENCE_NUMBER) {
        this.producer!.failed(copy, topic, partition, batch, code);
        throw err;
      }
    }
    this.producer!.answered(copy);
  }
}

/** The records of [first, last] (control batches and absent offsets skipped). */
async function readRange(log: Partition, first: number, last: number): Promise<Array<{ offset: number; key: Buffer | null; value: Buffer | null }>> {
  const out: Array<{ offset: number; key: Buffer | null; value: Buffer | null }> = [];
  let from = first;
  while (from <= last) {
    const batches = await log.readBatches(from, 1 << 20);
    if (batches.length === 0) break;
    let progressed = false;
    for (const b of batches) {
      const base = Number(b.readBigInt64BE(0));
      const end = base + b.readInt32BE(23);
      if (end < from) continue;
      progressed = true;
      from = end + 1;
      if ((b.readInt16BE(21) & 0x20) !== 0) continue;
      await forEachRecord(b, (r: BatchRecord) => {
        const o = base + r.offsetDelta;
        if (o >= first && o <= last) out.push({ offset: o, key: r.key, value: r.value });
      });
      if (from > last) break;
    }
    if (!progressed) break;
  }
  return out;
}

/** Offsets of `topic`-`partition` already copied for `groupId` in `batches` (the tail of the dead-letter partition). */
async function copiesIn(batches: readonly Buffer[], groupId: string, topic: string, partition: number): Promise<Set<number>> {
  const found = new Set<number>();
  for (const b of batches) {
    if ((b.readInt16BE(21) & 0x20) !== 0) continue;
    await forEachRecord(b, (r: BatchRecord) => {
      const h = new Map(r.headers.map((x) => [x.key.toString(), x.value?.toString() ?? '']));
      if (h.get(DLQ_HEADERS.group) === groupId && h.get(DLQ_HEADERS.topic) === topic && h.get(DLQ_HEADERS.partition) === String(partition)) found.add(Number(h.get(DLQ_HEADERS.offset)));
    });
  }
  return found;
}
