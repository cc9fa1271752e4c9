/**
 * A share partition: one share group's delivery of one topic partition (KIP-932). Wraps the
 * in-memory PartitionDeliveryState with the log reads, the lock-expiry timer and the long-poll
 * waiters. Records go out as the stored batches, unchanged: only each batch's header is read
 * (base offset, last offset delta, control flag) to decide which offsets it acquires.
 */
import type { Partition } from '../data/partitions.js';
import { PartitionDeliveryState, type AcquiredRange, type Archived } from './partition-state.js';

/** Batch header fields (record batch v2): base offset at 0, attributes at 21, last offset delta at 23. */
const ATTRIBUTES = 21;
const LAST_OFFSET_DELTA = 23;
const CONTROL_FLAG = 0x20;
const TRANSACTIONAL_FLAG = 0x10;
const PRODUCER_ID = 43;

export interface AcquireResult {
  batches: Buffer[];
  acquired: AcquiredRange[];
  count: number;
}

export interface SharePartitionLimits {
  maxRecords: number;
  maxBytes: number;
  maxRecordLocks: number;
  lockMs: number;
  deliveryLimit: number;
  /** Readable end: the high watermark, or the last stable offset for read_committed. */
  readableEnd: number;
  /** read_committed: whether a stored batch belongs to an aborted transaction (never delivered). */
  aborted?: (batch: Buffer) => boolean;
}

export class SharePartition {
  state: PartitionDeliveryState | null = null;
  private timer: NodeJS.Timeout | null = null;
  private timerAt = Infinity;
  private readonly waiters = new Set<() => void>();
  /** Dead-letter copies run one at a time per partition (share/dead-letter.ts). */
  deadLetterChain: Promise<void> = Promise.resolve();
  /** The state came from a snapshot with dead-letter copies pending: check for copies already made. */
  recovering = false;

  constructor(
    readonly topic: string,
    readonly partition: number,
    private readonly deliveryLimit: () => number,
    private readonly onArchived: (sp: SharePartition, archived: Archived[]) => void,
    /** Writes the current state durably (share/state-log.ts); the snapshot is taken when called. */
    readonly persist: (sp: SharePartition) => Promise<void>,
  ) {}

  /** First use starts at `start` (from the group's share.auto.offset.reset, service.ts startOffset). */
  init(log: Partition, start: number): PartitionDeliveryState {
    if (this.state === null) this.state = new PartitionDeliveryState(start, start);
    this.state.moveStartTo(log.logStartOffset);
    return this.state;
  }

  /** Whether a fetch could acquire something now. */
  hasWork(readableEnd: number): boolean {
    const st = this.state;
    return st !== null && (st.firstAvailable() >= 0 || st.endOffset < readableEnd);
  }

  async acquire(log: Partition, memberId: string, lim: SharePartitionLimits): Promise<AcquireResult> {
    const st = this.state!;
    const out: AcquireResult = { batches: [], acquired: [], count: 0 };
    const available = st.firstAvailable();
    const canGrow = st.inFlight < lim.maxRecordLocks && st.endOffset < lim.readableEnd;
    if (available < 0 && !canGrow) return out;
    const from = available >= 0 ? available : st.endOffset;
    const batches = await log.readBatches(from, lim.maxBytes);
    const lockExpiresAt = Date.now() + lim.lockMs;
    for (const b of batches) {
      if (b.length < LAST_OFFSET_DELTA + 4) break;
      const base = Number(b.readBigInt64BE(0));
      const last = base + b.readInt32BE(LAST_OFFSET_DELTA);
      if (last < st.startOffset) continue;
      const isNew = last >= st.endOffset;
      if (isNew && (last >= lim.readableEnd || st.inFlight >= lim.maxRecordLocks)) break;
      if ((b.readInt16BE(ATTRIBUTES) & CONTROL_FLAG) !== 0) {
        // Transaction markers are never handed to a share consumer.
        st.skipPastEnd(base, last);
        continue;
      }
      if (lim.aborted && (b.readInt16BE(ATTRIBUTES) & TRANSACTIONAL_FLAG) !== 0 && lim.aborted(b)) {
        // read_committed: an aborted transaction's records are archived unseen, as Kafka's
        // SharePartition does with the aborted transactions a read_committed fetch reports.
        st.skipPastEnd(base, last);
        continue;
      }
      const n = st.acquireWithin(base, last, memberId, lockExpiresAt, out.acquired);
      if (n > 0) {
        out.batches.push(b);
        out.count += n;
      }
      if (out.count >= lim.maxRecords) break;
    }
    if (out.count > 0) {
      this.schedule();
      // The raised delivery counts are durable before the records go out: a crash cannot hand a
      // record out more than group.share.delivery.count.limit times.
      await this.persist(this);
    }
    return out;
  }

  /** Acknowledges [first, last] in memory (the caller persists once per request); throws InvalidRecordState. */
  acknowledge(first: number, last: number, types: readonly number[], memberId: string, lockMs: number): void {
    const archived: Archived[] = [];
    this.state!.acknowledge(first, last, types, memberId, this.deliveryLimit(), Date.now(), lockMs, archived);
    if (archived.length > 0) this.onArchived(this, archived);
    if (this.state!.firstAvailable() >= 0) this.wake();
    this.schedule();
  }

  /** Releases every lock `memberId` holds (it left, its session closed or timed out). */
  releaseMember(memberId: string): void {
    if (this.state === null) return;
    this.releaseWhere((r) => r.memberId === memberId);
  }

  /** Calls `fn` once when records may have become available; returns the cancel function. */
  onAvailable(fn: () => void): () => void {
    this.waiters.add(fn);
    return () => this.waiters.delete(fn);
  }

  close(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private releaseWhere(pred: Parameters<PartitionDeliveryState['release']>[0]): void {
    const archived: Archived[] = [];
    const freed = this.state!.release(pred, this.deliveryLimit(), archived);
    if (freed) this.wake();
    this.schedule();
    if (freed || archived.length > 0) void this.persist(this).catch(() => {}); // logged by the persister
    if (archived.length > 0) this.onArchived(this, archived);
  }

  private wake(): void {
    const ws = [...this.waiters];
    this.waiters.clear();
    for (const w of ws) w();
  }

  /** One timer per partition, at the earliest lock deadline. */
  private schedule(): void {
    const at = this.state?.nextLockExpiry() ?? Infinity;
    if (at === this.timerAt) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.timerAt = at;
    if (at === Infinity) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.timerAt = Infinity;
      const now = Date.now();
      this.releaseWhere((r) => r.lockExpiresAt <= now);
    }, Math.max(0, at - Date.now()) + 1);
    this.timer.unref();
  }
}
