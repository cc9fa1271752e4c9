/**
 * Two cluster behaviours Kafka clients and tools rely on, over real sockets against etcd + three
 * `dist/runnel.mjs` processes (cluster-harness.ts):
 *
 *  - DeleteRecords on an RF 3 topic (kafkajs admin.deleteTopicRecords) answers only once every
 *    replica's log start offset reached the offset (Kafka's DelayedDeleteRecords): right after the
 *    answer, each replica — read with a Fetch v11 from that replica (KIP-392 follower fetch, whose
 *    answer carries the replica's own log start offset) — starts at or past it; a replica whose
 *    broker is paused holds the answer back until REQUEST_TIMED_OUT.
 *  - Replication throttling as kafka-reassign-partitions --throttle sets it: adding a replica to a
 *    partition holding 20 MB with --throttle 1000000 copies at about 1 MB/s (the new replica's log
 *    grows by less than 3× the rate over a few seconds, and is far from done); the tool's configs
 *    are on the brokers and the topic; once the rates are deleted the copy completes, and --verify
 *    removes the replica lists and the rates. The same move without a throttle copies the 20 MB
 *    several times faster than the throttle allows.
 */
import { randomBytes } from 'node:crypto';
import { readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Kafka, logLevel } from 'kafkajs';
import { ErrorCode } from '../../protocol/errors.js';
import { tempDir } from '../helpers/broker.js';
import { createTopicReady, partitions, sleep, waitRegistered, waitUntil, withBroker } from '../helpers/cluster-target.js';
import { ensureJavaBuilt, javaAvailable, runKafkaScript } from '../helpers/java.js';
import { type RunnelCluster, startRunnelCluster } from './cluster-harness.js';
import { etcdMissing } from './etcd-harness.js';

const MB = 1_000_000;
const THROTTLE = 1_000_000;

/** Fetch v11 (a consumer; any replica serves it in a cluster) of `topic`-0 at `offset` from broker `id`: that replica's view. */
async function replicaView(c: RunnelCluster, id: number, topic: string, offset: number): Promise<{ errorCode: number; highWatermark: number; logStartOffset: number }> {
  const r: any = await withBroker(c, id, (raw) =>
    raw.request(1, 11, {
      replicaId: -1,
      maxWaitMs: 0,
      minBytes: 0,
      maxBytes: 1024,
      isolationLevel: 0,
      sessionId: 0,
      sessionEpoch: -1,
      topics: [{ topic, partitions: [{ partition: 0, fetchOffset: offset, partitionMaxBytes: 1024, currentLeaderEpoch: -1, logStartOffset: -1 }] }],
      forgottenTopicsData: [],
      rackId: '',
    }),
  );
  const p = r.responses[0].partitions[0];
  return { errorCode: p.errorCode, highWatermark: Number(p.highWatermark), logStartOffset: Number(p.logStartOffset) };
}

/** Bytes of the partition's segment files in broker `id`'s data dir (0 before the replica exists). */
function replicaBytes(c: RunnelCluster, id: number, topic: string): number {
  const dir = join(c.dataDir(id), `${topic}-0`);
  try {
    return readdirSync(dir)
      .filter((n) => n.endsWith('.log'))
      .reduce((n, f) => n + statSync(join(dir, f)).size, 0);
  } catch {
    return 0;
  }
}

/** The configs of a resource (2 topic, 4 broker) as broker `via` describes them, name → value. */
async function describedConfigs(c: RunnelCluster, via: number, resourceType: number, resourceName: string): Promise<Map<string, string | null>> {
  const r: any = await withBroker(c, via, (raw) => raw.request(32, 1, { resources: [{ resourceType, resourceName, configurationKeys: null }], includeSynonyms: false }));
  const res = r.results[0];
  expect(res.errorCode).toBe(ErrorCode.NONE);
  // Dynamic (1 topic, 2 broker) only: what AlterConfigs set.
  return new Map(res.configs.filter((x: any) => x.configSource === 1 || x.configSource === 2).map((x: any) => [x.name, x.value]));
}

describe.skipIf(etcdMissing)('replication throttling and DeleteRecords: etcd + 3 broker processes', () => {
  let c: RunnelCluster;
  let kafka: Kafka;
  let ctl: number;
  let a: number;
  let b: number;

  beforeAll(async () => {
    c = await startRunnelCluster({ brokers: 3, sessionTimeoutMs: 30_000, props: { 'auto.leader.rebalance.enable': false, 'runnel.etcd.request.timeout.ms': 5000 } });
    const views = await waitRegistered(c);
    ctl = views[0].controllerId;
    [a, b] = c.brokerIds.filter((id) => id !== ctl) as [number, number];
    kafka = new Kafka({ brokers: c.bootstrap.split(','), clientId: 'throttle', logLevel: logLevel.NOTHING, retry: { retries: 5, initialRetryTime: 100 } });
  }, 90_000);
  afterAll(async () => {
    await c?.stop();
  });

  it('DeleteRecords (kafkajs) on RF 3 answers once every replica\'s log start offset reached the offset', async () => {
    await createTopicReady(c, { name: 'dr', assignments: [[ctl, a, b]] });
    const producer = kafka.producer({ allowAutoTopicCreation: false });
    await producer.connect();
    try {
      for (let i = 0; i < 4; i++) await producer.send({ topic: 'dr', acks: -1, messages: Array.from({ length: 25 }, (_, j) => ({ partition: 0, value: `v${i * 25 + j}` })) });
    } finally {
      await producer.disconnect();
    }
    // Every replica knows the high watermark (followers learn it from their next fetch response).
    await waitUntil('each replica at high watermark 100', async () => ((await Promise.all(c.brokerIds.map((id) => replicaView(c, id, 'dr', 99)))).every((v) => v.highWatermark === 100) ? true : undefined), 20_000);
    for (const id of c.brokerIds) expect((await replicaView(c, id, 'dr', 99)).logStartOffset).toBe(0);

    const admin = kafka.admin();
    await admin.connect();
    try {
      await admin.fetchTopicMetadata({ topics: ['dr'] });
      await admin.deleteTopicRecords({ topic: 'dr', partitions: [{ partition: 0, offset: '60' }] });
      // At once after the answer: every replica starts at 60 (read in parallel, before any new fetch round).
      const views = await Promise.all(c.brokerIds.map((id) => replicaView(c, id, 'dr', 99)));
      expect(views.map((v) => [v.errorCode, v.logStartOffset])).toEqual(c.brokerIds.map(() => [ErrorCode.NONE, 60]));
      expect(await admin.fetchTopicOffsets('dr')).toEqual([expect.objectContaining({ partition: 0, low: '60', high: '100' })]);

      // A replica that does not fetch (its broker paused, still registered) holds the answer back:
      // REQUEST_TIMED_OUT after timeout_ms, with the low watermark of that moment; the leader has moved.
      process.kill(c.pid(b)!, 'SIGSTOP');
      try {
        const t0 = Date.now();
        const timedOut: any = await withBroker(c, ctl, (r) => r.request(21, 2, { topics: [{ name: 'dr', partitions: [{ partitionIndex: 0, offset: 80 }] }], timeoutMs: 1500 }));
        expect(Date.now() - t0).toBeGreaterThanOrEqual(1400);
        expect(timedOut.topics[0].partitions[0]).toMatchObject({ errorCode: ErrorCode.REQUEST_TIMED_OUT, lowWatermark: 60 });
        expect((await replicaView(c, ctl, 'dr', 99)).logStartOffset).toBe(80);
      } finally {
        process.kill(c.pid(b)!, 'SIGCONT');
      }

      // -1: up to the high watermark, on every replica too.
      await admin.deleteTopicRecords({ topic: 'dr', partitions: [{ partition: 0, offset: '-1' }] });
      const after = await Promise.all(c.brokerIds.map((id) => replicaView(c, id, 'dr', 100)));
      expect(after.map((v) => [v.errorCode, v.logStartOffset])).toEqual(c.brokerIds.map(() => [ErrorCode.NONE, 100]));
    } finally {
      await admin.disconnect();
    }
    // The low watermark answered is the smallest log start over the replicas: raw, to see it.
    const raw: any = await withBroker(c, ctl, (r) => r.request(21, 2, { topics: [{ name: 'dr', partitions: [{ partitionIndex: 0, offset: 100 }] }], timeoutMs: 10_000 }));
    expect(raw.topics[0].partitions[0]).toMatchObject({ errorCode: ErrorCode.NONE, lowWatermark: 100 });
  }, 120_000);

  it.skipIf(!javaAvailable())('kafka-reassign-partitions --throttle 1000000: the new replica copies at about 1 MB/s until the rates go; --verify clears the configs; unthrottled is fast', async () => {
    await ensureJavaBuilt();
    const dir = tempDir('throttle-tool');
    const bootstrap = c.bootstrap;
    const tool = async (args: string[]) => {
      for (let attempt = 0; ; attempt++) {
        const r = await runKafkaScript('kafka-reassign-partitions.sh', ['--bootstrap-server', bootstrap, ...args], { timeoutMs: 120_000 });
        if (attempt < 2 && (r.stdout + r.stderr).includes('etcd did not answer')) continue;
        return r;
      }
    };
    // 20 MB on [ctl, a]; the move adds b.
    const fill = async (topic: string) => {
      await createTopicReady(c, { name: topic, assignments: [[ctl, a]] });
      const producer = kafka.producer({ allowAutoTopicCreation: false });
      await producer.connect();
      const value = randomBytes(100_000);
      try {
        for (let i = 0; i < 40; i++) await producer.send({ topic, acks: -1, messages: Array.from({ length: 5 }, () => ({ partition: 0, value })) });
      } finally {
        await producer.disconnect();
      }
      return replicaBytes(c, ctl, topic);
    };
    const moveFile = (topic: string) => {
      const f = join(dir, `${topic}.json`);
      writeFileSync(f, JSON.stringify({ version: 1, partitions: [{ topic, partition: 0, replicas: [ctl, a, b] }] }));
      return f;
    };
    const completed = (topic: string) =>
      waitUntil(`${topic}-0 on three replicas, all in sync`, async () => {
        const p = (await partitions(c, topic, ctl))[0]!;
        return p.replicas.length === 3 && p.isr.length === 3 ? p : undefined;
      }, 120_000, 50);
    try {
      const total = await fill('slow');
      expect(total).toBeGreaterThan(20 * MB);
      const move = moveFile('slow');
      const execute = await tool(['--execute', '--reassignment-json-file', move, '--throttle', String(THROTTLE)]);
      expect(execute.code, execute.stdout + execute.stderr).toBe(0);
      expect(execute.stdout, execute.stderr).toContain(`The inter-broker throttle limit was set to ${THROTTLE} B/s`);

      // The tool's configs: the rates on every broker involved, the replica lists on the topic.
      for (const id of c.brokerIds) {
        const rates = await waitUntil(`the rates on broker ${id}`, async () => {
          const m = await describedConfigs(c, id, 4, String(id));
          return m.has('leader.replication.throttled.rate') ? m : undefined;
        }, 20_000);
        expect(rates.get('leader.replication.throttled.rate')).toBe(String(THROTTLE));
        expect(rates.get('follower.replication.throttled.rate')).toBe(String(THROTTLE));
      }
      const lists = await describedConfigs(c, ctl, 2, 'slow');
      expect(lists.get('leader.replication.throttled.replicas')?.split(',').sort()).toEqual([`0:${ctl}`, `0:${a}`].sort());
      expect(lists.get('follower.replication.throttled.replicas')).toBe(`0:${b}`);

      // The copy: measured over ~5 s once it has started.
      await waitUntil('the new replica to start copying', async () => (replicaBytes(c, b, 'slow') > 0 ? true : undefined), 30_000, 50);
      const t0 = Date.now();
      const b0 = replicaBytes(c, b, 'slow');
      await sleep(5000);
      const elapsed = (Date.now() - t0) / 1000;
      const copied = replicaBytes(c, b, 'slow') - b0;
      const rate = copied / elapsed;
      console.log(`throttled copy: ${copied} bytes in ${elapsed.toFixed(2)} s = ${(rate / MB).toFixed(2)} MB/s (throttle ${THROTTLE / MB} MB/s)`);
      expect(copied).toBeGreaterThan(0);
      expect(rate).toBeLessThan(3 * THROTTLE);
      expect(replicaBytes(c, b, 'slow')).toBeLessThan(total / 2);
      expect((await partitions(c, 'slow', ctl))[0]!.isr).not.toContain(b);

      // The rates deleted (as an operator raising the throttle would): the copy completes.
      for (const id of c.brokerIds) {
        const r: any = await withBroker(c, id, (raw) =>
          raw.request(44, 0, {
            validateOnly: false,
            resources: [{ resourceType: 4, resourceName: String(id), configs: ['leader.replication.throttled.rate', 'follower.replication.throttled.rate'].map((name) => ({ name, configOperation: 1, value: null })) }],
          }),
        );
        expect(r.responses[0].errorCode).toBe(ErrorCode.NONE);
      }
      await completed('slow');
      expect(replicaBytes(c, b, 'slow')).toBe(total);

      // --verify: done, and it clears the topic's lists and the brokers' rates.
      const verified = await tool(['--verify', '--reassignment-json-file', move]);
      expect(verified.stdout, verified.stderr).toContain('Reassignment of partition slow-0 is completed.');
      expect(verified.stdout, verified.stderr).toContain('Clearing topic-level throttles on topic slow');
      await waitUntil('the topic throttles cleared', async () => ([...(await describedConfigs(c, ctl, 2, 'slow')).keys()].some((k) => k.includes('throttled')) ? undefined : true), 20_000);
      for (const id of c.brokerIds) expect([...(await describedConfigs(c, id, 4, String(id))).keys()].filter((k) => k.includes('throttled'))).toEqual([]);

      // Unthrottled, the same move copies the 20 MB well above the throttle's pace.
      const fastTotal = await fill('fast');
      // Watched while the tool runs: from the new replica's first bytes to its last.
      let first = 0;
      let last = 0;
      const watch = setInterval(() => {
        const n = replicaBytes(c, b, 'fast');
        if (n > 0 && first === 0) first = Date.now();
        if (n === fastTotal && last === 0) last = Date.now();
      }, 20);
      try {
        const fast = await tool(['--execute', '--reassignment-json-file', moveFile('fast')]);
        expect(fast.code, fast.stdout + fast.stderr).toBe(0);
        await completed('fast');
        await waitUntil('the fast copy seen whole', async () => (last > 0 ? true : undefined), 10_000, 20);
      } finally {
        clearInterval(watch);
      }
      const fastSeconds = Math.max(last - first, 20) / 1000;
      console.log(`unthrottled copy: ${fastTotal} bytes in ${fastSeconds.toFixed(2)} s`);
      expect(fastTotal / fastSeconds).toBeGreaterThan(3 * THROTTLE);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 400_000);
});
