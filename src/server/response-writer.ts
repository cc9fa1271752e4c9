/**
 * Writes responses to a socket in order. A response is a list of chunks: buffers we encoded, and
 * file slices of segment files (Fetch record sets), which are never decoded or copied through JS
 * objects. Small slices are read with one fs.read each, started ahead of the write position but
 * with at most SMALL_READ_WINDOW bytes read and not yet written per response (a 55 MiB response
 * of small slices must not become 55 MiB of buffers at once); large ones are copied in 1 MiB
 * pieces through a small pool of reusable buffers with two reads in flight, each piece written as
 * soon as it is read and its buffer returned to the pool when the socket has taken it. Between
 * chunks the writer waits for the socket to drain, so what a slow reader costs is bounded by
 * the window plus the socket's buffer. (fs.createReadStream piped into the socket cost a fresh
 * 256 KiB buffer per piece plus stream machinery: ~14% of the broker's CPU in GC at 300 MB/s of
 * fetches; see bench/RESULTS.md, "Data path".)
 *
 * Zero copy (plaintext sockets with the native binding; zero-copy.ts): a response that is mostly
 * file bytes is sent whole by sendfile(2) in one native job instead — after Node's queued writes
 * on the socket are flushed, and with nothing else written until it is done (responses are
 * serialised here anyway).
 *
 * `unsentBytes()` is what the connection uses for write backpressure: encoded bytes queued here
 * plus what the socket has not handed to the kernel yet, plus what a zero-copy send has left.
 */
import { read as fsRead } from 'node:fs';
import type { Socket } from 'node:net';
import type { FileSlice } from '../../protocol/primitives.js';
import { sendResponseZeroCopy, type ZeroCopySocket } from './zero-copy.js';

export type Chunk = Buffer | FileSlice;

/** Slices up to this size are read into memory whole; larger ones are copied piece by piece. */
export const STREAM_THRESHOLD = 1024 * 1024;
/** Piece size for large slices, and the pooled buffers' size. */
export const PIECE_BYTES = 1024 * 1024;
/** Reads in flight per large slice (read-ahead while the previous piece is written). */
const READ_AHEAD = 2;
/** Bytes of small slices read (or being read) ahead of the write position, per response. */
export const SMALL_READ_WINDOW = 2 * PIECE_BYTES;
/** Buffers kept for reuse across all connections (16 MiB). */
const POOL_MAX = 16;
const pool: Buffer[] = [];

function takePiece(): Buffer {
  return pool.pop() ?? Buffer.allocUnsafeSlow(PIECE_BYTES);
}

function givePiece(b: Buffer): void {
  if (pool.length < POOL_MAX) pool.push(b);
}

/** Reads exactly `length` bytes at `position` into `buf` (from 0). */
function readExactly(fd: number, buf: Buffer, length: number, position: number): Promise<void> {
  return new Promise((resolve, reject) => {
    let filled = 0;
    const step = (): void => {
      fsRead(fd, buf, filled, length - filled, position + filled, (err, n) => {
        if (err) return reject(err);
        if (n === 0) return reject(new Error(`short read of segment slice at ${position + filled}`));
        filled += n;
        if (filled === length) resolve();
        else step();
      });
    };
    step();
  });
}

async function readSlice(s: FileSlice): Promise<Buffer> {
  const buf = Buffer.allocUnsafe(s.length);
  await readExactly(s.fd, buf, s.length, s.position);
  return buf;
}

const isSmallSlice = (c: Chunk): c is FileSlice => !Buffer.isBuffer(c) && c.length <= STREAM_THRESHOLD;

function bufferBytes(chunks: Chunk[]): number {
  let n = 0;
  for (const c of chunks) if (Buffer.isBuffer(c)) n += c.length;
  return n;
}

function fileBytes(chunks: Chunk[]): number {
  let n = 0;
  for (const c of chunks) if (!Buffer.isBuffer(c)) n += c.length;
  return n;
}

const EMPTY = Buffer.alloc(0);

export class ResponseWriter {
  private readonly queue: Chunk[][] = [];
  /** Bytes of the buffers in `queue` (file slices are not in memory until read). */
  private queuedBytes = 0;
  private busy = false;
  /** Bytes of the response being sent by zero copy that the kernel has not taken yet. */
  private zeroCopyUnsent = 0;

  /**
   * @param onError the response could not be written (a failed read): the connection closes.
   * @param onWritten a queued response has been handed to the socket (unsent bytes went down).
   * @param zeroCopy send responses that are mostly file bytes with sendfile; null: read + write.
   */
  constructor(
    private readonly socket: Socket,
    private readonly onError: (err: Error) => void,
    private readonly onWritten: () => void,
    private readonly zeroCopy: ZeroCopySocket | null = null,
  ) {}

  send(chunks: Chunk[]): void {
    if (!this.busy && chunks.every(Buffer.isBuffer)) {
      // The common case: nothing queued and no file slices — write straight through, corked so
      // that a response in several pieces (size prefix, header, body) is one writev, not one
      // write system call per piece.
      if (chunks.length === 1) {
        this.socket.write(chunks[0] as Buffer);
        return;
      }
      this.socket.cork();
      for (const c of chunks) this.socket.write(c as Buffer);
      this.socket.uncork();
      return;
    }
    this.queue.push(chunks);
    this.queuedBytes += bufferBytes(chunks);
    // drain() reports its own errors; this catches one thrown while cleaning up after them.
    if (!this.busy) this.drain().catch((err: unknown) => this.onError(err as Error));
  }

  /** True when nothing is waiting to be written by this writer (the socket may still buffer). */
  idle(): boolean {
    return !this.busy && this.queue.length === 0;
  }

  /** Response bytes in memory that the client has not received: queued here or in the socket. */
  unsentBytes(): number {
    return this.queuedBytes + this.socket.writableLength + this.zeroCopyUnsent;
  }

  private async drain(): Promise<void> {
    this.busy = true;
    try {
      while (this.queue.length > 0 && !this.socket.destroyed) {
        const chunks = this.queue.shift()!;
        this.queuedBytes -= bufferBytes(chunks);
        await this.writeResponse(chunks);
        this.onWritten();
      }
    } catch (err) {
      this.onError(err as Error);
    } finally {
      // Release anything left behind after an error or a closed socket.
      for (const chunks of this.queue.splice(0)) for (const c of chunks) if (!Buffer.isBuffer(c)) c.release?.();
      this.queuedBytes = 0;
      this.busy = false;
    }
  }

  private async writeResponse(chunks: Chunk[]): Promise<void> {
    // Mostly file bytes (a Fetch with records): the kernel sends them from the page cache.
    if (this.zeroCopy !== null) {
      const files = fileBytes(chunks);
      if (files > 0 && files >= bufferBytes(chunks)) return this.writeZeroCopy(this.zeroCopy, chunks, files);
    }
    // Small reads run ahead of the write position within the window; written in order below.
    const reads: Array<Promise<Buffer> | null> = new Array<Promise<Buffer> | null>(chunks.length).fill(null);
    let ahead = 0;
    let readBytes = 0;
    const readAhead = (): void => {
      for (; ahead < chunks.length; ahead++) {
        const c = chunks[ahead]!;
        if (!isSmallSlice(c)) continue;
        if (readBytes > 0 && readBytes + c.length > SMALL_READ_WINDOW) return;
        const r = readSlice(c);
        r.catch(() => undefined); // awaited below; not an unhandled rejection meanwhile
        reads[ahead] = r;
        readBytes += c.length;
      }
    };
    try {
      for (let i = 0; i < chunks.length; i++) {
        readAhead();
        const c = chunks[i]!;
        if (this.socket.destroyed) return;
        let ok: boolean;
        if (Buffer.isBuffer(c)) ok = this.socket.write(c);
        else if (isSmallSlice(c)) {
          const buf = await reads[i]!;
          reads[i] = null;
          readBytes -= c.length;
          if (this.socket.destroyed) return;
          ok = this.socket.write(buf);
        } else {
          await this.pipeSlice(c);
          ok = !this.socket.writableNeedDrain;
        }
        if (!ok) await this.waitDrain();
      }
    } finally {
      // Reads still in flight (an error, or the socket closed) finish before their slices are
      // released: a released slice may close the fd they read from.
      for (const r of reads) if (r) await r.catch(() => undefined);
      for (const c of chunks) if (!Buffer.isBuffer(c)) c.release?.();
    }
  }
  /** Sends a whole response with sendfile (zero-copy.ts), once Node's own queued writes are in the kernel. */
  private async writeZeroCopy(zc: ZeroCopySocket, chunks: Chunk[], files: number): Promise<void> {
    try {
      await this.flushSocket();
      if (this.socket.destroyed) return;
      this.zeroCopyUnsent = files + bufferBytes(chunks);
      await sendResponseZeroCopy(zc.binding, this.socket, zc.fd, chunks, (n) => {
        this.zeroCopyUnsent -= n;
        this.onWritten(); // progress: the connection is not idle
      });
    } finally {
      this.zeroCopyUnsent = 0;
      for (const c of chunks) if (!Buffer.isBuffer(c)) c.release?.();
    }
  }

  /**
   * Waits until the socket has handed every byte written to it to the kernel (libuv's write queue
   * is empty): an empty write's callback runs after all earlier writes completed, in order.
   */
  private async flushSocket(): Promise<void> {
    while (this.socket.writableLength > 0 && !this.socket.destroyed) {
      await new Promise<void>((resolve) => {
        const done = (): void => {
          this.socket.off('close', done);
          resolve();
        };
        this.socket.once('close', done);
        this.socket.write(EMPTY, done);
      });
    }
  }

  /** Copies a large slice to the socket through pooled buffers, reading ahead while writing. */
  private async pipeSlice(s: FileSlice): Promise<void> {
    const end = s.position + s.length;
    let next = s.position;
    const reads: Array<{ buf: Buffer; n: number; done: Promise<void> }> = [];
    const readMore = (): void => {
      while (reads.length < READ_AHEAD && next < end) {
        const n = Math.min(PIECE_BYTES, end - next);
        const buf = takePiece();
        const done = readExactly(s.fd, buf, n, next);
        done.catch(() => undefined); // awaited below; not an unhandled rejection meanwhile
        reads.push({ buf, n, done });
        next += n;
      }
    };
    readMore();
    try {
      while (reads.length > 0) {
        const r = reads[0]!;
        await r.done;
        reads.shift();
        readMore();
        if (this.socket.destroyed) {
          givePiece(r.buf);
          return;
        }
        // The buffer goes back to the pool once the socket has handed it to the kernel.
        const ok = this.socket.write(r.n === PIECE_BYTES ? r.buf : r.buf.subarray(0, r.n), () => givePiece(r.buf));
        if (!ok) await this.waitDrain();
      }
    } finally {
      // After an error: let reads still in flight finish (the fd must not be released under them),
      // and drop their buffers (a failed read may have left one half-filled: not worth pooling).
      for (const r of reads.splice(0)) await r.done.catch(() => undefined);
    }
  }

  private waitDrain(): Promise<void> {
    return new Promise((resolve) => {
      if (this.socket.destroyed) return resolve();
      const done = (): void => {
        this.socket.off('drain', done);
        this.socket.off('close', done);
        resolve();
      };
      this.socket.on('drain', done);
      this.socket.on('close', done);
    });
  }
}
