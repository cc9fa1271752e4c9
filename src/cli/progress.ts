/**
 * A one-line progress bar on stderr for long work (perf runs, producing a large file), drawn
 * only when stderr is a terminal: scripts and CI logs get no control characters. Redraws at most
 * ten times a second, so calling update() per record costs a comparison.
 *
 *   [##########..........]  50%  50,000/100,000 records  24,310 rec/s  ETA 2s
 */
export interface ProgressOptions {
  /** What is counted: "records", "bytes" (bytes are shown in KiB/MiB). */
  unit: string;
  /** Known total, or undefined for a running count. */
  total?: number;
  enabled: boolean;
  stream: NodeJS.WritableStream;
}

const WIDTH = 24;

export function formatCount(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  if (n < 1024 ** 3) return `${(n / 1024 / 1024).toFixed(1)} MiB`;
  return `${(n / 1024 ** 3).toFixed(2)} GiB`;
}

export class Progress {
  private readonly start = performance.now();
  private lastDraw = 0;
  private drawn = false;
  private current = 0;

  constructor(private readonly opts: ProgressOptions) {}

  update(done: number, total = this.opts.total): void {
    this.current = done;
    if (!this.opts.enabled) return;
    const now = performance.now();
    if (now - this.lastDraw < 100) return;
    this.lastDraw = now;
    this.draw(done, total, now);
  }

  /** Clears the bar (the caller prints its summary after). */
  finish(): void {
    if (this.opts.enabled && this.drawn) this.opts.stream.write('\r\x1b[2K');
    this.drawn = false;
  }

  get value(): number {
    return this.current;
  }

  private draw(done: number, total: number | undefined, now: number): void {
    const secs = (now - this.start) / 1000;
    const rate = secs > 0 ? done / secs : 0;
    const isBytes = this.opts.unit === 'bytes';
    const amount = (n: number) => (isBytes ? formatBytes(n) : formatCount(n));
    const rateText = isBytes ? `${formatBytes(rate)}/s` : `${formatCount(rate)} rec/s`;
    let line: string;
    if (total !== undefined && total > 0) {
      const frac = Math.min(1, done / total);
      const filled = Math.round(frac * WIDTH);
      const eta = rate > 0 ? Math.max(0, (total - done) / rate) : 0;
      line = `[${'#'.repeat(filled)}${'.'.repeat(WIDTH - filled)}] ${String(Math.floor(frac * 100)).padStart(3)}%  ${amount(done)}/${amount(total)}${isBytes ? '' : ` ${this.opts.unit}`}  ${rateText}  ETA ${Math.ceil(eta)}s`;
    } else {
      line = `${amount(done)}${isBytes ? '' : ` ${this.opts.unit}`}  ${rateText}  ${secs.toFixed(0)}s`;
    }
    this.opts.stream.write(`\r\x1b[2K${line}`);
    this.drawn = true;
  }
}
