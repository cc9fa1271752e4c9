/**
 * Producer id allocation that never hands out the same id twice, even across kill -9: ids come
 * from blocks of BLOCK_SIZE whose end is persisted before any id of the block is used (Kafka's
 * controller does the same with ProducerIdsBlock).
 *
 * On disk: `<data dir>/producer-id-block`, text `nextBlockStart=<n>`.
 */
import { join } from 'node:path';
import { readFileIfExists, writeFileAtomic } from '../metadata/atomic-file.js';

const BLOCK_SIZE = 1000;
const FILE = 'producer-id-block';

export class ProducerIdAllocator {
  private next = 0;
  private blockEnd = 0;
  private pending: Promise<void> | null = null;

  private constructor(private readonly path: string) {}

  static async open(dataDir: string): Promise<ProducerIdAllocator> {
    const a = new ProducerIdAllocator(join(dataDir, FILE));
    const text = await readFileIfExists(a.path);
    const m = text ? /nextBlockStart=(\d+)/.exec(text) : null;
    a.next = a.blockEnd = m ? Number(m[1]) : 0;
    return a;
  }

  async allocate(): Promise<number> {
    while (this.next >= this.blockEnd) {
      if (!this.pending) {
        const newEnd = this.blockEnd + BLOCK_SIZE;
        this.pending = writeFileAtomic(this.path, `nextBlockStart=${newEnd}\n`).then(
          () => {
            this.blockEnd = newEnd;
            this.pending = null;
          },
          (err) => {
            this.pending = null;
            throw err;
          },
        );
      }
      await this.pending;
    }
    return this.next++;
  }
}
