/**
 * Reading and writing a segment's index files (formats: offset-index.ts, time-index.ts). The
 * in-memory indexes are the working copy; these functions move their entries to and from disk.
 */
import { type StorageFs, isErrno, readFully, readWholeFile, writevFully } from './fs.js';
import { TIME_INDEX_ENTRY_SIZE, TimeIndex } from './time-index.js';

/** A whole index file, or null if it does not exist. */
export async function readIndexFile(fs: StorageFs, path: string): Promise<Buffer | null> {
  try {
    return await readWholeFile(fs, path);
  } catch (e) {
    if (isErrno(e, 'ENOENT')) return null;
    throw e;
  }
}

/**
 * Writes index entries not yet on disk: appends after the `persisted` ones (all of them when
 * `persisted` is 0 or the file vanished) and truncates the file to exactly `entries`, dropping
 * anything stale; fsyncs when `sync`.
 */
export async function writeIndexFile(fs: StorageFs, path: string, persisted: number, entries: number, entrySize: number, encode: (from: number) => Buffer, sync: boolean): Promise<void> {
  if (persisted === entries && persisted > 0 && !sync) return;
  let fd: number;
  if (persisted === 0) fd = await fs.open(path, 'w+');
  else {
    try {
      fd = await fs.open(path, 'r+');
    } catch (e) {
      if (!isErrno(e, 'ENOENT')) throw e;
      fd = await fs.open(path, 'w+'); // vanished: write everything
      persisted = 0;
    }
  }
  try {
    const data = encode(persisted);
    if (data.length > 0) await writevFully(fs, fd, [data], persisted * entrySize, data.length);
    await fs.ftruncate(fd, entries * entrySize);
    if (sync) await fs.fsync(fd);
  } finally {
    await fs.close(fd);
  }
}

/**
 * The last entry of a time index file (one 12-byte read: an inactive segment's max timestamp),
 * or null if the file is missing, empty or not a whole number of entries.
 */
export async function readLastTimeIndexEntry(fs: StorageFs, path: string, baseOffset: number): Promise<{ timestamp: number; offset: number } | null> {
  try {
    const tfd = await fs.open(path, 'r');
    try {
      const { size } = await fs.fstat(tfd);
      if (size >= TIME_INDEX_ENTRY_SIZE && size % TIME_INDEX_ENTRY_SIZE === 0) {
        const b = Buffer.allocUnsafe(TIME_INDEX_ENTRY_SIZE);
        if ((await readFully(fs, tfd, b, 0, TIME_INDEX_ENTRY_SIZE, size - TIME_INDEX_ENTRY_SIZE)) === TIME_INDEX_ENTRY_SIZE) return TimeIndex.decodeEntry(b, 0, baseOffset);
      }
    } finally {
      await fs.close(tfd);
    }
  } catch (e) {
    if (!isErrno(e, 'ENOENT')) throw e;
  }
  return null;
}
