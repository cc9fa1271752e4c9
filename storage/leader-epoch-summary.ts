/**
 * `runnel-leader-epochs-at-clean-shutdown`, one per data dir: what every partition's
 * leader-epoch-checkpoint holds, in one file, written by a clean shutdown just before the
 * clean-shutdown marker and read at the next start only when that marker is there; the start
 * deletes it with the marker, before anything can change an epoch.
 *
 * Why: a start after a clean shutdown read one small file per partition (open, read, close:
 * ~12 µs each on a shared 2-core VM, ~10% of starting 10,000 partitions); this one file of
 * ~25 bytes per partition is read in a few milliseconds. The per-partition files stay the truth
 * (Kafka's format, written as before); this is a copy of them that the marker vouches for:
 *  - it is written after every log closed, so after every epoch file was written and fsynced,
 *    from what each cache knows its file holds (a partition whose file state is unknown, after a
 *    failed write, is left out and reads its file);
 *  - no marker (a crash, an offline partition): it is not read, and the start deletes it;
 *  - the start deletes it durably (with the marker) before any log can take a new epoch, so a
 *    file present at a start was written by the last shutdown, which was clean.
 * A partition missing from it, or an unreadable file (logged), reads its own file as before.
 *
 * Text format (a Kafka checkpoint's layout, one line per partition):
 *
 *   0                          version
 *   2                          number of partitions
 *   orders 0 -1                topic SP partition SP -1: the partition has no leader-epoch-checkpoint
 *   orders 1 2 0 0 3 1200      topic SP partition SP n, then n × (SP epoch SP start offset): its entries
 */
import { join } from 'node:path';
import { LEADER_EPOCH_SUMMARY } from './file-names.js';
import { type StorageFs, isErrno, readTextIfExists, writeFileAtomic } from './fs.js';
import type { CheckpointRead, EpochEntry } from './leader-epoch-checkpoint.js';

/** What a partition's leader-epoch-checkpoint holds: its entries, or 'none' when there is no file. */
export type EpochFileState = readonly EpochEntry[] | 'none';

export interface EpochFileOf {
  readonly topic: string;
  readonly partition: number;
  /** null: unknown (the partition reads its own file at the next start). */
  readonly state: EpochFileState | null;
}

const key = (topic: string, partition: number): string => `${topic}\u0000${partition}`;

export function encodeLeaderEpochSummary(files: Iterable<EpochFileOf>): string {
  const lines: string[] = [];
  for (const f of files) {
    if (f.state === null) continue;
    if (f.state === 'none') lines.push(`${f.topic} ${f.partition} -1`);
    else lines.push(`${f.topic} ${f.partition} ${f.state.length}${f.state.map((e) => ` ${e.epoch} ${e.startOffset}`).join('')}`);
  }
  return `0\n${lines.length}\n${lines.map((l) => `${l}\n`).join('')}`;
}

/** Parses the file; throws an Error saying what is wrong when it is malformed. Keys: `topic\0partition`. */
export function decodeLeaderEpochSummary(text: string): Map<string, CheckpointRead> {
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  if (lines[0] !== '0') throw new Error(`unsupported version ${JSON.stringify(lines[0] ?? null)}`);
  const count = /^\d+$/.test(lines[1] ?? '') ? Number(lines[1]) : NaN;
  if (lines.length - 2 !== count) throw new Error(`expected ${count} partitions, found ${lines.length - 2}`);
  const out = new Map<string, CheckpointRead>();
  for (let i = 2; i < lines.length; i++) {
    const f = lines[i]!.split(' ');
    const partition = Number(f[1]);
    const n = Number(f[2]);
    const ok = f[0] !== '' && Number.isInteger(partition) && partition >= 0 && (n === -1 ? f.length === 3 : Number.isInteger(n) && n >= 0 && f.length === 3 + 2 * n);
    if (!ok) throw new Error(`malformed line ${i + 1}`);
    if (n === -1) {
      out.set(key(f[0]!, partition), { kind: 'missing' });
      continue;
    }
    const entries: EpochEntry[] = new Array(n);
    for (let j = 0; j < n; j++) {
      const epoch = Number(f[3 + 2 * j]);
      const startOffset = Number(f[4 + 2 * j]);
      if (!(Number.isInteger(epoch) && epoch >= 0 && Number.isSafeInteger(startOffset) && startOffset >= 0)) throw new Error(`malformed entry on line ${i + 1}`);
      entries[j] = { epoch, startOffset };
    }
    out.set(key(f[0]!, partition), { kind: 'found', entries });
  }
  return out;
}

/** The summary in `dataDir` (after a clean shutdown only), or an empty map when there is none. */
export async function readLeaderEpochSummary(fs: StorageFs, dataDir: string): Promise<{ get(topic: string, partition: number): CheckpointRead | undefined }> {
  const text = await readTextIfExists(fs, join(dataDir, LEADER_EPOCH_SUMMARY));
  const map = text === null ? new Map<string, CheckpointRead>() : decodeLeaderEpochSummary(text);
  return { get: (topic, partition) => map.get(key(topic, partition)) };
}

export function writeLeaderEpochSummary(fs: StorageFs, dataDir: string, files: Iterable<EpochFileOf>): Promise<void> {
  return writeFileAtomic(fs, dataDir, LEADER_EPOCH_SUMMARY, encodeLeaderEpochSummary(files));
}

/** Deletes the summary; true when there was one (the caller fsyncs the directory). */
export async function removeLeaderEpochSummary(fs: StorageFs, dataDir: string): Promise<boolean> {
  try {
    await fs.unlink(join(dataDir, LEADER_EPOCH_SUMMARY));
    return true;
  } catch (e) {
    if (isErrno(e, 'ENOENT')) return false;
    throw e;
  }
}
