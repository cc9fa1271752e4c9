/**
 * Share-partition state survives a broker crash (kill -9) and a restart: it is kept in
 * __share_group_state and written before a ShareFetch or ShareAcknowledge is answered. After the
 * restart an acknowledged (or rejected) record is never delivered again, and a record that was
 * acquired but not acknowledged comes back with its delivery count raised.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildBatchSync } from '../../protocol/records/builder.js';
import { spawnBroker, type ChildBroker } from '../helpers/broker.js';
import { RawClient } from '../helpers/raw-client.js';

const FLAGS = { 'runnel.group.share.auto.offset.reset': 'earliest', 'share.coordinator.state.topic.num.partitions': 3 };

describe('share-partition state across kill -9', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'runnel-share-restart-'));
  let broker: ChildBroker | null = null;

  afterAll(async () => {
    await broker?.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('acknowledged records stay done; acquired ones come back with their delivery count', async () => {
    broker = await spawnBroker(dataDir, FLAGS);
    let c = await RawClient.connect(broker.host, broker.port);
    const created = await c.request(19, 7, { topics: [{ name: 'durable', numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 5000 });
    const topicId: Buffer = created.topics[0].topicId;
    for (let b = 0; b < 4; b++) {
      const records = buildBatchSync(Array.from({ length: 5 }, (_, i) => ({ value: `v${b * 5 + i}` })));
      await c.request(0, 9, { acks: -1, timeoutMs: 5000, transactionalId: null, topicData: [{ name: 'durable', partitionData: [{ index: 0, records }] }] });
    }
    const fetch = (epoch: number, acks: object[] = []) =>
      c.request(78, 2, { groupId: 'dg', memberId: 'm1', shareSessionEpoch: epoch, maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 20, maxRecords: 100, batchSize: 100, topics: [{ topicId, partitions: [{ partitionIndex: 0, acknowledgementBatches: acks }] }], forgottenTopicsData: [] });
    const acquired = (r: any) => r.responses[0]?.partitions[0]?.acquiredRecords ?? [];
    expect(acquired(await fetch(0))).toEqual([{ firstOffset: 0, lastOffset: 19, deliveryCount: 1 }]);
    // Accept 0-4, reject 5-9, release 10-14 (15-19 stay acquired); the fetch gives 10-14 again.
    const types = [...Array(5).fill(1), ...Array(5).fill(3), ...Array(5).fill(2)];
    const r = await fetch(1, [{ firstOffset: 0, lastOffset: 14, acknowledgeTypes: types }]);
    expect(r.responses[0].partitions[0].acknowledgeErrorCode).toBe(0);
    expect(acquired(r)).toEqual([{ firstOffset: 10, lastOffset: 14, deliveryCount: 2 }]);
    c.close();

    await broker.kill('SIGKILL');
    broker = await spawnBroker(dataDir, FLAGS);
    c = await RawClient.connect(broker.host, broker.port);
    // A new session after the crash: 0-9 never again; 10-19 back, each one delivery later.
    const after = await fetch(0);
    expect(acquired(after)).toEqual([
      { firstOffset: 10, lastOffset: 14, deliveryCount: 3 },
      { firstOffset: 15, lastOffset: 19, deliveryCount: 2 },
    ]);
    const done = await fetch(1, [{ firstOffset: 10, lastOffset: 19, acknowledgeTypes: [1] }]);
    expect(done.responses[0].partitions[0].acknowledgeErrorCode).toBe(0);
    c.close();

    // A graceful restart: everything acknowledged, nothing comes back.
    await broker.kill('SIGTERM');
    broker = await spawnBroker(dataDir, FLAGS);
    c = await RawClient.connect(broker.host, broker.port);
    expect(acquired(await fetch(0))).toEqual([]);
    c.close();
  }, 90_000);
});

describe('share-group members across kill -9', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'runnel-share-rejoin-'));
  let broker: ChildBroker | null = null;

  afterAll(async () => {
    await broker?.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  });

  // Membership is in memory: after a restart a member's next heartbeat (epoch > 0) must be
  // UNKNOWN_MEMBER_ID, which the Java KafkaShareConsumer answers by rejoining; GROUP_ID_NOT_FOUND
  // made all 8 workers of bench/share/poison-soak.ts throw from poll() and stop.
  it('a member heartbeating after the restart gets UNKNOWN_MEMBER_ID (rejoin), not GROUP_ID_NOT_FOUND', async () => {
    broker = await spawnBroker(dataDir, FLAGS);
    let c = await RawClient.connect(broker.host, broker.port);
    const created = await c.request(19, 7, { topics: [{ name: 'rejoin', numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 5000 });
    const topicId: Buffer = created.topics[0].topicId;
    await c.request(0, 9, { acks: -1, timeoutMs: 5000, transactionalId: null, topicData: [{ name: 'rejoin', partitionData: [{ index: 0, records: buildBatchSync([{ value: 'v0' }]) }] }] });
    const hb = (body: Record<string, unknown>) => c.request(76, 1, { groupId: 'rg', memberId: 'm1', memberEpoch: 0, rackId: null, subscribedTopicNames: ['rejoin'], ...body });
    const joined = await hb({});
    expect(joined.errorCode).toBe(0);
    const fetched = await c.request(78, 2, { groupId: 'rg', memberId: 'm1', shareSessionEpoch: 0, maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 20, maxRecords: 100, batchSize: 100, topics: [{ topicId, partitions: [{ partitionIndex: 0, acknowledgementBatches: [] }] }], forgottenTopicsData: [] });
    expect(fetched.responses[0].partitions[0].acquiredRecords).toEqual([{ firstOffset: 0, lastOffset: 0, deliveryCount: 1 }]);
    c.close();

    await broker.kill('SIGKILL');
    broker = await spawnBroker(dataDir, FLAGS);
    c = await RawClient.connect(broker.host, broker.port);
    const after = await hb({ memberEpoch: joined.memberEpoch, subscribedTopicNames: null });
    expect(after.errorCode).toBe(25); // UNKNOWN_MEMBER_ID
    expect((await hb({})).errorCode).toBe(0); // the rejoin
    // A group this broker never had stays GROUP_ID_NOT_FOUND (as Kafka).
    expect((await c.request(76, 1, { groupId: 'never', memberId: 'm1', memberEpoch: 3, rackId: null, subscribedTopicNames: null })).errorCode).toBe(69);
    c.close();
  }, 90_000);
});
