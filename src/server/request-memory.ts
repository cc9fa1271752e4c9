/**
 * Budgets for request bytes received but not yet processed, in the spirit of Kafka's
 * `queued.max.request.bytes` memory pool: one pool for the broker, and a share per connection.
 *
 * A frame reserves its whole size when its size prefix has been read, before its body is read.
 * Reserving the claimed size (not the bytes received so far) keeps a frame that was admitted able
 * to finish: counting received bytes instead would let several large frames each get part-way and
 * then all wait for memory that only their own completion frees. The reservation is released when
 * the request has been processed (its handler finished), or when the connection closes.
 *
 * Admission rules (`ConnectionMemory.admit`):
 *  - A connection with nothing reserved is always within its own budget, so one frame up to
 *    socket.request.max.bytes always makes progress, however small the budget.
 *  - Otherwise the frame must fit the connection's budget, or it waits for the connection's
 *    earlier requests to finish.
 *  - The pool grants while any memory is left (non-strict, as Kafka's SimpleMemoryPool), so it
 *    overshoots by at most one frame. When it is exhausted the connection stops reading and is
 *    woken when memory is released.
 *  - A small frame on a connection with nothing reserved skips the pool check (it is still
 *    counted): control traffic (ApiVersions, Metadata, Heartbeat, Fetch requests) keeps flowing
 *    while large frames hold the pool, at a cost of at most SMALL_FRAME_BYTES per connection.
 */

/** Frames up to this size, alone on their connection, are admitted even when the pool is exhausted. */
export const SMALL_FRAME_BYTES = 64 * 1024;

/** The broker-wide pool. `capacity` ≤ 0 means unbounded (Kafka's -1). */
export class RequestMemoryPool {
  private used = 0;
  private readonly waiters = new Set<() => void>();
  private wakeScheduled = false;

  constructor(private readonly capacity: number) {}

  /** Bytes reserved right now (metrics). */
  usedBytes(): number {
    return this.used;
  }

  /** Bytes left before the pool refuses (negative after an overshoot); Infinity when unbounded. */
  availableBytes(): number {
    return this.capacity > 0 ? this.capacity - this.used : Infinity;
  }

  /** Reserves `n` bytes if any memory is left, or unconditionally with `force`. */
  tryReserve(n: number, force: boolean): boolean {
    if (!force && this.capacity > 0 && this.used >= this.capacity) return false;
    this.used += n;
    return true;
  }

  release(n: number): void {
    this.used -= n;
    if (this.waiters.size > 0 && !this.wakeScheduled && (this.capacity <= 0 || this.used < this.capacity)) {
      // Woken on a later turn: the release happens deep inside a request's completion, and the
      // waiters re-enter their own connections' read loops.
      this.wakeScheduled = true;
      setImmediate(() => this.wake());
    }
  }

  /** Calls `fn` once, after memory has been released. */
  waitForMemory(fn: () => void): void {
    this.waiters.add(fn);
  }

  cancelWait(fn: () => void): void {
    this.waiters.delete(fn);
  }

  private wake(): void {
    this.wakeScheduled = false;
    const waiters = [...this.waiters];
    this.waiters.clear();
    // Each waiter retries; those that still do not fit register again.
    for (const fn of waiters) fn();
  }
}

/** One connection's share: what its queued requests and its unfinished frame hold. */
export class ConnectionMemory {
  /** Bytes reserved by this connection (queued requests plus the frame being received). */
  private reserved = 0;
  /** Size reserved for the frame being received, or -1 when none is. */
  private receiving = -1;
  private closed = false;

  /**
   * @param limit the connection's budget; ≤ 0 means unbounded.
   * @param onMemory called when the pool has memory again after refusing this connection.
   */
  constructor(
    private readonly pool: RequestMemoryPool,
    private readonly limit: number,
    private readonly onMemory: () => void,
  ) {}

  reservedBytes(): number {
    return this.reserved;
  }

  /**
   * Reserves the frame whose size prefix was just read; true when it may be read now. Idempotent
   * for the frame being received. When false, reading must stop: the connection is woken by its
   * own requests finishing, or by `onMemory` when the pool refused.
   */
  admit(size: number): boolean {
    if (this.closed) return false;
    if (this.receiving >= 0) return true;
    const alone = this.reserved === 0;
    if (!alone && this.limit > 0 && this.reserved + size > this.limit) return false;
    if (!this.pool.tryReserve(size, alone && size <= SMALL_FRAME_BYTES)) {
      this.pool.waitForMemory(this.onMemory);
      return false;
    }
    this.reserved += size;
    this.receiving = size;
    return true;
  }

  /** True while an admitted frame is being received (its reservation is held). */
  receivingFrame(): boolean {
    return this.receiving >= 0;
  }

  /** The admitted frame has been received; its reservation now belongs to its request. */
  received(): void {
    this.receiving = -1;
  }

  /** A request of `size` bytes has been processed. */
  release(size: number): void {
    if (this.closed || size <= 0) return;
    this.reserved -= size;
    this.pool.release(size);
  }

  /** Returns everything to the pool (the connection closed); later releases are no-ops. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.pool.cancelWait(this.onMemory);
    if (this.reserved > 0) this.pool.release(this.reserved);
    this.reserved = 0;
    this.receiving = -1;
  }
}
