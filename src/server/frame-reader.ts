/**
 * Splits a TCP byte stream into Kafka request frames (int32 size + payload).
 *
 * The size prefix is checked against the limit before anything is allocated for the frame, so a
 * hostile 2 GiB prefix costs nothing. Chunks are kept as received and only joined when a frame
 * spans several of them; a frame inside one chunk is a zero-copy subarray.
 */

export type FrameResult = { frame: Buffer } | { error: string } | null;

export class FrameReader {
  private chunks: Buffer[] = [];
  private buffered = 0;
  /** Size of the frame being assembled, or -1 while waiting for its 4-byte prefix. */
  private pendingSize = -1;

  constructor(private readonly maxFrameBytes: number) {}

  push(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.buffered += chunk.length;
  }

  /** The next complete frame, an error for an invalid size prefix, or null if more bytes are needed. */
  next(): FrameResult {
    if (this.pendingSize < 0) {
      if (this.buffered < 4) return null;
      const size = this.readPrefix();
      if (size < 0) return { error: `negative frame size ${size}` };
      if (size > this.maxFrameBytes) return { error: `frame size ${size} exceeds socket.request.max.bytes ${this.maxFrameBytes}` };
      this.pendingSize = size;
    }
    if (this.buffered < this.pendingSize) return null;
    const frame = this.take(this.pendingSize);
    this.pendingSize = -1;
    return { frame };
  }

  bufferedBytes(): number {
    return this.buffered;
  }

  private readPrefix(): number {
    const head = this.chunks[0]!;
    if (head.length < 4) return this.take(4).readInt32BE(0);
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

  private take(n: number): Buffer {
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
