/**
 * Producer id allocation that never hands out the same id twice, even across kill -9: ids come
 * from blocks of BLOCK_SIZE whose end is persisted before any id of the block is used (Kafka's
 * controller does the same with ProducerIdsBlock).
 *
 * On disk: `<data dir>/producer-id-block`, text `nextBlockStart=<n>`, written through the storage
 * fs seam. A failed write leaves the block unchanged: the allocation fails and the next one retries.
 * A file that is not exactly that line refuses the start (the ids it guards cannot be re-derived).
 */
import { join } from 'node:path';
import { type StorageFs, readTextIfExists, realFs, writeFileAtomic } from '../../storage/fs.js';
import { ErrorCode, KafkaError } from '../../protocol/errors.js';
import { DataDirError } from '../metadata/data-dir.js';

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
    const path = join(dataDir, FILE);
    const text = await readTextIfExists(fs, path);
    let start = 0;
    if (text !== null) {
      // The whole line, newline included: a file cut short ("nextBlockStart=10" of "...=1000\n")
      // must not read as a smaller number, and an unreadable one must not restart at 0 — either
      // would hand out producer ids again.
      const m = /^nextBlockStart=(\d+)\n$/.exec(text);
      start = m ? Number(m[1]) : NaN;
      if (!Number.isSafeInteger(start)) {
        throw new DataDirError(`${path} is corrupt (${JSON.stringify(text.slice(0, 60))}); it must hold "nextBlockStart=<n>" and a newline, with n above every producer id this broker handed out`);
      }
    }
    a.next = a.blockEnd = start;
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
