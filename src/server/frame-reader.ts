/**
 * Splits a TCP byte stream into Kafka request frames (int32 size + payload).
 *
 * Reading a frame is two steps so that the connection can decide, between them, whether it has
 * the memory budget for the frame: `nextSize()` reads the size prefix (checked against the limit
 * before anything is allocated for the frame, so a hostile 2 GiB prefix costs nothing), then
 * `take()` returns the frame once all of its bytes are buffered. Chunks are kept as received and
 * only joined when a frame spans several of them; a frame inside one chunk is a zero-copy subarray.
 *
 * A size of 0 is an error: no request fits in zero bytes, and Kafka closes such a connection.
 */

export type FrameSize = number | { error: string } | null;

export class FrameReader {
  private chunks: Buffer[] = [];
  private buffered = 0;
  /** Size of the frame being assembled, or -1 while waiting for its 4-byte prefix. */
  private pendingSize = -1;

  constructor(private readonly maxFrameBytes: number) {}

  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.chunks.push(chunk);
    this.buffered += chunk.length;
  }

  /**
   * The size of the next frame (reading its prefix when 4 bytes are buffered), an error for an
   * invalid prefix, or null while fewer than 4 bytes are buffered. Repeated calls return the same
   * size until `take()` returns the frame.
   */
  nextSize(): FrameSize {
    if (this.pendingSize >= 0) return this.pendingSize;
    if (this.buffered < 4) return null;
    const size = this.readPrefix();
    if (size <= 0) return { error: size === 0 ? 'empty request frame (size 0)' : `negative frame size ${size}` };
    if (size > this.maxFrameBytes) return { error: `frame size ${size} exceeds socket.request.max.bytes ${this.maxFrameBytes}` };
    this.pendingSize = size;
    return size;
  }

  /** The frame whose size `nextSize()` returned, once all of its bytes are buffered; else null. */
  take(): Buffer | null {
    if (this.pendingSize < 0 || this.buffered < this.pendingSize) return null;
    const frame = this.takeBytes(this.pendingSize);
    this.pendingSize = -1;
    return frame;
  }

  /** Bytes received and not yet returned in a frame (a prefix read by nextSize() is not counted). */
  bufferedBytes(): number {
    return this.buffered;
  }

  /** True while part of a frame (or of its prefix) has arrived but not the whole frame. */
  midFrame(): boolean {
    return this.pendingSize >= 0 ? this.buffered < this.pendingSize : this.buffered > 0;
  }

  private readPrefix(): number {
    const head = this.chunks[0]!;
    if (head.length < 4) return this.takeBytes(4).readInt32BE(0);
    const size = head.readInt32BE(0);
    this.consume(4);
    return size;
  }

  private consume(n: number): void {
    while (n > 0) {
      const head = this.chunks[0]!;
      if (head.length <= n) {
        this.chunks.shift();
        n -= head.length;
        this.buffered -= head.length;
      } else {
        this.chunks[0] = head.subarray(n);
        this.buffered -= n;
        n = 0;
      }
    }
  }

  /** Removes and returns the first `n` bytes (1 ≤ n ≤ buffered): a subarray when one chunk holds them. */
  private takeBytes(n: number): Buffer {
    const head = this.chunks[0]!;
    if (head.length >= n) {
      const out = head.subarray(0, n);
      this.consume(n);
      return out;
    }
    const out = Buffer.allocUnsafe(n);
    let filled = 0;
    while (filled < n) {
      const c = this.chunks[0]!;
      const k = Math.min(c.length, n - filled);
      c.copy(out, filled, 0, k);
      filled += k;
      this.consume(k);
    }
    return out;
  }
}
