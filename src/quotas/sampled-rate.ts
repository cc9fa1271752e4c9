/**
 * A rate over sampled windows, as Kafka's metrics `Rate` over a `SampledStat` measures quotas:
 * `samples` windows of `windowMs` each (quota.window.num × quota.window.size.seconds); a sample
 * older than samples × windowMs no longer counts. The rate is the sum of the live samples divided
 * by the elapsed time since the oldest one began — but never by less than `minWindows` windows
 * (Kafka's Rate: samples − 1), so a new client is measured over at least that span and may burst
 * up to quota × minWindows windows before it is throttled.
 *
 * Fixed-size typed arrays, no allocation per record: O(samples) per measure (11 by default).
 */
export class SampledRate {
  private readonly values: Float64Array;
  /** Start time (ms) of each sample's window; -Infinity when unused. */
  private readonly starts: Float64Array;
  private current = 0;

  constructor(
    private readonly samples: number,
    private readonly windowMs: number,
    private readonly minWindows = samples - 1,
  ) {
    this.values = new Float64Array(samples);
    this.starts = new Float64Array(samples).fill(Number.NEGATIVE_INFINITY);
  }

  record(value: number, nowMs: number): void {
    let start = this.starts[this.current]!;
    if (nowMs >= start + this.windowMs) {
      // The current window is over: the next sample (the oldest) starts anew.
      this.current = (this.current + 1) % this.samples;
      this.starts[this.current] = nowMs;
      this.values[this.current] = 0;
      start = nowMs;
    }
    this.values[this.current]! += value;
  }

  /** Takes back a value recorded just before (Kafka's unrecord, for a throttled Fetch). */
  unrecord(value: number): void {
    this.values[this.current] = Math.max(0, this.values[this.current]! - value);
  }

  /** Units per second. */
  measure(nowMs: number): number {
    const expiry = nowMs - this.samples * this.windowMs;
    let total = 0;
    let oldest = nowMs;
    for (let i = 0; i < this.samples; i++) {
      const s = this.starts[i]!;
      if (s <= expiry) continue; // expired (or never used)
      total += this.values[i]!;
      if (s < oldest) oldest = s;
    }
    return total / (this.windowSizeMs(nowMs, oldest) / 1000);
  }

  /** Kafka's Rate.windowSize: elapsed since the oldest live sample began, at least minWindows windows. */
  windowSizeMs(nowMs: number, oldest = this.oldestStart(nowMs)): number {
    const elapsed = nowMs - oldest;
    const minMs = Math.max(1, this.minWindows) * this.windowMs;
    return elapsed < minMs ? minMs + (elapsed % this.windowMs) : elapsed;
  }

  private oldestStart(nowMs: number): number {
    const expiry = nowMs - this.samples * this.windowMs;
    let oldest = nowMs;
    for (let i = 0; i < this.samples; i++) {
      const s = this.starts[i]!;
      if (s > expiry && s < oldest) oldest = s;
    }
    return oldest;
  }
}
