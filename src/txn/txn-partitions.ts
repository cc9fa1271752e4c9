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
 * `__transaction_state` exists (transactions were used, the file was lost), the coordinator adds
 * every existing partition at startup: read_committed then loads (rebuilds from the log) the
 * producer state of each partition it reads, correct but slower.
 */
import { join } from 'node:path';
import { readFileIfExists, writeFileAtomic } from '../metadata/atomic-file.js';

const FILE = 'transactional-partitions.json';

export class TransactionalPartitions {
  private readonly topics = new Map<string, Set<number>>();
  private writes: Promise<void> = Promise.resolve();

  /** Whether the file existed at startup. */
  fromFile = false;

  private constructor(private readonly path: string) {}

  static async open(dataDir: string): Promise<TransactionalPartitions> {
    const t = new TransactionalPartitions(join(dataDir, FILE));
    const text = await readFileIfExists(t.path);
    t.fromFile = text !== null;
    if (text) for (const [topic, parts] of Object.entries(JSON.parse(text) as Record<string, number[]>)) t.topics.set(topic, new Set(parts));
    return t;
  }

  has(topic: string, partition: number): boolean {
    return this.topics.get(topic)?.has(partition) ?? false;
  }

  /** Records the partitions (durably) if any is new. */
  async add(parts: ReadonlyArray<readonly [string, number]>): Promise<void> {
    let changed = false;
    for (const [topic, p] of parts) {
      let set = this.topics.get(topic);
      if (!set) this.topics.set(topic, (set = new Set()));
      if (!set.has(p)) {
        set.add(p);
        changed = true;
      }
    }
    if (!changed) return this.writes;
    return this.persist();
  }

  /** A deleted topic's partitions are forgotten (a new topic of that name starts clean). */
  removeTopic(topic: string): void {
    if (this.topics.delete(topic)) void this.persist().catch(() => undefined);
  }

  private persist(): Promise<void> {
    const text = JSON.stringify(Object.fromEntries([...this.topics].map(([t, s]) => [t, [...s].sort((a, b) => a - b)])));
    const write = this.writes.then(() => writeFileAtomic(this.path, text));
    this.writes = write.catch(() => undefined);
    return write;
  }
}
