/**
 * The "losing etcd" scenario of the cluster tests (etcd-loss.test.ts with one etcd member,
 * etcd-quorum.test.ts with three): an idempotent kafkajs producer writes acks=all to an RF 3 topic
 * (one sequential lane per partition) the whole time, while etcd goes away for longer than
 * broker.session.timeout.ms. While it is gone:
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
 * order per lane, through Fetch from each leader and in every replica's log on disk.
 */
import { join } from 'node:path';
import { expect } from 'vitest';
import { ErrorCode } from '../../protocol/errors.js';
import { newCreateTopicsRequestTopic } from '../../protocol/generated/19-create-topics.js';
import { newProduceRequestPartition, newProduceRequestTopic } from '../../protocol/generated/00-produce.js';
import { batch } from '../../protocol/records/batch.js';
import { buildBatchSync } from '../../protocol/records/builder.js';
import { readRecords } from '../../protocol/records/records.js';
import { type PartitionState, createTopic, createTopicReady, waitIsrFull, waitUntil, withBroker } from '../helpers/cluster-target.js';
import type { RunnelCluster } from './cluster-harness.js';
import { type Ack, type LogRecord, checkHistory, historyOk, recordsOnDisk } from './history.js';
import { type LaneClient, kafkajsLanes } from './lane-clients.js';
import { withinDeadline } from '../helpers/deadline.js';

/** broker.session.timeout.ms and runnel.etcd.request.timeout.ms of the clusters these scenarios run on. */
export const SESSION_MS = 3000;
export const REQUEST_TIMEOUT_MS = 2000;
const PARTITIONS = 3;

/** Cluster settings for the outage scenarios: short timeouts, no automatic leader moves. */
export const OUTAGE_PROPS = { 'replica.lag.time.max.ms': 4000, 'replica.fetch.backoff.ms': 200, 'replica.fetch.wait.max.ms': 200, 'auto.leader.rebalance.enable': false, 'runnel.etcd.request.timeout.ms': REQUEST_TIMEOUT_MS };

/** Waits until every broker lists all of them as registered (CreateTopics places replicas on registered brokers). */
export async function waitAllRegistered(c: RunnelCluster): Promise<void> {
  for (const id of c.brokerIds) await waitUntil(`broker ${id} sees every broker`, async () => (((await withBroker(c, id, (raw) => raw.request(60, 0, {}))) as any).brokers.length === c.brokerIds.length ? true : undefined), 30_000);
}

export async function produceRaw(c: RunnelCluster, id: number, topic: string, partition: number, value: string): Promise<number> {
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
export async function fetchAll(c: RunnelCluster, id: number, topic: string, partition: number, version: number, isolationLevel = 0): Promise<{ errorCode: number; highWatermark: number; records: LogRecord[] }> {
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
export async function createTopicTimed(c: RunnelCluster, id: number, name: string): Promise<[number, number]> {
  const t0 = Date.now();
  const r: any = await withBroker(c, id, (raw) => raw.request(19, 7, { timeoutMs: 30_000, validateOnly: false, topics: [newCreateTopicsRequestTopic({ name, numPartitions: 1, replicationFactor: 3 })] }));
  return [r.topics[0].errorCode, Date.now() - t0];
}

/** Every broker process is still running. */
export function expectAllRunning(c: RunnelCluster): void {
  for (const id of c.brokerIds) {
    const proc = c.process(id)?.process;
    expect(proc && proc.exitCode === null && proc.signalCode === null, `broker ${id} still running`).toBe(true);
  }
}

/**
 * The outage scenario (see the header): `stopEtcd` takes etcd away (freeze, kill, quorum loss),
 * `startEtcd` brings it back.
 */
export async function etcdOutage(c: RunnelCluster, name: string, stopEtcd: () => Promise<void>, startEtcd: () => Promise<void>, sessionMs = SESSION_MS): Promise<void> {
  const t0 = Date.now();
  const trail: string[] = [];
  const step = (what: string) => {
    trail.push(`+${Date.now() - t0} ms: ${what}`);
    console.log(`${name} +${Date.now() - t0} ms: ${what}`);
  };
  let lanes: LaneClient | undefined;
  await withinDeadline(OUTAGE_BUDGET_MS, `etcd outage scenario ${name}`, () => outage(c, name, stopEtcd, startEtcd, sessionMs, step, (l) => (lanes = l)), () => `steps: ${trail.join('; ') || 'none'}; producer: ${lanes?.recent() ?? 'not started'}`);
}

/** The whole scenario's budget: below the tests' 180 s timeout, so a stall reports its steps. */
const OUTAGE_BUDGET_MS = 165_000;

async function outage(c: RunnelCluster, name: string, stopEtcd: () => Promise<void>, startEtcd: () => Promise<void>, sessionMs: number, step: (what: string) => void, started: (lanes: LaneClient) => void): Promise<void> {
  const topic = `loss-${name}`;
  step('creating the topic');
  const before = await createTopicReady(c, { name: topic, partitions: PARTITIONS, replicationFactor: 3, configs: { 'min.insync.replicas': '2' } });
  const lanes = await kafkajsLanes({ bootstrap: c.bootstrap, topic, partitions: PARTITIONS, intervalMs: 20 }, name);
  started(lanes);
  step('producing');
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
      await waitUntil(`${topic}-${s.partition}: writes refused by broker ${s.leader}`, async () => ((await probe(s.leader, s.partition)) === ErrorCode.NOT_LEADER_OR_FOLLOWER ? true : undefined), sessionMs + 5000, 100);
    }
    // The outage lasts longer than the session timeout (etcd would expire every lease).
    const left = sessionMs + 1500 - (Date.now() - gone);
    if (left > 0) await new Promise((r) => setTimeout(r, left));
    const ackedNow = lanes.acked();
    step('writes refused everywhere');

    expectAllRunning(c);
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
    for (const [what, send] of [
      ['DeleteTopics', (raw: any) => raw.request(20, 4, { topicNames: [topic], timeoutMs: 30_000 }).then((r: any) => r.responses[0].errorCode)],
      ['CreatePartitions', (raw: any) => raw.request(37, 3, { topics: [{ name: topic, count: PARTITIONS + 1, assignments: null }], timeoutMs: 30_000, validateOnly: false }).then((r: any) => r.results[0].errorCode)],
    ] as const) {
      const t = Date.now();
      const code = await withBroker(c, before[0]!.leader, send);
      expect(code, `${what} while etcd is gone`).toBe(ErrorCode.REQUEST_TIMED_OUT);
      expect(Date.now() - t).toBeLessThan(REQUEST_TIMEOUT_MS + 3000);
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
  expectAllRunning(c);
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
