/**
 * The data APIs answer from the partition's replica state (src/replica/partition.ts behind
 * ctx.partitions), against fakes whose partitions are the real ReplicaManager and Partition over
 * in-memory logs: Metadata and DescribeTopicPartitions report leader, leader epoch, replicas and
 * ISR (LEADER_NOT_AVAILABLE for a partition not hosted); Produce stamps the leader epoch and holds
 * acks=-1 to min.insync.replicas against the ISR; Fetch, ListOffsets and OffsetForLeaderEpoch check
 * the request's current leader epoch and answer with the epochs the log's leader-epoch cache has.
 *
 * Every test moves the partition to a later leader epoch by hand (`setLeaderEpoch`, what the
 * controller will do in a cluster), so that an answer taken from a constant 0 would show.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ErrorCode, errorName } from '../../../protocol/errors.js';
import * as G from '../../../protocol/generated/index.js';
import { DEFAULT_TOPIC_SETTINGS, fakeBroker, records, type FakeBroker } from './fakes.js';

let b: FakeBroker;
afterEach(() => b?.close());

/** Topic `t`: offsets 0-1 (timestamps 1000-1001) at epoch 0, then epoch 2 from offset 2: offset 2 (timestamp 5000). */
async function twoEpochs(): Promise<FakeBroker> {
  b = fakeBroker();
  b.topics.add('t', 1);
  const produce = (r: Buffer) => b.handle<G.ProduceResponse>(0, 9, G.newProduceRequest({ acks: -1, timeoutMs: 5000, topicData: [G.newProduceRequestTopic({ name: 't', partitionData: [G.newProduceRequestPartition({ index: 0, records: r })] })] }));
  await produce(records(['a', 'b'], { timestamp: 1000 }));
  b.partitions.setLeaderEpoch('t', 0, 2);
  await produce(records(['c'], { timestamp: 5000 }));
  return b;
}

describe('Metadata and DescribeTopicPartitions: leadership from the replica state', () => {
  it('leader, leader epoch, replicas and ISR of each partition', async () => {
    b = fakeBroker();
    b.topics.add('t', 2);
    b.partitions.setLeaderEpoch('t', 1, 3);
    const md = await b.handle<G.MetadataResponse>(3, 12, G.newMetadataRequest({ topics: [G.newMetadataRequestTopic({ name: 't' })] }));
    expect(md.topics[0]!.partitions.map((p) => [p.partitionIndex, errorName(p.errorCode), p.leaderId, p.leaderEpoch, p.replicaNodes, p.isrNodes, p.offlineReplicas])).toEqual([
      [0, 'NONE', 1, 0, [1], [1], []],
      [1, 'NONE', 1, 3, [1], [1], []],
    ]);
    const dtp = await b.handle<G.DescribeTopicPartitionsResponse>(75, 0, G.newDescribeTopicPartitionsRequest({ topics: [G.newDescribeTopicPartitionsRequestTopic({ name: 't' })], responsePartitionLimit: 100 }));
    expect(dtp.topics[0]!.partitions.map((p) => [p.partitionIndex, p.leaderId, p.leaderEpoch, p.replicaNodes, p.isrNodes])).toEqual([
      [0, 1, 0, [1], [1]],
      [1, 1, 3, [1], [1]],
    ]);
  });

  it('a partition of a known topic that is not hosted (its log is missing): LEADER_NOT_AVAILABLE, no leader', async () => {
    b = fakeBroker();
    b.topics.add('t', 1);
    b.partitions.drop('t'); // the topic is recorded, its log is not there
    const md = await b.handle<G.MetadataResponse>(3, 12, G.newMetadataRequest({ topics: [G.newMetadataRequestTopic({ name: 't' })] }));
    expect(md.topics[0]).toMatchObject({ errorCode: ErrorCode.NONE, partitions: [{ errorCode: ErrorCode.LEADER_NOT_AVAILABLE, leaderId: -1, leaderEpoch: -1, replicaNodes: [1], isrNodes: [], offlineReplicas: [1] }] });
  });
});

describe('Produce: through the partition as leader', () => {
  it('stamps each batch with the leader epoch it was appended in', async () => {
    await twoEpochs();
    const log = b.partitions.log('t', 0);
    expect(log.batches.map((s) => log.bytes.readInt32BE(s.position + 12))).toEqual([0, 2]);
  });

  it('acks=-1 with fewer in-sync replicas than min.insync.replicas: NOT_ENOUGH_REPLICAS, nothing appended; acks=1 appends', async () => {
    b = fakeBroker();
    b.topics.add('t', 1);
    b.topics.settingsOf.set('t', { ...DEFAULT_TOPIC_SETTINGS, minInsyncReplicas: 2 });
    const produce = (acks: number) => b.handle<G.ProduceResponse>(0, 9, G.newProduceRequest({ acks, timeoutMs: 5000, topicData: [G.newProduceRequestTopic({ name: 't', partitionData: [G.newProduceRequestPartition({ index: 0, records: records(['a']) })] })] }));
    expect((await produce(-1)).responses[0]!.partitionResponses[0]!.errorCode).toBe(ErrorCode.NOT_ENOUGH_REPLICAS);
    expect(b.partitions.get('t', 0)!.logEndOffset).toBe(0);
    expect((await produce(1)).responses[0]!.partitionResponses[0]!).toMatchObject({ errorCode: ErrorCode.NONE, baseOffset: 0 });
  });
});

describe('Fetch: the current leader epoch and the last fetched epoch', () => {
  const fetch = async (p: Partial<G.FetchRequestPartition>, version = 12) => {
    const res = await b.handle<G.FetchResponse>(1, version, G.newFetchRequest({ replicaId: -1, maxBytes: 1 << 20, sessionEpoch: -1, topics: [G.newFetchRequestTopic({ topic: 't', partitions: [G.newFetchRequestPartition({ partition: 0, partitionMaxBytes: 1 << 20, ...p })] })] }));
    const a = res.responses[0]!.partitions[0]!;
    return [errorName(a.errorCode), a.highWatermark, a.logStartOffset, `${a.divergingEpoch.epoch} ${a.divergingEpoch.endOffset}`];
  };

  it('an older current leader epoch is FENCED_LEADER_EPOCH, a newer one UNKNOWN_LEADER_EPOCH, without watermarks; any negative one is none', async () => {
    await twoEpochs();
    expect(await fetch({ fetchOffset: 0, currentLeaderEpoch: 2 })).toEqual(['NONE', 3, 0, '-1 -1']);
    expect(await fetch({ fetchOffset: 0, currentLeaderEpoch: 0 })).toEqual(['FENCED_LEADER_EPOCH', -1, -1, '-1 -1']);
    expect(await fetch({ fetchOffset: 3, currentLeaderEpoch: 3 })).toEqual(['UNKNOWN_LEADER_EPOCH', -1, -1, '-1 -1']);
    expect(await fetch({ fetchOffset: 0, currentLeaderEpoch: -5 })).toEqual(['NONE', 3, 0, '-1 -1']);
  });

  it('v12 last_fetched_epoch: a fetcher whose epoch went past where ours ended gets the diverging epoch, no records', async () => {
    await twoEpochs();
    expect(await fetch({ fetchOffset: 3, lastFetchedEpoch: 0 })).toEqual(['NONE', 3, 0, '0 2']);
    expect(await fetch({ fetchOffset: 3, lastFetchedEpoch: 1 })).toEqual(['NONE', 3, 0, '0 2']); // epoch 1 was never ours
    expect(await fetch({ fetchOffset: 2, lastFetchedEpoch: 0 })).toEqual(['NONE', 3, 0, '-1 -1']);
    expect(await fetch({ fetchOffset: 3, lastFetchedEpoch: 2 })).toEqual(['NONE', 3, 0, '-1 -1']);
    expect(await fetch({ fetchOffset: 3, lastFetchedEpoch: 4 })).toEqual(['OFFSET_OUT_OF_RANGE', -1, -1, '-1 -1']);
  });
});

describe('ListOffsets: epochs answered, the current leader epoch checked', () => {
  const list = async (timestamp: number, currentLeaderEpoch = -1, version = 7) => {
    const res = await b.handle<G.ListOffsetsResponse>(2, version, G.newListOffsetsRequest({ replicaId: -1, topics: [G.newListOffsetsRequestTopic({ name: 't', partitions: [G.newListOffsetsRequestPartition({ partitionIndex: 0, timestamp, currentLeaderEpoch, maxNumOffsets: 1 })] })] }));
    const a = res.topics[0]!.partitions[0]!;
    return `${errorName(a.errorCode)} ${a.offset} ${a.leaderEpoch}`;
  };

  it('each offset with the epoch it was written in', async () => {
    await twoEpochs();
    expect(await list(-1)).toBe('NONE 3 2');
    expect(await list(-2)).toBe('NONE 0 0');
    expect(await list(1001)).toBe('NONE 0 0'); // the batch holding it starts at 0
    expect(await list(4000)).toBe('NONE 2 2');
    expect(await list(-3)).toBe('NONE 2 2');
  });

  it('v4+: an older current leader epoch FENCED_LEADER_EPOCH, a newer one UNKNOWN_LEADER_EPOCH; v3 carries none', async () => {
    await twoEpochs();
    expect(await list(-1, 2)).toBe('NONE 3 2');
    expect(await list(-1, 0)).toBe('FENCED_LEADER_EPOCH -1 -1');
    expect(await list(-1, 5)).toBe('UNKNOWN_LEADER_EPOCH -1 -1');
    expect(await list(-1, 0, 3)).toBe('NONE 3 2'); // v3 carries no current leader epoch (and its codec drops the answer's)
  });
});

describe('OffsetForLeaderEpoch: from the leader-epoch cache', () => {
  const ask = async (leaderEpoch: number, currentLeaderEpoch = -1, partition = 0) => {
    const res = await b.handle<G.OffsetForLeaderEpochResponse>(23, 4, G.newOffsetForLeaderEpochRequest({ replicaId: -1, topics: [G.newOffsetForLeaderEpochRequestTopic({ topic: 't', partitions: [G.newOffsetForLeaderEpochRequestPartition({ partition, leaderEpoch, currentLeaderEpoch })] })] }));
    const a = res.topics[0]!.partitions[0]!;
    return `${errorName(a.errorCode)} ${a.leaderEpoch} ${a.endOffset}`;
  };

  it('where each epoch ends, and the current-leader-epoch checks', async () => {
    await twoEpochs();
    expect(await ask(0)).toBe('NONE 0 2');
    expect(await ask(1)).toBe('NONE 0 2'); // never ours: the epoch before it
    expect(await ask(2)).toBe('NONE 2 3'); // the current one: the log end offset
    expect(await ask(3)).toBe('NONE -1 -1');
    expect(await ask(2, 0)).toBe('FENCED_LEADER_EPOCH -1 -1');
    expect(await ask(2, 3)).toBe('UNKNOWN_LEADER_EPOCH -1 -1');
    expect(await ask(0, -1, 4)).toBe('UNKNOWN_TOPIC_OR_PARTITION -1 -1');
  });

  it('an offline log: KAFKA_STORAGE_ERROR, before the current leader epoch is looked at', async () => {
    await twoEpochs();
    b.partitions.log('t', 0).isOffline = true;
    expect(await ask(0, 7)).toBe('KAFKA_STORAGE_ERROR -1 -1');
  });
});
