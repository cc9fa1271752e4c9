/**
 * One fuzzing run against a broker child. Eight connection slots send 1-3 mutants per connection
 * (a third of them in pieces, so frame boundaries land inside and at the end of TCP reads); every
 * 250 ms the run checks that the broker is alive, the canary waited less than STALL_MS, RSS is
 * under the bound and the data directory holds fewer than MAX_DATA_DIR_ENTRIES entries. Error-
 * level broker logs (a handler threw) are findings, not failures. On a failure the last 300
 * connections' mutants are saved (crash-files.ts); canary waits over LIMITS.canaryMs save what
 * was sent meanwhile.
 */
import { readdirSync } from 'node:fs';
import { HostileBroker, LIMITS, Monitor, mib, niceAttacker, sleep } from '../harness.js';
import { loadCorpus } from './corpus.js';
import { saveMutants } from './crash-files.js';
import { mutate, type Mutant } from './mutators.js';
import { Rng } from './rng.js';
import { sendOnOneConnection } from './send.js';

export interface FuzzOptions {
  seed: number;
  seconds: number;
  /** Connections open at a time. */
  connections?: number;
  /** Most mutants per connection (each gets 1..this many, pipelined). */
  perConnection?: number;
  /** Extra broker flags. */
  flags?: Record<string, string | number | boolean>;
  /** Mutate only frames of these APIs (the warm-up still sends the whole corpus). */
  apiKeys?: readonly number[];
  log?: (line: string) => void;
}

export interface FuzzResult {
  seed: number;
  mutants: number;
  seconds: number;
  outcomes: Record<string, number>;
  peakRssMiB: number;
  worstCanaryMs: number;
  /** Distinct error-level broker log messages (a handler threw), with one example each. */
  findings: string[];
  /** Why the run failed (crash, stall, memory, disk), or null. */
  failure: string | null;
  crashFile: string | null;
  /** Health checks (every 250 ms) that saw the canary wait longer than LIMITS.canaryMs. */
  slowChecks: number;
  /** What was sent around the worst canary wait, when it exceeded LIMITS.canaryMs (replayable). */
  slowFile: string | null;
}

/**
 * Mutated CreateTopics/CreatePartitions ask for up to 10,000 partitions (the per-topic cap) again
 * and again: each partition costs the broker ~12 KiB and a directory, and nothing caps the total,
 * so an hour's run would end on memory, not on a bug. A small per-topic cap keeps the broker's
 * state bounded; runaway creation has its own cases in hostile.test.ts (cases/own-broker.ts).
 */
const FUZZ_FLAGS = { 'runnel.max.partitions.per.topic': 64 };

/** A canary wait this long fails the run (a stall, not a hiccup). */
const STALL_MS = 2000;
const MAX_DATA_DIR_ENTRIES = 20_000;

export async function runFuzz(opts: FuzzOptions): Promise<FuzzResult> {
  const log = opts.log ?? ((l: string) => console.log(l));
  const connections = opts.connections ?? 8;
  const perConnection = opts.perConnection ?? 3;
  const corpus = loadCorpus();
  const targets = opts.apiKeys ? corpus.filter((f) => opts.apiKeys!.includes(f.apiKey)) : corpus;
  if (targets.length === 0) throw new Error(`no corpus frame of APIs ${opts.apiKeys?.join(',')}`);
  const rng = new Rng(opts.seed);
  log(`[fuzz] seed ${opts.seed}, ${opts.seconds} s, corpus ${corpus.length} request frames (mutating ${targets.length}), ${connections} connections at a time, 1-${perConnection} mutants each`);
  const broker = await HostileBroker.start({ ...FUZZ_FLAGS, ...opts.flags });
  const monitor = new Monitor(broker);
  const outcomes: Record<string, number> = {};
  // The most recent mutants, oldest first: what a crash file holds.
  const recent: Array<{ slot: number; mutants: Mutant[] }> = [];
  // What each connection slot sent since the last check: the suspects of a slow check.
  let sinceCheck: Array<{ slot: number; mutants: Mutant[] }> = [];
  const findings = new Map<string, string>();
  let checks = 0;
  let mutants = 0;
  let failure: string | null = null;
  let worst = 0;
  let peak = 0;
  let slowChecks = 0;
  let slowest: { ms: number; sent: Array<{ slot: number; mutants: Mutant[] }> } = { ms: 0, sent: [] };
  let dirEntries = 0;
  const t0 = performance.now();
  const deadline = t0 + opts.seconds * 1000;
  try {
    await monitor.answersAgain(5000);
    // Warm-up: every corpus frame once, unmutated, so the topics and groups they name exist.
    for (const f of [...corpus].sort((a, b) => (a.apiKey === 19 ? -1 : b.apiKey === 19 ? 1 : 0))) {
      const framed = Buffer.concat([Buffer.alloc(4), f.bytes]);
      framed.writeInt32BE(f.bytes.length);
      await sendOnOneConnection(broker.host, broker.port, [framed], 300);
    }
    let running = true;
    // Connection slots: each sends 1..perConnection mutants on a fresh connection, waits briefly
    // for answers (or the broker closing it), and starts over. Mutants come from one seeded
    // sequence; which slot sends which depends on timing, the mutants themselves do not.
    const slot = async (id: number): Promise<void> => {
      while (running) {
        const ms = Array.from({ length: 1 + rng.int(perConnection) }, () => mutate(rng, targets));
        const entry = { slot: id, mutants: ms };
        recent.push(entry);
        if (recent.length > 300) recent.shift();
        sinceCheck.push(entry);
        mutants += ms.length;
        // A third of the connections send their bytes in pieces: cut at frame ends and at random.
        const total = ms.reduce((n, m) => n + m.bytes.length, 0);
        const cuts: number[] = [];
        if (rng.chance(0.33)) {
          let end = 0;
          for (const m of ms) cuts.push((end += m.bytes.length));
          for (let k = rng.int(4); k > 0; k--) cuts.push(1 + rng.int(Math.max(1, total - 1)));
          cuts.sort((a, b) => a - b);
        }
        const how = await sendOnOneConnection(broker.host, broker.port, ms.map((m) => m.bytes), 500, cuts);
        outcomes[how] = (outcomes[how] ?? 0) + 1;
        if (how === 'refused') await sleep(50);
      }
    };
    // The mutant generator and senders are the attacker: niced, as in the attack suite (harness.ts).
    niceAttacker(true);
    const slots = Array.from({ length: connections }, (_, i) => slot(i));
    // Health checks, every 250 ms: alive, canary answering, RSS, error logs, data directory size.
    let logFrom = broker.child.logs.length;
    monitor.reset();
    while (performance.now() < deadline && failure === null) {
      await sleep(250);
      checks++;
      const waited = monitor.worstMs();
      const suspects = sinceCheck;
      sinceCheck = [];
      worst = Math.max(worst, waited);
      peak = Math.max(peak, monitor.peakRss());
      if (waited > LIMITS.canaryMs) slowChecks++;
      if (waited > slowest.ms) slowest = { ms: waited, sent: suspects };
      monitor.reset();
      for (const line of broker.errorLogs(logFrom)) {
        const msg = summarizeError(line);
        if (!findings.has(msg)) findings.set(msg, line.slice(0, 600));
      }
      // Keep the test process's copy of the broker's log short on long runs.
      if (broker.child.logs.length > 2000) broker.child.logs.splice(0, broker.child.logs.length - 200);
      logFrom = broker.child.logs.length;
      if (!broker.alive()) failure = broker.describeExit();
      else if (waited > STALL_MS) {
        // The exit event of a broker that just crashed may come while the canary waits.
        await sleep(200);
        failure = broker.alive() ? `the canary waited ${Math.round(waited)} ms (a stall)` : broker.describeExit();
      } else if (peak > LIMITS.rssBytes) failure = `broker RSS reached ${mib(peak)} MiB (> ${mib(LIMITS.rssBytes)} MiB)`;
      else if (checks % 10 === 0) {
        dirEntries = readdirSync(broker.dataDir).length;
        if (dirEntries > MAX_DATA_DIR_ENTRIES) failure = `the data directory holds ${dirEntries} entries (runaway topic or partition creation)`;
      }
      if (checks % 120 === 0) log(`[fuzz] ${mutants} mutants, ${((performance.now() - t0) / 1000).toFixed(0)} s, canary worst ${Math.round(worst)} ms, peak RSS ${mib(peak)} MiB, ${dirEntries} partition directories`);
    }
    running = false;
    await Promise.all(slots);
  } finally {
    niceAttacker(false);
    await monitor.stop();
    await broker.stop();
  }
  let crashFile: string | null = null;
  let slowFile: string | null = null;
  if (slowest.ms > LIMITS.canaryMs) {
    slowFile = saveMutants(`fuzz-slow-${opts.seed}`, slowest.sent, `the canary waited ${Math.round(slowest.ms)} ms while these were sent`);
    log(`[fuzz] ${slowChecks} check(s) saw the canary wait over ${LIMITS.canaryMs} ms; the worst (${Math.round(slowest.ms)} ms) with what was sent meanwhile is in ${slowFile}; replay: npx tsx test/hostile/fuzz.ts --replay ${slowFile}`);
  }
  if (failure !== null) {
    crashFile = saveMutants(`fuzz-crash-${opts.seed}`, recent, failure);
    log(`[fuzz] FAILED (seed ${opts.seed}): ${failure}`);
    log(`[fuzz] the last ${recent.length} connections' mutants are in ${crashFile}; replay them with:\n  npm run build && npx tsx test/hostile/fuzz.ts --replay ${crashFile}`);
  }
  const result: FuzzResult = {
    seed: opts.seed,
    mutants,
    seconds: (performance.now() - t0) / 1000,
    outcomes,
    peakRssMiB: mib(peak),
    worstCanaryMs: Math.round(worst),
    findings: [...findings.values()],
    failure,
    crashFile,
    slowChecks,
    slowFile,
  };
  log(
    `[fuzz] seed ${opts.seed}: ${mutants} mutants in ${result.seconds.toFixed(0)} s; connections ${JSON.stringify(outcomes)}; ` +
      `canary worst ${result.worstCanaryMs} ms; peak RSS ${result.peakRssMiB} MiB; ${dirEntries} partition directories; ${findings.size} distinct handler error(s)`,
  );
  for (const [msg, example] of findings) log(`[fuzz] handler error: ${msg}\n    ${example}`);
  return result;
}

/** A stable key for an error log line: its message and the error's first line. */
function summarizeError(line: string): string {
  try {
    const e = JSON.parse(line) as { msg?: string; api?: string; err?: { message?: string } };
    return `${e.msg ?? '?'}${e.api ? ` (${e.api})` : ''}: ${(e.err?.message ?? '').replace(/\d+/g, 'N').slice(0, 160)}`;
  } catch {
    return line.slice(0, 160);
  }
}
