/**
 * The issue-19 scale acceptance, opt-in (not in CI; `npm run soak:share`, which builds first): the
 * RabbitMQ worker pool with a poison message, on share groups (KIP-932) with a dead-letter topic
 * (KIP-1191). 100,000 jobs on one topic, 8 Java KafkaShareConsumer 4.4 workers (test/java
 * ShareWorker, one JVM each, explicit acknowledgement), one job that every worker RELEASEs. The
 * broker is killed with SIGKILL once half the jobs are accepted and restarted on the same data and
 * port; the workers reconnect on their own.
 *
 *   npx tsx bench/share/poison-soak.ts [--jobs 100000] [--workers 8] [--partitions 4]
 *        [--kill-at 0.5 | --kill-after-poison 1..4] [--max-ms 1200000]
 *
 * What it checks (exit code 1 if any fails), and what it counts:
 * - the poison job is delivered exactly group.share.delivery.count.limit (5) times, with delivery
 *   counts 1..5 each once, and is never accepted;
 * - it appears exactly once in the dead-letter topic, with its key, value and the __dlq.errors.*
 *   headers (group, topic, partition, offset, delivery count 5, message "Offset delivery count exceeded the threshold.": Kafka's names);
 * - every other job is accepted; accepted more than once only where the broker died between a
 *   worker's ACCEPT and the broker making it durable, i.e. that batch's commitSync reported a
 *   failure (the worker logs ack_failed): at-least-once, counted; a job accepted twice after a
 *   confirmed acknowledgement fails the run;
 * - redeliveries: deliveries with a count above 1 (after the kill: what was acquired then).
 * Every wait is bounded; the broker and workers are stopped on the way out. A JSON summary goes to
 * bench/.work/share/poison-soak-<time>.json.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { spawnBroker, type ChildBroker } from '../../test/helpers/broker.js';
import { REPO_ROOT, runJavaOk, spawnJava, type JavaProcess } from '../../test/helpers/java.js';

const { values: args } = parseArgs({
  options: {
    jobs: { type: 'string', default: '100000' },
    workers: { type: 'string', default: '8' },
    partitions: { type: 'string', default: '4' },
    'kill-at': { type: 'string', default: '0.5' },
    // Kill instead right after the poison job's Nth delivery is seen (1-4): the crash then falls
    // between its deliveries, and its remaining ones and its dead-letter copy come after it.
    'kill-after-poison': { type: 'string', default: '0' },
    // How long the poison job takes to fail (the worker sleeps, then RELEASEs it); default 1000 ms
    // with --kill-after-poison (else its 5 deliveries take a few ms and no kill lands between them).
    'poison-delay-ms': { type: 'string' },
    'max-ms': { type: 'string', default: '1200000' },
  },
});
const JOBS = Number(args.jobs);
const WORKERS = Number(args.workers);
const LIMIT = 5;
const POISON = `job-${Math.floor(JOBS / 2)}`;
const GROUP = 'soak';
const TOPIC = 'soak-jobs';
const DLQ = 'dlq.soak';
const LOCK_MS = 15_000;

const CONFIG = {
  'group.share.min.heartbeat.interval.ms': 1000,
  'group.share.heartbeat.interval.ms': 2000,
  'group.share.min.session.timeout.ms': 15000,
  'group.share.session.timeout.ms': 15000,
  'group.share.min.record.lock.duration.ms': 1000,
  'group.share.record.lock.duration.ms': LOCK_MS,
  'group.share.delivery.count.limit': LIMIT,
  'runnel.group.share.auto.offset.reset': 'earliest',
  'runnel.group.share.dead.letter.topics': `${GROUP}=${DLQ}`,
  'num.partitions': 1,
};

type Item = [value: string, where: string, deliveryCount: number, action: string];

/** Parses each worker's new stdout lines once (100,000 items: no re-reading). */
class Tally {
  private seen = new Map<JavaProcess, number>();
  readonly accepts = new Map<string, number>();
  readonly poison: Item[] = [];
  deliveries = 0;
  redeliveries = 0;
  ackFailed = 0;
  /** Poison deliveries seen as they start ("failing", with --poison-delay-ms). */
  poisonSeen = 0;
  /** Jobs accepted in a batch whose commitSync reported a failure (the broker died under it). */
  readonly ackFailedJobs = new Set<string>();
  private lastBatch = new Map<JavaProcess, Item[]>();
  firstTs = 0;
  lastAcceptTs = 0;

  update(ws: JavaProcess[]): void {
    for (const w of ws) {
      const from = this.seen.get(w) ?? 0;
      const lines = w.lines;
      for (let i = from; i < lines.length; i++) {
        let j: any;
        try {
          j = JSON.parse(lines[i]!);
        } catch {
          continue;
        }
        if (j.event === 'ack_failed') {
          this.ackFailed++;
          for (const it of this.lastBatch.get(w) ?? []) if (it[3] === 'accept' && (!j.partition || it[1].startsWith(`${j.partition}@`))) this.ackFailedJobs.add(it[0]);
        }
        if (j.event === 'failing') this.poisonSeen++;
        if (j.event !== 'records') continue;
        this.lastBatch.set(w, j.items);
        if (this.firstTs === 0) this.firstTs = j.ts;
        for (const it of j.items as Item[]) {
          this.deliveries++;
          if (it[2] > 1) this.redeliveries++;
          if (it[0] === POISON) this.poison.push(it);
          if (it[3] === 'accept') {
            this.accepts.set(it[0], (this.accepts.get(it[0]) ?? 0) + 1);
            this.lastAcceptTs = Math.max(this.lastAcceptTs, j.ts);
          }
        }
      }
      this.seen.set(w, lines.length);
    }
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The workers still running (a worker whose poll threw has exited). */
let running: () => number = () => 1;

async function waitUntil(pred: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!pred()) {
    if (Date.now() > end) throw new Error(`timed out (${timeoutMs} ms): ${what}`);
    if (running() === 0) throw new Error(`every worker exited: ${what}`);
    await sleep(250);
  }
}

async function main(): Promise<number> {
  const work = join(REPO_ROOT, 'bench', '.work', 'share');
  const dataDir = join(work, `soak-${Date.now()}`);
  mkdirSync(dataDir, { recursive: true });
  const deadline = Date.now() + Number(args['max-ms']);
  const left = () => Math.max(1000, deadline - Date.now());
  const load0 = loadavg();
  const workers: JavaProcess[] = [];
  let broker: ChildBroker | null = null;
  const failures: string[] = [];
  const tally = new Tally();
  const summary: Record<string, unknown> = { jobs: JOBS, workers: WORKERS, partitions: Number(args.partitions), poison: POISON, limit: LIMIT, lockMs: LOCK_MS };
  try {
    broker = await spawnBroker(dataDir, CONFIG);
    const port = broker.port;
    const bootstrap = `127.0.0.1:${port}`;
    await runJavaOk('Admin', ['create-topics', '--bootstrap', bootstrap, '--topic', TOPIC, '--partitions', String(args.partitions)]);
    await runJavaOk('Admin', ['create-topics', '--bootstrap', bootstrap, '--topic', DLQ, '--partitions', '1']);
    const tp = performance.now();
    await runJavaOk('Produce', ['--bootstrap', bootstrap, '--topic', TOPIC, '--count', String(JOBS), '--value-pattern', 'job-%d', '--key-pattern', 'k%d', '--linger-ms', '20'], { timeoutMs: 300_000 });
    summary.produceSecs = (performance.now() - tp) / 1000;
    console.log(`produced ${JOBS} jobs in ${(summary.produceSecs as number).toFixed(1)} s`);

    const poisonDelay = Number(args['poison-delay-ms'] ?? (Number(args['kill-after-poison']) > 0 ? 1000 : 0));
    summary.poisonDelayMs = poisonDelay;
    for (let i = 0; i < WORKERS; i++) {
      workers.push(await spawnJava('ShareWorker', ['--bootstrap', bootstrap, '--group', GROUP, '--topic', TOPIC, '--fail', POISON, '--fail-delay-ms', String(poisonDelay), '--max-ms', String(left()), '--prop', 'reconnect.backoff.max.ms=500'], { timeoutMs: left() + 60_000 }));
    }
    await Promise.all(workers.map((w) => w.waitFor((j) => j.event === 'ready', 120_000)));
    const exited = new Set<JavaProcess>();
    for (const w of workers) void w.exited.then(() => exited.add(w));
    running = () => workers.length - exited.size;
    const t0 = Date.now();
    console.log(`${WORKERS} workers ready`);
    const progress = setInterval(() => {
      tally.update(workers);
      console.log(`  ${((Date.now() - t0) / 1000).toFixed(0)} s: ${tally.accepts.size} accepted, ${tally.deliveries} deliveries, poison ${tally.poison.length}x, ${running()} workers running, load ${loadavg()[0]!.toFixed(1)}`);
    }, 10_000);
    try {
      const killAt = Math.floor(JOBS * Number(args['kill-at']));
      const afterPoison = Number(args['kill-after-poison']);
      if (afterPoison > 0) await waitUntil(() => (tally.update(workers), Math.max(tally.poisonSeen, tally.poison.length) >= afterPoison), left(), `the poison job's delivery ${afterPoison} before the kill`);
      else await waitUntil(() => (tally.update(workers), tally.accepts.size >= killAt), left(), `${killAt} accepted before the kill`);
      const tk = Date.now();
      await broker.kill('SIGKILL');
      summary.killedAtAccepted = tally.accepts.size;
      summary.killedAtPoisonDeliveries = Math.max(tally.poisonSeen, tally.poison.length);
      summary.killedAtSecs = (tk - t0) / 1000;
      broker = await spawnBroker(dataDir, CONFIG, port);
      summary.restartMs = Date.now() - tk;
      console.log(`broker killed (SIGKILL) at ${tally.accepts.size} accepted, ${summary.killedAtSecs} s; back in ${summary.restartMs} ms`);
      await waitUntil(() => (tally.update(workers), tally.accepts.size >= JOBS - 1), left(), 'every good job accepted');
      summary.allAcceptedSecs = (tally.lastAcceptTs - t0) / 1000;
      await waitUntil(() => (tally.update(workers), tally.poison.length >= LIMIT), Math.min(left(), 120_000), `the poison job delivered ${LIMIT} times`);
      // A sixth delivery would come within a lock duration (a lost RELEASE) or at once: wait past it.
      await sleep(LOCK_MS + 5000);
      tally.update(workers);
    } finally {
      clearInterval(progress);
    }

    const dupes = [...tally.accepts].filter(([, n]) => n > 1);
    const missing = JOBS - 1 - [...tally.accepts.keys()].filter((v) => v !== POISON).length;
    const poisonCounts = tally.poison.map((i) => i[2]).sort((a, b) => a - b);
    Object.assign(summary, {
      wallSecs: (Date.now() - t0) / 1000,
      jobsPerSec: (JOBS - 1) / (summary.allAcceptedSecs as number),
      deliveries: tally.deliveries,
      redeliveries: tally.redeliveries,
      acceptedJobs: tally.accepts.size,
      acceptedTwiceOrMore: dupes.length,
      duplicateExamples: dupes.slice(0, 10),
      missing,
      ackFailed: tally.ackFailed,
      ackFailedJobs: tally.ackFailedJobs.size,
      // Accepted twice although the first ACCEPT's commitSync succeeded: that would be a lost ack.
      duplicatesNotExplained: dupes.filter(([v]) => !tally.ackFailedJobs.has(v)).length,
      poisonDeliveryCounts: poisonCounts,
      poisonActions: [...new Set(tally.poison.map((i) => i[3]))],
    });
    if (summary.duplicatesNotExplained !== 0) failures.push(`${summary.duplicatesNotExplained} jobs accepted twice although their first acknowledgement was confirmed`);
    if (missing !== 0) failures.push(`${missing} good jobs never accepted`);
    if (tally.accepts.has(POISON)) failures.push('the poison job was accepted');
    if (JSON.stringify(poisonCounts) !== JSON.stringify([1, 2, 3, 4, 5])) failures.push(`poison delivery counts ${JSON.stringify(poisonCounts)}, expected [1,2,3,4,5]`);

    const dlq = await runJavaOk('Consume', ['--bootstrap', `127.0.0.1:${port}`, '--topic', DLQ, '--from-beginning', '--max', '10', '--idle-ms', '5000', '--timeout-ms', '30000', '--records']);
    summary.dlqCount = dlq.count;
    summary.dlqRecord = dlq.records?.[0];
    if (dlq.count !== 1) failures.push(`dead-letter topic holds ${dlq.count} records, expected 1`);
    else {
      const [, , , key, value, h] = dlq.records[0] as [unknown, unknown, unknown, string, string, Record<string, string>];
      const where = tally.poison[0]![1];
      const partition = where.slice(TOPIC.length + 1, where.indexOf('@'));
      const offset = where.slice(where.indexOf('@') + 1);
      // Kafka's (KIP-1191) header names, as h/shcfg adopted them (src/share/dead-letter.ts).
      const want = { '__dlq.errors.group': GROUP, '__dlq.errors.topic': TOPIC, '__dlq.errors.partition': partition, '__dlq.errors.offset': offset, '__dlq.errors.delivery.count': String(LIMIT), '__dlq.errors.message': 'Offset delivery count exceeded the threshold.' };
      if (key !== `k${POISON.slice(4)}` || value !== POISON) failures.push(`dead-letter record key/value ${key}/${value}`);
      const sorted = (o: Record<string, string>) => JSON.stringify(Object.entries(o).sort(([a], [b]) => (a < b ? -1 : 1)));
      if (sorted(h) !== sorted(want)) failures.push(`dead-letter headers ${JSON.stringify(h)}, expected ${JSON.stringify(want)}`);
    }
  } catch (e) {
    failures.push(String((e as Error).stack ?? e));
    tally.update(workers);
    summary.acceptedSoFar = tally.accepts.size;
  } finally {
    for (const w of workers) w.send('stop');
    await Promise.race([Promise.all(workers.map((w) => w.exited)), sleep(30_000)]);
    for (const w of workers) w.kill();
    // Each worker's stderr and the tail of its stdout, for a run that went wrong.
    workers.forEach((w, i) => writeFileSync(join(work, `soak-worker-${i}.log`), [...w.errLines.slice(-300), '--- stdout tail', ...w.lines.slice(-20).map((l) => l.slice(0, 300))].join('\n')));
    await broker?.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  }
  summary.loadAvgStart = load0;
  summary.loadAvgEnd = loadavg();
  summary.failures = failures;
  const file = join(work, `poison-soak-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, JSON.stringify(summary, null, 2));
  console.log(JSON.stringify(summary, null, 2));
  console.log(failures.length === 0 ? `PASS (${file})` : `FAIL:\n- ${failures.join('\n- ')}`);
  return failures.length === 0 ? 0 : 1;
}

process.exitCode = await main();
