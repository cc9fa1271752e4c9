/**
 * `runnel-leader-epochs-at-clean-shutdown`, one per data dir: what every partition's
 * leader-epoch-checkpoint holds, in one file, written by a clean shutdown just before the
 * clean-shutdown marker and read at the next start only when that marker is there; the start
 * deletes it with the marker, before anything can change an epoch.
 *
 * Why: a start after a clean shutdown read one small file per partition (open, read, close:
 * ~12 µs each on a shared 2-core VM, ~10% of starting 10,000 partitions); this one file of
 * ~25 bytes per partition is read in a few milliseconds. The per-partition files stay the truth
 * (Kafka's format); this is a copy of them that the marker vouches for:
 *  - it is written after every log closed, so after every epoch file that exists was written and
 *    fsynced, from what each cache knows its file holds (a partition whose file state is
 *    unknown, after a failed write, is left out and reads its file);
 *  - no marker (a crash, an offline partition): it is not read, and the start deletes it;
 *  - the start deletes it durably (with the marker) before any log can take a new epoch, so a
 *    file present at a start was written by the last shutdown, which was clean.
 * A partition missing from it, or an unreadable file (logged), reads its own file as before.
 *
 * A partition whose leader-epoch-checkpoint does not exist yet (its first records came after its
 * last checkpoint) gets no file at the clean shutdown (leader-epoch-cache.ts, `flush`): its line
 * carries the entries instead, and the start hands them to the cache as 'unwritten' (no file,
 * these entries), so the cache is dirty and the first periodic checkpoint writes the file. Why:
 * the first clean stop after 10,000 partitions got their first records created 10,000 files
 * (open, write, close, rename: 40,000 syscalls, ~2× f626e7e's whole stop), and a slow stop in a
 * container with a 10 s grace period becomes an unclean one. Safe because a missing file is never
 * taken for "no epochs": the loader rebuilds the entries of a non-empty log from its batch
 * headers (leader-epoch-load.ts), the same entries; that is what a crash between that start and
 * the checkpoint (or during the stop, before the marker) leaves.
 *
 * Text format (a Kafka checkpoint's layout, one line per partition):
 *
 *   1                          version (0: before 'unwritten' lines; still read)
 *   3                          number of partitions
 *   orders 0 -1                topic SP partition SP -1: no leader-epoch-checkpoint, no entries
 *   orders 1 2 0 0 3 1200      topic SP partition SP n, then n × (SP epoch SP start offset): the file's entries
 *   orders 2 -1 1 0 0          topic SP partition SP -1 SP n, then n entries: no file yet ('unwritten')
 *
 * Version 1 came with the third form: a build from before it rejects the file (it logs that) and
 * reads each partition's file, which is missing, so it rebuilds the entries from the log. No
 * reader ever takes an 'unwritten' line for "no file, no entries".
 */
import { join } from 'node:path';
import { LEADER_EPOCH_SUMMARY } from './file-names.js';
import { type StorageFs, isErrno, readTextIfExists, writeFileAtomic } from './fs.js';
import type { CheckpointRead, EpochEntry } from './leader-epoch-checkpoint.js';

/**
 * What a partition's leader-epoch-checkpoint holds: its entries, 'none' when there is no file and
 * nothing to write, or `{ unwritten }`: no file yet, and these entries are to be written to it.
 */
export type EpochFileState = readonly EpochEntry[] | 'none' | { readonly unwritten: readonly EpochEntry[] };

/** What a start knows of a partition's epochs from the summary: a file's read, or 'unwritten'. */
export type KnownEpochs = CheckpointRead | { kind: 'unwritten'; entries: EpochEntry[] };

export interface EpochFileOf {
  readonly topic: string;
  readonly partition: number;
  /** null: unknown (the partition reads its own file at the next start). */
  readonly state: EpochFileState | null;
}

const VERSION = '1';
const key = (topic: string, partition: number): string => `${topic}\u0000${partition}`;
const listed = (entries: readonly EpochEntry[]): string => `${entries.length}${entries.map((e) => ` ${e.epoch} ${e.startOffset}`).join('')}`;

export function encodeLeaderEpochSummary(files: Iterable<EpochFileOf>): string {
  const lines: string[] = [];
  for (const f of files) {
    if (f.state === null) continue;
    if (f.state === 'none') lines.push(`${f.topic} ${f.partition} -1`);
    else if ('unwritten' in f.state) lines.push(`${f.topic} ${f.partition} -1 ${listed(f.state.unwritten)}`);
    else lines.push(`${f.topic} ${f.partition} ${listed(f.state as readonly EpochEntry[])}`);
  }
  return `${VERSION}\n${lines.length}\n${lines.map((l) => `${l}\n`).join('')}`;
}

/** Parses the file; throws an Error saying what is wrong when it is malformed. Keys: `topic\0partition`. */
export function decodeLeaderEpochSummary(text: string): Map<string, KnownEpochs> {
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  if (lines[0] !== '0' && lines[0] !== VERSION) throw new Error(`unsupported version ${JSON.stringify(lines[0] ?? null)}`);
  const count = /^\d+$/.test(lines[1] ?? '') ? Number(lines[1]) : NaN;
  if (lines.length - 2 !== count) throw new Error(`expected ${count} partitions, found ${lines.length - 2}`);
  const out = new Map<string, KnownEpochs>();
  for (let i = 2; i < lines.length; i++) {
    const f = lines[i]!.split(' ');
    const partition = Number(f[1]);
    // "-1 n entries" (no file yet) only from version 1 on.
    const unwritten = f[2] === '-1' && f.length > 3 && lines[0] === VERSION;
    const at = unwritten ? 3 : 2; // where the entry count is
    const n = Number(f[at]);
    const ok = f[0] !== '' && Number.isInteger(partition) && partition >= 0 && (n === -1 && !unwritten ? f.length === 3 : Number.isInteger(n) && n >= 0 && f.length === at + 1 + 2 * n);
    if (!ok) throw new Error(`malformed line ${i + 1}`);
    // No file and nothing to write ("-1 0" is never written) is 'missing': a non-empty log is then
    // rebuilt from its batch headers, never taken as having no epochs.
    if (n === -1 || (unwritten && n === 0)) {
      out.set(key(f[0]!, partition), { kind: 'missing' });
      continue;
    }
    const entries: EpochEntry[] = new Array(n);
    for (let j = 0; j < n; j++) {
      const epoch = Number(f[at + 1 + 2 * j]);
      const startOffset = Number(f[at + 2 + 2 * j]);
      if (!(Number.isInteger(epoch) && epoch >= 0 && Number.isSafeInteger(startOffset) && startOffset >= 0)) throw new Error(`malformed entry on line ${i + 1}`);
      entries[j] = { epoch, startOffset };
    }
    out.set(key(f[0]!, partition), unwritten ? { kind: 'unwritten', entries } : { kind: 'found', entries });
  }
  return out;
}

/** The summary in `dataDir` (after a clean shutdown only), or an empty map when there is none. */
export async function readLeaderEpochSummary(fs: StorageFs, dataDir: string): Promise<{ get(topic: string, partition: number): KnownEpochs | undefined }> {
  const text = await readTextIfExists(fs, join(dataDir, LEADER_EPOCH_SUMMARY));
  const map = text === null ? new Map<string, KnownEpochs>() : decodeLeaderEpochSummary(text);
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
