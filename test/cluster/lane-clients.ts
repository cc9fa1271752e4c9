/**
 * Real producers for the replication acceptance test (clients.test.ts), each writing acks=all,
 * idempotent, to every partition of a topic in turn until stopped, and reporting every value it
 * tried and every acknowledgement (value, partition, offset) — the history.ts checker's input:
 *
 *  - kafkajs, in this process: one sequential lane per partition (maxInFlightRequests 1);
 *  - confluent-kafka-python on Debian's librdkafka (test/compat/py/ck_lanes.py);
 *  - Apache Kafka's Java producer (test/java runnel.ProduceLanes).
 *
 * Values are `<name>-p<partition>-<seq>`; a lane is one client's partition, `seq` its send order.
 * The two child processes print progress lines and take "stop" on stdin, then flush and print
 * one JSON report (their stdout is parsed here).
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Kafka, logLevel } from 'kafkajs';
import { REPO_ROOT } from '../helpers/broker.js';
import { DEBIAN_PYTHON } from '../helpers/clients.js';
import { JVM_FLAGS, ensureJavaBuilt, javaClasspath } from '../helpers/java.js';
import type { Ack } from './history.js';

export interface LaneReport {
  client: string;
  /** Every value sent, acknowledged or not. */
  attempts: string[];
  acks: Ack[];
  /** The first few errors the client reported (failed sends). */
  errors: unknown[];
}

export interface LaneClient {
  readonly name: string;
  /** Acknowledged records so far. */
  acked(): number;
  /** The acknowledgements so far (kafkajs lanes only: the others report at stop). */
  acksSoFar?(): readonly Ack[];
  /** Stops sending, waits for what is in flight, and reports. */
  stop(): Promise<LaneReport>;
  /** What the client said lately (errors, stderr tail), for a test's timeout message. */
  recent(): string;
}

export interface LaneOptions {
  bootstrap: string;
  topic: string;
  partitions: number;
  /** Pause between records (per lane for kafkajs, between any two records for the others). */
  intervalMs?: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** kafkajs: one idempotent producer, a sequential sender per partition. */
export async function kafkajsLanes(o: LaneOptions, name = 'js'): Promise<LaneClient> {
  const kafka = new Kafka({ brokers: o.bootstrap.split(','), clientId: `lanes-${name}`, logLevel: logLevel.NOTHING, requestTimeout: 10_000, retry: { retries: 50, initialRetryTime: 100, maxRetryTime: 1000 } });
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const attempts: string[] = [];
  const acks: Ack[] = [];
  const errors: unknown[] = [];
  let stopped = false;
  const lane = async (partition: number) => {
    for (let seq = 0; !stopped; seq++) {
      const value = `${name}-p${partition}-${seq}`;
      attempts.push(value);
      try {
        const [md] = await producer.send({ topic: o.topic, acks: -1, messages: [{ value, partition }] });
        acks.push({ value, partition, offset: Number(md!.baseOffset), lane: `${name}-p${partition}`, seq });
      } catch (e) {
        if (errors.length < 10) errors.push(String(e)); // not acknowledged: in the log at most once
      }
      await sleep(o.intervalMs ?? 10);
    }
  };
  const lanes = Array.from({ length: o.partitions }, (_, p) => lane(p));
  return {
    name,
    acked: () => acks.length,
    acksSoFar: () => acks.slice(),
    recent: () => `${acks.length} acked, errors ${JSON.stringify(errors.slice(-3))}`,
    async stop() {
      stopped = true;
      await Promise.all(lanes);
      await producer.disconnect();
      return { client: name, attempts, acks, errors };
    },
  };
}

/** A child process that prints JSON lines (progress, then one report) and stops on "stop". */
function lineClient(name: string, cmd: string, args: string[]): LaneClient {
  const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  let last: any = null;
  let acked = 0;
  const stderr: string[] = [];
  createInterface({ input: child.stdout! }).on('line', (line) => {
    try {
      const j = JSON.parse(line);
      if (j.event === 'progress') acked = j.acked;
      else last = j;
    } catch {
      // not ours (a library's output)
    }
  });
  createInterface({ input: child.stderr! }).on('line', (line) => {
    stderr.push(line);
    if (stderr.length > 200) stderr.splice(0, 100);
  });
  child.stdin!.on('error', () => undefined);
  const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  return {
    name,
    acked: () => acked,
    recent: () => `${acked} acked, exit ${child.exitCode ?? child.signalCode ?? 'none'}, stderr: ${stderr.slice(-8).join(' | ').slice(-1500)}`,
    async stop() {
      child.stdin!.end('stop\n');
      const timer = setTimeout(() => child.kill('SIGKILL'), 240_000);
      const code = await exited;
      clearTimeout(timer);
      if (code !== 0 || last === null || last.error) throw new Error(`${name} exited ${code}: ${JSON.stringify(last?.error ?? null)}\n${stderr.slice(-30).join('\n')}`);
      const acks: Ack[] = (last.acks as Array<[string, number, number, number]>).map(([value, partition, offset, seq]) => ({ value, partition, offset, lane: `${name}-p${partition}`, seq }));
      return { client: `${name}${last.version ? ` (${last.version})` : ''}`, attempts: last.attempts, acks, errors: last.errors };
    },
  };
}

/** confluent-kafka-python (Debian's librdkafka): idempotent, acks=all, retrying for up to two minutes. */
export function librdkafkaLanes(o: LaneOptions, name = 'ck'): LaneClient {
  const args = { bootstrap: o.bootstrap, topic: o.topic, partitions: o.partitions, prefix: name, intervalMs: o.intervalMs ?? 10, config: { 'message.timeout.ms': 120_000, 'linger.ms': 5 } };
  return lineClient(name, DEBIAN_PYTHON, [join(REPO_ROOT, 'test', 'compat', 'py', 'ck_lanes.py'), JSON.stringify(args)]);
}

/** Apache Kafka's Java producer: idempotent, acks=all, delivery.timeout.ms two minutes. */
export async function javaLanes(o: LaneOptions, name = 'java'): Promise<LaneClient> {
  await ensureJavaBuilt();
  const args = ['--bootstrap', o.bootstrap, '--topic', o.topic, '--partitions', String(o.partitions), '--prefix', name, '--interval-ms', String(o.intervalMs ?? 10), '--prop', 'delivery.timeout.ms=120000', '--prop', 'linger.ms=5'];
  return lineClient(name, 'java', [...JVM_FLAGS, '-cp', javaClasspath(), 'runnel.ProduceLanes', ...args]);
}
