/**
 * The idempotent producer of one broker's dead-letter copies to partitions led by other brokers
 * (remote-dead-letter.ts): what closes the window where a copy whose Produce timed out is still
 * committed by the dead-letter leader AFTER the retry's tail check (dead-letter.ts), the way a
 * Kafka producer closes it: each copy is a batch with a producer id, epoch 0 and the next
 * sequence of its dead-letter partition, and a copy whose answer was uncertain (failed, timed
 * out) is retried as the very same bytes, same producer id and sequence. The partition's leader
 * (the old one, or a new one, which rebuilds the producer state from its log on becoming leader,
 * txn/producer-state-manager.ts) then appends it once: a retry of a batch it already has is
 * answered with the original offsets and not appended again.
 *
 * Sequences stay gapless per producer id only while every batch is answered: after an uncertain
 * answer the partition's producer id is retired (the next new copy there takes a fresh one), so a
 * later batch can neither be refused for a gap nor mistaken for a duplicate of the uncertain one.
 * A retry refused for its sequence or producer (the leader no longer knows it: log truncated,
 * state expired) is not retried again: the writer falls back to the tail check and a new batch,
 * as after a restart of this broker (its producer ids die with it).
 *
 * Producer ids come from the broker's allocator (txn/port.ts ProducerIdsPort; in a cluster the
 * etcd blocks of cluster/producer-ids.ts), the same ids InitProducerId hands out.
 */
import { buildBatchSync, type RecordInput } from '../../protocol/records/builder.js';
import { ErrorCode } from '../../protocol/errors.js';

/** Uncertain copies remembered at most (oldest forgotten first: its retry falls back to the tail check). */
const MAX_UNCERTAIN = 10_000;
const INT32_MAX = 2147483647;

interface Session {
  producerId: number;
  nextSequence: number;
}

/** Errors after which a retried batch's dedup state is gone at the leader: never resend it. */
const LOST_PRODUCER_STATE: ReadonlySet<number> = new Set([ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER, ErrorCode.UNKNOWN_PRODUCER_ID, ErrorCode.INVALID_PRODUCER_EPOCH]);

export class DeadLetterProducer {
  /** Per dead-letter partition ("topic\0partition"): the producer id of new copies and its next sequence. */
  private readonly sessions = new Map<string, Session>();
  /** Per copy (its identity, see copyKey) whose answer was uncertain: the bytes to send again. */
  private readonly uncertain = new Map<string, Buffer>();

  constructor(private readonly allocateProducerId: () => Promise<number>) {}

  /** The batch sent for this copy whose answer was uncertain, to be sent again as is (undefined: none). */
  uncertainBatch(copy: string): Buffer | undefined {
    return this.uncertain.get(copy);
  }

  /** `records` as the next idempotent batch of the dead-letter partition. */
  async build(topic: string, partition: number, records: readonly RecordInput[]): Promise<Buffer> {
    const key = `${topic}\0${partition}`;
    let s = this.sessions.get(key);
    if (s === undefined || s.nextSequence + records.length - 1 > INT32_MAX) {
      s = { producerId: await this.allocateProducerId(), nextSequence: 0 };
      // A concurrent build may have set one meanwhile: either is fine, the last one wins.
      this.sessions.set(key, s);
    }
    const baseSequence = s.nextSequence;
    s.nextSequence += records.length;
    return buildBatchSync(records, { producerId: s.producerId, producerEpoch: 0, baseSequence });
  }

  /** The copy was acknowledged (appended now or before): nothing to resend. */
  answered(copy: string): void {
    this.uncertain.delete(copy);
  }

  /**
   * The copy's Produce failed with `code` (undefined: no answer). Remembers the batch for its retry
   * unless the failure says the leader cannot deduplicate it, and retires the producer id of new
   * copies to that partition.
   */
  failed(copy: string, topic: string, partition: number, batch: Buffer, code: number | undefined): void {
    const s = this.sessions.get(`${topic}\0${partition}`);
    if (s !== undefined && s.producerId === Number(batch.readBigInt64BE(43))) this.sessions.delete(`${topic}\0${partition}`);
    this.uncertain.delete(copy);
    if (code !== undefined && LOST_PRODUCER_STATE.has(code)) return;
    this.uncertain.set(copy, batch);
    if (this.uncertain.size > MAX_UNCERTAIN) this.uncertain.delete(this.uncertain.keys().next().value!);
  }

  /** Forgets the copy's uncertain batch (it is written another way). */
  forget(copy: string): void {
    this.uncertain.delete(copy);
  }
}

/** A copy's identity: the dead-letter partition and the source range it copies for the group. */
export function copyKey(groupId: string, topic: string, partition: number, first: number, last: number, dlqTopic: string, dlqPartition: number): string {
  return `${groupId}\0${topic}\0${partition}\0${first}\0${last}\0${dlqTopic}\0${dlqPartition}`;
}
