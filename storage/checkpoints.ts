/**
 * Kafka's offset checkpoint files, one of each per data dir:
 *   recovery-point-offset-checkpoint  offset below which each partition's log is known fsynced
 *   log-start-offset-checkpoint       each partition's log start offset (DeleteRecords, retention)
 *   cleaner-offset-checkpoint         offset up to which compaction has cleaned each partition
 *   replication-offset-checkpoint     each replicated partition's high watermark (Kafka's
 *                                     ReplicaManager writes it; here the log manager does, with the
 *                                     others; only when the data dir holds replicated logs)
 *
 * Text format (Kafka's OffsetCheckpointFile):
 *
 *   0                          version
 *   2                          number of entries
 *   orders 0 1234              topic SP partition SP offset, one per line
 *   my.topic-x 3 0
 *
 * Written crash-safely: `<name>.tmp`, fsync, rename over the old file, fsync the directory.
 * A missing file reads as empty; a malformed one is an error the caller logs (and then recovers
 * every log from scratch, which is always safe).
 */
import { join } from 'node:path';
import { type StorageFs, isErrno, readWholeFile, writeFileAtomic } from './fs.js';

export type CheckpointEntries = Map<string, number>;

export function tpKey(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`;
}

export function encodeCheckpoint(entries: Iterable<{ topic: string; partition: number; offset: number }>): Buffer {
  const lines: string[] = [];
  for (const e of entries) lines.push(`${e.topic} ${e.partition} ${e.offset}`);
  return Buffer.from(`0\n${lines.length}\n${lines.join('\n')}${lines.length ? '\n' : ''}`, 'utf8');
}

export function decodeCheckpoint(text: string): CheckpointEntries {
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  if (lines[0] !== '0') throw new Error(`unsupported checkpoint version ${JSON.stringify(lines[0])}`);
  const count = Number(lines[1]);
  if (!Number.isInteger(count) || count < 0 || lines.length - 2 !== count) throw new Error('checkpoint entry count mismatch');
  const out: CheckpointEntries = new Map();
  for (let i = 2; i < lines.length; i++) {
    const parts = lines[i]!.split(' ');
    if (parts.length !== 3) throw new Error(`malformed checkpoint line ${i + 1}`);
    const partition = Number(parts[1]);
    const offset = Number(parts[2]);
    if (!Number.isInteger(partition) || !Number.isSafeInteger(offset)) throw new Error(`malformed checkpoint line ${i + 1}`);
    out.set(tpKey(parts[0]!, partition), offset);
  }
  return out;
}

export async function readCheckpoint(fs: StorageFs, dir: string, name: string): Promise<CheckpointEntries> {
  try {
    return decodeCheckpoint((await readWholeFile(fs, join(dir, name))).toString('utf8'));
  } catch (e) {
    if (isErrno(e, 'ENOENT')) return new Map();
    throw e;
  }
}

export async function writeCheckpoint(fs: StorageFs, dir: string, name: string, entries: Iterable<{ topic: string; partition: number; offset: number }>): Promise<void> {
  await writeFileAtomic(fs, dir, name, encodeCheckpoint(entries));
}
