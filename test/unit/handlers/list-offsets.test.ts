/**
 * ListOffsets (key 2) against fakes: latest (high watermark), earliest (log start), by timestamp,
 * max timestamp (v7), v0's list of offsets, and the per-partition errors.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../../protocol/errors.js';
import { newListOffsetsRequest, newListOffsetsRequestPartition, newListOffsetsRequestTopic, type ListOffsetsResponse } from '../../../protocol/generated/index.js';
import { fakeBroker, records, type FakeBroker } from './fakes.js';

const LIST_OFFSETS = 2;
const LATEST = -1;
const EARLIEST = -2;
const MAX_TIMESTAMP = -3;

function listReq(parts: Array<[string, number, number]>) {
  return newListOffsetsRequest({
    replicaId: -1,
    topics: [...new Set(parts.map(([t]) => t))].map((name) =>
      newListOffsetsRequestTopic({ name, partitions: parts.filter(([t]) => t === name).map(([, partitionIndex, timestamp]) => newListOffsetsRequestPartition({ partitionIndex, timestamp, maxNumOffsets: 1 })) }),
    ),
  });
}

function answers(res: ListOffsetsResponse) {
  return res.topics.flatMap((t) => t.partitions.map((p) => ({ tp: `${t.name}-${p.partitionIndex}`, errorCode: p.errorCode, offset: p.offset, timestamp: p.timestamp })));
}

let b: FakeBroker;
afterEach(() => b?.close());

describe('ListOffsets', () => {
  it('answers latest, earliest, by timestamp and max timestamp', async () => {
    b = fakeBroker();
    b.topics.add('t', 1);
    const p = b.partitions.get('t', 0)!;
    p.append(records(['a', 'b'], { timestamp: 1000 })); // offsets 0-1, timestamps 1000-1001
    p.append(records(['c'], { timestamp: 5000 })); // offset 2
    p.append(records(['d'], { timestamp: 3000 })); // offset 3
    await p.deleteRecordsBefore(1);
    const res = await b.handle<ListOffsetsResponse>(LIST_OFFSETS, 7, listReq([['t', 0, LATEST]]));
    expect(answers(res)).toEqual([{ tp: 't-0', errorCode: 0, offset: 4, timestamp: -1 }]);
    expect(answers(await b.handle(LIST_OFFSETS, 7, listReq([['t', 0, EARLIEST]])))[0]).toMatchObject({ offset: 1 });
    expect(answers(await b.handle(LIST_OFFSETS, 7, listReq([['t', 0, 4000]])))[0]).toMatchObject({ errorCode: 0, offset: 2, timestamp: 5000 });
    expect(answers(await b.handle(LIST_OFFSETS, 7, listReq([['t', 0, 9000]])))[0]).toMatchObject({ errorCode: 0, offset: -1, timestamp: -1 });
    expect(answers(await b.handle(LIST_OFFSETS, 7, listReq([['t', 0, MAX_TIMESTAMP]])))[0]).toMatchObject({ errorCode: 0, offset: 2, timestamp: 5000 });
  });

  it('refuses the max timestamp below v7 and unknown negative timestamps with UNSUPPORTED_VERSION', async () => {
    b = fakeBroker();
    b.topics.add('t', 1);
    expect(answers(await b.handle(LIST_OFFSETS, 6, listReq([['t', 0, MAX_TIMESTAMP]])))[0]!.errorCode).toBe(ErrorCode.UNSUPPORTED_VERSION);
    expect(answers(await b.handle(LIST_OFFSETS, 7, listReq([['t', 0, -7]])))[0]!.errorCode).toBe(ErrorCode.UNSUPPORTED_VERSION);
  });

  it('answers v0 with the old list of offsets', async () => {
    b = fakeBroker();
    b.topics.add('t', 1);
    b.partitions.get('t', 0)!.append(records(['a', 'b', 'c']));
    const res = await b.handle<ListOffsetsResponse>(LIST_OFFSETS, 0, listReq([['t', 0, LATEST]]));
    expect(res.topics[0]!.partitions[0]!.oldStyleOffsets).toEqual([3]);
  });

  it('answers unknown partitions with UNKNOWN_TOPIC_OR_PARTITION and a repeated partition once, with INVALID_REQUEST', async () => {
    b = fakeBroker();
    b.topics.add('t', 1);
    const res = await b.handle<ListOffsetsResponse>(LIST_OFFSETS, 7, listReq([['t', 0, LATEST], ['t', 0, EARLIEST], ['t', 1, LATEST], ['nope', 0, LATEST]]));
    expect(answers(res).map((a) => [a.tp, a.errorCode])).toEqual([
      ['t-0', ErrorCode.INVALID_REQUEST],
      ['t-1', ErrorCode.UNKNOWN_TOPIC_OR_PARTITION],
      ['nope-0', ErrorCode.UNKNOWN_TOPIC_OR_PARTITION],
    ]);
  });
});
