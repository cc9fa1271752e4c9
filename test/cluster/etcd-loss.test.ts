/**
 * Losing etcd must not lose data (issue 16; docs/cluster.md, "Losing etcd"): a real etcd and three
 * `dist/runnel.mjs` processes (cluster-harness.ts; build first). An idempotent kafkajs producer
 * writes acks=all to an RF 3 topic (one sequential lane per partition) the whole time, while etcd
 *  - is frozen (SIGSTOP: it holds its sockets and answers nothing), or
 *  - is killed (SIGKILL) and later started again on its data dir,
 * for longer than broker.session.timeout.ms. While it is gone:
 *  - no broker exits;
 *  - each partition's leader still serves the acknowledged records to consumers (Fetch v12 and
 *    v4, read_committed too, and ListOffsets), up to its high watermark: every record acknowledged
 *    before etcd went is there, at the acknowledged offset;
 *  - writes are refused with NOT_LEADER_OR_FOLLOWER (retriable) once the lease counts as lost:
 *    the broker cannot know whether the controller has moved its leaderships;
 *  - CreateTopics answers REQUEST_TIMED_OUT (retriable) within runnel.etcd.request.timeout.ms
 *    and a margin, never hangs to the request's timeout.
 * Once etcd is back the cluster recovers by itself: brokers register again, a controller is elected,
 * the producer's writes are acknowledged again, CreateTopics works, every ISR fills; and the
 * history check (history.ts) finds every acknowledged record exactly once, at its offset, in send
 * order per lane.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../protocol/errors.js';
import { newCreateTopicsRequestTopic } from '../../protocol/generated/19-create-topics.js';
import { newProduceRequestPartition, newProduceRequestTopic } from '../../protocol/generated/00-produce.js';
import { batch } from '../../protocol/records/batch.js';
import { buildBatchSync } from '../../protocol/records/builder.js';
import { readRecords } from '../../protocol/records/records.js';
import { type PartitionState, createTopic, createTopicReady, partitions, waitIsrFull, waitUntil, withBroker } from '../helpers/cluster-target.js';
import { type RunnelCluster, startRunnelCluster } from './cluster-harness.js';
import { etcdMissing } from './etcd-harness.js';
import { type Ack, type LogRecord, checkHistory, historyOk, recordsOnDisk } from './history.js';
import { kafkajsLanes } from './lane-clients.js';

const SESSION_MS = 3000;
const REQUEST_TIMEOUT_MS = 2000;
const PARTITIONS = 3;

async function produceRaw(c: RunnelCluster, id: number, topic: string, partition: number, value: string): Promise<number> {
  const r: any = await withBroker(c, id, (raw) =>
    raw.request(0, 9, { acks: -1, timeoutMs: 5000, topicData: [newProduceRequestTopic({ name: topic, partitionData: [newProduceRequestPartition({ index: partition, records: buildBatchSync([{ value }]) })] })] }),
  );
  return r.responses[0].partitionResponses[0].errorCode;
}

/** The records of a Fetch response's record set, in offset order. */
async function recordsOf(bytes: Buffer | null): Promise<LogRecord[]> {
  const out: LogRecord[] = [];
  if (!bytes) return out;
  for (let at = 0; at + 61 <= bytes.length; ) {
    const size = batch.totalSize(bytes, at);
    if (at + size > bytes.length) break;
    const b = bytes.subarray(at, at + size);
    const r = await readRecords(b);
    if (r.error !== null) throw new Error(`batch at ${batch.baseOffset(b)}: ${r.error}`);
    for (const rec of r.value) if (!batch.isControl(b, 0)) out.push({ offset: batch.baseOffset(b) + rec.offsetDelta, value: rec.value?.toString() ?? '' });
    at += size;
  }
  return out;
}

/** A consumer's Fetch (replica id -1) of the whole partition from broker `id`: records and high watermark. */
async function fetchAll(c: RunnelCluster, id: number, topic: string, partition: number, version: number, isolationLevel = 0): Promise<{ errorCode: number; highWatermark: number; records: LogRecord[] }> {
  const out: LogRecord[] = [];
  for (let offset = 0; ; ) {
    const r: any = await withBroker(c, id, (raw) =>
      raw.request(1, version, {
        replicaId: -1,
        maxWaitMs: 0,
        minBytes: 1,
        maxBytes: 1 << 20,
        isolationLevel,
        sessionId: 0,
        sessionEpoch: -1,
        topics: [{ topic, partitions: [{ partition, fetchOffset: offset, partitionMaxBytes: 1 << 20, currentLeaderEpoch: -1, logStartOffset: -1, lastFetchedEpoch: -1 }] }],
        forgottenTopicsData: [],
        rackId: '',
      }),
    );
    const p = r.responses[0].partitions[0];
    if (p.errorCode !== 0) return { errorCode: p.errorCode, highWatermark: p.highWatermark, records: out };
    const got = await recordsOf(p.records);
    out.push(...got);
    const next = got.length > 0 ? got[got.length - 1]!.offset + 1 : offset;
    if (next >= p.highWatermark || got.length === 0) return { errorCode: 0, highWatermark: p.highWatermark, records: out };
    offset = next;
  }
}

/** ListOffsets (latest) from broker `id` as a consumer: [errorCode, offset]. */
async function latestOffset(c: RunnelCluster, id: number, topic: string, partition: number): Promise<[number, number]> {
  const r: any = await withBroker(c, id, (raw) => raw.request(2, 7, { replicaId: -1, isolationLevel: 0, topics: [{ name: topic, partitions: [{ partitionIndex: partition, currentLeaderEpoch: -1, timestamp: -1 }] }] }));
  const p = r.topics[0].partitions[0];
  return [p.errorCode, p.offset];
}

/** CreateTopics v7 with a 30 s timeout: [errorCode, ms taken]. */
async function createTopicTimed(c: RunnelCluster, id: number, name: string): Promise<[number, number]> {
  const t0 = Date.now();
  const r: any = await withBroker(c, id, (raw) => raw.request(19, 7, { timeoutMs: 30_000, validateOnly: false, topics: [newCreateTopicsRequestTopic({ name, numPartitions: 1, replicationFactor: 3 })] }));
  return [r.topics[0].errorCode, Date.now() - t0];
}

describe.skipIf(etcdMissing)('losing etcd: etcd + 3 broker processes', () => {
  let c: RunnelCluster;

  beforeAll(async () => {
    c = await startRunnelCluster({
      brokers: 3,
      sessionTimeoutMs: SESSION_MS,
      props: { 'replica.lag.time.max.ms': 4000, 'replica.fetch.backoff.ms': 200, 'replica.fetch.wait.max.ms': 200, 'auto.leader.rebalance.enable': false, 'runnel.etcd.request.timeout.ms': REQUEST_TIMEOUT_MS },
    });
    // Every broker sees all three registered (CreateTopics places replicas on registered brokers).
    for (const id of c.brokerIds) await waitUntil(`broker ${id} sees three brokers`, async () => (((await withBroker(c, id, (raw) => raw.request(60, 0, {}))) as any).brokers.length === 3 ? true : undefined), 30_000);
  }, 90_000);
  afterAll(async () => {
    await c?.stop();
  });

  function expectAllRunning(): void {
    for (const id of c.brokerIds) {
      const proc = c.process(id)?.process;
      expect(proc && proc.exitCode === null && proc.signalCode === null, `broker ${id} still running`).toBe(true);
    }
  }

  async function outage(name: string, stopEtcd: () => Promise<void>, startEtcd: () => Promise<void>): Promise<void> {
    const topic = `loss-${name}`;
    const t0 = Date.now();
    const step = (what: string) => console.log(`${name} +${Date.now() - t0} ms: ${what}`);
    const before = await createTopicReady(c, { name: topic, partitions: PARTITIONS, replicationFactor: 3, configs: { 'min.insync.replicas': '2' } });
    const lanes = await kafkajsLanes({ bootstrap: c.bootstrap, topic, partitions: PARTITIONS, intervalMs: 20 }, name);
    let report;
    let etcdDown = false;
    const probes: string[] = [];
    const probe = (id: number, partition: number) => {
      const value = `probe-${name}-${probes.length}`;
      probes.push(value);
      return produceRaw(c, id, topic, partition, value);
    };
    try {
      await waitUntil('writes acknowledged', async () => (lanes.acked() >= 60 ? true : undefined), 60_000, 50);
      step('stopping etcd');
      etcdDown = true;
      await stopEtcd();
      const gone = Date.now();
      // Every leader counts its lease lost within the session timeout and refuses writes.
      for (const s of before) {
        await waitUntil(`${topic}-${s.partition}: writes refused by broker ${s.leader}`, async () => ((await probe(s.leader, s.partition)) === ErrorCode.NOT_LEADER_OR_FOLLOWER ? true : undefined), SESSION_MS + 5000, 100);
      }
      // The outage lasts longer than the session timeout (etcd would expire every lease).
      const left = SESSION_MS + 1500 - (Date.now() - gone);
      if (left > 0) await new Promise((r) => setTimeout(r, left));
      const ackedNow = lanes.acked();
      step('writes refused everywhere');

      expectAllRunning();
      // Reads of what was acknowledged keep working on the current leaders: every acknowledged
      // record, at its offset (Fetch v12 as kafkajs and Java consumers send it, v4 which only a
      // leader serves, read_committed).
      const ackedBefore = lanes.acksSoFar!();
      for (const s of before) {
        for (const [version, isolation] of [[12, 0], [4, 0], [12, 1]] as const) {
          const f = await fetchAll(c, s.leader, topic, s.partition, version, isolation);
          const what = `Fetch v${version} isolation ${isolation} of ${topic}-${s.partition} from its leader ${s.leader}`;
          expect(f.errorCode, what).toBe(0);
          const mine = ackedBefore.filter((a) => a.partition === s.partition);
          expect(mine.length).toBeGreaterThan(0);
          const read = checkHistory([...ackedBefore.map((a) => a.value), ...probes, ...f.records.map((r) => r.value)], mine, new Map([[s.partition, f.records]]));
          expect(read.lost, what).toEqual([]);
        }
        const [code, end] = await latestOffset(c, s.leader, topic, s.partition);
        expect(code, `ListOffsets of ${topic}-${s.partition} from its leader`).toBe(0);
        expect(end).toBeGreaterThan(0);
      }
      step('reads checked');
      // Controller work: a clear retriable error within the etcd request timeout (and a margin), no hang.
      for (const id of c.brokerIds) {
        const [code, ms] = await createTopicTimed(c, id, `${topic}-new-${id}`);
        expect(code, `CreateTopics on broker ${id} while etcd is gone`).toBe(ErrorCode.REQUEST_TIMED_OUT);
        expect(ms).toBeLessThan(REQUEST_TIMEOUT_MS + 3000);
      }
      // Nothing gets acknowledged meanwhile (writes are refused, not lost).
      expect(lanes.acked()).toBe(ackedNow);

      step('starting etcd');
      etcdDown = false;
      await startEtcd();
      // Recovery: writes are acknowledged again, topics can be created, every ISR fills.
      await waitUntil('writes acknowledged after etcd came back', async () => (lanes.acked() >= ackedNow + 60 ? true : undefined), 60_000, 100);
      step('writes acknowledged again');
      await createTopic(c, { name: `${topic}-after`, partitions: 1, replicationFactor: 3 });
    } finally {
      if (etcdDown) await startEtcd(); // a failed check must not leave the producer retrying against no etcd
      step('stopping lanes');
      report = await lanes.stop();
    }
    step('lanes stopped');
    const states: PartitionState[] = [];
    for (let p = 0; p < PARTITIONS; p++) states.push(await waitIsrFull(c, topic, p, 60_000));
    expectAllRunning();
    // Every acknowledged record is read back once, at its offset, in order per lane: from each
    // partition's leader through Fetch, and from every replica's log on disk.
    const logs = new Map<number, LogRecord[]>();
    for (const s of states) {
      const f = await fetchAll(c, s.leader, topic, s.partition, 12);
      expect(f.errorCode).toBe(0);
      logs.set(s.partition, f.records);
    }
    step('checking history');
    const history = checkHistory([...report.attempts, ...probes], report.acks, logs);
    console.log(`${name}: ${report.attempts.length} sent, ${report.acks.length} acknowledged, ${history.unackedPresent} unacknowledged present; errors ${JSON.stringify(report.errors.slice(0, 3))}`);
    expect(history, JSON.stringify(history)).toSatisfy(historyOk);
    for (const s of states) {
      for (const id of s.replicas) {
        const onDisk = await recordsOnDisk(join(c.dataDir(id), `${topic}-${s.partition}`));
        const acked = report.acks.filter((a: Ack) => a.partition === s.partition);
        expect(checkHistory([...report.attempts, ...probes], acked, new Map([[s.partition, onDisk]])), `replica ${id} of ${topic}-${s.partition}`).toSatisfy(historyOk);
      }
    }
  }

  it('etcd frozen (SIGSTOP) past the session timeout: reads go on, writes and CreateTopics get retriable errors, all recovers, nothing acknowledged is lost', async () => {
    await outage(
      'freeze',
      async () => c.etcd.member.freeze(),
      async () => c.etcd.member.thaw(),
    );
  }, 180_000);

  it('etcd killed (SIGKILL) past the session timeout and started again: the same', async () => {
    await outage(
      'kill',
      () => c.etcd.member.kill(),
      async () => {
        c.etcd.member.start();
        await c.etcd.member.waitHealthy();
      },
    );
  }, 180_000);

  it('after both outages the brokers agree on one controller and all three are registered', async () => {
    const views = await Promise.all(c.brokerIds.map((id) => withBroker(c, id, (raw) => raw.request(60, 0, {}))));
    const controllers = new Set(views.map((v: any) => v.controllerId));
    expect(controllers.size).toBe(1);
    expect([...controllers][0]).toBeGreaterThan(0);
    for (const v of views as any[]) expect(v.brokers.map((b: any) => b.brokerId).sort()).toEqual([1, 2, 3]);
    expect((await partitions(c, 'loss-kill')).every((p) => p.isr.length === 3)).toBe(true);
  });
});
