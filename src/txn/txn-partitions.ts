/**
 * The partitions that have ever been part of a transaction. Only those can hold transactional
 * batches and markers (a transactional batch is refused unless AddPartitionsToTxn added its
 * partition, and AddPartitionsToTxn answers only after the partition is recorded here), so a
 * read_committed fetch or ListOffsets of any other partition needs no producer state at all: its
 * last stable offset is the high watermark and it has no aborted transactions. That keeps
 * read_committed reads of non-transactional data (kafkajs consumers read_committed by default) as
 * cheap as read_uncommitted ones.
 *
 * On disk: `<data dir>/transactional-partitions.json`, `{ "<topic>": [partition, ...] }`,
 * rewritten atomically when a partition is added. If the file is missing while
 * `__transaction_state` exists (transactions were used, the file was lost), or unreadable (torn,
 * mangled), the coordinator adds every existing partition at startup, which rewrites it whole:
 * read_committed then loads (rebuilds from the log) the producer state of each partition it reads,
 * correct but slower.
 */
import { join } from 'node:path';
import { type StorageFs, readTextIfExists, realFs, writeFileAtomic } from '../../storage/fs.js';

const FILE = 'transactional-partitions.json';

export class TransactionalPartitions {
  private topics = new Map<string, Set<number>>();
  private writes: Promise<void> = Promise.resolve();

  /** Whether the file existed at startup. */
  fromFile = false;

  private constructor(
    private readonly dir: string,
    private readonly fs: StorageFs,
  ) {}

  /** Why the file could not be read at startup (then it counts as missing), or null. */
  unreadable: string | null = null;

  static async open(dataDir: string, fs: StorageFs = realFs): Promise<TransactionalPartitions> {
    const t = new TransactionalPartitions(dataDir, fs);
    const text = await readTextIfExists(fs, join(dataDir, FILE));
    if (text === null) return t;
    try {
      t.topics = parsePartitions(text);
      t.fromFile = true;
    } catch (e) {
      t.unreadable = (e as Error).message;
    }
    return t;
  }

  /**
   * A data directory that starts out empty (a broker joining a cluster with a new one): it holds no
   * transaction yet, so the record is complete as it is — written empty now, so that the missing
   * file is not taken for a lost one (see the header).
   */
  async startEmpty(): Promise<void> {
    if (this.fromFile || this.unreadable !== null) return;
    await this.commit(() => true);
    this.fromFile = true;
  }

  has(topic: string, partition: number): boolean {
    return this.topics.get(topic)?.has(partition) ?? false;
  }

  /**
   * Records the partitions (durably) if any is new. Memory changes only after the write: `has()`
   * never answers true for a partition the file does not hold, so a failed write (ENOSPC, EIO)
   * fails this call and the client's retry writes again.
   */
  add(parts: ReadonlyArray<readonly [string, number]>): Promise<void> {
    if (parts.every(([topic, p]) => this.has(topic, p))) return Promise.resolve();
    return this.commit((next) => {
      let changed = false;
      for (const [topic, p] of parts) {
        let set = next.get(topic);
        if (!set) next.set(topic, (set = new Set()));
        if (!set.has(p)) {
          set.add(p);
          changed = true;
        }
      }
      return changed;
    });
  }

  /** A deleted topic's partitions are forgotten (a new topic of that name starts clean). */
  removeTopic(topic: string): void {
    if (this.topics.has(topic)) void this.commit((next) => next.delete(topic)).catch(() => undefined);
  }

  /** Applies `change` to a copy of the state, writes the copy, then makes it the state. Serialized. */
  private commit(change: (next: Map<string, Set<number>>) => boolean): Promise<void> {
    const run = this.writes.then(async () => {
      const next = new Map([...this.topics].map(([t, s]) => [t, new Set(s)]));
      if (!change(next)) return;
      const text = JSON.stringify(Object.fromEntries([...next].map(([t, s]) => [t, [...s].sort((a, b) => a - b)])));
      await writeFileAtomic(this.fs, this.dir, FILE, text);
      this.topics = next;
    });
    this.writes = run.catch(() => undefined);
    return run;
  }
}

/** The file's `{ "<topic>": [partition, ...] }`; throws when it is anything else (torn, mangled). */
function parsePartitions(text: string): Map<string, Set<number>> {
  const parsed: unknown = JSON.parse(text);
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('not an object of topics');
  const out = new Map<string, Set<number>>();
  for (const [topic, parts] of Object.entries(parsed)) {
    if (!Array.isArray(parts) || !parts.every((p) => Number.isInteger(p) && p >= 0)) throw new Error(`malformed partitions of ${JSON.stringify(topic)}`);
    out.set(topic, new Set(parts as number[]));
  }
  return out;
}
