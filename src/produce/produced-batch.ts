/**
 * One produced batch on its way through the pipeline (pipeline.ts): the bytes a client sent for
 * one partition, a view of their header, their records decompressed at most once, the facts the
 * stages establish, and the partition's answer.
 *
 *   header view   codec, record count, producer id/epoch/sequence, transactional bit: read once
 *                 by the header stage, after the header and CRC were checked, so later stages read
 *                 fields instead of re-parsing the header.
 *   records view  records(): the records as uncompressed bytes. For an uncompressed batch a view
 *                 into the batch (no copy); for a compressed one the block decompress() produced —
 *                 the only decompression of the batch: the record walk, the schema check and
 *                 recompression all read this block. release() drops it once the last of them ran,
 *                 so a batch waiting for its turn to append holds its bytes, never a decompressed
 *                 block (up to runnel.produce.max.decompressed.bytes).
 *   facts         the partition it goes to, the codec to recompress to, a duplicate's original
 *                 append; the walk repairs the header's maxTimestamp in the bytes themselves.
 *   answer        error code and message, record errors, base offset, log append time, and the
 *                 promises still to settle: the append (when the batch waited in its partition's
 *                 order) and the acknowledgement that acks wait for.
 *
 * One object per batch with a fixed shape; nothing per record.
 */
import { ErrorCode, KafkaError } from '../../protocol/errors.js';
import { BATCH_HEADER_SIZE, batch } from '../../protocol/records/batch.js';
import { decompressRecords, type RecordIssue } from '../data/record-validation.js';
import type { Partition } from '../data/partitions.js';
import { lastSequence, type BatchMetadata } from '../txn/producer-state.js';
import type { Refusal } from './refusal.js';
import type { TopicTarget } from './produce-scope.js';

export class ProducedBatch {
  // ---- header view (set by readHeader, once the header and CRC were checked)
  /** Bytes of the batch (its header's length field + 12). */
  size = 0;
  /** Compression codec of the records (0: none). */
  codec = 0;
  recordCount = 0;
  /** -1 unless the producer is idempotent. */
  producerId = -1;
  producerEpoch = -1;
  baseSequence = -1;
  /** Sequence of the batch's last record (idempotent batches). */
  lastSequence = -1;
  /** A transactional batch of an idempotent producer (a transactional bit alone means nothing). */
  transactional = false;

  // ---- facts the stages add
  /** The partition the batch goes to (target stage). */
  log: Partition | null = null;
  /** Codec the topic's compression.type converts the batch to, -1 to store it as sent. */
  recompressTo = -1;
  /** An idempotent retry of this batch already appended: answered with its offsets, not appended. */
  duplicateOf: BatchMetadata | null = null;

  // ---- records view
  private block: Buffer | null = null;

  // ---- the answer
  errorCode: number = ErrorCode.NONE;
  errorMessage: string | null = null;
  recordErrors: readonly RecordIssue[] | null = null;
  baseOffset = -1;
  logAppendTime = -1;
  /** Settles once the append ran, when the batch had to wait in its partition's append order. */
  appending: Promise<void> | null = null;
  /** What acks=1/-1 wait for (Partition.acknowledgement: on one broker, the write); null for acks=0 or no append. */
  acknowledgement: Promise<void> | null = null;
  /** The acknowledgement enforces the request's timeout itself (cluster acks=-1: the delayed produce's timer). */
  acknowledgementTimed = false;

  constructor(
    readonly topic: TopicTarget,
    readonly partition: number,
    /** The batch as sent; replaced by its recompressed form (recompress stage). Null: none was sent. */
    public bytes: Buffer | null,
  ) {}

  /** Reads the header fields the later stages use; the header and CRC are valid. */
  readHeader(): void {
    const b = this.bytes!;
    this.size = batch.totalSize(b);
    this.codec = batch.compression(b);
    this.recordCount = batch.recordCount(b);
    this.producerId = batch.producerId(b);
    if (this.producerId >= 0) {
      // The header check refused an idempotent batch without a sequence.
      this.producerEpoch = batch.producerEpoch(b);
      this.baseSequence = batch.baseSequence(b);
      this.lastSequence = lastSequence(this.baseSequence, this.recordCount);
      this.transactional = batch.isTransactional(b);
    }
  }

  get idempotent(): boolean {
    return this.producerId >= 0;
  }

  get compressed(): boolean {
    return this.codec !== 0;
  }

  /**
   * Decompresses the records of a compressed batch — the one decompression of this batch; a
   * refusal when they do not decompress or exceed `maxBytes`.
   */
  async decompress(maxBytes: number): Promise<Refusal | null> {
    if (this.block !== null) return null;
    const block = await decompressRecords(this.bytes!, maxBytes);
    if (!Buffer.isBuffer(block)) return { code: block.code, message: block.message, recordErrors: block.records };
    this.block = block;
    return null;
  }

  /**
   * The records block of a compressed batch the broker built itself from records it holds (Produce
   * v0-v2 conversion, legacy-produce.ts): decompress() then has nothing to do.
   */
  holdRecords(block: Buffer): void {
    this.block = block;
  }

  /** The records as uncompressed bytes (see the header); a compressed batch must be decompressed first. */
  records(): Buffer {
    if (this.block !== null) return this.block;
    if (this.codec !== 0) throw new Error('the records of a compressed batch were read before decompress() or after release()');
    return (this.block = this.bytes!.subarray(BATCH_HEADER_SIZE, this.size));
  }

  /** Whether the records view holds a block (a decompressed one, for a compressed batch). */
  get recordsHeld(): boolean {
    return this.block !== null;
  }

  /** Drops the records view; called after the last stage that reads the records. */
  release(): void {
    this.block = null;
  }

  // ---- answering

  refuse(r: Refusal): void {
    this.errorCode = r.code;
    this.errorMessage = r.message;
    this.recordErrors = r.recordErrors ?? null;
    this.baseOffset = -1;
    this.logAppendTime = -1;
    this.acknowledgement = null;
  }

  /** A failure that escaped the stages: a KafkaError keeps its code, anything else gets `code`. */
  fail(err: unknown, code: number): void {
    if (err instanceof KafkaError) this.refuse({ code: err.code, message: err.message });
    else this.refuse({ code, message: (err as Error)?.message ?? String(err) });
  }

  get failed(): boolean {
    return this.errorCode !== ErrorCode.NONE;
  }
}
