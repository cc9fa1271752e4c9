/**
 * The file-system seam. Every byte storage reads or writes goes through `StorageFs`, so tests can
 * swap in `FaultyFs` and make the next write or fsync fail (EIO, ENOSPC) or tear a write halfway.
 *
 * Only asynchronous operations: storage never blocks the event loop on disk after startup. The
 * real implementation uses Node's callback API on raw fds (cheaper than FileHandle objects: no
 * per-call promise wrapper objects beyond the one we return, no FileHandle GC finalisers).
 *
 * No on-disk format lives here.
 */
import * as nodeFs from 'node:fs';
import { join } from 'node:path';

export interface FileStat {
  size: number;
  mtimeMs: number;
  isDirectory: boolean;
  isFile: boolean;
}

export interface SpaceStat {
  /** Bytes an unprivileged process may still write (statfs f_bavail × f_bsize). */
  freeBytes: number;
  totalBytes: number;
}

/**
 * 'r' read-only, 'r+' read/write existing, 'w+' create or truncate, read/write; 'dsync' write-only
 * on an existing file with O_DSYNC: a write returns once its bytes are durable, as write +
 * fdatasync would, in one system call (one thread-pool round trip instead of two).
 */
export type OpenMode = 'r' | 'r+' | 'w+' | 'dsync';

const DSYNC_FLAGS = nodeFs.constants.O_WRONLY | nodeFs.constants.O_DSYNC;
const openFlags = (mode: OpenMode): string | number => (mode === 'dsync' ? DSYNC_FLAGS : mode);

export interface StorageFs {
  open(path: string, mode: OpenMode): Promise<number>;
  close(fd: number): Promise<void>;
  /** Positional read; returns the bytes read (fewer at end of file). */
  read(fd: number, buf: Buffer, offset: number, length: number, position: number): Promise<number>;
  /** Positional write; may write fewer bytes than asked (callers loop). */
  write(fd: number, buf: Buffer, offset: number, length: number, position: number): Promise<number>;
  /** Positional gather write; may write fewer bytes than asked (callers loop). */
  writev(fd: number, bufs: readonly Buffer[], position: number): Promise<number>;
  fdatasync(fd: number): Promise<void>;
  fsync(fd: number): Promise<void>;
  ftruncate(fd: number, length: number): Promise<void>;
  fstat(fd: number): Promise<FileStat>;
  stat(path: string): Promise<FileStat>;
  rename(from: string, to: string): Promise<void>;
  unlink(path: string): Promise<void>;
  rmdir(path: string): Promise<void>;
  mkdir(path: string): Promise<void>;
  readdir(path: string): Promise<string[]>;
  /** fsync of a directory, so that file creations, renames and unlinks in it survive a crash. */
  fsyncDir(path: string): Promise<void>;
  /** Free and total space of the file system holding `path`. */
  statfs(path: string): Promise<SpaceStat>;
  /**
   * Optional: a whole file in one call (readWholeFile uses it when present, else open/read/close
   * through the methods above — so a FaultyFs, which has none, sees and can fail every step).
   */
  readFile?(path: string): Promise<Buffer>;
  /** Optional: a whole UTF-8 file as text in one call (readTextIfExists uses it when present, as readWholeFile does readFile). */
  readTextFile?(path: string): Promise<string>;
}

function toSpace(s: nodeFs.StatsFs): SpaceStat {
  return { freeBytes: s.bavail * s.bsize, totalBytes: s.blocks * s.bsize };
}

function toStat(s: nodeFs.Stats): FileStat {
  return { size: s.size, mtimeMs: s.mtimeMs, isDirectory: s.isDirectory(), isFile: s.isFile() };
}

function cb<T>(resolve: (v: T) => void, reject: (e: unknown) => void) {
  return (err: NodeJS.ErrnoException | null, v: T) => (err ? reject(err) : resolve(v));
}

function cbVoid(resolve: () => void, reject: (e: unknown) => void) {
  return (err: NodeJS.ErrnoException | null) => (err ? reject(err) : resolve());
}

/** The real file system. */
export const realFs: StorageFs = {
  open: (path, mode) => new Promise((res, rej) => nodeFs.open(path, openFlags(mode), 0o644, cb(res, rej))),
  close: (fd) => new Promise((res, rej) => nodeFs.close(fd, cbVoid(res, rej))),
  read: (fd, buf, offset, length, position) =>
    new Promise((res, rej) => nodeFs.read(fd, buf, offset, length, position, cb(res, rej))),
  write: (fd, buf, offset, length, position) =>
    new Promise((res, rej) => nodeFs.write(fd, buf, offset, length, position, cb(res, rej))),
  writev: (fd, bufs, position) =>
    new Promise((res, rej) => nodeFs.writev(fd, bufs as Buffer[], position, cb(res, rej))),
  fdatasync: (fd) => new Promise((res, rej) => nodeFs.fdatasync(fd, cbVoid(res, rej))),
  fsync: (fd) => new Promise((res, rej) => nodeFs.fsync(fd, cbVoid(res, rej))),
  ftruncate: (fd, length) => new Promise((res, rej) => nodeFs.ftruncate(fd, length, cbVoid(res, rej))),
  fstat: (fd) => new Promise((res, rej) => nodeFs.fstat(fd, (e, s) => (e ? rej(e) : res(toStat(s))))),
  stat: (path) => new Promise((res, rej) => nodeFs.stat(path, (e, s) => (e ? rej(e) : res(toStat(s))))),
  rename: (from, to) => new Promise((res, rej) => nodeFs.rename(from, to, cbVoid(res, rej))),
  unlink: (path) => new Promise((res, rej) => nodeFs.unlink(path, cbVoid(res, rej))),
  rmdir: (path) => new Promise((res, rej) => nodeFs.rmdir(path, cbVoid(res, rej))),
  mkdir: (path) => new Promise((res, rej) => nodeFs.mkdir(path, { recursive: true }, (e) => (e ? rej(e) : res()))),
  readdir: (path) => new Promise((res, rej) => nodeFs.readdir(path, cb(res, rej))),
  fsyncDir: (path) =>
    new Promise((res, rej) =>
      nodeFs.open(path, 'r', (e, fd) => {
        if (e) return rej(e);
        nodeFs.fsync(fd, (e2) => nodeFs.close(fd, () => (e2 ? rej(e2) : res())));
      }),
    ),
  statfs: (path) => new Promise((res, rej) => nodeFs.statfs(path, (e, s) => (e ? rej(e) : res(toSpace(s))))),
};

/**
 * The real file system with blocking syscalls behind the same async interface. Used ONLY while
 * the LogManager loads partitions at startup (nothing else runs yet): a blocking open/read/close
 * costs ~4 µs here against ~20 µs through libuv's 4-thread pool, which is what lets 10,000
 * partitions load in well under 2 s. Never use it after startup.
 */
function syncCall<T>(f: () => T): Promise<T> {
  try {
    return Promise.resolve(f());
  } catch (e) {
    return Promise.reject(e);
  }
}

export const startupSyncFs: StorageFs = {
  open: (path, mode) => syncCall(() => nodeFs.openSync(path, openFlags(mode), 0o644)),
  close: (fd) => syncCall(() => nodeFs.closeSync(fd)),
  read: (fd, buf, offset, length, position) => syncCall(() => nodeFs.readSync(fd, buf, offset, length, position)),
  write: (fd, buf, offset, length, position) => syncCall(() => nodeFs.writeSync(fd, buf, offset, length, position)),
  writev: (fd, bufs, position) => syncCall(() => nodeFs.writevSync(fd, bufs as Buffer[], position)),
  fdatasync: (fd) => syncCall(() => nodeFs.fdatasyncSync(fd)),
  fsync: (fd) => syncCall(() => nodeFs.fsyncSync(fd)),
  ftruncate: (fd, length) => syncCall(() => nodeFs.ftruncateSync(fd, length)),
  fstat: (fd) => syncCall(() => toStat(nodeFs.fstatSync(fd))),
  stat: (path) => syncCall(() => toStat(nodeFs.statSync(path))),
  rename: (from, to) => syncCall(() => nodeFs.renameSync(from, to)),
  unlink: (path) => syncCall(() => nodeFs.unlinkSync(path)),
  rmdir: (path) => syncCall(() => nodeFs.rmdirSync(path)),
  mkdir: (path) => syncCall(() => void nodeFs.mkdirSync(path, { recursive: true })),
  readdir: (path) => syncCall(() => nodeFs.readdirSync(path)),
  fsyncDir: (path) =>
    syncCall(() => {
      const fd = nodeFs.openSync(path, 'r');
      try {
        nodeFs.fsyncSync(fd);
      } finally {
        nodeFs.closeSync(fd);
      }
    }),
  statfs: (path) => syncCall(() => toSpace(nodeFs.statfsSync(path))),
  // One native call (open, fstat, read, close) instead of four promise round trips: 10,000
  // partitions read a leader-epoch-checkpoint and index files each at startup.
  readFile: (path) => syncCall(() => nodeFs.readFileSync(path)),
  // Node's one native call for a UTF-8 file (no Buffer, no fstat): each partition's
  // leader-epoch-checkpoint at startup.
  readTextFile: (path) => syncCall(() => nodeFs.readFileSync(path, 'utf8')),
};

export function isErrno(e: unknown, code: string): boolean {
  return typeof e === 'object' && e !== null && (e as NodeJS.ErrnoException).code === code;
}

/** Reads exactly `length` bytes unless the file ends first; returns the bytes read. */
export async function readFully(fs: StorageFs, fd: number, buf: Buffer, offset: number, length: number, position: number): Promise<number> {
  let done = 0;
  while (done < length) {
    const n = await fs.read(fd, buf, offset + done, length - done, position + done);
    if (n === 0) break;
    done += n;
  }
  return done;
}

/** Writes all of `bufs` at `position`, looping over short writes. */
export async function writevFully(fs: StorageFs, fd: number, bufs: readonly Buffer[], position: number, total: number): Promise<void> {
  let written = await fs.writev(fd, bufs, position);
  if (written === total) return;
  // Short write (rare on regular files): continue with what is left.
  let rest = bufs.slice();
  let skip = written;
  while (written < total) {
    while (skip > 0 && rest.length > 0) {
      const first = rest[0]!;
      if (skip >= first.length) {
        skip -= first.length;
        rest.shift();
      } else {
        rest[0] = first.subarray(skip);
        skip = 0;
      }
    }
    const n = await fs.writev(fd, rest, position + written);
    if (n <= 0) throw Object.assign(new Error('writev made no progress'), { code: 'EIO' });
    written += n;
    skip = n;
  }
}

/**
 * Reads a whole (small) file: index files, checkpoints. With the fs's readFile when it has one
 * (startupSyncFs: one native call); else reads a first 4000 bytes without an fstat (most index
 * files are smaller; this saves a syscall per file when 10,000 partitions load).
 */
export async function readWholeFile(fs: StorageFs, path: string): Promise<Buffer> {
  if (fs.readFile !== undefined) return fs.readFile(path);
  const fd = await fs.open(path, 'r');
  try {
    // < 4 KiB comes from Node's shared allocation pool: no per-file ArrayBuffer for the GC.
    const first = Buffer.allocUnsafe(4000);
    const n = await readFully(fs, fd, first, 0, first.length, 0);
    if (n < first.length) return first.subarray(0, n);
    const { size } = await fs.fstat(fd);
    const buf = Buffer.allocUnsafe(size);
    const m = await readFully(fs, fd, buf, 0, size, 0);
    return m === size ? buf : buf.subarray(0, m);
  } finally {
    await fs.close(fd);
  }
}

/** Writes `data` to `path` (truncating), optionally fsyncing it. */
export async function writeWholeFile(fs: StorageFs, path: string, data: Buffer, sync: boolean): Promise<void> {
  const fd = await fs.open(path, 'w+');
  try {
    if (data.length > 0) await writevFully(fs, fd, [data], 0, data.length);
    if (sync) await fs.fsync(fd);
  } finally {
    await fs.close(fd);
  }
}

/**
 * Crash-safe replace: write `name.tmp`, fsync, rename over `name`, fsync the directory. After a
 * crash the file holds either the old or the new contents, never a mix. The one implementation
 * for every state file (checkpoints, topic metadata, meta.properties, producer ids, snapshots),
 * so fault-injection tests reach them all through the seam.
 *
 * `sync: false` leaves out both fsyncs: still old-or-new after the process is killed (the page
 * cache survives it), but after a power cut the file may be missing, empty or the old one. Only for
 * a file whose loss the reader detects and repairs (the first leader-epoch-checkpoint of a
 * partition: leader-epoch-cache.ts).
 */
export async function writeFileAtomic(fs: StorageFs, dir: string, name: string, data: Buffer | string, sync = true): Promise<void> {
  const tmp = join(dir, `${name}.tmp`);
  await writeWholeFile(fs, tmp, typeof data === 'string' ? Buffer.from(data) : data, sync);
  await fs.rename(tmp, join(dir, name));
  if (sync) await fs.fsyncDir(dir);
}

/** A whole small file as UTF-8 text, or null when it does not exist. */
export async function readTextIfExists(fs: StorageFs, path: string): Promise<string | null> {
  try {
    if (fs.readTextFile !== undefined) return await fs.readTextFile(path);
    return (await readWholeFile(fs, path)).toString('utf8');
  } catch (e) {
    if (isErrno(e, 'ENOENT')) return null;
    throw e;
  }
}

/** Removes a directory tree through the seam (partition directories are flat, but be general). */
export async function removeTree(fs: StorageFs, path: string): Promise<void> {
  let names: string[];
  try {
    names = await fs.readdir(path);
  } catch (e) {
    if (isErrno(e, 'ENOENT')) return;
    throw e;
  }
  for (const name of names) {
    const p = join(path, name);
    const st = await fs.stat(p).catch(() => null);
    if (st?.isDirectory) await removeTree(fs, p);
    else await fs.unlink(p).catch((e) => (isErrno(e, 'ENOENT') ? undefined : Promise.reject(e)));
  }
  await fs.rmdir(path).catch((e) => (isErrno(e, 'ENOENT') ? undefined : Promise.reject(e)));
}

// ---------------------------------------------------------------------------------------------
// Fault injection

export type FaultOp = 'write' | 'fsync' | 'ftruncate' | 'open' | 'read' | 'rename';
export type FaultCode = 'EIO' | 'ENOSPC';

export interface FaultSpec {
  op: FaultOp;
  code?: FaultCode;
  /** Only for 'write': write this many bytes of the buffer(s) first, then fail (a torn write). */
  partialBytes?: number;
  /** Only hit files whose path contains this string (e.g. '.log'). */
  pathIncludes?: string;
  /** How many matching calls fail; default 1. Infinity = the disk is gone. */
  times?: number;
}

const ERRNO: Record<FaultCode, number> = { EIO: -5, ENOSPC: -28 };

function injected(code: FaultCode, syscall: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: injected fault, ${syscall}`), { code, errno: ERRNO[code], syscall });
}

/**
 * Wraps a StorageFs and fails selected calls. 'write' covers write and writev, 'fsync' covers
 * fsync, fdatasync and fsyncDir — and a write to a file opened 'dsync', which is a write plus an
 * fdatasync in one call: an 'fsync' fault fails it after the bytes were written, with syscall
 * 'fdatasync', as a failed sync would. Tracks fd → path so faults can target one kind of file.
 */
export class FaultyFs implements StorageFs {
  private faults: Array<Required<Omit<FaultSpec, 'partialBytes' | 'pathIncludes'>> & Pick<FaultSpec, 'partialBytes' | 'pathIncludes'>> = [];
  private readonly paths = new Map<number, string>();
  private readonly dsyncFds = new Set<number>();
  /** Counters tests can assert on (e.g. group commit: fsyncs ≪ appends). */
  readonly calls = { write: 0, fsync: 0, open: 0, close: 0 };
  /** When set, statfs reports this many free bytes (a disk filling up without filling one). */
  freeBytes: number | null = null;

  constructor(readonly inner: StorageFs = realFs) {}

  inject(spec: FaultSpec): void {
    this.faults.push({ op: spec.op, code: spec.code ?? 'EIO', times: spec.times ?? 1, partialBytes: spec.partialBytes, pathIncludes: spec.pathIncludes });
  }

  /** Fail the next write (or writev) with `code`. */
  failNextWrite(code: FaultCode = 'EIO', pathIncludes?: string): void {
    this.inject({ op: 'write', code, pathIncludes });
  }

  failNextFsync(code: FaultCode = 'EIO', pathIncludes?: string): void {
    this.inject({ op: 'fsync', code, pathIncludes });
  }

  /** Write only `bytes` bytes of the next write, then fail it. */
  tearNextWrite(bytes: number, code: FaultCode = 'EIO', pathIncludes?: string): void {
    this.inject({ op: 'write', code, partialBytes: bytes, pathIncludes });
  }

  clearFaults(): void {
    this.faults = [];
  }

  private take(op: FaultOp, path: string | undefined) {
    for (let i = 0; i < this.faults.length; i++) {
      const f = this.faults[i]!;
      if (f.op !== op) continue;
      if (f.pathIncludes !== undefined && !(path ?? '').includes(f.pathIncludes)) continue;
      if (--f.times <= 0) this.faults.splice(i, 1);
      return f;
    }
    return undefined;
  }

  async open(path: string, mode: OpenMode): Promise<number> {
    this.calls.open++;
    const f = this.take('open', path);
    if (f) throw injected(f.code, 'open');
    const fd = await this.inner.open(path, mode);
    this.paths.set(fd, path);
    if (mode === 'dsync') this.dsyncFds.add(fd);
    else this.dsyncFds.delete(fd);
    return fd;
  }
  async close(fd: number): Promise<void> {
    this.calls.close++;
    this.paths.delete(fd);
    this.dsyncFds.delete(fd);
    return this.inner.close(fd);
  }
  async read(fd: number, buf: Buffer, offset: number, length: number, position: number): Promise<number> {
    const f = this.take('read', this.paths.get(fd));
    if (f) throw injected(f.code, 'read');
    return this.inner.read(fd, buf, offset, length, position);
  }
  async write(fd: number, buf: Buffer, offset: number, length: number, position: number): Promise<number> {
    return this.writev(fd, [buf.subarray(offset, offset + length)], position);
  }
  async writev(fd: number, bufs: readonly Buffer[], position: number): Promise<number> {
    this.calls.write++;
    const f = this.take('write', this.paths.get(fd));
    if (!f && this.dsyncFds.has(fd)) {
      this.calls.fsync++;
      const n = await this.inner.writev(fd, bufs, position);
      const sf = this.take('fsync', this.paths.get(fd));
      if (sf) throw injected(sf.code, 'fdatasync');
      return n;
    }
    if (!f) return this.inner.writev(fd, bufs, position);
    if (f.partialBytes !== undefined && f.partialBytes > 0) {
      const all = Buffer.concat(bufs as Buffer[]);
      await this.inner.write(fd, all, 0, Math.min(f.partialBytes, all.length), position);
    }
    throw injected(f.code, 'writev');
  }
  async fdatasync(fd: number): Promise<void> {
    this.calls.fsync++;
    const f = this.take('fsync', this.paths.get(fd));
    if (f) throw injected(f.code, 'fdatasync');
    return this.inner.fdatasync(fd);
  }
  async fsync(fd: number): Promise<void> {
    this.calls.fsync++;
    const f = this.take('fsync', this.paths.get(fd));
    if (f) throw injected(f.code, 'fsync');
    return this.inner.fsync(fd);
  }
  async ftruncate(fd: number, length: number): Promise<void> {
    const f = this.take('ftruncate', this.paths.get(fd));
    if (f) throw injected(f.code, 'ftruncate');
    return this.inner.ftruncate(fd, length);
  }
  fstat(fd: number): Promise<FileStat> {
    return this.inner.fstat(fd);
  }
  stat(path: string): Promise<FileStat> {
    return this.inner.stat(path);
  }
  async rename(from: string, to: string): Promise<void> {
    const f = this.take('rename', from);
    if (f) throw injected(f.code, 'rename');
    return this.inner.rename(from, to);
  }
  unlink(path: string): Promise<void> {
    return this.inner.unlink(path);
  }
  rmdir(path: string): Promise<void> {
    return this.inner.rmdir(path);
  }
  mkdir(path: string): Promise<void> {
    return this.inner.mkdir(path);
  }
  readdir(path: string): Promise<string[]> {
    return this.inner.readdir(path);
  }
  async fsyncDir(path: string): Promise<void> {
    const f = this.take('fsync', path);
    if (f) throw injected(f.code, 'fsync');
    return this.inner.fsyncDir(path);
  }
  async statfs(path: string): Promise<SpaceStat> {
    const real = await this.inner.statfs(path);
    return this.freeBytes === null ? real : { ...real, freeBytes: this.freeBytes };
  }
}
