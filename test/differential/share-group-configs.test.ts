/**
 * Differential tests, share group configs APPLIED (GROUP config resources), against Apache Kafka
 * 4.4: share.auto.offset.reset=earliest, share.isolation.level=read_committed (aborted
 * transactions never acquired; read_uncommitted acquires them) and a KIP-1191 dead-letter topic
 * (errors.deadletterqueue.topic.name on the group, errors.deadletterqueue.group.enable on the
 * topic): the records each group acquires, by value, and the rejected record's dead-letter copy
 * (key, value, headers). Transactions come from a kafkajs transactional producer.
 */
import { describe, it } from 'vitest';
import { Kafka, logLevel } from 'kafkajs';
import { forEachRecord } from '../../protocol/records/records.js';
import { apacheKafkaAvailable } from '../helpers/apache-kafka.js';
import type { RawClient } from '../helpers/raw-client.js';
import { err, expectSame, raw, usePair, uniq, type Target } from './harness.js';
import { createTopicsReady } from './requests.js';

/** The records of a fetched byte range, data batches only: offset, key, value, headers. */
async function recordsOf(bytes: Buffer | null): Promise<Array<{ offset: number; key: string | null; value: string | null; headers: Record<string, string> }>> {
  const out: Array<{ offset: number; key: string | null; value: string | null; headers: Record<string, string> }> = [];
  const buf = bytes ?? Buffer.alloc(0);
  for (let pos = 0; pos + 12 <= buf.length; ) {
    const b = buf.subarray(pos, pos + 12 + buf.readInt32BE(pos + 8));
    pos += b.length;
    if ((b.readInt16BE(21) & 0x20) !== 0) continue;
    const base = Number(b.readBigInt64BE(0));
    await forEachRecord(b, (r) => void out.push({ offset: base + r.offsetDelta, key: r.key?.toString() ?? null, value: r.value?.toString() ?? null, headers: Object.fromEntries(r.headers.map((h) => [h.key, h.value?.toString() ?? ''])) }));
  }
  return out;
}

/** Joins `group` as one member, then fetches until nothing new comes; the first record is REJECTed when `rejectFirst`. */
async function consume(c: RawClient, group: string, topic: string, topicId: Buffer, rejectFirst: boolean): Promise<{ acquired: string[]; errors: string[] }> {
  const memberId = `m-${group}`;
  // Kafka answers NOT_COORDINATOR until __consumer_offsets exists (FindCoordinator creates it) and is loaded.
  for (let i = 0; i < 100; i++) {
    const fc = await c.request(10, 4, { keyType: 0, coordinatorKeys: [group] });
    if (fc.coordinators.every((x: any) => x.errorCode === 0)) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  const hb = (epoch: number) => c.request(76, 1, { groupId: group, memberId, memberEpoch: epoch, rackId: null, subscribedTopicNames: epoch === 0 ? [topic] : null });
  let joined: any;
  for (let i = 0; i < 100; i++) {
    joined = await hb(0);
    if (![14, 15, 16].includes(joined.errorCode)) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  let epoch = joined.memberEpoch;
  for (let i = 0; i < 50 && !(joined.assignment?.topicPartitions.length > 0); i++) {
    await new Promise((r) => setTimeout(r, 200));
    joined = await hb(epoch);
    epoch = joined.memberEpoch;
  }
  const acquired: string[] = [];
  const errors: string[] = [];
  let sessionEpoch = 0;
  let acks: object[] = [];
  let idle = 0;
  for (let i = 0; i < 40 && idle < 3; i++) {
    // Kafka initializes the share partition's state through the group coordinator: keep heartbeating.
    const h = await hb(epoch);
    if (h.errorCode === 0) epoch = h.memberEpoch;
    const r = await c.request(78, 1, { groupId: group, memberId, shareSessionEpoch: sessionEpoch++, maxWaitMs: 300, minBytes: 0, maxBytes: 1 << 20, maxRecords: 100, batchSize: 100, topics: [{ topicId, partitions: [{ partitionIndex: 0, acknowledgementBatches: acks }] }], forgottenTopicsData: [] });
    if (r.errorCode !== 0) errors.push(err(r.errorCode));
    const p = r.responses[0]?.partitions[0];
    const ranges: Array<{ firstOffset: bigint | number; lastOffset: bigint | number }> = p?.acquiredRecords ?? [];
    const inRange = (o: number) => ranges.some((a) => o >= Number(a.firstOffset) && o <= Number(a.lastOffset));
    const got = (await recordsOf(p?.records ?? null)).filter((x) => inRange(x.offset));
    acks = got.map((x) => ({ firstOffset: x.offset, lastOffset: x.offset, acknowledgeTypes: [rejectFirst && acquired.length === 0 && x === got[0] ? 3 : 1] }));
    acquired.push(...got.map((x) => x.value ?? ''));
    idle = got.length === 0 && acquired.length > 0 ? idle + 1 : 0;
  }
  if (acks.length > 0) await c.request(79, 1, { groupId: group, memberId, shareSessionEpoch: sessionEpoch++, topics: [{ topicId, partitions: [{ partitionIndex: 0, acknowledgementBatches: acks }] }] });
  return { acquired, errors };
}

describe.skipIf(!apacheKafkaAvailable())('differential: share group configs applied', () => {
  const pair = usePair({});

  it('earliest, read_committed vs read_uncommitted, and the dead-letter copy of a rejected record', async () => {
    const topic = uniq('shc');
    const dlq = `dlq.${uniq('shc')}`;
    const obs = await pair.both(async (t: Target) => {
      const c = await raw(t);
      c.responseTimeoutMs = 20_000;
      const kafka = new Kafka({ clientId: 'differential', brokers: [t.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 8, initialRetryTime: 100 } });
      const producer = kafka.producer({ transactionalId: uniq('shc-tx'), idempotent: true, maxInFlightRequests: 1 });
      const out: Record<string, unknown> = {};
      try {
        await createTopicsReady(c, [{ name: topic, partitions: 1 }]);
        await c.request(19, 7, { topics: [{ name: dlq, numPartitions: 1, replicationFactor: 1, assignments: [], configs: [{ name: 'errors.deadletterqueue.group.enable', value: 'true' }] }], timeoutMs: 5000 });
        const topicId: Buffer = (await c.request(3, 12, { topics: [{ name: topic, topicId: Buffer.alloc(16) }], allowAutoTopicCreation: false })).topics[0].topicId;
        await producer.connect();
        for (const [values, commit] of [[['c1'], true], [['a1', 'a2'], false], [['c2'], true]] as const) {
          const txn = await producer.transaction();
          await txn.send({ topic, messages: values.map((value) => ({ key: `k-${value}`, value })) });
          await (commit ? txn.commit() : txn.abort());
        }
        const setGroup = async (group: string, configs: Record<string, string>) =>
          err((await c.request(44, 1, { resources: [{ resourceType: 32, resourceName: group, configs: Object.entries(configs).map(([name, value]) => ({ name, configOperation: 0, value })) }], validateOnly: false })).responses[0].errorCode);
        const committed = uniq('shc-rc');
        const uncommitted = uniq('shc-ru');
        out.setCommitted = await setGroup(committed, { 'share.auto.offset.reset': 'earliest', 'share.isolation.level': 'read_committed', 'errors.deadletterqueue.topic.name': dlq });
        out.setUncommitted = await setGroup(uncommitted, { 'share.auto.offset.reset': 'earliest' });
        await new Promise((r) => setTimeout(r, 500)); // Kafka applies group configs through its metadata log
        out.readCommitted = await consume(c, committed, topic, topicId, true);
        out.readUncommitted = await consume(c, uncommitted, topic, topicId, false);
        let copies: unknown[] = [];
        for (let i = 0; i < 60 && copies.length === 0; i++) {
          const f = await c.request(1, 12, { replicaId: -1, maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 20, isolationLevel: 0, topics: [{ topic: dlq, partitions: [{ partition: 0, fetchOffset: 0, logStartOffset: -1, partitionMaxBytes: 1 << 20 }] }] });
          copies = (await recordsOf(f.responses[0].partitions[0].records)).map(({ key, value, headers }) => ({ key, value, headers }));
          if (copies.length === 0) await new Promise((r) => setTimeout(r, 250));
        }
        out.deadLetters = copies;
      } finally {
        await producer.disconnect().catch(() => {});
        c.close();
      }
      return out;
    });
    expectSame('share-group-configs', obs);
  }, 240_000);
});
