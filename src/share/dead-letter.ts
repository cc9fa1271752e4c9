/**
 * Dead-letter topics for share groups (KIP-1191, as far as Runnel serves it): a record a consumer
 * REJECTs, or one archived at group.share.delivery.count.limit, is copied to the group's
 * dead-letter topic with headers naming where it came from and why, its key and value copied too.
 *
 * Which topic: `runnel.group.share.dead.letter.topics` maps group ids to topics (Kafka configures
 * it per group through GROUP config resources, which Runnel does not serve yet). The topic must
 * exist and its name start with `errors.deadletterqueue.topic.name.prefix` (KIP-1191's guard
 * against steering records into business topics); otherwise records are archived without a copy
 * and the refusal is logged.
 *
 * Exactly once: the share partition persists an archived record as "dead-letter pending" before
 * the copy is written and as done after, so a crash between the two re-writes it at startup — but
 * first the tail of the dead-letter partition is searched for a copy of that very record (group,
 * topic, partition, offset), which closes the window where the copy was written and the
 * "done" state was not.
 */
import { buildBatchSync } from '../../protocol/records/builder.js';
import { forEachRecord, type BatchRecord } from '../../protocol/records/records.js';
import type { ConfigView } from '../config/view.js';
import type { Partition, PartitionLookup } from '../data/partitions.js';
import type { Logger } from '../logger.js';
import type { TopicsPort } from '../metadata/port.js';
import type { ArchiveReason } from './partition-state.js';

/** Header names of a dead-lettered record (Runnel's; KIP-1191 leaves the exact set to the implementation). */
export const DLQ_HEADERS = {
  group: '__dlq.errors.group.id',
  topic: '__dlq.errors.topic',
  partition: '__dlq.errors.partition',
  offset: '__dlq.errors.offset',
  deliveryCount: '__dlq.errors.delivery.count',
  reason: '__dlq.errors.reason',
} as const;

/** How far back a recovery looks for a copy already written (bytes of the dead-letter partition). */
const RECOVERY_SCAN_BYTES = 4 * 1024 * 1024;

export class DeadLetterWriter {
  /** Records copied to dead-letter topics (metric). */
  written = 0;

  constructor(
    private readonly config: ConfigView,
    private readonly topics: TopicsPort,
    private readonly logs: PartitionLookup,
    private readonly log: Logger,
  ) {}

  /** The group's dead-letter topic, or null when it has none (or an invalid one). */
  topicFor(groupId: string): string | null {
    const list = this.config.get('runnel.group.share.dead.letter.topics');
    if (!Array.isArray(list)) return null;
    for (const entry of list as string[]) {
      const eq = entry.indexOf('=');
      if (eq > 0 && entry.slice(0, eq) === groupId) return entry.slice(eq + 1);
    }
    return null;
  }

  /**
   * Copies the records [first, last] of `source` to the group's dead-letter topic; resolves once
   * durable. `recovering`: skip records a copy of which is already in the topic's tail.
   */
  async write(groupId: string, source: Partition, first: number, last: number, deliveryCount: number, reason: ArchiveReason, recovering: boolean): Promise<void> {
    const name = this.topicFor(groupId);
    if (name === null) return;
    const prefix = this.config.string('errors.deadletterqueue.topic.name.prefix') ?? '';
    const topic = this.topics.get(name);
    if (!name.startsWith(prefix) || !topic) {
      this.log.warn({ groupId, deadLetterTopic: name, prefix }, 'dead-letter topic missing or not allowed by errors.deadletterqueue.topic.name.prefix: records archived without a copy');
      return;
    }
    const target = this.logs.get(name, source.partition % topic.partitions);
    // A follower replica must never be appended to (cluster mode: the copy waits until the
    // dead-letter partition is led here; forwarding it to its leader is not built yet).
    if (!target || !target.isLeader) throw new Error(`${name} is not led here`);
    const originals = await readRange(source, first, last);
    const done = recovering ? await copiesIn(target, groupId, source.topic, source.partition) : new Set<number>();
    const now = Date.now();
    const records = originals
      .filter((r) => !done.has(r.offset))
      .map((r) => ({
        key: r.key,
        value: r.value,
        timestamp: now,
        headers: [
          { key: DLQ_HEADERS.group, value: groupId },
          { key: DLQ_HEADERS.topic, value: source.topic },
          { key: DLQ_HEADERS.partition, value: String(source.partition) },
          { key: DLQ_HEADERS.offset, value: String(r.offset) },
          { key: DLQ_HEADERS.deliveryCount, value: String(deliveryCount) },
          { key: DLQ_HEADERS.reason, value: reason },
        ],
      }));
    if (records.length === 0) return;
    const t = this.topics.settings(topic);
    const appended = target.append(buildBatchSync(records), -1, t.minInsyncReplicas);
    await (target.acknowledgement(appended, -1) ?? Promise.resolve());
    this.written += records.length;
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

/** Offsets of `topic`-`partition` already copied for `groupId` in the tail of the dead-letter partition. */
async function copiesIn(target: Partition, groupId: string, topic: string, partition: number): Promise<Set<number>> {
  const found = new Set<number>();
  // Roughly the last RECOVERY_SCAN_BYTES: a copy written just before a crash is near the end.
  const from = Math.max(target.logStartOffset, target.highWatermark - 10000);
  const batches = await target.readBatches(from, RECOVERY_SCAN_BYTES);
  for (const b of batches) {
    if ((b.readInt16BE(21) & 0x20) !== 0) continue;
    await forEachRecord(b, (r: BatchRecord) => {
      const h = new Map(r.headers.map((x) => [x.key.toString(), x.value?.toString() ?? '']));
      if (h.get(DLQ_HEADERS.group) === groupId && h.get(DLQ_HEADERS.topic) === topic && h.get(DLQ_HEADERS.partition) === String(partition)) found.add(Number(h.get(DLQ_HEADERS.offset)));
    });
  }
  return found;
}
