/**
 * Producer ids of transactional producers, one per transactional.id, with the epoch bumped on
 * every InitProducerId so an older producer instance with the same id is fenced.
 *
 * On disk: `<data dir>/transactional-ids.json`, `{ "<transactional.id>": {"producerId": n,
 * "producerEpoch": e, "transactionTimeoutMs": t} }`, rewritten atomically on each change (entries
 * written without a timeout read as the producer default, 60000). (The full transaction
 * coordinator with __transaction_state comes with transactions support.)
 */
import { join } from 'node:path';
import { readFileIfExists, writeFileAtomic } from '../metadata/atomic-file.js';
import type { ProducerIdAllocator } from './producer-ids.js';

const FILE = 'transactional-ids.json';
const MAX_EPOCH = 32767;
/** The producer's default transaction.timeout.ms, for entries stored without a timeout. */
const DEFAULT_TIMEOUT_MS = 60000;

interface Entry {
  producerId: number;
  producerEpoch: number;
  /** From the last InitProducerId (what DescribeTransactions reports). */
  transactionTimeoutMs: number;
}

export class TransactionalIds {
  private writes: Promise<void> = Promise.resolve();

  private constructor(
    private readonly path: string,
    private readonly entries: Map<string, Entry>,
    private readonly ids: ProducerIdAllocator,
  ) {}

  static async open(dataDir: string, ids: ProducerIdAllocator): Promise<TransactionalIds> {
    const path = join(dataDir, FILE);
    const text = await readFileIfExists(path);
    const stored = text ? Object.entries(JSON.parse(text) as Record<string, Partial<Entry>>) : [];
    const entries = new Map<string, Entry>(stored.map(([id, e]) => [id, { producerId: e.producerId!, producerEpoch: e.producerEpoch!, transactionTimeoutMs: e.transactionTimeoutMs ?? DEFAULT_TIMEOUT_MS }]));
    return new TransactionalIds(path, entries, ids);
  }

  /** Every known transactional id (ListTransactions / DescribeTransactions). */
  list(): ReadonlyMap<string, Readonly<Entry>> {
    return this.entries;
  }

  async init(transactionalId: string, transactionTimeoutMs = DEFAULT_TIMEOUT_MS): Promise<Entry> {
    const current = this.entries.get(transactionalId);
    let next: Entry;
    if (current && current.producerEpoch < MAX_EPOCH - 1) next = { producerId: current.producerId, producerEpoch: current.producerEpoch + 1, transactionTimeoutMs };
    else next = { producerId: await this.ids.allocate(), producerEpoch: 0, transactionTimeoutMs };
    this.entries.set(transactionalId, next);
    const text = JSON.stringify(Object.fromEntries(this.entries));
    const write = this.writes.then(() => writeFileAtomic(this.path, text));
    this.writes = write.catch(() => undefined);
    await write;
    return next;
  }
}
