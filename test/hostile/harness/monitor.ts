/**
 * The canary and the RSS sampler, one per broker process. The canary (canary-worker.mjs, in a
 * worker thread so the test's busy event loop cannot delay it) sends ApiVersions every ~20 ms on
 * its own connection and records the worst latency, counting a request still unanswered as
 * `now - sent`; it shares its numbers through a SharedArrayBuffer (the S_* slots). The broker's
 * VmRSS is sampled every 20 ms on this thread and the peak kept.
 */
import { Worker } from 'node:worker_threads';
import type { HostileBroker } from './broker.js';
import { sleep } from './limits.js';
import { atNormalPriority } from './priority.js';
import { readRss } from './proc.js';

const S_WORST = 0;
const S_SENT_AT = 1;
const S_ANSWERS = 2;
const S_FAILURES = 3;
const S_PEAK_RSS = 5;

export class Monitor {
  private readonly stats = new Float64Array(new SharedArrayBuffer(8 * 8));
  private readonly worker: Worker;
  private readonly rssTimer: NodeJS.Timeout;

  constructor(
    readonly broker: HostileBroker,
    intervalMs = 20,
  ) {
    this.worker = atNormalPriority(
      () =>
        new Worker(new URL('../canary-worker.mjs', import.meta.url), {
          workerData: { host: broker.host, port: broker.port, intervalMs, shared: this.stats.buffer },
        }),
    );
    this.worker.unref();
    // RSS is sampled here too (cheap); the worker's samples would share its loop with the canary.
    this.rssTimer = setInterval(() => this.sampleRss(), 20);
  }

  private sampleRss(): void {
    const rss = readRss(this.broker.pid);
    if (rss > this.stats[S_PEAK_RSS]!) this.stats[S_PEAK_RSS] = rss;
  }

  /** Starts a new measuring window. */
  reset(): void {
    this.stats[S_WORST] = 0;
    this.stats[S_FAILURES] = 0;
    this.stats[S_PEAK_RSS] = 0;
    this.sampleRss();
  }

  /** Worst canary latency in the window, counting the request in flight. */
  worstMs(): number {
    const sentAt = this.stats[S_SENT_AT]!;
    const inFlight = sentAt > 0 ? performance.timeOrigin + performance.now() - sentAt : 0;
    return Math.max(this.stats[S_WORST]!, inFlight);
  }

  answers(): number {
    return this.stats[S_ANSWERS]!;
  }

  failures(): number {
    return this.stats[S_FAILURES]!;
  }

  peakRss(): number {
    this.sampleRss();
    return this.stats[S_PEAK_RSS]!;
  }

  /** True once the canary has had a fresh answer (within `timeoutMs`). */
  async answersAgain(timeoutMs = 3000): Promise<boolean> {
    const before = this.answers();
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (this.answers() > before) return true;
      await sleep(10);
    }
    return false;
  }

  async stop(): Promise<void> {
    clearInterval(this.rssTimer);
    this.worker.postMessage('stop');
    await this.worker.terminate();
  }
}
