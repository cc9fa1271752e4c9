/**
 * `leader-epoch-checkpoint`, one per partition directory: which leader epoch began at which offset
 * (Kafka's LeaderEpochCheckpointFile; the cache it persists is leader-epoch-cache.ts).
 *
 * Text format (Kafka's, byte for byte):
 *
 *   0            version
 *   2            number of entries
 *   0 0          leader epoch (int32) SP start offset (int64), one per line, epochs ascending
 *   3 1200
 *
 * Every line ends with '\n'; an empty cache is `0\n0\n`. Kafka splits entry lines on any run of
 * whitespace, and so do we when reading.
 *
 * Written crash-safely through the fs seam (fs.ts writeFileAtomic: `<name>.tmp`, fsync, rename,
 * fsync the directory), so after a crash the file holds the old or the new entries, never a mix.
 * A partition's first file is written without the two fsyncs (leader-epoch-cache.ts says why).
 * A stray `leader-epoch-checkpoint.tmp` is removed by recovery like every `*.tmp` in a partition
 * directory (recovery.ts). Reading distinguishes a missing file from a malformed or unreadable
 * one; the caller (partition-log.ts) rebuilds the cache from the log in both cases
 * (leader-epoch-load.ts).
 */
import { join } from 'node:path';
import { LEADER_EPOCH_CHECKPOINT } from './file-names.js';
import { type StorageFs, isErrno, readTextIfExists, writeFileAtomic } from './fs.js';

export interface EpochEntry {
  /** Leader epoch, ≥ 0. */
  readonly epoch: number;
  /** Offset of the first batch written in this epoch (or the log end offset when it began), ≥ 0. */
  readonly startOffset: number;
}

const VERSION = '0';
const INT32_MAX = 0x7fffffff;

export function encodeLeaderEpochCheckpoint(entries: readonly EpochEntry[]): string {
  let text = `${VERSION}\n${entries.length}\n`;
  for (const e of entries) text += `${e.epoch} ${e.startOffset}\n`;
  return text;
}

/** Parses the file's text; throws an Error saying what is wrong when it is not Kafka's format. */
export function decodeLeaderEpochCheckpoint(text: string): EpochEntry[] {
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  if (lines[0]?.trim() !== VERSION) throw new Error(`unsupported leader-epoch-checkpoint version ${JSON.stringify(lines[0] ?? null)}`);
  const countText = lines[1]?.trim() ?? '';
  const count = /^\d+$/.test(countText) ? Number(countText) : NaN;
  if (!Number.isSafeInteger(count)) throw new Error(`malformed entry count ${JSON.stringify(lines[1] ?? null)}`);
  if (lines.length - 2 !== count) throw new Error(`expected ${count} entries, found ${lines.length - 2}`);
  const out: EpochEntry[] = [];
  for (let i = 2; i < lines.length; i++) {
    const parts = lines[i]!.trim().split(/\s+/);
    const epoch = parts.length === 2 && /^\d+$/.test(parts[0]!) ? Number(parts[0]) : NaN;
    const startOffset = parts.length === 2 && /^\d+$/.test(parts[1]!) ? Number(parts[1]) : NaN;
    if (!(epoch <= INT32_MAX) || !Number.isSafeInteger(startOffset)) throw new Error(`malformed entry on line ${i + 1}: ${JSON.stringify(lines[i])}`);
    out.push({ epoch, startOffset });
  }
  return out.slice(); // exact size: pushing left room for 16 more entries, kept per partition
}

export type CheckpointRead = { kind: 'found'; entries: EpochEntry[] } | { kind: 'missing' } | { kind: 'corrupt'; reason: string };

/** The checkpoint file of one partition directory. */
export class LeaderEpochCheckpointFile {
  constructor(
    private readonly fs: StorageFs,
    readonly dir: string,
  ) {}

  get path(): string {
    return join(this.dir, LEADER_EPOCH_CHECKPOINT);
  }

  /** Reads with `fs` (the log manager's blocking startup fs while loading), defaulting to the file's own. */
  async read(fs: StorageFs = this.fs): Promise<CheckpointRead> {
    try {
      const text = await readTextIfExists(fs, this.path);
      if (text === null) return { kind: 'missing' };
      return { kind: 'found', entries: decodeLeaderEpochCheckpoint(text) };
    } catch (e) {
      // Unreadable (EIO ...) counts as corrupt: the log can always tell us again.
      return { kind: 'corrupt', reason: (e as Error).message };
    }
  }

  /** `sync: false` only for a partition that has no file yet (see leader-epoch-cache.ts, Persistence). */
  write(entries: readonly EpochEntry[], sync = true): Promise<void> {
    return writeFileAtomic(this.fs, this.dir, LEADER_EPOCH_CHECKPOINT, encodeLeaderEpochCheckpoint(entries), sync);
  }

  /** Removes the file (after a failed write: the next load rebuilds from the log rather than trust it). */
  async remove(): Promise<void> {
    await this.fs.unlink(this.path).catch((e) => (isErrno(e, 'ENOENT') ? undefined : Promise.reject(e)));
  }
}
