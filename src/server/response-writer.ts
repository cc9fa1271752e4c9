/**
 * Writes responses to a socket in order. A response is a list of chunks: buffers we encoded, and
 * file slices of segment files (Fetch record sets), which are never decoded or copied through JS
 * objects. Small slices are read with one fs.read each (all of a response's small reads started
 * together, written in order); large ones are copied in 1 MiB pieces through a small pool of
 * reusable buffers with two reads in flight, each piece written as soon as it is read and its
 * buffer returned to the pool when the socket has taken it. (fs.createReadStream piped into the
 * socket cost a fresh 256 KiB buffer per piece plus stream machinery: ~14% of the broker's CPU in
 * GC at 300 MB/s of fetches; see bench/RESULTS.md, "Data path".)
 */
import { read as fsRead } from 'node:fs';
import type { Socket } from 'node:net';
import type { FileSlice } from '../../protocol/primitives.js';

export type Chunk = Buffer | FileSlice;

/** Slices up to this size are read into memory whole; larger ones are copied piece by piece. */
export const STREAM_THRESHOLD = 1024 * 1024;
/** Piece size for large slices, and the pooled buffers' size. */
export const PIECE_BYTES = 1024 * 1024;
/** Reads in flight per large slice (read-ahead while the previous piece is written). */
const READ_AHEAD = 2;
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

export class ResponseWriter {
  private readonly queue: Chunk[][] = [];
  private busy = false;

  constructor(
    private readonly socket: Socket,
    private readonly onError: (err: Error) => void,
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
    if (!this.busy) void this.drain();
  }

  /** True when nothing is waiting to be written by this writer (the socket may still buffer). */
  idle(): boolean {
    return !this.busy && this.queue.length === 0;
  }

  private async drain(): Promise<void> {
    this.busy = true;
    try {
      while (this.queue.length > 0 && !this.socket.destroyed) {
        const chunks = this.queue.shift()!;
        await this.writeResponse(chunks);
      }
    } catch (err) {
      this.onError(err as Error);
    } finally {
      // Release anything left behind after an error or a closed socket.
      for (const chunks of this.queue.splice(0)) for (const c of chunks) if (!Buffer.isBuffer(c)) c.release?.();
      this.busy = false;
    }
  }

  private async writeResponse(chunks: Chunk[]): Promise<void> {
    // Start all small reads together; they are written in order below.
    const reads = chunks.map((c) => (!Buffer.isBuffer(c) && c.length <= STREAM_THRESHOLD ? readSlice(c) : null));
    // A rejected read is awaited below; keep it from being reported as unhandled meanwhile.
    for (const r of reads) r?.catch(() => undefined);
    try {
      for (let i = 0; i < chunks.length; i++) {
        const c = chunks[i]!;
        if (this.socket.destroyed) return;
        let ok: boolean;
        if (Buffer.isBuffer(c)) ok = this.socket.write(c);
        else if (reads[i]) ok = this.socket.write(await reads[i]!);
        else {
          await this.pipeSlice(c);
          ok = !this.socket.writableNeedDrain;
        }
        if (!ok) await this.waitDrain();
      }
    } finally {
      for (const c of chunks) if (!Buffer.isBuffer(c)) c.release?.();
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
