/**
 * The free-disk threshold: produce is refused with KAFKA_STORAGE_ERROR while the data dir's file
 * system has less than `runnel.log.dir.min.free.bytes` free, so a full disk is met with a clear,
 * retriable error before appends, index writes, checkpoints and the metadata file start failing
 * half-way. It lifts by itself once space returns (retention, an operator): producers retry
 * KAFKA_STORAGE_ERROR and go through.
 *
 * Free space is read with an asynchronous statfs every `runnel.log.dir.free.space.check.interval.ms`
 * (and once before the listeners open), never per append: the produce path reads one boolean. The
 * threshold must cover what producers can write within one interval. Only client produce is
 * refused; the broker's own small state writes (offset commits, transaction and registry records)
 * go on, so consumers and coordinators keep working on a nearly full disk.
 */
import type { Logger } from '../logger.js';
import type { StorageFs } from '../../storage/fs.js';

export const MIN_FREE_BYTES_KEY = 'runnel.log.dir.min.free.bytes';
export const FREE_SPACE_CHECK_INTERVAL_KEY = 'runnel.log.dir.free.space.check.interval.ms';

export class FreeSpaceGuard {
  /** Free bytes at the last check (-1 before the first, or when statfs failed every time). */
  freeBytes = -1;
  private refusal: string | null = null;
  private timer: NodeJS.Timeout | null = null;
  private checking = false;
  /** Called when a check finds the space below the threshold (cluster mode: the broker stops). */
  onLow: ((problem: string) => void) | null = null;

  constructor(
    private readonly fs: StorageFs,
    private readonly dir: string,
    private readonly minFreeBytes: number,
    private readonly intervalMs: number,
    private readonly logger: Logger,
  ) {}

  /** The produce path's question: why writes are refused now, or null. */
  get problem(): string | null {
    return this.refusal;
  }

  /** Checks once, then every interval (0 disables the threshold). */
  async start(): Promise<void> {
    if (this.minFreeBytes <= 0) return;
    await this.check();
    if (this.intervalMs > 0) {
      this.timer = setInterval(() => void this.check(), this.intervalMs);
      this.timer.unref();
    }
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  async check(): Promise<void> {
    if (this.checking) return;
    this.checking = true;
    try {
      const { freeBytes } = await this.fs.statfs(this.dir);
      this.freeBytes = freeBytes;
      const low = freeBytes < this.minFreeBytes;
      if (low && this.refusal === null) this.logger.warn({ dir: this.dir, freeBytes, minFreeBytes: this.minFreeBytes }, 'free disk space below the threshold: produce is refused until space returns');
      if (!low && this.refusal !== null) this.logger.info({ dir: this.dir, freeBytes, minFreeBytes: this.minFreeBytes }, 'free disk space back above the threshold: produce resumes');
      this.refusal = low ? `Only ${freeBytes} bytes are free on the log dir ${this.dir}, below ${MIN_FREE_BYTES_KEY}=${this.minFreeBytes}; writes resume when space is freed` : null;
      if (this.refusal !== null) this.onLow?.(this.refusal);
    } catch (err) {
      // Keep the last answer: a failing statfs says nothing about the space.
      this.logger.warn({ dir: this.dir, err: (err as Error).message }, 'checking free disk space failed');
    } finally {
      this.checking = false;
    }
  }
}
