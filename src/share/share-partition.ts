/**
 * A share partition: one share group's delivery of one topic partition (KIP-932). Wraps the
 * in-memory PartitionDeliveryState with the log reads, the lock-expiry timer and the long-poll
 * waiters. Records go out as the stored batches, unchanged: only each batch's header is read
 * (base offset, last offset delta, control flag) to decide which offsets it acquires, one
 * acquisition at a time (each reads from where the last stopped: a chunk is read once). Its state
 * writes go one at a time (state-writes.ts CoalescedWrite); acquire and acknowledge change memory
 * only, and the request persists what it changed before answering.
 */
import type { Partition } from '../data/partitions.js';
import { PartitionDeliveryState, type AcquiredRange, type Archived } from './partition-state.js';
import { CoalescedWrite } from './state-writes.js';

/** Batch header fields (record batch v2): base offset at 0, attributes at 21, last offset delta at 23. */
const ATTRIBUTES = 21;
const LAST_OFFSET_DELTA = 23;
const CONTROL_FLAG = 0x20;
const TRANSACTIONAL_FLAG = 0x10;
const PRODUCER_ID = 43;
/** What a share partition reads first, before it knows its batches' size per record. */
const FIRST_READ_BYTES = 1 << 20;
/** The least it reads once it knows (a few small batches). */
const MIN_READ_BYTES = 16 << 10;
/** Reads per acquisition at most (each a chunk sized for the records still wanted). */
const MAX_READS = 8;

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
  /** Dropped (no longer led here, or shut down): no more dead-letter retries. */
  closed = false;
  /**
   * The state epoch of the state this copy was read from or created at (-1: none at the share
   * coordinator when read; the first write creates it at 0). Every write carries it: a reset
   * (InitializeShareGroupState) raises it there, and the next write is fenced.
   */
  stateEpoch = -1;
  /** Its state was initialised anew or deleted at the share coordinator: writes are refused, it is reloaded. */
  fenced = false;
  private readonly waiters = new Set<() => void>();
  private readonly writes: CoalescedWrite;
  /** The last acquisition queued (acquire runs them one at a time), or null when none runs. */
  private acquiring: Promise<void> | null = null;
  /** Bytes per offset of the batches read so far (a running average): how much a fetch reads. */
  private bytesPerRecord = 0;
  /** Dead-letter copies run one at a time per partition (share/dead-letter.ts). */
  deadLetterChain: Promise<void> = Promise.resolve();
  /**
   * A copy may already be in the dead-letter topic (the state came from a snapshot with copies
   * pending, or an attempt failed without an answer): the next attempt checks the topic's tail first.
   */
  recovering = false;
  /** A drain of pending dead-letter copies is queued or running (share-partitions.ts). */
  deadLetterDraining = false;
  /** Dead-letter attempts failed in a row (0: none pending a retry); sets the retry backoff. */
  deadLetterFailures = 0;
  /** The pending dead-letter copies' retry. */
  deadLetterRetry: NodeJS.Timeout | null = null;

  constructor(
    readonly topic: string,
    readonly partition: number,
    private readonly deliveryLimit: () => number,
    private readonly onArchived: (sp: SharePartition, archived: Archived[]) => void,
    /** Writes the current state durably (share/state-log.ts); the snapshot is taken when called. */
    writeState: (sp: SharePartition) => Promise<void>,
  ) {
    this.writes = new CoalescedWrite(() => writeState(this));
  }

  /**
   * Makes the state durable: resolves once a write begun after this call is (state-writes.ts: one
   * write in flight per share partition, the calls meanwhile share the next).
   */
  persist(): Promise<void> {
    return this.writes.write();
  }

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

  /**
   * Acquires records for `memberId`, in memory: the caller persists the state (StateWrites) before
   * handing them out. Reads the log in chunks sized for the records still wanted (from the batch
   * sizes seen so far), not `maxBytes` at once: a share consumer asks for 50 MiB and takes 500
   * records, and the share partition's backlog would be read (and copied) on every fetch.
   */
  async acquire(log: Partition, memberId: string, lim: SharePartitionLimits): Promise<AcquireResult> {
    // One acquisition at a time per share partition. Each reads the log from the first offset it
    // could acquire (the first available one, else the end offset) as it stands when it starts; run
    // side by side, concurrent fetches of members of one partition all read that same next chunk,
    // the first to resume takes it, and every other one finds its bytes acquired and reads again
    // (16 workers on 8 partitions cost three times the broker CPU per record of 4). In turn, the
    // next one starts where the last one stopped: one read per chunk handed out. The wait is only
    // for the other's log read and in-memory acquire (not its state write, which the requests do
    // after), and share partitions still acquire concurrently with each other.
    const prev = this.acquiring;
    let done!: () => void;
    const mine = new Promise<void>((resolve) => (done = resolve));
    this.acquiring = mine;
    try {
      if (prev !== null) await prev;
      return await this.acquireNow(log, memberId, lim);
    } finally {
      if (this.acquiring === mine) this.acquiring = null;
      done();
    }
  }

  private async acquireNow(log: Partition, memberId: string, lim: SharePartitionLimits): Promise<AcquireResult> {
    const st = this.state!;
    const out: AcquireResult = { batches: [], acquired: [], count: 0 };
    let bytes = 0;
    let lastFrom = -1;
    for (let reads = 0; reads < MAX_READS && out.count < lim.maxRecords && bytes < lim.maxBytes; reads++) {
      const available = st.firstAvailable();
      const canGrow = st.inFlight < lim.maxRecordLocks && st.endOffset < lim.readableEnd;
      if (available < 0 && !canGrow) break;
      const from = available >= 0 ? available : st.endOffset;
      // Nothing moved since the last read: what is left there is not in the log (compacted away).
      if (from === lastFrom) break;
      lastFrom = from;
      const batches = await log.readBatches(from, this.readSize(lim.maxRecords - out.count, lim.maxBytes - bytes));
      if (batches.length === 0) break;
      // The state may have moved during the read (acknowledgements, lock expiries):
      // acquireWithin takes only what is still available.
      const lockExpiresAt = Date.now() + lim.lockMs;
      let stop = false;
      let readBytes = 0;
      let readOffsets = 0;
      for (const b of batches) {
        if (b.length < LAST_OFFSET_DELTA + 4) {
          stop = true;
          break;
        }
        const base = Number(b.readBigInt64BE(0));
        const delta = b.readInt32BE(LAST_OFFSET_DELTA);
        const last = base + delta;
        readBytes += b.length;
        readOffsets += delta + 1;
        if (last < st.startOffset) continue;
        const isNew = last >= st.endOffset;
        if ((isNew && (last >= lim.readableEnd || st.inFlight >= lim.maxRecordLocks)) || (out.count > 0 && bytes + b.length > lim.maxBytes)) {
          stop = true;
          break;
        }
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
          bytes += b.length;
        }
        if (out.count >= lim.maxRecords) {
          stop = true;
          break;
        }
      }
      if (readOffsets > 0) this.bytesPerRecord = this.bytesPerRecord === 0 ? readBytes / readOffsets : (3 * this.bytesPerRecord + readBytes / readOffsets) / 4;
      if (stop) break;
    }
    if (out.count > 0) this.schedule();
    return out;
  }

  /** Bytes to read for `records` more records: a quarter over the estimate, within `maxBytes`. */
  private readSize(records: number, maxBytes: number): number {
    if (this.bytesPerRecord === 0) return Math.min(maxBytes, FIRST_READ_BYTES);
    return Math.min(maxBytes, Math.max(MIN_READ_BYTES, Math.ceil(records * this.bytesPerRecord * 1.25)));
  }

  /** Acknowledges [first, last] in memory (the caller persists once per request); throws InvalidRecordState. */
  acknowledge(first: number, last: number, types: readonly number[], memberId: string, lockMs: number): void {
    const archived: Archived[] = [];
    const inFlight = this.state!.inFlight;
    this.state!.acknowledge(first, last, types, memberId, this.deliveryLimit(), Date.now(), lockMs, archived);
    if (archived.length > 0) this.onArchived(this, archived);
    // Released records, or fewer in flight: a fetch waiting at the record-lock limit may go on.
    if (this.state!.firstAvailable() >= 0 || this.state!.inFlight < inFlight) this.wake();
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
    if (this.deadLetterRetry) clearTimeout(this.deadLetterRetry);
    this.deadLetterRetry = null;
    this.closed = true;
  }

  private releaseWhere(pred: Parameters<PartitionDeliveryState['release']>[0]): void {
    const archived: Archived[] = [];
    const freed = this.state!.release(pred, this.deliveryLimit(), archived);
    if (freed) this.wake();
    this.schedule();
    if (freed || archived.length > 0) void this.persist().catch(() => {}); // logged by the persister
    if (archived.length > 0) this.onArchived(this, archived);
  }

  /** Wakes the waiting fetches: records may be acquirable now (released, or locks freed). */
  wake(): void {
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
