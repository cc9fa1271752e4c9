/**
 * Differential test: a partition, topic, group or id named twice in one request, for every API
 * that takes a list (issue 14 item 5). Kafka answers some once (Fetch — last entry wins, at the
 * first one's place —, Metadata, DeleteRecords — last offset wins —, DescribeLogDirs,
 * DeleteGroups) and the others once per entry (OffsetCommit, OffsetFetch, OffsetForLeaderEpoch,
 * DescribeGroups, DescribeConfigs, DescribeProducers, ElectLeaders, ListPartitionReassignments,
 * DescribeTransactions, DescribeTopicPartitions, OffsetDelete, AddPartitionsToTxn,
 * TxnOffsetCommit); ListOffsets' INVALID_REQUEST is in protocol.test.ts. Runnel must answer alike.
 */
import { describe, it } from 'vitest';
import * as G from '../../protocol/generated/index.js';
import { err, expectSame, keyed, normalise, uniq, usePair, withRaw, type Target } from './harness.js';
import { buildBatchSync, createTopicsReady, produceOne, req } from './requests.js';
import type { RawClient } from '../helpers/raw-client.js';

/** Waits until the coordinator of a group (keyType 0) or transactional id (1) is ready. */
async function coordinatorReady(c: RawClient, keyType: number, key: string): Promise<void> {
  for (let i = 0; i < 60; i++) {
    const r = await req(c, 10, 4, { keyType, coordinatorKeys: [key] });
    if (r.coordinators[0].errorCode === 0) return;
    await new Promise((res) => setTimeout(res, 500));
  }
  throw new Error(`no coordinator for ${key}`);
}

/** Waits until the group's offsets partition is loaded (OffsetFetch answers without error). */
async function offsetsReady(c: RawClient, group: string): Promise<void> {
  for (let i = 0; i < 60; i++) {
    const r = await req(c, 9, 8, { groups: [G.newOffsetFetchRequestGroup({ groupId: group, topics: null })], requireStable: false });
    if (r.groups[0].errorCode === 0) return;
    await new Promise((res) => setTimeout(res, 500));
  }
  throw new Error(`offsets of ${group} not loaded`);
}

const partitionCodes = (topics: any[], partitions: (t: any) => any[], index: (p: any) => number, code: (p: any) => number) =>
  topics.map((t: any) => [t.name ?? t.topic, partitions(t).map((p: any) => [index(p), err(code(p))])]);

describe('differential: duplicates in request lists', () => {
  const pair = usePair();

  it('every list-taking API, each entry named twice', async () => {
    const topic = uniq('dup');
    const group = uniq('dup-g');
    const txnGroup = uniq('dup-tg');
    const txnId = uniq('dup-tx');
    const obs = await pair.both((t: Target) =>
      withRaw(t, async (c) => {
        const out: Record<string, unknown> = {};
        await createTopicsReady(c, [{ name: topic, partitions: 2 }]);
        for (let i = 0; i < 3; i++) await produceOne(c, topic, 0, buildBatchSync([{ value: `v${i}` }]));

        const fp = (partition: number, fetchOffset: number) => G.newFetchRequestPartition({ partition, fetchOffset, partitionMaxBytes: 1 << 20 });
        const f = await req(c, 1, 12, {
          replicaId: -1,
          maxWaitMs: 0,
          minBytes: 0,
          maxBytes: 1 << 20,
          sessionEpoch: -1,
          topics: [G.newFetchRequestTopic({ topic, partitions: [fp(0, 0), fp(1, 0), fp(0, 2)] }), G.newFetchRequestTopic({ topic, partitions: [fp(0, 1)] })],
        });
        out.fetch = f.responses.map((r: any) => [r.topic, r.partitions.map((p: any) => [p.partitionIndex, err(p.errorCode), Buffer.isBuffer(p.records) ? p.records.length : p.records?.size])]);

        const m = await req(c, 3, 12, { topics: [topic, uniq('nope'), topic, uniq('nope')].map((name) => G.newMetadataRequestTopic({ name })), allowAutoTopicCreation: false });
        out.metadata = m.topics.map((x: any) => [x.name, err(x.errorCode), x.partitions.length]);

        const dr = await req(c, 21, 2, {
          timeoutMs: 5000,
          topics: [G.newDeleteRecordsRequestTopic({ name: topic, partitions: [[0, 1], [0, 2], [1, 0]].map(([partitionIndex, offset]) => G.newDeleteRecordsRequestPartition({ partitionIndex, offset })) })],
        });
        // One answer per partition, in no particular order on Kafka.
        out.deleteRecords = dr.topics.map((x: any) => [x.name, keyed(x.partitions, (p: any) => p.partitionIndex, (p: any) => [err(p.errorCode), p.lowWatermark])]);

        await coordinatorReady(c, 0, group);
        await offsetsReady(c, group);
        const commit = (partitionIndex: number, committedOffset: number, committedMetadata: string) => G.newOffsetCommitRequestPartition({ partitionIndex, committedOffset, committedMetadata });
        const oc = await req(c, 8, 8, {
          groupId: group,
          generationIdOrMemberEpoch: -1,
          memberId: '',
          groupInstanceId: null,
          topics: [G.newOffsetCommitRequestTopic({ name: topic, partitions: [commit(0, 1, 'a'), commit(0, 2, 'b')] }), G.newOffsetCommitRequestTopic({ name: topic, partitions: [commit(1, 3, 'c')] })],
        });
        out.offsetCommit = partitionCodes(oc.topics, (x) => x.partitions, (p) => p.partitionIndex, (p) => p.errorCode);
        const fetched = (x: any) => x.partitions.map((p: any) => [p.partitionIndex, err(p.errorCode), p.committedOffset, p.metadata]);
        const of8 = await req(c, 9, 8, {
          groups: [
            G.newOffsetFetchRequestGroup({ groupId: group, topics: [G.newOffsetFetchRequestGroupTopic({ name: topic, partitionIndexes: [0, 0, 1] }), G.newOffsetFetchRequestGroupTopic({ name: topic, partitionIndexes: [1] })] }),
            G.newOffsetFetchRequestGroup({ groupId: group, topics: [G.newOffsetFetchRequestGroupTopic({ name: topic, partitionIndexes: [0] })] }),
          ],
          requireStable: false,
        });
        out.offsetFetchV8 = of8.groups.map((g: any) => [g.groupId, err(g.errorCode), g.topics.map((x: any) => [x.name, fetched(x)])]);
        const of7 = await req(c, 9, 7, { groupId: group, topics: [G.newOffsetFetchRequestTopic({ name: topic, partitionIndexes: [0, 0] }), G.newOffsetFetchRequestTopic({ name: topic, partitionIndexes: [1] })], requireStable: false });
        out.offsetFetchV7 = of7.topics.map((x: any) => [x.name, fetched(x)]);

        const ofle = await req(c, 23, 4, {
          replicaId: -1,
          topics: [G.newOffsetForLeaderEpochRequestTopic({ topic, partitions: [0, 0].map((partition) => G.newOffsetForLeaderEpochRequestPartition({ partition, leaderEpoch: 0 })) })],
        });
        out.offsetForLeaderEpoch = ofle.topics.map((x: any) => [x.topic, x.partitions.map((p: any) => [p.partition, err(p.errorCode), p.endOffset])]);

        const dg = await req(c, 15, 5, { groups: [group, group, uniq('none'), uniq('none')], includeAuthorizedOperations: false });
        out.describeGroups = dg.groups.map((g: any) => [g.groupId, err(g.errorCode), g.groupState]);

        const dc = await req(c, 32, 4, {
          resources: [
            G.newDescribeConfigsRequestResource({ resourceType: 2, resourceName: topic, configurationKeys: ['retention.ms', 'retention.ms'] }),
            G.newDescribeConfigsRequestResource({ resourceType: 2, resourceName: topic, configurationKeys: ['cleanup.policy'] }),
          ],
          includeSynonyms: false,
          includeDocumentation: false,
        });
        out.describeConfigs = dc.results.map((r: any) => [r.resourceName, err(r.errorCode), r.configs.map((x: any) => x.name)]);

        const dp = await req(c, 61, 0, { topics: [G.newDescribeProducersRequestTopic({ name: topic, partitionIndexes: [0, 0] }), G.newDescribeProducersRequestTopic({ name: topic, partitionIndexes: [1] })] });
        out.describeProducers = partitionCodes(dp.topics, (x) => x.partitions, (p) => p.partitionIndex, (p) => p.errorCode);

        const dld = await req(c, 35, 4, { topics: [G.newDescribeLogDirsRequestTopic({ topic, partitions: [0, 0, 1] }), G.newDescribeLogDirsRequestTopic({ topic, partitions: [1] })] });
        // Each partition once, in no particular order on Kafka.
        out.describeLogDirs = dld.results.map((r: any) => r.topics.map((x: any) => [x.name, [...x.partitions.map((p: any) => p.partitionIndex)].sort()]));

        const el = await req(c, 43, 2, { electionType: 0, timeoutMs: 5000, topicPartitions: [G.newElectLeadersRequestTopic({ topic, partitions: [0, 0] }), G.newElectLeadersRequestTopic({ topic, partitions: [1] })] });
        out.electLeaders = el.replicaElectionResults.map((r: any) => [r.topic, r.partitionResult.map((p: any) => [p.partitionId, err(p.errorCode)])]);

        const lpr = await req(c, 46, 0, { timeoutMs: 5000, topics: [G.newListPartitionReassignmentsRequestTopic({ name: topic, partitionIndexes: [0, 0] })] });
        out.listPartitionReassignments = [err(lpr.errorCode), lpr.topics.length];

        const dtp = await req(c, 75, 0, { topics: [G.newDescribeTopicPartitionsRequestTopic({ name: topic }), G.newDescribeTopicPartitionsRequestTopic({ name: topic })], responsePartitionLimit: 2000, cursor: null });
        out.describeTopicPartitions = dtp.topics.map((x: any) => [x.name, err(x.errorCode), x.partitions.length]);

        const odp = () => G.newOffsetDeleteRequestPartition({ partitionIndex: 0 });
        const od = await req(c, 47, 0, { groupId: group, topics: [G.newOffsetDeleteRequestTopic({ name: topic, partitions: [odp(), odp()] }), G.newOffsetDeleteRequestTopic({ name: topic, partitions: [odp()] })] });
        out.offsetDelete = [err(od.errorCode), partitionCodes(od.topics, (x) => x.partitions, (p) => p.partitionIndex, (p) => p.errorCode)];

        await coordinatorReady(c, 1, txnId);
        const dtx = await req(c, 65, 0, { transactionalIds: [uniq('nx'), uniq('nx')] });
        out.describeTransactions = dtx.transactionStates.map((s: any) => [s.transactionalId, err(s.errorCode)]);
        let pid: any;
        for (let i = 0; i < 20; i++) {
          pid = await req(c, 22, 4, { transactionalId: txnId, transactionTimeoutMs: 60_000, producerId: -1, producerEpoch: -1 });
          if (pid.errorCode === 0) break;
          await new Promise((res) => setTimeout(res, 500));
        }
        const producer = { transactionalId: txnId, producerId: pid.producerId, producerEpoch: pid.producerEpoch };
        const ap = await req(c, 24, 3, { ...producer, topics: [G.newAddPartitionsToTxnRequestTopic({ name: topic, partitions: [0, 0] }), G.newAddPartitionsToTxnRequestTopic({ name: topic, partitions: [1] })] });
        out.addPartitionsToTxn = ap.resultsByTopicV3AndBelow.map((x: any) => [x.name, x.resultsByPartition.map((p: any) => [p.partitionIndex, err(p.partitionErrorCode)])]);
        await coordinatorReady(c, 0, txnGroup);
        out.addOffsetsToTxn = err((await req(c, 25, 3, { ...producer, groupId: txnGroup })).errorCode);
        const tp = (partitionIndex: number, committedOffset: number) => G.newTxnOffsetCommitRequestPartition({ partitionIndex, committedOffset });
        const toc = await req(c, 28, 3, { ...producer, groupId: txnGroup, generationId: -1, memberId: '', groupInstanceId: null, topics: [G.newTxnOffsetCommitRequestTopic({ name: topic, partitions: [tp(0, 1), tp(0, 2)] })] });
        out.txnOffsetCommit = partitionCodes(toc.topics, (x) => x.partitions, (p) => p.partitionIndex, (p) => p.errorCode);
        out.endTxn = err((await req(c, 26, 3, { ...producer, committed: false })).errorCode);

        const dgr = await req(c, 42, 2, { groupsNames: [group, group] });
        out.deleteGroups = dgr.results.map((r: any) => [r.groupId, err(r.errorCode)]);
        return normalise(out);
      }),
    );
    expectSame('duplicates', obs);
  }, 120_000);
});
