/**
 * Producer id allocation that never hands out the same id twice, even across kill -9: ids come
 * from blocks of BLOCK_SIZE whose end is persisted before any id of the block is used (Kafka's
 * controller does the same with ProducerIdsBlock).
 *
 * On disk: `<data dir>/producer-id-block`, text `nextBlockStart=<n>`, written through the storage
 * fs seam. A failed write leaves the block unchanged: the allocation fails and the next one retries.
 */
import { join } from 'node:path';
import { type StorageFs, readTextIfExists, realFs, writeFileAtomic } from '../../storage/fs.js';
import { ErrorCode, KafkaError } from '../../protocol/errors.js';

const BLOCK_SIZE = 1000;
const FILE = 'producer-id-block';

export class ProducerIdAllocator {
  private next = 0;
  private blockEnd = 0;
  private pending: Promise<void> | null = null;

  private constructor(
    private readonly dir: string,
    private readonly fs: StorageFs,
  ) {}

  static async open(dataDir: string, fs: StorageFs = realFs): Promise<ProducerIdAllocator> {
    const a = new ProducerIdAllocator(dataDir, fs);
    const text = await readTextIfExists(fs, join(dataDir, FILE));
    const m = text ? /nextBlockStart=(\d+)/.exec(text) : null;
    a.next = a.blockEnd = m ? Number(m[1]) : 0;
    return a;
  }

  async allocate(): Promise<number> {
    while (this.next >= this.blockEnd) {
      if (!this.pending) {
        const newEnd = this.blockEnd + BLOCK_SIZE;
        this.pending = writeFileAtomic(this.fs, this.dir, FILE, `nextBlockStart=${newEnd}\n`).then(
          () => {
            this.blockEnd = newEnd;
            this.pending = null;
          },
          (err: Error) => {
            this.pending = null;
            throw new KafkaError(ErrorCode.KAFKA_STORAGE_ERROR, `Recording a producer id block failed: ${err.message}`);
          },
        );
      }
      await this.pending;
    }
    return this.next++;
  }
}
