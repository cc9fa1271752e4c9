/**
 * Issue 4 acceptance: records acknowledged with acks=-1 survive kill -9 of the broker (default
 * fsync policy: flush.messages=1 with group commit).
 *
 * A child broker (`node dist/src/cli.js`; build first, `npm test` does) takes produce traffic from
 * two kafkajs producers with three concurrent send loops each (so appends group-commit), acks=-1,
 * each send to one partition so that every acknowledged record's offset is known
 * (baseOffset + index). The broker is killed with SIGKILL at a random moment, restarted on the same
 * data directory, and the cycle repeats. At the end every acknowledged record must be in the log at
 * the offset it was acknowledged with, each partition's offsets must be contiguous, and no record
 * may appear twice (the producers never retry).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { spawnBroker, tempDir, removeDir, type ChildBroker } from '../helpers/broker.js';
import { freePort, kafkajs, kafkajsFetch } from '../../bench/data-path/clients.js';
import kafkajsPkg from 'kafkajs';

const { Kafka, logLevel } = kafkajsPkg;
const TOPIC = 'durable';
const PARTITIONS = 3;
const CYCLES = 6;

const dirs: string[] = [];
let current: ChildBroker | null = null;
afterAll(async () => {
  await current?.kill('SIGKILL');
  dirs.forEach(removeDir);
});

interface Acked {
  partition: number;
  offset: number;
  value: string;
}

/** Runs send loops until `stop()`; resolves with what was acknowledged. */
function produceUntilKilled(bootstrap: string, cycle: number): { stop: () => void; done: Promise<{ acked: Acked[]; failures: number }> } {
  let stopped = false;
  const acked: Acked[] = [];
  let failures = 0;
  const producers = [0, 1].map((n) =>
    new Kafka({ brokers: [bootstrap], clientId: `durable-${cycle}-${n}`, logLevel: logLevel.NOTHING, retry: { retries: 0 }, connectionTimeout: 1000, requestTimeout: 5000 }).producer({
      retry: { retries: 0 },
      allowAutoTopicCreation: false,
    }),
  );
  const done = (async () => {
    await Promise.all(producers.map((p) => p.connect()));
    let seq = 0;
    const loop = async (p: (typeof producers)[number], n: number, lane: number): Promise<void> => {
      while (!stopped) {
        const partition = Math.floor(Math.random() * PARTITIONS);
        const size = 1 + Math.floor(Math.random() * 40);
        const values = Array.from({ length: size }, () => `c${cycle}-p${n}-l${lane}-${seq++}`);
        try {
          const [res] = await p.send({ topic: TOPIC, acks: -1, timeout: 5000, messages: values.map((value) => ({ value, partition })) });
          const base = Number(res!.baseOffset);
          values.forEach((value, i) => acked.push({ partition, offset: base + i, value }));
        } catch {
          failures++;
          return; // the broker is gone: this loop is done
        }
      }
    };
    await Promise.all(producers.flatMap((p, n) => [0, 1, 2].map((lane) => loop(p, n, lane))));
    await Promise.all(producers.map((p) => p.disconnect().catch(() => undefined)));
    return { acked, failures };
  })();
  return { stop: () => (stopped = true), done };
}

describe('acks=-1 under kill -9', () => {
  it(`keeps every acknowledged record at its offset across ${CYCLES} kill -9 cycles`, async () => {
    const dataDir = tempDir('acks-kill');
    dirs.push(dataDir);
    const port = await freePort();
    const acked: Acked[] = [];
    const timeline: string[] = [];
    for (let cycle = 0; cycle < CYCLES; cycle++) {
      current = await spawnBroker(dataDir, {}, port);
      if (cycle === 0) {
        const admin = kafkajs(current.bootstrap).admin();
        await admin.connect();
        await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: PARTITIONS }] });
        await admin.disconnect();
      }
      const run = produceUntilKilled(current.bootstrap, cycle);
      const killAfter = 300 + Math.floor(Math.random() * 1200);
      await new Promise((r) => setTimeout(r, killAfter));
      await current.kill('SIGKILL');
      current = null;
      run.stop();
      const r = await run.done;
      timeline.push(`cycle ${cycle}: killed after ${killAfter} ms, ${r.acked.length} acked, ${r.failures} sends cut`);
      acked.push(...r.acked);
    }
    current = await spawnBroker(dataDir, {}, port);
    const { records } = await kafkajsFetch(current.bootstrap, TOPIC, new Map(Array.from({ length: PARTITIONS }, (_, p) => [p, 0])), { idleMs: 1000 });
    const context = timeline.join('\n');
    if (process.env.DP_VERBOSE) console.log(context, `\nlog: ${records.length} records`);
    expect(acked.length, context).toBeGreaterThan(CYCLES * 50);
    // Offsets contiguous from 0 in every partition, each value once.
    const byPartition = new Map<number, Map<number, string>>();
    const values = new Set<string>();
    for (const r of records) {
      if (!byPartition.has(r.partition)) byPartition.set(r.partition, new Map());
      byPartition.get(r.partition)!.set(r.offset, r.value!);
      expect(values.has(r.value!), `${r.value} twice`).toBe(false);
      values.add(r.value!);
    }
    for (const [p, m] of byPartition) {
      const offsets = [...m.keys()].sort((a, b) => a - b);
      expect(offsets, `partition ${p}`).toEqual(offsets.map((_, i) => i));
    }
    const lost = acked.filter((a) => byPartition.get(a.partition)?.get(a.offset) !== a.value);
    expect(lost.slice(0, 10), `${lost.length} acknowledged records lost or moved\n${context}`).toEqual([]);
  }, 120_000);
});
