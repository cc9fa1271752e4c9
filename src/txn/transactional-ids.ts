/**
 * Producer ids of transactional producers, one per transactional.id, with the epoch bumped on
 * every InitProducerId so an older producer instance with the same id is fenced.
 *
 * On disk: `<data dir>/transactional-ids.json`, `{ "<transactional.id>": {"producerId": n,
 * "producerEpoch": e} }`, rewritten atomically on each change. (The full transaction coordinator
 * with __transaction_state comes with transactions support.)
 */
import { join } from 'node:path';
import { readFileIfExists, writeFileAtomic } from '../metadata/atomic-file.js';
import type { ProducerIdAllocator } from './producer-ids.js';

const FILE = 'transactional-ids.json';
const MAX_EPOCH = 32767;

interface Entry {
  producerId: number;
  producerEpoch: number;
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
    const entries = new Map<string, Entry>(text ? Object.entries(JSON.parse(text) as Record<string, Entry>) : []);
    return new TransactionalIds(path, entries, ids);
  }

  async init(transactionalId: string): Promise<Entry> {
    const current = this.entries.get(transactionalId);
    let next: Entry;
    if (current && current.producerEpoch < MAX_EPOCH - 1) next = { producerId: current.producerId, producerEpoch: current.producerEpoch + 1 };
    else next = { producerId: await this.ids.allocate(), producerEpoch: 0 };
    this.entries.set(transactionalId, next);
    const text = JSON.stringify(Object.fromEntries(this.entries));
    const write = this.writes.then(() => writeFileAtomic(this.path, text));
    this.writes = write.catch(() => undefined);
    await write;
    return next;
  }
}
