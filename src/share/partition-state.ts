/**
 * One share partition's delivery state (KIP-932's SharePartition), without I/O: the start offset
 * (everything below it is acknowledged or archived), the end offset (everything below it has been
 * acquired at least once), and the in-flight offsets between them as sorted, non-overlapping
 * ranges, each in one state with one delivery count:
 *
 *   AVAILABLE ──acquire──▶ ACQUIRED ──accept──▶ ACKNOWLEDGED
 *       ▲                     │ ──reject──▶ ARCHIVED
 *       └──release / lock timeout / member gone (ARCHIVED instead at the delivery count limit)
 *
 * State is per offset RANGE, not per record: a fetch acquires whole stored batches (or the parts
 * of them still available) and a range splits only where an acknowledgement cuts it, so the hot
 * path never touches individual records. Ranges at the start that are done are dropped and the
 * start offset moves past them. Lock expiry is one sweep per partition at the earliest deadline
 * (share-partition.ts owns the timer), not a timer per range.
 */

export const RecordState = { AVAILABLE: 0, ACQUIRED: 1, ACKNOWLEDGED: 2, ARCHIVED: 4 } as const;
export type RecordStateCode = (typeof RecordState)[keyof typeof RecordState];

/** Kafka's AcknowledgeType codes (0 is a gap in the offsets: no record there). */
export const AckType = { GAP: 0, ACCEPT: 1, RELEASE: 2, REJECT: 3, RENEW: 4 } as const;

export interface InFlightRange {
  first: number;
  last: number;
  state: RecordStateCode;
  deliveryCount: number;
  /** The member holding the lock (ACQUIRED only). */
  memberId: string | null;
  /** When the lock runs out (ACQUIRED only; epoch ms). */
  lockExpiresAt: number;
  /**
   * ARCHIVED and still to be written to the group's dead-letter topic (share/dead-letter.ts): the
   * start offset stops here until it is written, and snapshots store it as DEAD_LETTER_PENDING.
   */
  dlqPending?: ArchiveReason;
}

/** A Runnel delivery state in snapshots (Kafka has 0, 2, 4): archived, dead-letter write pending. */
export const DEAD_LETTER_PENDING = 3;

/** Acquired offsets as the ShareFetch answer carries them. */
export interface AcquiredRange {
  firstOffset: number;
  lastOffset: number;
  deliveryCount: number;
}

/** Why a record was archived (dead-letter headers, metrics). */
export type ArchiveReason = 'rejected' | 'delivery-count-limit';

export interface Archived {
  first: number;
  last: number;
  deliveryCount: number;
  reason: ArchiveReason;
}

export class InvalidRecordState extends Error {}
/** Offsets outside what is in flight (Kafka: INVALID_REQUEST, the batch is not found). */
export class UnknownRecords extends Error {}

export class PartitionDeliveryState {
  readonly ranges: InFlightRange[] = [];
  /** The group has a dead-letter topic: archived ranges are marked dlqPending. */
  deadLetter = false;

  constructor(
    public startOffset: number,
    public endOffset: number,
  ) {}

  /** Records in flight (acquired or waiting for redelivery), for the record-lock limit and describe. */
  get inFlight(): number {
    return this.endOffset - this.startOffset;
  }

  /** Moves the start to `offset` (log start moved by retention/DeleteRecords, or a reset): everything below is gone. */
  moveStartTo(offset: number): void {
    if (offset <= this.startOffset) return;
    this.startOffset = offset;
    if (this.endOffset < offset) this.endOffset = offset;
    while (this.ranges.length > 0 && this.ranges[0]!.last < offset) this.ranges.shift();
    if (this.ranges.length > 0 && this.ranges[0]!.first < offset) this.ranges[0]!.first = offset;
  }

  /**
   * Acquires, inside the batch [first, last], every AVAILABLE offset and (at and past the end
   * offset) every new one, for `memberId` until `lockExpiresAt`. Appends what it acquired to
   * `out` (one entry per delivery count run) and returns how many offsets.
   */
  acquireWithin(first: number, last: number, memberId: string, lockExpiresAt: number, out: AcquiredRange[]): number {
    let count = 0;
    // Earlier-delivered offsets inside the batch: the AVAILABLE ranges overlapping it.
    if (first < this.endOffset) {
      for (let i = this.indexAtOrAfter(first); i < this.ranges.length; i++) {
        const r = this.ranges[i]!;
        if (r.first > last) break;
        if (r.state !== RecordState.AVAILABLE) continue;
        const a = Math.max(r.first, first);
        const b = Math.min(r.last, last);
        i = this.splitOut(i, a, b);
        const piece = this.ranges[i]!;
        piece.state = RecordState.ACQUIRED;
        piece.deliveryCount++;
        piece.memberId = memberId;
        piece.lockExpiresAt = lockExpiresAt;
        pushAcquired(out, a, b, piece.deliveryCount);
        count += b - a + 1;
      }
    }
    // New offsets: past the end offset, delivered for the first time.
    if (last >= this.endOffset) {
      const a = Math.max(first, this.endOffset);
      // Offsets the log no longer has (compaction) between the end and this batch: nothing to deliver.
      if (a > this.endOffset) this.ranges.push({ first: this.endOffset, last: a - 1, state: RecordState.ARCHIVED, deliveryCount: 0, memberId: null, lockExpiresAt: 0 });
      this.ranges.push({ first: a, last, state: RecordState.ACQUIRED, deliveryCount: 1, memberId, lockExpiresAt });
      pushAcquired(out, a, last, 1);
      count += last - a + 1;
      this.endOffset = last + 1;
    }
    return count;
  }

  /** Offsets of a control batch (transaction markers) past the end: never delivered, done at once. */
  skipPastEnd(first: number, last: number): void {
    if (last < this.endOffset) return;
    const a = this.endOffset;
    this.ranges.push({ first: a, last, state: RecordState.ARCHIVED, deliveryCount: 0, memberId: null, lockExpiresAt: 0 });
    this.endOffset = last + 1;
    this.advanceStart();
  }

  /** The first AVAILABLE offset below the end offset, or -1. */
  firstAvailable(): number {
    for (const r of this.ranges) if (r.state === RecordState.AVAILABLE) return r.first;
    return -1;
  }

  /**
   * Applies one acknowledgement of [first, last] by `memberId`: every offset must be ACQUIRED by
   * that member (else InvalidRecordState, nothing changed). `types` is one type for the whole
   * range or one per offset. Records archived go to `archived`.
   */
  acknowledge(first: number, last: number, types: readonly number[], memberId: string, deliveryLimit: number, now: number, lockMs: number, archived: Archived[]): void {
    if (last < first || (types.length !== 1 && types.length !== last - first + 1)) throw new InvalidRecordState('bad acknowledgement batch');
    for (const t of types) if (t < AckType.GAP || t > AckType.RENEW) throw new InvalidRecordState(`unknown acknowledge type ${t}`);
    if (first < this.startOffset || last >= this.endOffset) throw new UnknownRecords(`offsets ${first}-${last} are not in flight (${this.startOffset}-${this.endOffset - 1})`);
    // Check first, so a refused batch changes nothing.
    let covered = first;
    for (let i = this.indexAtOrAfter(first); i < this.ranges.length && covered <= last; i++) {
      const r = this.ranges[i]!;
      if (r.first > covered) break;
      if (r.state !== RecordState.ACQUIRED || r.memberId !== memberId) throw new InvalidRecordState('the records are not acquired by this member');
      covered = r.last + 1;
    }
    if (covered <= last) throw new InvalidRecordState('the records are not acquired by this member');
    if (types.length === 1) this.applyType(first, last, types[0]!, deliveryLimit, now, lockMs, archived);
    else {
      // Runs of equal type, so a per-offset array splits ranges only where the type changes.
      let runStart = first;
      for (let o = first + 1; o <= last + 1; o++) {
        if (o <= last && types[o - first] === types[runStart - first]) continue;
        this.applyType(runStart, o - 1, types[runStart - first]!, deliveryLimit, now, lockMs, archived);
        runStart = o;
      }
    }
    this.advanceStart();
  }

  /**
   * Releases locks: every ACQUIRED range matching `pred` goes back to AVAILABLE, or to ARCHIVED
   * when it has been delivered `deliveryLimit` times. Returns whether anything became available.
   */
  release(pred: (r: InFlightRange) => boolean, deliveryLimit: number, archived: Archived[]): boolean {
    let freed = false;
    for (const r of this.ranges) {
      if (r.state !== RecordState.ACQUIRED || !pred(r)) continue;
      r.memberId = null;
      r.lockExpiresAt = 0;
      if (r.deliveryCount >= deliveryLimit) {
        r.state = RecordState.ARCHIVED;
        if (this.deadLetter) r.dlqPending = 'delivery-count-limit';
        archived.push({ first: r.first, last: r.last, deliveryCount: r.deliveryCount, reason: 'delivery-count-limit' });
      } else {
        r.state = RecordState.AVAILABLE;
        freed = true;
      }
    }
    this.mergeAndAdvance();
    return freed;
  }

  /** Archived ranges still to be dead-lettered, in offset order. */
  pendingDeadLetters(): InFlightRange[] {
    return this.ranges.filter((r) => r.dlqPending !== undefined);
  }

  /** The dead-letter write of `r` is durable: the range is done. */
  deadLettered(r: InFlightRange): void {
    delete r.dlqPending;
    this.advanceStart();
  }

  /** The earliest lock deadline, or Infinity. */
  nextLockExpiry(): number {
    let t = Infinity;
    for (const r of this.ranges) if (r.state === RecordState.ACQUIRED && r.lockExpiresAt < t) t = r.lockExpiresAt;
    return t;
  }

  /** The state as a ShareSnapshot stores it: acquired ranges as available, keeping their delivery count. */
  toStored(): { startOffset: number; batches: Array<{ firstOffset: number; lastOffset: number; deliveryState: number; deliveryCount: number }> } {
    return {
      startOffset: this.startOffset,
      batches: this.ranges.map((r) => ({ firstOffset: r.first, lastOffset: r.last, deliveryState: r.dlqPending ? DEAD_LETTER_PENDING : r.state === RecordState.ACQUIRED ? RecordState.AVAILABLE : r.state, deliveryCount: r.deliveryCount })),
    };
  }

  /** Rebuilds the state a snapshot stored (after a restart: nothing is acquired). */
  static fromStored(startOffset: number, batches: ReadonlyArray<{ firstOffset: number; lastOffset: number; deliveryState: number; deliveryCount: number }>, deliveryLimit = Infinity): PartitionDeliveryState {
    const st = new PartitionDeliveryState(startOffset, startOffset);
    for (const b of batches) {
      if (b.lastOffset < st.endOffset || b.firstOffset < st.endOffset) continue;
      if (b.firstOffset > st.endOffset) st.ranges.push({ first: st.endOffset, last: b.firstOffset - 1, state: RecordState.AVAILABLE, deliveryCount: 0, memberId: null, lockExpiresAt: 0 });
      if (b.deliveryState === DEAD_LETTER_PENDING) {
        // The reason is not stored: a record at the delivery limit reached it, any other was rejected.
        const reason: ArchiveReason = b.deliveryCount >= deliveryLimit ? 'delivery-count-limit' : 'rejected';
        st.ranges.push({ first: b.firstOffset, last: b.lastOffset, state: RecordState.ARCHIVED, deliveryCount: b.deliveryCount, memberId: null, lockExpiresAt: 0, dlqPending: reason });
      } else {
        const state = b.deliveryState === RecordState.ACKNOWLEDGED || b.deliveryState === RecordState.ARCHIVED ? b.deliveryState : RecordState.AVAILABLE;
        st.ranges.push({ first: b.firstOffset, last: b.lastOffset, state, deliveryCount: b.deliveryCount, memberId: null, lockExpiresAt: 0 });
      }
      st.endOffset = b.lastOffset + 1;
    }
    st.advanceStart();
    return st;
  }

  /** Counts per state, for describe and tests. */
  counts(): { available: number; acquired: number; acknowledged: number; archived: number } {
    const c = { available: 0, acquired: 0, acknowledged: 0, archived: 0 };
    for (const r of this.ranges) {
      const n = r.last - r.first + 1;
      if (r.state === RecordState.AVAILABLE) c.available += n;
      else if (r.state === RecordState.ACQUIRED) c.acquired += n;
      else if (r.state === RecordState.ACKNOWLEDGED) c.acknowledged += n;
      else c.archived += n;
    }
    return c;
  }

  private applyType(first: number, last: number, type: number, deliveryLimit: number, now: number, lockMs: number, archived: Archived[]): void {
    let i = this.indexAtOrAfter(first);
    while (i < this.ranges.length && this.ranges[i]!.first <= last) {
      const a = Math.max(this.ranges[i]!.first, first);
      const b = Math.min(this.ranges[i]!.last, last);
      i = this.splitOut(i, a, b);
      const r = this.ranges[i]!;
      if (type === AckType.RENEW) r.lockExpiresAt = now + lockMs;
      else {
        r.memberId = null;
        r.lockExpiresAt = 0;
        if (type === AckType.ACCEPT || type === AckType.GAP) r.state = RecordState.ACKNOWLEDGED;
        else if (type === AckType.REJECT) {
          r.state = RecordState.ARCHIVED;
          if (this.deadLetter) r.dlqPending = 'rejected';
          archived.push({ first: a, last: b, deliveryCount: r.deliveryCount, reason: 'rejected' });
        } else if (r.deliveryCount >= deliveryLimit) {
          r.state = RecordState.ARCHIVED;
          if (this.deadLetter) r.dlqPending = 'delivery-count-limit';
          archived.push({ first: a, last: b, deliveryCount: r.deliveryCount, reason: 'delivery-count-limit' });
        } else r.state = RecordState.AVAILABLE;
      }
      i++;
    }
  }

  /** Splits ranges[i] so that [a, b] (inside it) is a range of its own; returns its index. */
  private splitOut(i: number, a: number, b: number): number {
    const r = this.ranges[i]!;
    if (b < r.last) this.ranges.splice(i + 1, 0, { ...r, first: b + 1 });
    if (a > r.first) {
      this.ranges.splice(i + 1, 0, { ...r, first: a, last: b });
      r.last = a - 1;
      return i + 1;
    }
    r.last = b;
    return i;
  }

  /** Index of the first range ending at or after `offset` (binary search). */
  private indexAtOrAfter(offset: number): number {
    let lo = 0;
    let hi = this.ranges.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.ranges[mid]!.last < offset) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Joins neighbours in the same AVAILABLE/done state (keeps the range list short), then moves the start. */
  private mergeAndAdvance(): void {
    const out: InFlightRange[] = [];
    for (const r of this.ranges) {
      const prev = out[out.length - 1];
      if (prev && prev.state === r.state && r.state !== RecordState.ACQUIRED && !prev.dlqPending && !r.dlqPending && prev.deliveryCount === r.deliveryCount && prev.last + 1 === r.first) prev.last = r.last;
      else out.push(r);
    }
    this.ranges.length = 0;
    this.ranges.push(...out);
    this.advanceStart();
  }

  advanceStart(): void {
    let drop = 0;
    while (drop < this.ranges.length) {
      const r = this.ranges[drop]!;
      if ((r.state !== RecordState.ACKNOWLEDGED && r.state !== RecordState.ARCHIVED) || r.dlqPending) break;
      drop++;
    }
    if (drop === 0) return;
    this.startOffset = this.ranges[drop - 1]!.last + 1;
    this.ranges.splice(0, drop);
  }
}

function pushAcquired(out: AcquiredRange[], a: number, b: number, deliveryCount: number): void {
  const prev = out[out.length - 1];
  if (prev && prev.deliveryCount === deliveryCount && prev.lastOffset + 1 === a) prev.lastOffset = b;
  else out.push({ firstOffset: a, lastOffset: b, deliveryCount });
}
