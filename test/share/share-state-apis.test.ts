/**
 * The share coordinator's inter-broker APIs over a raw socket (one node, which is the share
 * coordinator of every key): FindCoordinator v6 key type 2, WriteShareGroupState (85) and
 * ReadShareGroupState (84) — a write is read back, a never-written share partition reads as start
 * offset -1, and a read by a newer share-partition leader fences the older leader's later writes
 * (FENCED_LEADER_EPOCH), so a deposed leader cannot overwrite the new leader's state.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../protocol/errors.js';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { RawClient } from '../helpers/raw-client.js';

describe('share coordinator APIs (raw socket)', () => {
  let broker: TestBroker;
  let c: RawClient;
  const topicId = Buffer.alloc(16, 7);

  beforeAll(async () => {
    broker = await startTestBroker({ config: {} });
    c = await RawClient.connect('127.0.0.1', broker.port);
  }, 30_000);

  afterAll(async () => {
    c?.close();
    await broker?.cleanup();
  });

  const write = (leaderEpoch: number, startOffset: number, batches: Array<[number, number, number, number]>) =>
    c.request(85, 0, {
      groupId: 'sg',
      topics: [{ topicId, partitions: [{ partition: 0, stateEpoch: 0, leaderEpoch, startOffset, stateBatches: batches.map(([firstOffset, lastOffset, deliveryState, deliveryCount]) => ({ firstOffset, lastOffset, deliveryState, deliveryCount })) }] }],
    });
  const read = (leaderEpoch: number, partition = 0) => c.request(84, 0, { groupId: 'sg', topics: [{ topicId, partitions: [{ partition, leaderEpoch }] }] });

  it('FindCoordinator v6 key type 2 names this node; a malformed key is INVALID_REQUEST', async () => {
    const r = await c.request(10, 6, { keyType: 2, coordinatorKeys: [`sg:${topicId.toString('base64url')}:0`, 'sg:0'] });
    expect(r.coordinators[0]).toMatchObject({ errorCode: 0, nodeId: broker.broker.nodeId });
    expect(r.coordinators[1].errorCode).toBe(ErrorCode.INVALID_REQUEST);
  });

  it('a written state is read back; a share partition never written reads as start offset -1', async () => {
    expect((await write(3, 10, [[10, 12, 2, 1], [13, 15, 0, 2]])).results[0].partitions[0].errorCode).toBe(0);
    const r = (await read(3)).results[0].partitions[0];
    expect(r).toMatchObject({ errorCode: 0, startOffset: 10 });
    expect(r.stateBatches).toEqual([
      { firstOffset: 10, lastOffset: 12, deliveryState: 2, deliveryCount: 1 },
      { firstOffset: 13, lastOffset: 15, deliveryState: 0, deliveryCount: 2 },
    ]);
    expect((await read(3, 9)).results[0].partitions[0]).toMatchObject({ errorCode: 0, startOffset: -1, stateBatches: [] });
  });

  it('a read by a newer leader fences the older leader: its writes get FENCED_LEADER_EPOCH, the newer one\'s go through', async () => {
    expect((await read(4)).results[0].partitions[0].errorCode).toBe(0);
    expect((await write(3, 16, [])).results[0].partitions[0].errorCode).toBe(ErrorCode.FENCED_LEADER_EPOCH);
    expect((await write(4, 16, [])).results[0].partitions[0].errorCode).toBe(0);
    expect((await read(4)).results[0].partitions[0]).toMatchObject({ startOffset: 16, stateBatches: [] });
  });
});
