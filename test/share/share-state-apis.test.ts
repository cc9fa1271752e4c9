/**
 * The share coordinator's inter-broker APIs over a raw socket (one node, which is the share
 * coordinator of every key): FindCoordinator v6 key type 2, InitializeShareGroupState (83),
 * ReadShareGroupState (84), WriteShareGroupState (85), DeleteShareGroupState (86) and
 * ReadShareGroupStateSummary (87):
 * - an initialised state is written and read back; a share partition without state reads as
 *   start offset -1; a write to it is INVALID_REQUEST (Kafka's "uninitialized share partition")
 *   unless it is a leader's creation (state epoch -1);
 * - a read by a newer share-partition leader fences the older leader's later writes
 *   (FENCED_LEADER_EPOCH), so a deposed leader cannot overwrite the new leader's state;
 * - a new state epoch (an offsets reset) fences writes of the older one (FENCED_STATE_EPOCH), and
 *   an initialisation at an older state epoch too; a deletion refuses the next write;
 * - the summary answers state epoch, leader epoch, start offset and (v1) the delivery-complete count;
 * - refusals: negative partition (INVALID_REQUEST), unknown topic or partition
 *   (UNKNOWN_TOPIC_OR_PARTITION), empty group id (an empty answer), all as Kafka 4.4's share
 *   coordinator answers them; and the state epoch survives a restart.
 */
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../protocol/errors.js';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { RawClient } from '../helpers/raw-client.js';

describe('share coordinator APIs (raw socket)', () => {
  let broker: TestBroker;
  let c: RawClient;
  let topicId: Buffer;

  beforeAll(async () => {
    broker = await startTestBroker({ config: {}, keepData: true });
    c = await RawClient.connect('127.0.0.1', broker.port);
    const created = await c.request(19, 7, { topics: [{ name: 'st', numPartitions: 2, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 5000 });
    topicId = created.topics[0].topicId;
  }, 30_000);

  afterAll(async () => {
    c?.close();
    await broker?.cleanup();
    if (broker) rmSync(broker.dataDir, { recursive: true, force: true });
  });

  const one = (r: any) => r.results[0].partitions[0];
  const write = (leaderEpoch: number, startOffset: number, batches: Array<[number, number, number, number]>, stateEpoch = 0, partition = 0) =>
    c.request(85, 0, {
      groupId: 'sg',
      topics: [{ topicId, partitions: [{ partition, stateEpoch, leaderEpoch, startOffset, stateBatches: batches.map(([firstOffset, lastOffset, deliveryState, deliveryCount]) => ({ firstOffset, lastOffset, deliveryState, deliveryCount })) }] }],
    });
  const read = (leaderEpoch: number, partition = 0) => c.request(84, 0, { groupId: 'sg', topics: [{ topicId, partitions: [{ partition, leaderEpoch }] }] });
  const init = (stateEpoch: number, startOffset: number, partition = 0, id = topicId) => c.request(83, 0, { groupId: 'sg', topics: [{ topicId: id, partitions: [{ partition, stateEpoch, startOffset }] }] });
  const del = (partition = 0, id = topicId) => c.request(86, 0, { groupId: 'sg', topics: [{ topicId: id, partitions: [{ partition }] }] });
  const summary = (version: number, partition = 0, id = topicId) => c.request(87, version, { groupId: 'sg', topics: [{ topicId: id, partitions: [{ partition, leaderEpoch: -1 }] }] });

  it('ApiVersions advertises 83 v0, 84 v0, 85 v0-1, 86 v0 and 87 v0-1, as Kafka 4.4', async () => {
    const r = await c.request(18, 3, { clientSoftwareName: 't', clientSoftwareVersion: '1' });
    const range = (k: number) => r.apiKeys.filter((a: any) => a.apiKey === k).map((a: any) => [a.minVersion, a.maxVersion])[0];
    expect([83, 84, 85, 86, 87].map(range)).toEqual([[0, 0], [0, 0], [0, 1], [0, 0], [0, 1]]);
  });

  it('FindCoordinator v6 key type 2 names this node; a malformed key is INVALID_REQUEST', async () => {
    const r = await c.request(10, 6, { keyType: 2, coordinatorKeys: [`sg:${topicId.toString('base64url')}:0`, 'sg:0'] });
    expect(r.coordinators[0]).toMatchObject({ errorCode: 0, nodeId: broker.broker.nodeId });
    expect(r.coordinators[1].errorCode).toBe(ErrorCode.INVALID_REQUEST);
  });

  it('a write without state is refused unless it creates it; an initialised state is written and read back', async () => {
    expect(one(await read(3))).toMatchObject({ errorCode: 0, startOffset: -1, stateEpoch: -1, stateBatches: [] });
    expect(one(await write(3, 10, [], 0))).toMatchObject({ errorCode: ErrorCode.INVALID_REQUEST, errorMessage: 'Write operation on uninitialized share partition not allowed.' });
    expect(one(await init(0, -1)).errorCode).toBe(0);
    expect(one(await read(3))).toMatchObject({ errorCode: 0, startOffset: -1, stateEpoch: 0 });
    expect(one(await write(3, 10, [[10, 12, 2, 1], [13, 15, 0, 2]])).errorCode).toBe(0);
    const r = one(await read(3));
    expect(r).toMatchObject({ errorCode: 0, startOffset: 10, stateEpoch: 0 });
    expect(r.stateBatches).toEqual([
      { firstOffset: 10, lastOffset: 12, deliveryState: 2, deliveryCount: 1 },
      { firstOffset: 13, lastOffset: 15, deliveryState: 0, deliveryCount: 2 },
    ]);
    // A leader's creation (state epoch -1) of partition 1, which has none.
    expect(one(await write(0, 5, [], -1, 1)).errorCode).toBe(0);
    expect(one(await read(0, 1))).toMatchObject({ startOffset: 5, stateEpoch: 0 });
  });

  it('a read by a newer leader fences the older leader: its writes get FENCED_LEADER_EPOCH, the newer one\'s go through', async () => {
    expect(one(await read(4)).errorCode).toBe(0);
    expect(one(await write(3, 10, [[10, 12, 2, 1], [13, 15, 0, 2]])).errorCode).toBe(ErrorCode.FENCED_LEADER_EPOCH);
    expect(one(await write(4, 10, [[10, 12, 2, 1], [13, 15, 0, 2]])).errorCode).toBe(0);
  });

  it('ReadShareGroupStateSummary: epochs and start offset; v1 adds the delivery-complete count; no state is -1 at epoch 0', async () => {
    expect(one(await summary(1))).toMatchObject({ errorCode: 0, stateEpoch: 0, leaderEpoch: 4, startOffset: 10, deliveryCompleteCount: 3 });
    expect(one(await summary(0))).toMatchObject({ errorCode: 0, stateEpoch: 0, leaderEpoch: 4, startOffset: 10 });
    const other = Buffer.from(topicId);
    const none = await c.request(87, 1, { groupId: 'other', topics: [{ topicId: other, partitions: [{ partition: 0, leaderEpoch: 0 }] }] });
    expect(one(none)).toMatchObject({ errorCode: 0, stateEpoch: 0, leaderEpoch: 0, startOffset: -1, deliveryCompleteCount: -1 });
  });

  it('InitializeShareGroupState at a new state epoch resets the state and fences writes of the older epoch', async () => {
    expect(one(await init(1, 20)).errorCode).toBe(0);
    expect(one(await read(4))).toMatchObject({ startOffset: 20, stateEpoch: 1, stateBatches: [] });
    expect(one(await write(4, 11, [], 0)).errorCode).toBe(ErrorCode.FENCED_STATE_EPOCH);
    // A leader's creation write cannot overwrite an initialised state either.
    expect(one(await write(4, 11, [], -1)).errorCode).toBe(ErrorCode.FENCED_STATE_EPOCH);
    expect(one(await write(4, 21, [[21, 21, 2, 1]], 1)).errorCode).toBe(0);
    // An older state epoch cannot initialise it again.
    expect(one(await init(0, 0)).errorCode).toBe(ErrorCode.FENCED_STATE_EPOCH);
    expect(one(await summary(1))).toMatchObject({ stateEpoch: 1, startOffset: 21, leaderEpoch: 4 });
  });

  it('the state epoch survives a restart', async () => {
    c.close();
    await broker.stop();
    broker = await startTestBroker({ config: {}, keepData: true, dataDir: broker.dataDir });
    c = await RawClient.connect('127.0.0.1', broker.port);
    expect(one(await summary(1))).toMatchObject({ errorCode: 0, stateEpoch: 1, startOffset: 21 });
    expect(one(await write(4, 22, [], 0)).errorCode).toBe(ErrorCode.FENCED_STATE_EPOCH);
  });

  it('DeleteShareGroupState: the state goes (a write from before is refused), deleting none is no error', async () => {
    expect(one(await del()).errorCode).toBe(0);
    expect(one(await read(4))).toMatchObject({ errorCode: 0, startOffset: -1, stateEpoch: -1 });
    expect(one(await write(4, 22, [], 1)).errorCode).toBe(ErrorCode.INVALID_REQUEST);
    expect(one(await summary(1))).toMatchObject({ startOffset: -1, stateEpoch: 0 });
    expect(one(await del()).errorCode).toBe(0);
  });

  it('refusals: negative partition, unknown topic or partition, empty group id', async () => {
    const unknown = Buffer.alloc(16, 9);
    for (const call of [(p: number, id?: Buffer) => init(0, 0, p, id), (p: number, id?: Buffer) => del(p, id), (p: number, id?: Buffer) => summary(1, p, id)]) {
      expect(one(await call(-1))).toMatchObject({ errorCode: ErrorCode.INVALID_REQUEST, errorMessage: 'The partition id cannot be a negative number.' });
      expect(one(await call(0, unknown)).errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
      expect(one(await call(2)).errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    }
    for (const key of [83, 86, 87]) {
      const body = { groupId: '', topics: [{ topicId, partitions: [{ partition: 0, stateEpoch: 0, startOffset: 0, leaderEpoch: 0 }] }] };
      expect((await c.request(key, 0, body)).results).toEqual([]);
    }
  });
});
