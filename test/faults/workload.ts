/**
 * The load a fault scenario runs under, and its verdict (issue 17):
 * - producers: kafkajs, idempotent, acks=all, one sequential lane per partition, retrying; every
 *   value tried and every acknowledgement (partition, offset, time) is recorded;
 * - a reader: a kafkajs consumer reading the topic concurrently; a group (re)join starts a new
 *   reader session, since a rewind to the committed offset is then allowed;
 * - at the end, a final read-back of the whole topic up to its high watermarks, plus the on-disk
 *   records of every in-sync replica (so replicas that diverged are seen even if no client read them);
 * - checkReads (test/cluster/history.ts) over all of it.
 * The longest gap between two acknowledgements of one partition is the scenario's unavailability
 * (failover time), reported in the summary.
 */
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { type Ack, type Read, type ReadsReport, checkReads, readsProblems, recordsOnDisk } from '../cluster/history.js';
import { type ClusterTarget, partitions, sleep, waitIsrFull } from '../helpers/cluster-target.js';
import '../helpers/kafkajs-stop-fix.js'; // also when a soak script runs the workload outside vitest
import { installStallWatchdog } from '../helpers/stall-watchdog.js';

/** A cluster the load runs on: Runnel or Kafka, each log dir readable (Kafka's on-disk format). */
export type WorkloadTarget = ClusterTarget & { dataDir(id: number): string };

export interface WorkloadResult {
  report: ReadsReport;
  problems: number;
  attempts: number;
  acked: number;
  /** Longest time (ms) any partition went without an acknowledgement while the load ran. */
  longestGapMs: number;
  errors: string[];
}

export interface Workload {
  acked(): number;
  /** Acknowledgements of one partition so far. */
  ackedOn(partition: number): number;
  /** Waits until `n` more records were acknowledged after now (progress under the fault). */
  progress(n: number, timeoutMs?: number): Promise<void>;
  /** Stops the load, waits for a full ISR everywhere, reads back, and checks. */
  finish(): Promise<WorkloadResult>;
}

const kafkaFor = (c: WorkloadTarget, id: string) =>
  new Kafka({ brokers: c.bootstrap.split(','), clientId: id, logLevel: logLevel.NOTHING, connectionTimeout: 3000, requestTimeout: 10_000, retry: { retries: 100, initialRetryTime: 100, maxRetryTime: 1000 } });

export async function startWorkload(c: WorkloadTarget, topic: string, nPartitions: number, intervalMs = 5): Promise<Workload> {
  installStallWatchdog(); // kafkajs' consumer can wedge the process in a microtask loop (see there)
  const kafka = kafkaFor(c, `faults-${topic}`);
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const attempts: string[] = [];
  const acks: Ack[] = [];
  const ackTimes: number[][] = Array.from({ length: nPartitions }, () => []);
  const errors: string[] = [];
  let stopped = false;
  const lane = async (partition: number) => {
    for (let seq = 0; !stopped; seq++) {
      const value = `v-p${partition}-${seq}`;
      attempts.push(value);
      try {
        const [md] = await producer.send({ topic, acks: -1, timeout: 10_000, messages: [{ value, partition }] });
        acks.push({ value, partition, offset: Number(md!.baseOffset), lane: `p${partition}`, seq });
        ackTimes[partition]!.push(Date.now());
      } catch (e) {
        if (errors.length < 20) errors.push(String(e)); // unknown outcome: in the log at most once
      }
      await sleep(intervalMs);
    }
  };
  const lanes = Array.from({ length: nPartitions }, (_, p) => lane(p));

  const reads: Read[] = [];
  let session = 0;
  const consumer = kafka.consumer({ groupId: `reader-${topic}`, sessionTimeout: 10_000, heartbeatInterval: 1000, retry: { retries: 100, initialRetryTime: 100, maxRetryTime: 1000 } });
  consumer.on(consumer.events.GROUP_JOIN, () => void session++);
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ partition, message }) => {
      reads.push({ reader: `live#${session}`, partition, offset: Number(message.offset), value: message.value?.toString() ?? '' });
    },
  });

  return {
    acked: () => acks.length,
    ackedOn: (partition) => ackTimes[partition]?.length ?? 0,
    async progress(n, timeoutMs = 30_000) {
      const target = acks.length + n;
      const deadline = Date.now() + timeoutMs;
      while (acks.length < target) {
        if (Date.now() > deadline) throw new Error(`only ${acks.length - target + n} of ${n} acknowledgements within ${timeoutMs} ms; errors: ${errors.slice(-3).join(' | ')}`);
        await sleep(50);
      }
    },
    async finish() {
      stopped = true;
      await Promise.all(lanes);
      await producer.disconnect();
      // Full ISR on every partition: every replica must hold every acknowledged record.
      for (let p = 0; p < nPartitions; p++) await waitIsrFull(c, topic, p, 60_000);
      const hw = await highWatermarks(c, topic);
      await waitUntilRead(reads, hw, 'live', 30_000).catch(() => undefined); // the live reader catches up if it can
      await consumer.disconnect();
      reads.push(...(await readAll(c, topic, hw)));
      // Each in-sync replica's log on disk, up to the high watermark.
      for (const s of await partitions(c, topic)) {
        for (const id of s.isr) {
          const recs = await recordsOnDisk(join(c.dataDir(id), `${topic}-${s.partition}`));
          for (const r of recs) if (r.offset < hw.get(s.partition)!) reads.push({ reader: `final-disk-b${id}`, partition: s.partition, offset: r.offset, value: r.value });
        }
      }
      const report = checkReads(attempts, acks, reads, 'final');
      let longestGapMs = 0;
      for (const times of ackTimes) for (let i = 1; i < times.length; i++) longestGapMs = Math.max(longestGapMs, times[i]! - times[i - 1]!);
      return { report, problems: readsProblems(report), attempts: attempts.length, acked: acks.length, longestGapMs, errors };
    },
  };
}

async function highWatermarks(c: WorkloadTarget, topic: string): Promise<Map<number, number>> {
  const admin = kafkaFor(c, 'faults-admin').admin();
  await admin.connect();
  try {
    const offs = await admin.fetchTopicOffsets(topic);
    return new Map(offs.map((o) => [o.partition, Number(o.high)]));
  } finally {
    await admin.disconnect();
  }
}

async function waitUntilRead(reads: Read[], hw: Map<number, number>, prefix: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const top = new Map<number, number>();
    for (const r of reads) if (r.reader.startsWith(prefix)) top.set(r.partition, Math.max(top.get(r.partition) ?? -1, r.offset));
    if ([...hw].every(([p, h]) => h === 0 || (top.get(p) ?? -1) >= h - 1)) return;
    if (Date.now() > deadline) throw new Error(`${prefix} reader did not reach the high watermarks ${JSON.stringify([...hw])}`);
    await sleep(100);
  }
}

/** A fresh consumer (no group offsets) reading every partition from the start to `hw`. */
async function readAll(c: WorkloadTarget, topic: string, hw: Map<number, number>): Promise<Read[]> {
  const kafka = kafkaFor(c, 'faults-final');
  const consumer = kafka.consumer({ groupId: `final-${topic}-${Date.now()}`, sessionTimeout: 10_000, heartbeatInterval: 1000 });
  const out: Read[] = [];
  let session = 0;
  consumer.on(consumer.events.GROUP_JOIN, () => void session++);
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ partition, message }) => {
      out.push({ reader: `final#${session}`, partition, offset: Number(message.offset), value: message.value?.toString() ?? '' });
    },
  });
  try {
    await waitUntilRead(out, hw, 'final', 60_000);
  } finally {
    await consumer.disconnect();
  }
  return out.filter((r) => r.offset < hw.get(r.partition)!);
}

/** One line for the test log (and bench/RESULTS.md). */
export function summary(name: string, r: WorkloadResult, failoverMs: number[] = []): string {
  const f = failoverMs.length ? ` failover ms: median ${median(failoverMs)}, worst ${Math.max(...failoverMs)} (n=${failoverMs.length});` : '';
  return `[faults] ${name}: ${r.acked}/${r.attempts} acked; longest ack gap ${r.longestGapMs} ms;${f} problems ${r.problems} ${r.problems ? JSON.stringify(r.report) : ''}`;
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? 0 : s[Math.floor((s.length - 1) / 2)]!;
}
