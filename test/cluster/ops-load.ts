/**
 * Client load for the cluster operations tests (operations.test.ts): what an application sees
 * while an operator restarts, reassigns, elects and decommissions.
 *
 *  - a kafkajs idempotent producer, acks=all, one sequential lane per partition, with kafkajs'
 *    DEFAULT retry budget (5 retries, 300 ms initial backoff): a send() that still fails is a
 *    failed client request, counted. Every error kafkajs logs (a retried NOT_LEADER, a closed
 *    socket, a coordinator move ...) is counted by kind too: the client-visible errors;
 *  - optionally Apache Kafka's Java producer (lane-clients.ts javaLanes; delivery.timeout.ms);
 *  - a kafkajs consumer group reading the topic from the beginning: it must keep going (progress
 *    after every operation, no crash) and in the end have read every acknowledged record.
 *
 * `finish` stops the producers, waits for every partition's full ISR and equal replicas, and runs
 * the history checker (history.ts) over every attempt and acknowledgement against the leader's log.
 */
import { join } from 'node:path';
import { Kafka, logLevel, type Consumer, type Producer } from 'kafkajs';
import { type ClusterTarget, type PartitionState, metadataFrom, partitions, sleep, upBrokers, waitIsrFull, waitUntil } from '../helpers/cluster-target.js';
import { type Ack, type HistoryReport, type LogRecord, checkHistory, partitionLogBytes, recordsOnDisk } from './history.js';
import { type LaneClient, type LaneReport, javaLanes } from './lane-clients.js';

export interface OpsLoadOptions {
  /** Brokers to bootstrap from (the running ones). */
  bootstrap: string;
  topic: string;
  partitions: number;
  /** Also run Apache Kafka's Java producer. */
  java?: boolean;
  /** Pause between two sends of one kafkajs lane. */
  intervalMs?: number;
}

export interface OpsSummary {
  history: HistoryReport;
  /** Per producer: sent, acknowledged, failed sends (sent − acknowledged), first errors. */
  producers: Array<{ client: string; sent: number; acked: number; failed: number; errors: unknown[] }>;
  /** Errors kafkajs logged (retried or not), by kind. */
  clientErrors: Record<string, number>;
  consumer: { read: number; crashes: number; joins: number; missing: string[]; crashStacks: string[] };
  logRecords: number;
}

/** The error kinds kafkajs logs: "<namespace>: <error>" (payloads never appear in them). */
function kindOf(namespace: string, log: { message?: string; error?: string }): string {
  const what = (log.error ?? log.message ?? '').replace(/\d+/g, 'N').slice(0, 120);
  return `${namespace}: ${what}`;
}

export class OpsLoad {
  private stopped = false;
  private readonly attempts: string[] = [];
  private readonly acks: Ack[] = [];
  /** Acknowledgement times of the kafkajs producer (throughput windows). */
  readonly ackTimes: number[] = [];
  private readonly failures: unknown[] = [];
  private failed = 0;
  private readonly consumed = new Set<string>();
  private reads = 0;
  private crashes = 0;
  /** Where each consumer crash came from (kafkajs' stack, first frames): the evidence when one happens. */
  private readonly crashStacks: string[] = [];
  private joins = 0;
  private lanes: Array<Promise<void>> = [];
  private java: LaneClient | null = null;
  private prefills = 0;

  private constructor(
    readonly o: OpsLoadOptions,
    private readonly producer: Producer,
    private readonly consumer: Consumer,
    /** Errors kafkajs logged so far, by kind (the logger writes into it). */
    readonly clientErrors: Record<string, number>,
  ) {}

  static async start(o: OpsLoadOptions): Promise<OpsLoad> {
    let self: OpsLoad | null = null;
    const errors: Record<string, number> = {};
    const kafka = new Kafka({
      brokers: o.bootstrap.split(','),
      clientId: `ops-${o.topic}`,
      logLevel: logLevel.WARN,
      logCreator:
        () =>
        ({ namespace, log }) => {
          const k = kindOf(namespace, log as { message?: string; error?: string });
          errors[k] = (errors[k] ?? 0) + 1;
        },
    });
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
    const consumer = kafka.consumer({ groupId: `ops-${o.topic}`, sessionTimeout: 10_000, heartbeatInterval: 1000, maxWaitTimeInMs: 200 });
    await producer.connect();
    await consumer.connect();
    self = new OpsLoad(o, producer, consumer, errors);
    consumer.on(consumer.events.CRASH, (e: { payload: { error: Error } }) => {
      self!.crashes++;
      const err = e.payload.error as Error & { originalError?: Error };
      if (self!.crashStacks.length < 3) self!.crashStacks.push([err.stack, err.originalError?.stack].filter(Boolean).join('\ncaused by: ').split('\n').slice(0, 14).join('\n'));
    });
    consumer.on(consumer.events.GROUP_JOIN, () => void self!.joins++);
    await consumer.subscribe({ topic: o.topic, fromBeginning: true });
    await consumer.run({
      eachBatch: async ({ batch }) => {
        for (const m of batch.messages) self!.consumed.add(m.value?.toString() ?? '');
        self!.reads += batch.messages.length;
      },
    });
    self.lanes = Array.from({ length: o.partitions }, (_, p) => self!.lane(p));
    if (o.java) self.java = await javaLanes({ bootstrap: o.bootstrap, topic: o.topic, partitions: o.partitions, intervalMs: 20 });
    return self;
  }

  private async lane(partition: number): Promise<void> {
    const name = 'js';
    for (let seq = 0; !this.stopped; seq++) {
      const value = `${name}-p${partition}-${seq}`;
      this.attempts.push(value);
      try {
        const [md] = await this.producer.send({ topic: this.o.topic, acks: -1, messages: [{ value, partition }] });
        this.acks.push({ value, partition, offset: Number(md!.baseOffset), lane: `${name}-p${partition}`, seq });
        this.ackTimes.push(Date.now());
      } catch (e) {
        this.failed++;
        if (this.failures.length < 10) this.failures.push(String(e));
      }
      await new Promise((r) => setTimeout(r, this.o.intervalMs ?? 5));
    }
  }

  /** Records written before the load (one batch to one partition): part of the history. */
  async prefill(partition: number, count: number, size: number): Promise<void> {
    const pad = 'x'.repeat(size);
    const batch = this.prefills++;
    const values = Array.from({ length: count }, (_, i) => `pre${batch}-p${partition}-${i}-${pad}`);
    this.attempts.push(...values);
    const [md] = await this.producer.send({ topic: this.o.topic, acks: -1, messages: values.map((value) => ({ value, partition })) });
    values.forEach((value, i) => this.acks.push({ value, partition, offset: Number(md!.baseOffset) + i, lane: `pre${batch}-p${partition}`, seq: i }));
  }

  /** kafkajs acknowledgements so far. */
  acked(): number {
    return this.acks.length;
  }

  /** Failed kafkajs sends so far (beyond its retries). */
  failedSends(): number {
    return this.failed;
  }

  /** Acknowledgements per second in [from, to). */
  rate(from: number, to: number): number {
    let n = 0;
    for (const t of this.ackTimes) if (t >= from && t < to) n++;
    return n / ((to - from) / 1000);
  }

  /** The longest time in [from, to) without any kafkajs acknowledgement (ms): the client-visible stall. */
  longestStall(from: number, to: number): number {
    let prev = from;
    let worst = 0;
    for (const t of this.ackTimes) {
      if (t < from) continue;
      if (t >= to) break;
      worst = Math.max(worst, t - prev);
      prev = t;
    }
    return Math.max(worst, to - prev);
  }

  /** Waits until the kafkajs producer, the Java producer and the consumer each made `n` more progress. */
  async progressed(n: number, what: string, timeoutMs = 60_000): Promise<void> {
    const p0 = this.acks.length;
    const j0 = this.java?.acked() ?? 0;
    const r0 = this.reads;
    await waitUntil(
      `clients progressing ${what} (kafkajs ${this.acks.length - p0}, java ${(this.java?.acked() ?? 0) - j0}, consumer ${this.reads - r0} of ${n})`,
      async () => (this.acks.length >= p0 + n && (this.java?.acked() ?? 0) >= j0 + (this.java ? n : 0) && this.reads >= r0 + n ? true : undefined),
      timeoutMs,
    );
  }

  /**
   * Stops the producers; once every partition has its full ISR and equal replicas, checks the
   * history against the leader's log and waits for the consumer to have read every acknowledged record.
   */
  async finish(c: ClusterTarget, dataDir: (id: number) => string): Promise<OpsSummary> {
    this.stopped = true;
    await Promise.all(this.lanes);
    const reports: LaneReport[] = [{ client: 'kafkajs', attempts: this.attempts, acks: this.acks, errors: this.failures }];
    if (this.java) reports.push(await this.java.stop());
    await this.producer.disconnect();
    const states: PartitionState[] = [];
    for (let p = 0; p < this.o.partitions; p++) states.push(await waitIsrFull(c, this.o.topic, p, 60_000));
    const logs = new Map<number, LogRecord[]>();
    for (const s of states) {
      const dirs = s.replicas.map((id) => join(dataDir(id), `${this.o.topic}-${s.partition}`));
      await waitUntil(`replicas of ${this.o.topic}-${s.partition} equally long`, async () => (dirs.every((d) => partitionLogBytes(d).length === partitionLogBytes(dirs[0]!).length) ? true : undefined), 30_000);
      logs.set(s.partition, await recordsOnDisk(join(dataDir(s.leader), `${this.o.topic}-${s.partition}`)));
    }
    const history = checkHistory(
      reports.flatMap((r) => r.attempts),
      reports.flatMap((r) => r.acks),
      logs,
    );
    const allAcked = reports.flatMap((r) => r.acks.map((a) => a.value));
    await waitUntil('the consumer group read every acknowledged record', async () => (allAcked.every((v) => this.consumed.has(v)) ? true : undefined), 60_000, 200).catch(() => undefined);
    await this.consumer.disconnect();
    return {
      history,
      producers: reports.map((r) => ({ client: r.client, sent: r.attempts.length, acked: r.acks.length, failed: r.attempts.length - r.acks.length, errors: r.errors.slice(0, 3) })),
      clientErrors: { ...this.clientErrors },
      consumer: { read: this.reads, crashes: this.crashes, joins: this.joins, missing: allAcked.filter((v) => !this.consumed.has(v)).slice(0, 10), crashStacks: this.crashStacks },
      logRecords: [...logs.values()].reduce((a, l) => a + l.length, 0),
    };
  }

  /** Stops everything without checking (afterAll after a failure). */
  async abort(): Promise<void> {
    this.stopped = true;
    await Promise.race([Promise.all(this.lanes), new Promise((r) => setTimeout(r, 5000))]);
    await this.java?.stop().catch(() => undefined);
    await this.producer.disconnect().catch(() => undefined);
    await this.consumer.disconnect().catch(() => undefined);
  }
}

/** Partitions of every topic whose ISR is short of its replicas, as broker `id` sees them. */
export async function underReplicated(c: ClusterTarget, id: number, topics: string[]): Promise<string[]> {
  const out: string[] = [];
  for (const t of topics) for (const p of await partitions(c, t, id)) if (p.isr.length < p.replicas.length || p.leader < 0) out.push(`${t}-${p.partition}`);
  return out;
}

/** Every partition of every topic, as every running broker sees it: none short of its replicas, all views alike. */
export async function waitNothingUnderReplicated(c: ClusterTarget, timeoutMs = 60_000): Promise<void> {
  await waitUntil(
    'no under-replicated partition on any broker',
    async () => {
      const views = await Promise.all(upBrokers(c).map((id) => metadataFrom(c, id, null)));
      const shape = (m: any) =>
        JSON.stringify(
          m.topics
            .map((t: any) => [t.name, t.partitions.map((p: any) => [p.partitionIndex, p.leaderId, p.replicaNodes, [...p.isrNodes].sort()]).sort()])
            .sort(),
        );
      for (const m of views) for (const t of m.topics) for (const p of t.partitions) if (p.leaderId < 0 || p.isrNodes.length < p.replicaNodes.length || p.errorCode !== 0) return undefined;
      return views.every((m) => shape(m) === shape(views[0])) ? true : undefined;
    },
    timeoutMs,
    200,
  );
}

export interface RollingRestartResult {
  /** Per broker: the stop (controlled shutdown to exit), the start (to serving), then until nothing is under-replicated. */
  brokers: Array<{ id: number; stopMs: number; startMs: number; fullIsrMs: number }>;
  /** kafkajs acknowledgements per second over `steadyMs` before the first stop, and from it to the end. */
  steadyRate: number;
  rollingRate: number;
  rollingMs: number;
  /** The longest time without any kafkajs acknowledgement, during the restarts and before them. */
  longestStallMs: number;
  steadyStallMs: number;
}

/**
 * Restarts the brokers in `order` one at a time under `load`: stop (gracefully: a controlled
 * shutdown), start again, wait until nothing is under-replicated and the clients made progress,
 * next. Throughput is measured with the same clients, over `steadyMs` before the first stop.
 */
export async function rollingRestart(
  c: ClusterTarget,
  load: OpsLoad,
  order: number[],
  ops: { stop(id: number): Promise<unknown>; start(id: number): Promise<unknown> },
  steadyMs = 8000,
): Promise<RollingRestartResult> {
  await waitNothingUnderReplicated(c);
  const steadyFrom = Date.now();
  await sleep(steadyMs);
  const rollFrom = Date.now();
  const brokers: RollingRestartResult['brokers'] = [];
  for (const id of order) {
    const t0 = Date.now();
    await ops.stop(id);
    const t1 = Date.now();
    await ops.start(id);
    const t2 = Date.now();
    await waitNothingUnderReplicated(c);
    brokers.push({ id, stopMs: t1 - t0, startMs: t2 - t1, fullIsrMs: Date.now() - t2 });
    await load.progressed(20, `after restarting broker ${id}`);
  }
  const rollTo = Date.now();
  return {
    brokers,
    steadyRate: Math.round(load.rate(steadyFrom, rollFrom)),
    rollingRate: Math.round(load.rate(rollFrom, rollTo)),
    rollingMs: rollTo - rollFrom,
    longestStallMs: load.longestStall(rollFrom, rollTo),
    steadyStallMs: load.longestStall(steadyFrom, rollFrom),
  };
}
