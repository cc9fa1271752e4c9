/**
 * runnel.request.max.entries: what counts as an entry of a decoded request (entriesOver).
 */
import { describe, expect, it } from 'vitest';
import { entriesOver } from '../../../src/handlers/entry-limit.js';
import * as G from '../../../protocol/generated/index.js';

/** The smallest max the request is not over: its entry count. */
function entries(req: object): number {
  let n = 0;
  while (entriesOver(req, n)) n++;
  return n;
}

describe('entriesOver', () => {
  it('counts the partitions of a Fetch, not its topics', () => {
    const topic = (name: string, n: number) => G.newFetchRequestTopic({ topic: name, partitions: Array.from({ length: n }, (_, p) => G.newFetchRequestPartition({ partition: p })) });
    expect(entries(G.newFetchRequest({ topics: [topic('a', 3), topic('b', 2)] }))).toBe(5);
    // A topic with no partitions is one entry.
    expect(entries(G.newFetchRequest({ topics: [topic('a', 0), topic('b', 2)] }))).toBe(3);
  });

  it('counts lists of values, and a struct whose list is null as one entry', () => {
    expect(entries(G.newDescribeGroupsRequest({ groups: ['a', 'b', 'c'] }))).toBe(3);
    const res = (keys: string[] | null) => G.newDescribeConfigsRequestResource({ resourceType: 2, resourceName: 't', configurationKeys: keys });
    expect(entries(G.newDescribeConfigsRequest({ resources: [res(null), res(['x', 'y']), res(null)] }))).toBe(4);
    expect(entries(G.newMetadataRequest({ topics: [G.newMetadataRequestTopic({ name: 'a' }), G.newMetadataRequestTopic({ name: 'b' })] }))).toBe(2);
    expect(entries(G.newMetadataRequest({ topics: null }))).toBe(0);
  });

  it('stops counting once past the cap: what follows is never looked at', () => {
    const partitionIndexes = new Array<number>(5_000_000).fill(0);
    expect(entriesOver(G.newDescribeProducersRequest({ topics: [G.newDescribeProducersRequestTopic({ name: 't', partitionIndexes })] }), 10_000)).toBe(true);
    // 10,001 one-partition topics, then topics that throw when read.
    const poisoned = Object.defineProperty({ topic: 't' }, 'partitions', { enumerable: true, get: () => { throw new Error('walked past the cap'); } });
    const topics = [...Array.from({ length: 10_001 }, () => G.newFetchRequestTopic({ topic: 't', partitions: [G.newFetchRequestPartition({})] })), ...new Array(1000).fill(poisoned)];
    expect(entriesOver(G.newFetchRequest({ topics }), 10_000)).toBe(true);
    expect(() => entriesOver(G.newFetchRequest({ topics }), 20_000)).toThrow('walked past the cap');
  });
});
