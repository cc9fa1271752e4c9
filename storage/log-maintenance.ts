/**
 * The older end of a partition log: its log start offset (Kafka's logStartOffset), the cleaner
 * checkpoint, and the maintenance that moves them — DeleteRecords, retention (retention.ts) and
 * compaction (cleaner.ts) — run one at a time on one chain, never blocking appends (truncation,
 * log-truncation.ts, runs on the same chain and does block them); plus deleting
 * the whole leading segments that end at or below the log start offset.
 *
 * A log start offset moved by DeleteRecords deletes segments only once it is checkpointed
 * (startCheckpointed): recovery takes max(checkpoint, first segment's base), so segments deleted
 * ahead of the checkpoint would let a crash bring back a log start that is neither the old one nor
 * the one asked for (records the request in flight wanted gone are gone, the rest back; seen in
 * state-files-kill.test.ts). A log no manager checkpoints (no onStartMoved listener) deletes at once.
 *
 * No on-disk format lives here (log-manager.ts checkpoints both offsets).
 */
import { ErrorCode, KafkaError } from '../protocol/errors.js';
import { storageError } from './errors.js';
import type { StorageLogger } from './logger.js';
import { type RetainedLog, retentionPass } from './retention.js';
import type { SegmentList } from './segment-list.js';

const noop = () => {};
const IDLE: Promise<unknown> = Promise.resolve();

/** What maintenance needs of its log (PartitionLog). */
export interface MaintainedLog extends RetainedLog {
  readonly topic: string;
  readonly partition: number;
  readonly log: StorageLogger;
  /** The log start offset moved (the log moves its epoch cache; the manager checkpoints it). */
  logStartMoved(): void;
}

export class LogMaintenance {
  /** Starts as one shared settled promise (10,000 logs need no 10,000 of them). */
  private chain: Promise<unknown> = IDLE;
  /** The log start offset. */
  startOffset: number;
  /** Compaction: offset up to which the log has been cleaned (exclusive). */
  cleanerCheckpoint: number;
  /**
   * The log start offset a crash would come back to: the checkpointed one (or the one the files
   * on disk imply). Segments are deleted for the log start offset only up to here.
   */
  checkpointedStart: number;

  constructor(
    private readonly owner: MaintainedLog,
    private readonly segs: SegmentList,
    startOffset: number,
    /** True when an owner checkpoints the log start offset and reports it (startCheckpointed). */
    private readonly checkpointed: boolean,
  ) {
    this.startOffset = startOffset;
    this.cleanerCheckpoint = startOffset;
    this.checkpointedStart = startOffset; // loaded from the checkpoint or the first segment
  }

  /** Runs `fn` after every maintenance queued before it (whether that failed or not). */
  run<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.chain.then(fn, fn);
    this.chain = run.catch(noop);
    return run;
  }

  /** Resolves once the maintenance queued so far has finished. */
  idle(): Promise<unknown> {
    return this.chain;
  }

  /** DeleteRecords: moves the log start offset to `offset` (-1 = high watermark); returns it. */
  async deleteRecordsBefore(offset: number): Promise<number> {
    if (this.owner.isClosed) throw storageError('log is closed');
    const hw = this.owner.highWatermark;
    const target = offset === -1 ? hw : offset;
    if (target < 0 || target > hw) {
      throw new KafkaError(ErrorCode.OFFSET_OUT_OF_RANGE, `DeleteRecords offset ${offset} not in [0, ${hw}]`);
    }
    return this.run(async () => {
      // A truncation queued before this one may have moved the high watermark back since.
      if (target > this.owner.highWatermark) throw new KafkaError(ErrorCode.OFFSET_OUT_OF_RANGE, `DeleteRecords offset ${offset} is past the high watermark ${this.owner.highWatermark}`);
      if (target > this.startOffset) {
        this.startOffset = target;
        this.owner.logStartMoved();
      }
      if (!this.checkpointed) this.checkpointedStart = this.startOffset;
      // With a checkpointing owner the segments below go once it reports the checkpoint written.
      await this.deleteLeadingSegments(0);
      return this.startOffset;
    });
  }

  /**
   * The owner wrote `offset` as this log's log start offset and the write is durable: the
   * segments wholly below it may go now (queued on the maintenance chain; a failure is logged and
   * the next retention pass tries again).
   */
  startCheckpointed(offset: number): void {
    if (offset <= this.checkpointedStart) return;
    this.checkpointedStart = offset;
    const segs = this.segs.all;
    if (this.owner.isClosed || segs.length < 2 || segs[1]!.baseOffset > offset) return;
    this.run(() => this.deleteLeadingSegments(0)).catch((e) => this.owner.log.error({ err: e }, 'deleting segments below the log start offset failed'));
  }

  /** The log was emptied and starts afresh at `offset` (truncateFullyAndStartAt). */
  restartAt(offset: number): void {
    this.startOffset = offset;
    this.cleanerCheckpoint = offset;
    // Every segment was replaced by one at `offset`: nothing below it is left to protect, and a
    // higher bound would let deletion reach the new segments.
    this.checkpointedStart = offset;
    this.owner.logStartMoved();
  }

  /** The log end moved back to `end` (truncation): nothing past it is clean. */
  endMovedBack(end: number): void {
    if (this.cleanerCheckpoint > end) this.cleanerCheckpoint = end;
  }

  /** One retention pass (retention.ts), in turn with the other maintenance. */
  applyRetention(now: number): Promise<number> {
    return this.run(() => retentionPass(this.owner, this.checkpointedStart, now));
  }

  /** Deletes the first `count` segments, plus any wholly below the checkpointed log start offset. */
  async deleteLeadingSegments(count: number): Promise<number> {
    const victims = this.segs.detachLeading(count, this.checkpointedStart);
    if (victims.length === 0) return 0;
    const first = this.segs.all[0]!.baseOffset;
    // Once the files are gone a crash comes back at least to the first remaining segment.
    if (first > this.checkpointedStart) this.checkpointedStart = first;
    const newStart = Math.max(this.startOffset, first);
    if (newStart !== this.startOffset) {
      this.startOffset = newStart;
      this.owner.logStartMoved();
    }
    if (this.cleanerCheckpoint < newStart) this.cleanerCheckpoint = newStart;
    await this.segs.remove(victims, this.owner.config.fileDeleteDelayMs);
    this.owner.log.info({ segments: victims.length, logStartOffset: this.startOffset }, 'deleted old segments');
    return victims.length;
  }
}
