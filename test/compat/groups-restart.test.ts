/**
 * Issue 5 acceptance: committed offsets survive the broker. Consumers commit, all of them stop,
 * the broker restarts (clean stop, then kill -9), and a new consumer of the group resumes exactly
 * at the committed offsets — with kafkajs and with confluent-kafka-python (librdkafka).
 * The kill -9 case runs the built broker (`npm run build`; `npm test` builds first).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Kafka, logLevel } from 'kafkajs';
import { REPO_ROOT, removeDir, spawnBroker, startTestBroker, tempDir } from '../helpers/broker.js';
import { run, DEBIAN_PYTHON } from '../helpers/clients.js';
import { javaAvailable, runJava } from '../helpers/java.js';
import { offsetsPartitionFor } from '../../src/groups/offsets-partition.js';

const dirs: string[] = [];
afterAll(() => dirs.forEach(removeDir));

const TOPIC = 'resume';
const PARTITIONS = 3;

function client(bootstrap: string): Kafka {
  return new Kafka({ brokers: [bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 10, initialRetryTime: 100 } });
}

async function setupTopic(bootstrap: string, records: number): Promise<void> {
  const kafka = client(bootstrap);
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: PARTITIONS }], waitForLeaders: true });
  await admin.disconnect();
  await produce(bootstrap, 0, records);
}

async function produce(bootstrap: string, from: number, n: number): Promise<void> {
  const producer = client(bootstrap).producer();
  await producer.connect();
  await producer.send({ topic: TOPIC, messages: Array.from({ length: n }, (_, i) => ({ partition: (from + i) % PARTITIONS, value: `r${from + i}` })) });
  await producer.disconnect();
}

/**
 * A kafkajs consumer of `group` that consumes `count` records (committing each synchronously),
 * then stops (LeaveGroup). Returns the first offset it saw per partition and what it consumed.
 */
async function consume(bootstrap: string, group: string, count: number): Promise<{ first: Record<number, number>; values: string[] }> {
  const consumer = client(bootstrap).consumer({ groupId: group, sessionTimeout: 6000, heartbeatInterval: 500 });
  await consumer.connect();
  await consumer.subscribe({ topic: TOPIC, fromBeginning: true });
  const first: Record<number, number> = {};
  const values: string[] = [];
  let done!: () => void;
  const finished = new Promise<void>((r) => (done = r));
  await consumer.run({
    autoCommit: false,
    eachMessage: async ({ partition, message }) => {
      if (values.length >= count) return;
      first[partition] ??= Number(message.offset);
      await consumer.commitOffsets([{ topic: TOPIC, partition, offset: String(Number(message.offset) + 1) }]);
      values.push(message.value!.toString());
      if (values.length === count) done();
    },
  });
  await Promise.race([finished, new Promise((_, rej) => setTimeout(() => rej(new Error(`consumed only ${values.length} of ${count}`)), 30_000))]);
  await consumer.disconnect();
  return { first, values };
}

/** Where a consumer of the group starts: the committed offset, or 0 (earliest) where there is none. */
const startOf = (offsets: Record<number, number>, end = Infinity) =>
  Object.fromEntries(
    Object.entries(offsets)
      .map(([p, o]) => [p, o < 0 ? 0 : o] as const)
      .filter(([, o]) => o < end),
  );
const total = (offsets: Record<number, number>) => Object.values(offsets).reduce((a, b) => a + Math.max(b, 0), 0);

async function committed(bootstrap: string, group: string): Promise<Record<number, number>> {
  const admin = client(bootstrap).admin();
  await admin.connect();
  const r = await admin.fetchOffsets({ groupId: group, topics: [TOPIC] });
  await admin.disconnect();
  return Object.fromEntries(r[0]!.partitions.map((p) => [p.partition, Number(p.offset)]));
}

/**
 * confluent-kafka-python: the group's committed offsets and the first record it now consumes per
 * partition (until `want` partitions delivered one, or 3 s after the assignment without records).
 */
async function ckResume(bootstrap: string, group: string, want: number): Promise<{ committed: Record<string, number>; first: Record<string, number> }> {
  const script = `
import json, sys, time
from confluent_kafka import Consumer, TopicPartition
a = json.loads(sys.argv[1])
c = Consumer({"bootstrap.servers": a["bootstrap"], "group.id": a["group"], "enable.auto.commit": False, "auto.offset.reset": "earliest", "session.timeout.ms": 6000})
committed = {str(tp.partition): tp.offset for tp in c.committed([TopicPartition(a["topic"], p) for p in range(a["partitions"])], timeout=20)}
assigned = []
c.subscribe([a["topic"]], on_assign=lambda consumer, parts: assigned.append(time.time()))
first = {}
deadline = time.time() + 30
while len(first) < a["want"] and time.time() < deadline and not (assigned and time.time() - assigned[-1] > 3):
    m = c.poll(0.2)
    if m is None or m.error():
        continue
    first.setdefault(str(m.partition()), m.offset())
c.close()
print(json.dumps({"committed": committed, "first": first}))
`;
  const r = await run(DEBIAN_PYTHON, ['-c', script, JSON.stringify({ bootstrap, group, topic: TOPIC, partitions: PARTITIONS, want })], { timeoutMs: 60_000 });
  if (r.code !== 0) throw new Error(`python failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!);
}

describe('committed offsets survive restarts', () => {
  it('clean stop/start: kafkajs and librdkafka consumers resume exactly at the committed offsets', async () => {
    const dataDir = tempDir('groups-restart');
    dirs.push(dataDir);
    const first = await startTestBroker({ dataDir, keepData: true, config: { 'group.initial.rebalance.delay.ms': 0 } });
    await setupTopic(first.bootstrap, 30);
    const before = await consume(first.bootstrap, 'g-clean', 17);
    const offsets = await committed(first.bootstrap, 'g-clean');
    expect(total(offsets)).toBe(17);
    // A second group with simple commits (no group management), through kafkajs admin.
    const admin = client(first.bootstrap).admin();
    await admin.connect();
    await admin.setOffsets({ groupId: 'g-simple', topic: TOPIC, partitions: [0, 1, 2].map((p) => ({ partition: p, offset: String(p + 2) })) });
    await admin.disconnect();
    await produce(first.bootstrap, 30, 30);
    await first.cleanup();

    const second = await startTestBroker({ dataDir, keepData: true, config: { 'group.initial.rebalance.delay.ms': 0 } });
    try {
      expect(await committed(second.bootstrap, 'g-clean')).toEqual(offsets);
      const after = await consume(second.bootstrap, 'g-clean', 60 - 17);
      expect(after.first).toEqual(startOf(offsets));
      // Nothing consumed twice, nothing skipped.
      expect([...before.values, ...after.values].sort()).toEqual(Array.from({ length: 60 }, (_, i) => `r${i}`).sort());
      const ck = await ckResume(second.bootstrap, 'g-simple', 3);
      expect(ck.committed).toEqual({ 0: 2, 1: 3, 2: 4 });
      expect(ck.first).toEqual({ 0: 2, 1: 3, 2: 4 });
    } finally {
      await second.cleanup();
    }
  }, 120_000);

  it.skipIf(!existsSync(join(REPO_ROOT, 'dist', 'src', 'cli.js')))('kill -9 right after the commits: the next consumer resumes exactly there', async () => {
    const dataDir = tempDir('groups-kill9');
    dirs.push(dataDir);
    const flags = { 'group.initial.rebalance.delay.ms': 0 };
    const first = await spawnBroker(dataDir, flags);
    let second: Awaited<ReturnType<typeof spawnBroker>> | null = null;
    try {
      await setupTopic(first.bootstrap, 30);
      const before = await consume(first.bootstrap, 'g-kill', 20);
      const offsets = await committed(first.bootstrap, 'g-kill');
      // Commits are acknowledged only once durable: nothing may be lost to the kill.
      await first.kill('SIGKILL');
      second = await spawnBroker(dataDir, flags);
      expect(await committed(second.bootstrap, 'g-kill')).toEqual(offsets);
      const after = await consume(second.bootstrap, 'g-kill', 10);
      // Partitions hold 10 records each: fully consumed ones yield nothing more.
      expect(after.first).toEqual(startOf(offsets, 10));
      expect(new Set([...before.values, ...after.values]).size).toBe(30);
      await produce(second.bootstrap, 30, 3);
      const ck = await ckResume(second.bootstrap, 'g-kill', 3);
      expect(ck.first).toEqual({ 0: 10, 1: 10, 2: 10 });
      expect(total(ck.committed)).toBe(30);
    } finally {
      await first.kill('SIGKILL');
      await second?.kill('SIGTERM');
    }
  }, 120_000);

  it.skipIf(!javaAvailable())("Kafka's kafka-dump-log --offsets-decoder reads our __consumer_offsets segments", async () => {
    const dataDir = tempDir('groups-dump');
    dirs.push(dataDir);
    const b = await startTestBroker({ dataDir, keepData: true, config: { 'group.initial.rebalance.delay.ms': 0 } });
    await setupTopic(b.bootstrap, 6);
    await consume(b.bootstrap, 'dump-group', 6);
    await b.cleanup();
    const partition = offsetsPartitionFor('dump-group', 50);
    const segment = join(dataDir, `__consumer_offsets-${partition}`, '00000000000000000000.log');
    const r = await runJava('org.apache.kafka.tools.DumpLogSegments', ['--offsets-decoder', '--files', segment]);
    expect(r.code).toBe(0);
    // The member's group metadata (with its assignment), its commits, and the empty group after it left.
    expect(r.stdout).toMatch(/key: \{"type":"2","data":\{"group":"dump-group"\}\} payload: \{"version":"3","data":\{"protocolType":"consumer","generation":1,"protocol":"RoundRobinAssigner"/);
    expect(r.stdout).toMatch(/key: \{"type":"1","data":\{"group":"dump-group","topic":"resume","partition":2\}\} payload: \{"version":"3","data":\{"offset":2,"leaderEpoch":-1,"metadata":"","commitTimestamp":\d+\}\}/);
    expect(r.stdout).toMatch(/"generation":2,"protocol":null,"leader":null,"currentStateTimestamp":\d+,"members":\[\]/);
    expect(r.stdout).not.toMatch(/isvalid: false/);
  }, 120_000);
});
