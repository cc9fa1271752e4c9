/**
 * A per-second cap on audit log lines (authentication failures, authorization denials), so that a
 * client retrying in a loop cannot flood the log: at most `perSecond` lines in any one-second
 * window; the lines dropped meanwhile are counted and handed to the next line that is written.
 */
export class LogRateLimit {
  private windowStart = 0;
  private inWindow = 0;
  private suppressed = 0;

  constructor(
    private readonly perSecond: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Whether a line may be written now: null if not (it is counted), else how many were dropped before it. */
  admit(): number | null {
    const t = this.now();
    if (t - this.windowStart >= 1000) {
      this.windowStart = t;
      this.inWindow = 0;
    }
    if (this.inWindow >= this.perSecond) {
      this.suppressed++;
      return null;
    }
    this.inWindow++;
    const dropped = this.suppressed;
    this.suppressed = 0;
    return dropped;
  }
}
