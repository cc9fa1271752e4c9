/**
 * Idempotent-producer state of one partition: for each producer id, its epoch and the sequence
 * ranges and offsets of its last five batches (Kafka keeps five because a producer has at most
 * five requests in flight per partition).
 *
 * check() runs synchronously just before the append, so sequence checks and offset assignment are
 * one atomic step; record() runs right after the append assigned offsets. A retried batch that
 * matches one of the last five is a duplicate: it is not appended again and its original offsets
 * are returned.
 *
 * Transactions: `ongoing` holds, per producer with an open transaction in this partition, the
 * offset of its first transactional batch here; a COMMIT/ABORT marker (completeTxn) closes it,
 * and an aborted one goes to `aborted` (producer id, first offset, marker offset), which is what
 * read_committed fetches report. The last stable offset (LSO) is the smallest first offset of an
 * open transaction, else the high watermark.
 */
import { ErrorCode } from '../../protocol/errors.js';

export const MAX_CACHED_BATCHES = 5;
const INT32_MAX = 2147483647;

export interface BatchMetadata {
  firstSeq: number;
  lastSeq: number;
  baseOffset: number;
  lastOffset: number;
  /** The batch's max timestamp (for LogAppendTime: the append time). */
  timestamp: number;
}

export interface ProducerEntry {
  producerId: number;
  epoch: number;
  /** Oldest first, at most MAX_CACHED_BATCHES. */
  batches: BatchMetadata[];
  lastTimestamp: number;
  /** Coordinator epoch of the producer's last transaction marker in the partition (absent: none). */
  coordinatorEpoch?: number;
}

/** A transaction that ended with an ABORT marker at lastOffset. */
export interface AbortedTxn {
  producerId: number;
  firstOffset: number;
  lastOffset: number;
}

export type SequenceCheck =
  | { kind: 'append' }
  | { kind: 'duplicate'; batch: BatchMetadata }
  | { kind: 'error'; code: number; message: string };

const APPEND: SequenceCheck = { kind: 'append' };

/** lastSeq + 1 with Kafka's wraparound from Int.MAX to 0. */
function nextSeq(seq: number): number {
  return seq === INT32_MAX ? 0 : seq + 1;
}

export function lastSequence(firstSeq: number, recordCount: number): number {
  const last = firstSeq + recordCount - 1;
  return last > INT32_MAX ? last - INT32_MAX - 1 : last;
}

export class PartitionProducerState {
  readonly producers = new Map<number, ProducerEntry>();
  /** producer id → first offset of its open transaction in this partition. */
  readonly ongoing = new Map<number, number>();
  /** Aborted transactions, in marker (lastOffset) order. */
  aborted: AbortedTxn[] = [];
  /** Fetches parked at the last stable offset; a Set (of wrappers: one callback may wait twice) so a cancel is O(1). */
  private readonly lsoWaiters = new Set<{ cb: () => void }>();

  check(producerId: number, epoch: number, firstSeq: number, lastSeq: number): SequenceCheck {
    const entry = this.producers.get(producerId);
    if (!entry) {
      if (firstSeq !== 0) {
        return { kind: 'error', code: ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER, message: `Out of order sequence number for producer ${producerId}: found ${firstSeq} (incoming seq. number), expected 0 for a new producer` };
      }
      return APPEND;
    }
    if (epoch < entry.epoch) {
      return { kind: 'error', code: ErrorCode.INVALID_PRODUCER_EPOCH, message: `Epoch of producer ${producerId} at offset is ${epoch}, which is smaller than the last seen epoch ${entry.epoch}` };
    }
    if (epoch > entry.epoch) {
      if (firstSeq !== 0) {
        return { kind: 'error', code: ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER, message: `Invalid sequence number for new epoch of producer ${producerId}: ${epoch} (request epoch), ${firstSeq} (seq. number), ${entry.epoch} (current producer epoch)` };
      }
      return APPEND;
    }
    for (const b of entry.batches) if (b.firstSeq === firstSeq && b.lastSeq === lastSeq) return { kind: 'duplicate', batch: b };
    const last = entry.batches[entry.batches.length - 1];
    if (last === undefined) {
      // Known producer whose batches aged out (e.g. after DeleteRecords): accept any sequence.
      return APPEND;
    }
    if (firstSeq !== nextSeq(last.lastSeq)) {
      return {
        kind: 'error',
        code: ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER,
        message: `Out of order sequence number for producer ${producerId} at offset ${last.lastOffset + 1}: ${firstSeq} (incoming seq. number), ${last.lastSeq} (current end sequence number)`,
      };
    }
    return APPEND;
  }

  record(producerId: number, epoch: number, batch: BatchMetadata, transactional = false): void {
    if (transactional && !this.ongoing.has(producerId)) this.ongoing.set(producerId, batch.baseOffset);
    let entry = this.producers.get(producerId);
    if (!entry || epoch !== entry.epoch) {
      entry = { producerId, epoch, batches: [], lastTimestamp: batch.timestamp };
      this.producers.set(producerId, entry);
    }
    entry.batches.push(batch);
    if (entry.batches.length > MAX_CACHED_BATCHES) entry.batches.shift();
    entry.lastTimestamp = batch.timestamp;
  }

  /**
   * Whether this partition holds an open transaction of the producer at this epoch (a batch
   * appended since its last marker): then the partition is in the producer's running transaction,
   * and a transaction-version-2 write need not ask the coordinator again (Kafka's verification
   * guard does the same).
   */
  inTransaction(producerId: number, epoch: number): boolean {
    return this.ongoing.has(producerId) && this.producers.get(producerId)?.epoch === epoch;
  }

  /** A transactional batch without sequence (TxnOffsetCommit records) at `offset`. */
  beginTxn(producerId: number, offset: number): void {
    if (!this.ongoing.has(producerId)) this.ongoing.set(producerId, offset);
  }

  /**
   * A COMMIT/ABORT marker of `producerId` at `offset`: closes its open transaction (an aborted one
   * is remembered for read_committed fetches). A marker with a newer epoch (the coordinator fenced
   * the producer) makes that epoch current, so the older producer's batches are refused.
   */
  completeTxn(producerId: number, epoch: number, offset: number, abort: boolean, timestamp: number): void {
    const entry = this.producers.get(producerId);
    if (!entry || epoch > entry.epoch) this.producers.set(producerId, { producerId, epoch, batches: [], lastTimestamp: timestamp, coordinatorEpoch: 0 });
    else {
      entry.lastTimestamp = timestamp;
      entry.coordinatorEpoch = 0;
    }
    const first = this.ongoing.get(producerId);
    if (first === undefined) return;
    this.ongoing.delete(producerId);
    if (abort) this.aborted.push({ producerId, firstOffset: first, lastOffset: offset });
    if (this.lsoWaiters.size > 0) {
      const ws = [...this.lsoWaiters];
      this.lsoWaiters.clear();
      for (const w of ws) queueMicrotask(w.cb);
    }
  }

  /** The last stable offset given the partition's high watermark. */
  lastStableOffset(highWatermark: number): number {
    let lso = highWatermark;
    for (const first of this.ongoing.values()) if (first < lso) lso = first;
    return lso;
  }

  /**
   * Aborted transactions overlapping [from, to) (a read_committed fetch of that range). Those
   * wholly below the log start offset (retention, DeleteRecords) are forgotten on the way.
   */
  abortedBetween(from: number, to: number, logStartOffset = 0): AbortedTxn[] {
    if (this.aborted.length > 0 && this.aborted[0]!.lastOffset < logStartOffset) {
      let drop = 0;
      while (drop < this.aborted.length && this.aborted[drop]!.lastOffset < logStartOffset) drop++;
      this.aborted = this.aborted.slice(drop);
    }
    const out: AbortedTxn[] = [];
    for (let i = this.aborted.length - 1; i >= 0; i--) {
      const a = this.aborted[i]!;
      if (a.lastOffset < from) break;
      if (a.firstOffset < to) out.push(a);
    }
    return out.reverse();
  }

  /** Runs `cb` once when an open transaction closes (the LSO may move); returns a cancel function. */
  onTxnComplete(cb: () => void): () => void {
    const w = { cb };
    this.lsoWaiters.add(w);
    return () => {
      this.lsoWaiters.delete(w);
    };
  }

  /** Drops producers idle for longer than `maxIdleMs` (producer.id.expiration.ms). */
  expire(now: number, maxIdleMs: number): void {
    for (const [pid, e] of this.producers) if (now - e.lastTimestamp > maxIdleMs && !this.ongoing.has(pid)) this.producers.delete(pid);
  }

  /** Forgets batches below the log start offset (after retention or DeleteRecords). */
  truncateBefore(logStartOffset: number): void {
    for (const e of this.producers.values()) {
      while (e.batches.length > 0 && e.batches[0]!.lastOffset < logStartOffset) e.batches.shift();
    }
    let drop = 0;
    while (drop < this.aborted.length && this.aborted[drop]!.lastOffset < logStartOffset) drop++;
    if (drop > 0) this.aborted = this.aborted.slice(drop);
  }

  toJSON(): ProducerEntry[] {
    return [...this.producers.values()];
  }

  static fromJSON(entries: ProducerEntry[], ongoing: Array<[number, number]> = [], aborted: AbortedTxn[] = []): PartitionProducerState {
    const s = new PartitionProducerState();
    for (const e of entries) s.producers.set(e.producerId, { ...e, batches: e.batches.slice(-MAX_CACHED_BATCHES) });
    for (const [pid, first] of ongoing) s.ongoing.set(pid, first);
    s.aborted = aborted.slice();
    return s;
  }
}
