/**
 * A session: a broker, its monitor and the kafkajs pair, and `attack()`, the frame every attack
 * runs in. An attack is measured (canary window, RSS peak, CPU) while the attacker is niced; then
 * the broker must be alive and free of error-level logs, the canary must answer again, and the
 * pair must have lost nothing. `ensureUp()` replaces a broker the last case killed or bloated, so
 * cases stay independent.
 */
import { HostileBroker } from './broker.js';
import { LIMITS, mib, sleep } from './limits.js';
import { Monitor } from './monitor.js';
import { KafkaPair } from './pair.js';
import { niceAttacker } from './priority.js';

export interface AttackLimits {
  canaryMs?: number;
  rssBytes?: number;
  /** Max average broker CPU (fraction of one core) over the attack, when given. */
  cpuFraction?: number;
  /** Skip the kafkajs pair check (cases that restart the broker run their own checks). */
  noPair?: boolean;
}

export interface AttackReport {
  name: string;
  problems: string[];
  worstCanaryMs: number;
  peakRssMiB: number;
  cpuFraction: number;
  seconds: number;
}

export interface SessionOptions {
  flags?: Record<string, string | number | boolean>;
  /** Start the kafkajs pair (default true). */
  pair?: boolean;
}

export class Session {
  broker!: HostileBroker;
  monitor!: Monitor;
  pair: KafkaPair | null = null;
  /** Reports of every attack run in this session, for a summary at the end. */
  readonly reports: AttackReport[] = [];

  private constructor(readonly options: SessionOptions) {}

  static async open(options: SessionOptions = {}): Promise<Session> {
    const s = new Session(options);
    await s.up();
    return s;
  }

  private async up(): Promise<void> {
    this.broker = await HostileBroker.start(this.options.flags ?? {});
    this.monitor = new Monitor(this.broker);
    if (this.options.pair !== false) this.pair = await KafkaPair.start(this.broker.bootstrap);
    await this.monitor.answersAgain(5000);
  }

  /**
   * Before each case: a fresh broker, canary and pair when the last case killed the broker or left
   * it bloated (V8 rarely gives memory back, so the next case's RSS would be the last one's).
   */
  async ensureUp(): Promise<void> {
    const bloated = this.broker.alive() && this.broker.rssBytes() > LIMITS.bloatedBytes;
    if (this.broker.alive() && !bloated) return;
    console.log(`[hostile] starting a fresh broker (${bloated ? `the last one holds ${mib(this.broker.rssBytes())} MiB` : 'the last one died'})`);
    await this.down();
    await this.up();
  }

  /** The broker's CPU use (fraction of a core) over `ms` of the pair's and canary's traffic alone. */
  async quietCpu(ms: number): Promise<number> {
    const cpu0 = this.broker.cpuSeconds();
    const t0 = performance.now();
    await sleep(ms);
    return (this.broker.cpuSeconds() - cpu0) / ((performance.now() - t0) / 1000);
  }

  /** Restarts the broker process (same port, same data); the canary and the pair follow. */
  async restartBroker(): Promise<void> {
    await this.pair?.stop();
    await this.monitor.stop();
    await this.broker.restart();
    this.monitor = new Monitor(this.broker);
    if (this.options.pair !== false) this.pair = await KafkaPair.start(this.broker.bootstrap, `hostile-pair-${Date.now()}`);
    await this.monitor.answersAgain(5000);
  }

  private async down(): Promise<void> {
    await this.pair?.stop();
    this.pair = null;
    await this.monitor?.stop();
    await this.broker?.stop();
  }

  async close(): Promise<void> {
    await this.down();
  }

  /**
   * Runs `fn` as one attack: the canary window, RSS peak and CPU are measured over it, then the
   * broker must be alive, the canary must answer again, and the pair must have lost nothing.
   * Errors thrown by `fn` are violations too (an attack helper that expected an answer, say).
   */
  async attack(name: string, fn: (s: Session) => Promise<void | string[]>, limits: AttackLimits = {}): Promise<AttackReport> {
    const canaryMs = limits.canaryMs ?? LIMITS.canaryMs;
    const rssBytes = limits.rssBytes ?? LIMITS.rssBytes;
    const problems: string[] = [];
    const logFrom = this.broker.child.logs.length;
    const pairBefore = this.pair;
    const ackedBefore = this.pair?.acked.size ?? 0;
    this.monitor.reset();
    const cpu0 = this.broker.cpuSeconds();
    const t0 = performance.now();
    niceAttacker(true);
    try {
      const found = await fn(this);
      if (Array.isArray(found)) problems.push(...found);
    } catch (err) {
      problems.push(`attack failed: ${err instanceof Error ? err.message : String(err)}`);
    } finally {
      niceAttacker(false);
    }
    const seconds = (performance.now() - t0) / 1000;
    // A broker that just crashed is seen as exited once its exit event is processed.
    await this.broker.exitedWithin(200);
    const alive = this.broker.alive();
    const cpuFraction = alive ? (this.broker.cpuSeconds() - cpu0) / Math.max(seconds, 0.001) : NaN;
    const worst = this.monitor.worstMs();
    const peak = this.monitor.peakRss();
    if (!alive) problems.push(this.broker.describeExit());
    else {
      if (worst > canaryMs) problems.push(`canary stalled: worst ApiVersions latency ${Math.round(worst)} ms > ${canaryMs} ms`);
      if (!(await this.monitor.answersAgain())) problems.push('canary gets no answer after the attack');
      if (peak > rssBytes) problems.push(`broker RSS peaked at ${mib(peak)} MiB > ${mib(rssBytes)} MiB`);
      if (limits.cpuFraction !== undefined && cpuFraction > limits.cpuFraction)
        problems.push(`broker CPU ${(cpuFraction * 100).toFixed(0)}% of a core over ${seconds.toFixed(1)} s > ${limits.cpuFraction * 100}%`);
      const errors = this.broker.errorLogs(logFrom);
      if (errors.length > 0) problems.push(`broker logged ${errors.length} error(s), first: ${errors[0]!.slice(0, 400)}`);
      if (this.pair && !limits.noPair) {
        const missing = await this.pair.missing();
        if (missing.length > 0) problems.push(`kafkajs pair lost ${missing.length} acknowledged record(s), e.g. ${missing.slice(0, 5).join(', ')}`);
        // A short attack may end between two sends: give the pair a few seconds to show progress.
        // (A case that restarted the broker has a new pair, counted from zero.)
        const base = this.pair === pairBefore ? ackedBefore : 0;
        if (!(await this.pair.progressed(base, 5000))) problems.push('kafkajs pair made no progress during or after the attack');
      }
    }
    const report: AttackReport = { name, problems, worstCanaryMs: Math.round(worst), peakRssMiB: mib(peak), cpuFraction, seconds };
    this.reports.push(report);
    const pairNote = this.pair ? `, pair acked ${this.pair.acked.size}${this.pair === pairBefore ? ` (+${this.pair.acked.size - ackedBefore})` : ' (new pair)'}` : '';
    console.log(
      `[hostile] ${name}: ${problems.length === 0 ? 'ok' : 'FAIL'} in ${seconds.toFixed(1)} s; canary worst ${Math.round(worst)} ms, ` +
        `peak RSS ${mib(peak)} MiB, CPU ${Number.isNaN(cpuFraction) || seconds < 0.5 ? '-' : (cpuFraction * 100).toFixed(0) + '%'}${pairNote}` +
        (problems.length ? `\n  - ${problems.join('\n  - ')}` : ''),
    );
    return report;
  }
}
