/**
 * Writes responses to a socket in order. A response is a list of chunks: buffers we encoded, and
 * file slices of segment files (Fetch record sets), which are never decoded or copied through JS
 * objects: large slices are streamed with fs.createReadStream piped into the socket, small ones
 * read with one fs.read each (started together, written in order) — for small slices a stream's
 * setup costs more than the read (see bench/RESULTS.md, "fetch slices").
 */
import { createReadStream, read as fsRead } from 'node:fs';
import type { Socket } from 'node:net';
import type { FileSlice } from '../../protocol/primitives.js';

export type Chunk = Buffer | FileSlice;

/** Slices up to this size are read into memory; larger ones are streamed. */
export const STREAM_THRESHOLD = 256 * 1024;

function readSlice(s: FileSlice): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const buf = Buffer.allocUnsafe(s.length);
    let filled = 0;
    const step = (): void => {
      fsRead(s.fd, buf, filled, s.length - filled, s.position + filled, (err, n) => {
        if (err) return reject(err);
        if (n === 0) return reject(new Error(`short read of segment slice at ${s.position + filled}`));
        filled += n;
        if (filled === s.length) resolve(buf);
        else step();
      });
    };
    step();
  });
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
      // The common case: nothing queued and no file slices — write straight through.
      for (const c of chunks) this.socket.write(c as Buffer);
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

  private pipeSlice(s: FileSlice): Promise<void> {
    return new Promise((resolve, reject) => {
      // autoClose false: the fd belongs to storage and is shared by other readers.
      const stream = createReadStream('', { fd: s.fd, start: s.position, end: s.position + s.length - 1, autoClose: false, highWaterMark: 256 * 1024 });
      let sent = 0;
      stream.on('data', (d) => {
        sent += d.length;
      });
      stream.on('error', reject);
      stream.on('end', () => (sent === s.length ? resolve() : reject(new Error(`segment slice ended after ${sent} of ${s.length} bytes`))));
      stream.pipe(this.socket, { end: false });
    });
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
