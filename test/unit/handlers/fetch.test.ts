/**
 * Fetch (key 1) against fakes: the stored bytes come back as file slices bounded by the limits
 * (at least one whole batch for the first partition), watermarks per partition, errors per
 * partition, sessions declined, and the long poll woken by an append.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../../protocol/errors.js';
import { newFetchRequest, newFetchRequestPartition, newFetchRequestTopic, type FetchRequest, type FetchResponse, type FetchResponsePartition } from '../../../protocol/generated/index.js';
import type { Records } from '../../../protocol/primitives.js';
import { bytesOf, fakeBroker, records, type FakeBroker } from './fakes.js';

const FETCH = 1;

function fetchReq(parts: Array<[string, number, number]>, over: Partial<FetchRequest> = {}): FetchRequest {
  const byTopic = new Map<string, Array<[number, number]>>();
  for (const [t, p, o] of parts) byTopic.set(t, [...(byTopic.get(t) ?? []), [p, o]]);
  return newFetchRequest({
    replicaId: -1,
    maxWaitMs: 0,
    minBytes: 1,
    maxBytes: 1 << 20,
    sessionEpoch: -1,
    topics: [...byTopic].map(([topic, ps]) => newFetchRequestTopic({ topic, partitions: ps.map(([partition, fetchOffset]) => newFetchRequestPartition({ partition, fetchOffset, partitionMaxBytes: 1 << 20 })) })),
    ...over,
  });
}

function part(res: FetchResponse, topic: string, partition: number): FetchResponsePartition {
  return res.responses.find((t) => t.topic === topic)!.partitions.find((p) => p.partitionIndex === partition)!;
}

function size(r: Records | null): number {
  return r === null ? 0 : Buffer.isBuffer(r) ? r.length : r.size;
}

let b: FakeBroker;
afterEach(() => b?.close());

describe('Fetch', () => {
  it('returns the stored batches from the fetch offset, with the watermarks', async () => {
    b = fakeBroker();
    b.topics.add('t', 1);
    const p = b.partitions.get('t', 0)!;
    const one = records(['a', 'b']);
    const two = records(['c']);
    p.append(one);
    p.append(two);
    const res = await b.handle<FetchResponse>(FETCH, 12, fetchReq([['t', 0, 0]]));
    const r = part(res, 't', 0);
    expect(r).toMatchObject({ errorCode: 0, highWatermark: 3, lastStableOffset: 3, logStartOffset: 0 });
    expect(bytesOf(p, r.records)).toEqual(Buffer.concat([one, two]));
    expect(b.metrics.bytesOutByTopic.get('t')).toBe(one.length + two.length);
    // From offset 2: the second batch only.
    const later = part(await b.handle<FetchResponse>(FETCH, 12, fetchReq([['t', 0, 2]])), 't', 0);
    expect(bytesOf(p, later.records)).toEqual(two);
  });

  it('gives the first partition one whole batch over max_bytes, and the next nothing', async () => {
    b = fakeBroker();
    b.topics.add('t', 2);
    const big = records(['x'.repeat(500)]);
    b.partitions.get('t', 0)!.append(big);
    b.partitions.get('t', 1)!.append(records(['y']));
    const res = await b.handle<FetchResponse>(FETCH, 12, fetchReq([['t', 0, 0], ['t', 1, 0]], { maxBytes: 100 }));
    expect(size(part(res, 't', 0).records)).toBe(big.length);
    expect(size(part(res, 't', 1).records)).toBe(0);
  });

  it('answers partition errors per partition, without watermarks', async () => {
    b = fakeBroker();
    b.topics.add('t', 1);
    b.partitions.get('t', 0)!.append(records(['a']));
    const res = await b.handle<FetchResponse>(FETCH, 12, fetchReq([['t', 0, 5], ['t', 3, 0], ['nope', 0, 0]]));
    expect(part(res, 't', 0)).toMatchObject({ errorCode: ErrorCode.OFFSET_OUT_OF_RANGE, highWatermark: -1, logStartOffset: -1 });
    expect(part(res, 't', 3).errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    expect(part(res, 'nope', 0).errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  });

  it('declines fetch sessions (v7+)', async () => {
    b = fakeBroker();
    const res = await b.handle<FetchResponse>(FETCH, 12, fetchReq([], { sessionId: 42, sessionEpoch: 1 }));
    expect(res).toMatchObject({ errorCode: ErrorCode.FETCH_SESSION_ID_NOT_FOUND, sessionId: 0, responses: [] });
  });

  it('at the end of the log answers empty after max_wait_ms, or as soon as an append arrives', async () => {
    b = fakeBroker();
    b.topics.add('t', 1);
    const p = b.partitions.get('t', 0)!;
    const empty = part(await b.handle<FetchResponse>(FETCH, 12, fetchReq([['t', 0, 0]], { maxWaitMs: 5 })), 't', 0);
    expect(empty).toMatchObject({ errorCode: 0, highWatermark: 0 });
    expect(size(empty.records)).toBe(0);

    const t0 = Date.now();
    const parked = b.handle<FetchResponse>(FETCH, 12, fetchReq([['t', 0, 0]], { maxWaitMs: 10_000 }));
    await new Promise((r) => setImmediate(r));
    const batch = records(['late']);
    p.append(batch);
    const woken = part(await parked, 't', 0);
    expect(Date.now() - t0).toBeLessThan(1000);
    expect(bytesOf(p, woken.records)).toEqual(batch);
    expect(woken.highWatermark).toBe(1);
  });

  it('stops a parked fetch when the connection closes', async () => {
    b = fakeBroker();
    b.topics.add('t', 1);
    const parked = b.handle<FetchResponse>(FETCH, 12, fetchReq([['t', 0, 0]], { maxWaitMs: 10_000 }));
    await new Promise((r) => setImmediate(r));
    b.conn.close('client went away');
    const res = await parked;
    expect(size(part(res, 't', 0).records)).toBe(0);
  });

  it('on a single node a replica id is served as a consumer fetch, as before replication (no follower path)', async () => {
    b = fakeBroker();
    b.topics.add('t', 1);
    const p = b.partitions.get('t', 0)!;
    const one = records(['a', 'b']);
    p.append(one);
    expect(p.replication).toBeNull();
    const r = part(await b.handle<FetchResponse>(FETCH, 12, fetchReq([['t', 0, 0]], { replicaId: 5 })), 't', 0);
    expect(r).toMatchObject({ errorCode: 0, highWatermark: 2 });
    expect(bytesOf(p, r.records)).toEqual(one);
    expect(b.metrics.bytesOutByTopic.get('t')).toBe(one.length);
  });
});
