/**
 * The hostile-client harness (issue 14): a broker under attack and the three witnesses that judge
 * each attack.
 *
 * - The broker runs as a child process (`node dist/runnel.mjs`, built by `npm test`), so a crash is
 *   an observed exit and RSS/CPU are the broker's own, read from /proc/<pid>.
 * - A canary (canary-worker.mjs, in a worker thread so the test's busy event loop cannot delay it)
 *   sends ApiVersions every ~20 ms on its own connection and records the worst latency, counting a
 *   request still unanswered as `now - sent`. The same worker samples the broker's VmRSS every
 *   20 ms and keeps the peak.
 * - A kafkajs producer/consumer pair writes sequence-numbered records (acks=-1) to its own topic
 *   and reads them back in a group; after each attack every acknowledged record must have been
 *   consumed.
 *
 * `Session.attack()` runs one attack inside that frame and returns a list of violations (empty
 * when the broker held up), with the measurements printed on one line per case for the report.
 * When an attack kills the broker, the next `ensureUp()` starts a fresh one, so cases stay
 * independent.
 */
import { readFileSync } from 'node:fs';
import { setPriority } from 'node:os';
import { Worker } from 'node:worker_threads';
import kafkajsPkg from 'kafkajs';
import type { Admin, Consumer, Producer } from 'kafkajs';
import { spawnBroker, tempDir, removeDir, type ChildBroker } from '../helpers/broker.js';

const { Kafka, logLevel } = kafkajsPkg;

const MiB = 1024 * 1024;

/** Bounds every attack is held to; env overrides exist for slow machines, not to hide bugs. */
export const LIMITS = {
  /** Worst ApiVersions latency on the canary connection while an attack runs. */
  canaryMs: Number(process.env.RUNNEL_HOSTILE_CANARY_MS ?? 100),
  /**
   * Peak broker RSS while an attack runs. The idle broker sits near 60-100 MiB; the largest
   * designed allowance one attack can reach is the decompression of four produced batches at
   * once (4 × runnel.produce.max.decompressed.bytes = 256 MiB): ~360 MiB measured.
   */
  rssBytes: Number(process.env.RUNNEL_HOSTILE_RSS_MIB ?? 400) * MiB,
  /** How long acknowledged records may take to reach the consumer after an attack. */
  pairSettleMs: 15_000,
  /** A shared broker above this RSS after a case is replaced before the next one. */
  bloatedBytes: 200 * MiB,
};

/** Flags every hostile broker gets: a consumer group forms at once, and logs stay readable. */
export const BASE_FLAGS: Record<string, string | number | boolean> = {
  'group.initial.rebalance.delay.ms': 0,
};

// ---------------------------------------------------------------------------------------------
// Attacker priority
//
// The attacks run on the same two cores as the broker: building and sending hundreds of MB, or
// closing 10,000 sockets, takes CPU the broker and the canary then wait for, and the canary
// would blame the broker for the attacker's own work. While an attack runs, the test's main
// thread (the attacker, and the kafkajs pair) is niced; the broker child and the canary thread
// keep normal priority. Linux nices threads one by one, and a child or thread inherits the nice
// value of the thread that creates it, so brokers and canaries are created at normal priority.
// Only root may lower a nice value again, so elsewhere the attacker keeps normal priority.

const ATTACKER_NICE = 10;
const CAN_RENICE = process.platform === 'linux' && process.getuid?.() === 0;
let attackerNiced = false;

/** Nices (true) or restores (false) the calling thread: the attacker, during an attack. */
export function niceAttacker(on: boolean): void {
  if (!CAN_RENICE || attackerNiced === on) return;
  try {
    setPriority(0, on ? ATTACKER_NICE : 0);
    attackerNiced = on;
  } catch {
    // not permitted here: the attack runs at normal priority
  }
}

/** Runs `create` (which spawns a process or a thread) at normal priority, so it inherits that. */
function atNormalPriority<T>(create: () => T): T {
  const was = attackerNiced;
  niceAttacker(false);
  try {
    return create();
  } finally {
    niceAttacker(was);
  }
}

// ---------------------------------------------------------------------------------------------
// The broker child

/** Every broker child still running: killed if the test process exits without stopping them. */
const LIVE = new Set<ChildBroker>();
process.once('exit', () => {
  for (const c of LIVE) c.process.kill('SIGKILL');
});

export class HostileBroker {
  private constructor(
    public child: ChildBroker,
    readonly dataDir: string,
    readonly flags: Record<string, string | number | boolean>,
    readonly ownsDir: boolean,
  ) {}

  static async start(flags: Record<string, string | number | boolean> = {}, dataDir?: string): Promise<HostileBroker> {
    const dir = dataDir ?? tempDir('hostile');
    const all = { ...BASE_FLAGS, ...flags };
    const child = await atNormalPriority(() => spawnBroker(dir, all));
    LIVE.add(child);
    return new HostileBroker(child, dir, all, dataDir === undefined);
  }

  get pid(): number {
    return this.child.process.pid!;
  }
  get host(): string {
    return this.child.host;
  }
  get port(): number {
    return this.child.port;
  }
  get bootstrap(): string {
    return this.child.bootstrap;
  }

  /** Base URL of the schema registry REST API, from the "broker started" log line. */
  get registryUrl(): string {
    const line = this.child.logs.findLast((l) => l.includes('"broker started"'))!;
    return (JSON.parse(line) as { schemaRegistry: string }).schemaRegistry;
  }

  alive(): boolean {
    const p = this.child.process;
    return p.exitCode === null && p.signalCode === null;
  }

  /** How the broker ended, with its last error-level log lines (pino level >= 50). */
  describeExit(): string {
    const p = this.child.process;
    const errors = this.child.logs.filter((l) => /"level":(50|60)/.test(l)).slice(-2);
    // An uncaught exception is printed by Node itself, not as a pino line: its message and stack.
    const crash = this.child.logs.filter((l) => l.trim() !== '' && !l.startsWith('{')).slice(0, 8);
    return `broker exited (code ${p.exitCode}, signal ${p.signalCode}); ${crash.length ? `stderr: ${crash.join(' | ')}` : ''} ${errors.length ? `errors: ${errors.join(' | ')}` : ''}`.trim();
  }

  rssBytes(): number {
    return readRss(this.pid);
  }

  /** Resolves true if the broker exits within `ms` (false: still running). */
  exitedWithin(ms: number): Promise<boolean> {
    if (!this.alive()) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.child.process.off('exit', onExit);
        resolve(false);
      }, ms);
      const onExit = () => {
        clearTimeout(timer);
        resolve(true);
      };
      this.child.process.once('exit', onExit);
    });
  }

  /** User + system CPU seconds the broker has used so far. */
  cpuSeconds(): number {
    return readCpuSeconds(this.pid);
  }

  /** Error-level log lines (uncaught handler failures and the like) since `from`. */
  errorLogs(from = 0): string[] {
    return this.child.logs.slice(from).filter((l) => /"level":(50|60)/.test(l));
  }

  /** Graceful restart on the same port and data directory. */
  async restart(): Promise<void> {
    const port = this.port;
    await this.stopProcess();
    this.child = await atNormalPriority(() => spawnBroker(this.dataDir, this.flags, port));
    LIVE.add(this.child);
  }

  private async stopProcess(): Promise<void> {
    LIVE.delete(this.child);
    if (!this.alive()) return;
    const exited = this.child.kill('SIGTERM');
    const timer = setTimeout(() => void this.child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  }

  async stop(): Promise<void> {
    await this.stopProcess();
    if (this.ownsDir) removeDir(this.dataDir);
  }
}

/** The soft limit on open files of this process (brokers it spawns inherit it). */
export function openFilesLimit(): number {
  try {
    const m = /Max open files\s+(\d+|unlimited)/.exec(readFileSync('/proc/self/limits', 'utf8'));
    return m ? (m[1] === 'unlimited' ? Infinity : Number(m[1])) : Infinity;
  } catch {
    return Infinity;
  }
}

export function readRss(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** utime + stime from /proc/<pid>/stat, in seconds (clock ticks are 1/100 s on Linux). */
export function readCpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name, which is in parentheses and may contain spaces.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return 0;
  }
}

// ---------------------------------------------------------------------------------------------
// Canary and RSS sampler (one worker thread per broker process)

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
        new Worker(new URL('./canary-worker.mjs', import.meta.url), {
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

// ---------------------------------------------------------------------------------------------
// The kafkajs producer/consumer pair

export class KafkaPair {
  readonly acked = new Set<number>();
  readonly consumed = new Set<number>();
  sendErrors = 0;
  private seq = 0;
  private running = true;
  private loop: Promise<void> = Promise.resolve();

  private constructor(
    private readonly admin: Admin,
    private readonly producer: Producer,
    private readonly consumer: Consumer,
    readonly topic: string,
  ) {}

  static async start(bootstrap: string, topic = 'hostile-pair'): Promise<KafkaPair> {
    const kafka = new Kafka({
      brokers: [bootstrap],
      clientId: 'hostile-pair',
      logLevel: logLevel.NOTHING,
      connectionTimeout: 3000,
      requestTimeout: 10_000,
      retry: { retries: 5, initialRetryTime: 100, maxRetryTime: 1000 },
    });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 2 }], waitForLeaders: true });
    const producer = kafka.producer({ allowAutoTopicCreation: false });
    await producer.connect();
    const consumer = kafka.consumer({ groupId: `${topic}-group`, maxWaitTimeInMs: 100, sessionTimeout: 30_000, heartbeatInterval: 1000 });
    const pair = new KafkaPair(admin, producer, consumer, topic);
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    let joined!: () => void;
    const joinedP = new Promise<void>((r) => (joined = r));
    consumer.on(consumer.events.GROUP_JOIN, () => joined());
    await consumer.run({
      eachMessage: async ({ message }) => {
        pair.consumed.add(Number(message.value!.toString()));
      },
    });
    await withTimeout(joinedP, 20_000, 'the pair consumer did not join its group');
    pair.loop = pair.produceLoop();
    return pair;
  }

  private async produceLoop(): Promise<void> {
    while (this.running) {
      const n = this.seq++;
      try {
        await this.producer.send({ topic: this.topic, acks: -1, timeout: 10_000, messages: [{ key: String(n % 7), value: String(n) }] });
        this.acked.add(n);
        await sleep(15);
      } catch {
        this.sendErrors++;
        await sleep(100);
      }
    }
  }

  /** Acknowledged records not consumed within `timeoutMs` (empty: nothing lost). */
  async missing(timeoutMs = LIMITS.pairSettleMs): Promise<number[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const missing = [...this.acked].filter((n) => !this.consumed.has(n));
      if (missing.length === 0 || Date.now() > deadline) return missing;
      await sleep(50);
    }
  }

  /** True once more than `base` records are acknowledged (within `timeoutMs`). */
  async progressed(base: number, timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (this.acked.size <= base) {
      if (Date.now() > deadline) return false;
      await sleep(20);
    }
    return true;
  }

  async stop(): Promise<void> {
    this.running = false;
    await withTimeout(this.loop, 15_000, 'producer loop').catch(() => undefined);
    await Promise.allSettled([this.consumer.disconnect(), this.producer.disconnect(), this.admin.disconnect()]);
  }
}

// ---------------------------------------------------------------------------------------------
// A session: broker + monitor + pair, and the attack frame

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

// ---------------------------------------------------------------------------------------------

export function mib(bytes: number): number {
  return Math.round(bytes / MiB);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

export async function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer!: NodeJS.Timeout;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: timed out after ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
