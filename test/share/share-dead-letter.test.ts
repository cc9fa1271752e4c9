/**
 * Dead-letter topics for share groups (KIP-1191 as Runnel serves it): a REJECTed record and one
 * archived at the delivery count limit are each copied once to the group's dead-letter topic with
 * headers naming group, topic, partition, offset, delivery count and reason, key and value kept;
 * across a kill -9 a record is copied exactly once.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildBatchSync } from '../../protocol/records/builder.js';
import { forEachRecord } from '../../protocol/records/records.js';
import { spawnBroker, type ChildBroker } from '../helpers/broker.js';
import { RawClient } from '../helpers/raw-client.js';

const FLAGS = {
  'runnel.group.share.auto.offset.reset': 'earliest',
  'share.coordinator.state.topic.num.partitions': 2,
  'group.share.min.delivery.count.limit': 2,
  'group.share.delivery.count.limit': 2,
  'runnel.group.share.dead.letter.topics': 'dq=dlq.jobs',
};

async function dlqRecords(c: RawClient): Promise<Array<{ key: string; value: string; headers: Record<string, string> }>> {
  const r = await c.request(1, 12, { replicaId: -1, maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 20, isolationLevel: 0, topics: [{ topic: 'dlq.jobs', partitions: [{ partition: 0, fetchOffset: 0, logStartOffset: -1, partitionMaxBytes: 1 << 20 }] }] });
  const bytes: Buffer = r.responses[0].partitions[0].records ?? Buffer.alloc(0);
  const out: Array<{ key: string; value: string; headers: Record<string, string> }> = [];
  let pos = 0;
  while (pos + 12 <= bytes.length) {
    const len = bytes.readInt32BE(pos + 8);
    const b = bytes.subarray(pos, pos + 12 + len);
    pos += 12 + len;
    await forEachRecord(b, (rec) => out.push({ key: rec.key?.toString() ?? '', value: rec.value?.toString() ?? '', headers: Object.fromEntries(rec.headers.map((h) => [h.key, h.value?.toString() ?? ''])) }));
  }
  return out;
}

describe('share group dead-letter topic', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'runnel-share-dlq-'));
  let broker: ChildBroker | null = null;

  afterAll(async () => {
    await broker?.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('rejected and delivery-limit records are copied once with their headers, also across kill -9', async () => {
    broker = await spawnBroker(dataDir, FLAGS);
    let c = await RawClient.connect(broker.host, broker.port);
    const created = await c.request(19, 7, { topics: [{ name: 'jobs', numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }, { name: 'dlq.jobs', numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 5000 });
    const topicId: Buffer = created.topics[0].topicId;
    await c.request(0, 9, { acks: -1, timeoutMs: 5000, transactionalId: null, topicData: [{ name: 'jobs', partitionData: [{ index: 0, records: buildBatchSync(Array.from({ length: 4 }, (_, i) => ({ key: `k${i}`, value: `job-${i}` }))) }] }] });
    let epoch = 0;
    const fetch = (acks: object[] = []) =>
      c.request(78, 2, { groupId: 'dq', memberId: 'w1', shareSessionEpoch: epoch++, maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 20, maxRecords: 100, batchSize: 100, topics: [{ topicId, partitions: [{ partitionIndex: 0, acknowledgementBatches: acks }] }], forgottenTopicsData: [] });
    await fetch();
    // 0 accepted, 1 rejected, 2 released (delivery 1 of 2), 3 accepted.
    const r1 = await fetch([{ firstOffset: 0, lastOffset: 3, acknowledgeTypes: [1, 3, 2, 1] }]);
    expect(r1.responses[0].partitions[0].acquiredRecords).toEqual([{ firstOffset: 2, lastOffset: 2, deliveryCount: 2 }]);
    // The second delivery is released too: the limit (2) is reached, so it is archived and copied.
    await fetch([{ firstOffset: 2, lastOffset: 2, acknowledgeTypes: [2] }]);
    for (let i = 0; i < 50 && (await dlqRecords(c)).length < 2; i++) await new Promise((r) => setTimeout(r, 100));
    const copies = await dlqRecords(c);
    expect(copies).toEqual([
      { key: 'k1', value: 'job-1', headers: { '__dlq.errors.group': 'dq', '__dlq.errors.topic': 'jobs', '__dlq.errors.partition': '0', '__dlq.errors.offset': '1', '__dlq.errors.delivery.count': '1', '__dlq.errors.message': 'Offset rejected by client.' } },
      { key: 'k2', value: 'job-2', headers: { '__dlq.errors.group': 'dq', '__dlq.errors.topic': 'jobs', '__dlq.errors.partition': '0', '__dlq.errors.offset': '2', '__dlq.errors.delivery.count': '2', '__dlq.errors.message': 'Offset delivery count exceeded the threshold.' } },
    ]);
    // Everything is done: the share partition's start moved past all four.
    c.close();

    // A crash and a restart: nothing is copied again, nothing redelivered.
    await broker.kill('SIGKILL');
    broker = await spawnBroker(dataDir, FLAGS);
    c = await RawClient.connect(broker.host, broker.port);
    epoch = 0;
    expect((await fetch()).responses[0].partitions[0].acquiredRecords).toEqual([]);
    await new Promise((r) => setTimeout(r, 300));
    expect((await dlqRecords(c)).map((r) => r.value)).toEqual(['job-1', 'job-2']);

    // A reject right before kill -9: the copy is made exactly once (now or at restart).
    await c.request(0, 9, { acks: -1, timeoutMs: 5000, transactionalId: null, topicData: [{ name: 'jobs', partitionData: [{ index: 0, records: buildBatchSync([{ key: 'k4', value: 'job-4' }]) }] }] });
    expect((await fetch()).responses[0].partitions[0].acquiredRecords).toEqual([{ firstOffset: 4, lastOffset: 4, deliveryCount: 1 }]);
    await fetch([{ firstOffset: 4, lastOffset: 4, acknowledgeTypes: [3] }]);
    await broker.kill('SIGKILL');
    broker = await spawnBroker(dataDir, FLAGS);
    c = await RawClient.connect(broker.host, broker.port);
    epoch = 0;
    expect((await fetch()).responses[0].partitions[0].acquiredRecords).toEqual([]);
    for (let i = 0; i < 50 && (await dlqRecords(c)).length < 3; i++) await new Promise((r) => setTimeout(r, 100));
    await new Promise((r) => setTimeout(r, 300));
    expect((await dlqRecords(c)).map((r) => r.value)).toEqual(['job-1', 'job-2', 'job-4']);
    c.close();
  }, 90_000);
});
