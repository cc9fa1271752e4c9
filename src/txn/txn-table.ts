/**
 * The in-memory state of every transactional id, indexed by id and by producer id, as last
 * written to (or replayed from) __transaction_state. Only the coordinator changes it, and only
 * after the write is durable (set/remove apply a record); the produce path reads it to check that
 * a transactional batch belongs to a running transaction (verify).
 */
import { ErrorCode } from '../../protocol/errors.js';
import type { TxnLogValue } from './records.js';
import { partitionsToLog, type TxnMetadata } from './txn-metadata.js';

export class TxnTable {
  readonly txns = new Map<string, TxnMetadata>();
  private readonly byProducerId = new Map<number, TxnMetadata>();

  /** Applies a __transaction_state value to `id` (creating its entry). */
  set(id: string, v: TxnLogValue): TxnMetadata {
    let meta = this.txns.get(id);
    if (!meta) {
      meta = {
        transactionalId: id,
        producerId: -1,
        producerEpoch: -1,
        lastProducerEpoch: -1,
        previousProducerId: -1,
        nextProducerId: -1,
        clientTransactionVersion: 0,
        timeoutMs: v.timeoutMs,
        state: 'Empty',
        partitions: new Map(),
        startTimestamp: -1,
        lastUpdateTimestamp: -1,
        completion: null,
      };
      this.txns.set(id, meta);
    }
    if (this.byProducerId.get(meta.producerId) === meta) this.byProducerId.delete(meta.producerId);
    if (meta.producerId === v.producerId && v.producerEpoch !== meta.producerEpoch) meta.lastProducerEpoch = meta.producerEpoch;
    else if (meta.producerId !== v.producerId) meta.lastProducerEpoch = -1;
    if (v.lastProducerEpoch !== undefined) meta.lastProducerEpoch = v.lastProducerEpoch;
    meta.previousProducerId = v.previousProducerId ?? -1;
    meta.nextProducerId = v.nextProducerId ?? -1;
    meta.clientTransactionVersion = v.clientTransactionVersion ?? 0;
    meta.producerId = v.producerId;
    meta.producerEpoch = v.producerEpoch;
    meta.timeoutMs = v.timeoutMs;
    meta.state = v.state;
    meta.partitions = new Map([...v.partitions].map(([t, ps]) => [t, new Set(ps)]));
    meta.startTimestamp = v.startTimestamp;
    meta.lastUpdateTimestamp = v.lastUpdateTimestamp;
    this.byProducerId.set(meta.producerId, meta);
    return meta;
  }

  /** Takes over an entry built elsewhere (a partition loaded into a scratch table). */
  adopt(meta: TxnMetadata): void {
    this.txns.set(meta.transactionalId, meta);
    this.byProducerId.set(meta.producerId, meta);
  }

  /** Whether some transactional id has this producer id. */
  hasProducer(producerId: number): boolean {
    return this.byProducerId.has(producerId);
  }

  /** Applies a tombstone: `id` is forgotten. */
  remove(id: string): void {
    const meta = this.txns.get(id);
    if (!meta) return;
    this.txns.delete(id);
    if (this.byProducerId.get(meta.producerId) === meta) this.byProducerId.delete(meta.producerId);
  }

  /** The value to write for `meta` with `changes` (stamped now unless the changes say otherwise). */
  valueOf(meta: TxnMetadata, changes: Partial<TxnLogValue>): TxnLogValue {
    return {
      producerId: meta.producerId,
      producerEpoch: meta.producerEpoch,
      timeoutMs: meta.timeoutMs,
      state: meta.state,
      partitions: partitionsToLog(meta.partitions),
      lastUpdateTimestamp: Date.now(),
      startTimestamp: meta.startTimestamp,
      previousProducerId: meta.previousProducerId,
      nextProducerId: meta.nextProducerId,
      clientTransactionVersion: meta.clientTransactionVersion,
      ...changes,
    };
  }

  /**
   * Whether a transactional batch of this producer may go to this partition: its epoch is current
   * and the partition was added to its running transaction. Null when it may, else the error.
   */
  verify(producerId: number, producerEpoch: number, topic: string, partition: number): { code: number; message: string } | null {
    const meta = this.byProducerId.get(producerId);
    if (meta && producerEpoch < meta.producerEpoch) {
      return { code: ErrorCode.INVALID_PRODUCER_EPOCH, message: `Producer ${producerId} epoch ${producerEpoch} is older than the current epoch ${meta.producerEpoch}` };
    }
    if (!meta || meta.state !== 'Ongoing' || producerEpoch !== meta.producerEpoch || !meta.partitions.get(topic)?.has(partition)) {
      return { code: ErrorCode.INVALID_TXN_STATE, message: `Partition ${topic}-${partition} is not part of an ongoing transaction of producer ${producerId}` };
    }
    return null;
  }
}
