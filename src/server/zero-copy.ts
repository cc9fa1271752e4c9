/**
 * Zero-copy plaintext Fetch responses: sendfile(2) through the small native binding in
 * native/sendfile.c, built (optionally) by scripts/build-native.mjs into native/build/.
 *
 * Why: the read-into-pooled-buffer-then-write path (response-writer.ts) copies every record byte
 * twice through user space and costs the broker as much CPU per byte as Kafka's sendfile; with
 * sendfile the kernel sends page-cache pages straight to the socket.
 *
 * The binding is optional. Where it was not built (no C compiler at install, not Linux, Node
 * headers missing) or `runnel.fetch.zero.copy.enable` is false, responses keep the read+write
 * path; the broker logs once at start, at info, which path it uses (listener.ts). TLS listeners
 * always keep the read+write path (the bytes must be encrypted in user space).
 *
 * One response at a time per connection, all of it — headers and file ranges in order — in one
 * native job on a libuv threadpool thread, on a dup() of the socket's fd (the native header says
 * why). Before the job starts, every byte Node has queued on the socket is flushed to the kernel;
 * while it runs the response writer queues everything else (it serialises responses), so no other
 * byte can interleave. The socket stays libuv's: the worker waits for POLLOUT with poll() on its
 * own fd, for at most POLL_MS per run, then hands the thread back (WOULDBLOCK) and the job runs
 * again. A client that has taken nothing for STALLED_AFTER_MS gets only a non-blocking attempt
 * every STALLED_PAUSE_MS, so it holds no thread, until connections.max.idle.ms closes it (its
 * unsent bytes keep it from counting as idle-safe, as on the read+write path). At most
 * MAX_CONCURRENT_RUNS runs are in flight in the process, so fs work (appends, fsyncs, index
 * reads) always keeps a threadpool thread.
 *
 * A segment shorter than the range promised (truncated under the send: the response size is
 * already on the wire) fails the response and the connection closes, as Kafka's FileRecords.writeTo
 * does ("truncated during write"). A segment deleted under the send is still sent whole: the open
 * fd keeps its file.
 */
import { existsSync } from 'node:fs';
import { constants as osConstants } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Socket } from 'node:net';
import type { FileSlice } from '../../protocol/primitives.js';
import type { ConfigView } from '../config/view.js';

/** The native job handle (opaque). */
type Job = object;

/** native/sendfile.c's exports. */
export interface SendfileBinding {
  open(socketFd: number, chunks: ReadonlyArray<Buffer | FileSlice>): Job;
  run(job: Job, waitMs: number, cb: (status: number, sent: number, errno: number) => void): void;
  abort(job: Job): void;
  close(job: Job): void;
}

const ST_DONE = 0;
const ST_WOULDBLOCK = 1;
const ST_SHORT = 2;

/** Where scripts/build-native.mjs puts the binding, relative to the package root. */
export const BINDING_PATH = join('native', 'build', 'runnel-sendfile.node');

/** How long a run waits in poll() for the socket to take more before it gives its thread back. */
const POLL_MS = 50;
/** No byte taken for this long: the client has stopped reading. */
const STALLED_AFTER_MS = 1000;
/** A stalled send tries once per this pause, without waiting (no thread held in between). */
const STALLED_PAUSE_MS = 100;
/**
 * Native runs in flight in the process: all but one of libuv's threadpool threads
 * (UV_THREADPOOL_SIZE, default 4), so fs work (appends, fsyncs, index reads) always has one.
 * A run holds its thread only while its client reads (or for STALLED_AFTER_MS after it stopped).
 */
const MAX_CONCURRENT_RUNS = Math.max(1, (Number(process.env.UV_THREADPOOL_SIZE) || 4) - 1);

let loaded: { binding: SendfileBinding | null; reason: string } | undefined;

/** The package root: the nearest directory above this module holding native/build/runnel-sendfile.node. */
function findBinding(): string | null {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    const candidate = join(dir, BINDING_PATH);
    if (existsSync(candidate)) return candidate;
    const up = dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  return null;
}

/**
 * The binding, loaded once per process (a few existsSync calls at the first plaintext connection),
 * or null with the reason. RUNNEL_SENDFILE_BINDING names a binary elsewhere (tests; "none" forces
 * the fallback as if it had not been built).
 */
export function sendfileBinding(): { binding: SendfileBinding | null; reason: string } {
  if (loaded) return loaded;
  const override = process.env.RUNNEL_SENDFILE_BINDING;
  if (process.platform !== 'linux') return (loaded = { binding: null, reason: `not available on ${process.platform}` });
  const path = override === undefined ? findBinding() : override === 'none' ? null : override;
  if (path === null) return (loaded = { binding: null, reason: `${BINDING_PATH} not built (no C compiler or Node headers at install; npm run build retries)` });
  try {
    const mod = { exports: {} as SendfileBinding };
    process.dlopen(mod, path);
    return (loaded = { binding: mod.exports, reason: path });
  } catch (err) {
    return (loaded = { binding: null, reason: `${path} failed to load: ${(err as Error).message}` });
  }
}

/** The socket fd and binding for zero-copy sends (plaintext sockets only). */
export interface ZeroCopySocket {
  readonly binding: SendfileBinding;
  readonly fd: number;
}

/** Zero-copy sends for this socket: plaintext, enabled, and the binding built; else null (read + write). */
export function zeroCopySocket(socket: Socket, config: ConfigView): ZeroCopySocket | null {
  if (!config.bool('runnel.fetch.zero.copy.enable')) return null;
  const fd = plainSocketFd(socket);
  if (fd < 0) return null;
  const { binding } = sendfileBinding();
  return binding ? { binding, fd } : null;
}

/** The socket's fd when it is a plain TCP socket libuv owns (not TLS), else -1. */
export function plainSocketFd(socket: Socket): number {
  if ((socket as { encrypted?: boolean }).encrypted) return -1;
  const fd = (socket as unknown as { _handle?: { fd?: unknown } })._handle?.fd;
  return typeof fd === 'number' && fd >= 0 ? fd : -1;
}

/** Process-wide gate on native runs in flight (MAX_CONCURRENT_RUNS). */
let running = 0;
const waiting: Array<() => void> = [];

async function acquireRun(): Promise<void> {
  if (running < MAX_CONCURRENT_RUNS) {
    running++;
    return;
  }
  await new Promise<void>((resolve) => waiting.push(resolve));
}

function releaseRun(): void {
  const next = waiting.shift();
  if (next) next(); // the slot passes on
  else running--;
}

function runOnce(binding: SendfileBinding, job: Job, waitMs: number): Promise<{ status: number; sent: number; errno: number }> {
  return new Promise((resolve) => binding.run(job, waitMs, (status, sent, errno) => resolve({ status, sent, errno })));
}

function errnoName(n: number): string {
  for (const [name, v] of Object.entries(osConstants.errno)) if (v === n) return name;
  return `errno ${n}`;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Process-wide counts (tests and debugging): responses started by zero copy, bytes sent, jobs open now. */
export const zeroCopyStats = { responses: 0, bytes: 0, open: 0 };

/** A response part the native job could not send; the connection must close. */
export class ZeroCopyError extends Error {}

/**
 * Sends one whole response (buffers and file slices, in order) on `fd` with the native binding.
 * The caller has flushed the socket and writes nothing else until this settles. `onProgress(n)`:
 * n more bytes reached the kernel. Resolves when all is sent or the socket was destroyed; rejects
 * (ZeroCopyError) on a short segment or a socket error — the connection must close then.
 */
export async function sendResponseZeroCopy(binding: SendfileBinding, socket: Socket, fd: number, chunks: ReadonlyArray<Buffer | FileSlice>, onProgress: (bytes: number) => void): Promise<void> {
  const job = binding.open(fd, chunks);
  zeroCopyStats.responses++;
  zeroCopyStats.open++;
  // The connection is closing: end a run blocked on the socket now (its thread comes back).
  const abort = (): void => binding.abort(job);
  socket.once('close', abort);
  try {
    let lastProgress = Date.now();
    for (;;) {
      if (socket.destroyed) return;
      // A client that keeps reading is waited for in poll() (woken the moment it drains); one
      // that stopped gets a non-blocking attempt now and then until connections.max.idle.ms.
      const stalled = Date.now() - lastProgress > STALLED_AFTER_MS;
      if (stalled) {
        await sleep(STALLED_PAUSE_MS);
        if (socket.destroyed) return;
      }
      await acquireRun();
      let r: { status: number; sent: number; errno: number };
      try {
        r = await runOnce(binding, job, stalled ? 0 : POLL_MS); // never rejects: the run is over when this returns
      } finally {
        releaseRun();
      }
      if (r.sent > 0) {
        zeroCopyStats.bytes += r.sent;
        lastProgress = Date.now();
        onProgress(r.sent);
      }
      if (r.status === ST_DONE) return;
      if (socket.destroyed) return; // an error from the abort above, or the client went away
      if (r.status === ST_WOULDBLOCK) continue;
      if (r.status === ST_SHORT) throw new ZeroCopyError('a segment file ended inside a fetched range (truncated or deleted while being sent)');
      throw new ZeroCopyError(`sendfile failed: ${errnoName(r.errno)}`); // EPIPE, ECONNRESET: the client went away
    }
  } finally {
    socket.off('close', abort);
    binding.close(job);
    zeroCopyStats.open--;
  }
}
