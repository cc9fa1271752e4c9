/**
 * Differential tests, share-group administration (KIP-932), against Apache Kafka 4.4:
 * DescribeShareGroupOffsets (90), AlterShareGroupOffsets (91), DeleteShareGroupOffsets (92), and
 * what DescribeGroups and DeleteGroups answer for a share group id, through one group's life:
 * unknown, with a member holding acquired records, empty, offsets altered and deleted, deleted.
 * The group's records in __consumer_offsets (types 10-15: member metadata, group epoch, target
 * assignment epoch and members, current member assignment, initialised partitions) are read back
 * from both and decoded with Runnel's codecs: Kafka 4.4's must decode, and Runnel's must say the
 * same, through the member's join, its leave (tombstones) and the group's deletion.
 * Topic ids differ between the brokers and are not compared.
 */
import { describe, it } from 'vitest';
import { buildBatchSync } from '../../protocol/records/builder.js';
import { apacheKafkaAvailable } from '../helpers/apache-kafka.js';
import type { RawClient } from '../helpers/raw-client.js';
import { err, expectSame, msg, raw, usePair, uniq } from './harness.js';
import { createTopicsReady, fetch as fetchRecords } from './requests.js';
import { batch as header } from '../../protocol/records/batch.js';
import { readRecords } from '../../protocol/records/records.js';
import {
  readShareGroupCurrentMemberAssignmentValue,
  readShareGroupMemberMetadataValue,
  readShareGroupMetadataValue,
  readShareGroupStatePartitionMetadataValue,
  readShareGroupTargetAssignmentMemberValue,
  readShareGroupTargetAssignmentMetadataValue,
} from '../../protocol/generated/data/index.js';
import { Reader } from '../../protocol/primitives.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** DescribeShareGroupOffsets v1 answer, without topic ids. */
async function offsets(c: RawClient, groupId: string, topics: Array<{ topicName: string; partitions: number[] }> | null): Promise<unknown> {
  const r = await c.request(90, 1, { groups: [{ groupId, topics }] });
  return r.groups.map((g: any) => ({
    error: err(g.errorCode),
    message: msg(g.errorMessage),
    topics: [...g.topics].sort((a: any, b: any) => a.topicName.localeCompare(b.topicName)).map((t: any) => ({ topic: t.topicName, partitions: t.partitions.map((p: any) => ({ p: p.partitionIndex, start: p.startOffset, epoch: p.leaderEpoch, lag: p.lag, error: err(p.errorCode), message: msg(p.errorMessage) })) })),
  }));
}

async function alter(c: RawClient, groupId: string, topics: Array<{ topicName: string; partitions: Array<{ partitionIndex: number; startOffset: number }> }>): Promise<unknown> {
  const r = await c.request(91, 0, { groupId, topics });
  return { error: err(r.errorCode), message: msg(r.errorMessage), topics: r.responses.map((t: any) => ({ topic: t.topicName, partitions: t.partitions.map((p: any) => [p.partitionIndex, err(p.errorCode), msg(p.errorMessage)]) })) };
}

async function deleteOffsets(c: RawClient, groupId: string, topics: string[]): Promise<unknown> {
  const r = await c.request(92, 0, { groupId, topics: topics.map((topicName) => ({ topicName })) });
  return { error: err(r.errorCode), message: msg(r.errorMessage), topics: r.responses.map((t: any) => [t.topicName, err(t.errorCode), msg(t.errorMessage)]) };
}

async function describeGroups(c: RawClient, groupId: string): Promise<unknown> {
  const r = await c.request(15, 6, { groups: [groupId], includeAuthorizedOperations: false });
  return r.groups.map((g: any) => ({ error: err(g.errorCode), message: msg(g.errorMessage), state: g.groupState, protocolType: g.protocolType, protocol: g.protocolData, members: g.members.length }));
}

async function deleteGroups(c: RawClient, groupId: string): Promise<unknown> {
  const r = await c.request(42, 2, { groupsNames: [groupId] });
  return r.results.map((x: any) => err(x.errorCode));
}

/**
 * The group's latest records of each share-group type in __consumer_offsets (one partition on
 * both sides), read with Runnel's codecs: Kafka's records must decode, and Runnel's must say the
 * same. Member records are keyed by member id; epochs are compared to the group epoch.
 */
async function groupRecords(c: RawClient, groupId: string): Promise<unknown> {
  const out: Record<string, unknown> = { metadata: null, statePartitions: null, targetMetadata: null, members: {}, targets: {}, current: {} };
  const partitions = (tps: Array<{ topicId: Buffer; partitions: number[] }>) => tps.map((t) => [...t.partitions].sort());
  let offset = 0;
  for (let i = 0; i < 50; i++) {
    const f = await fetchRecords(c, [{ topic: '__consumer_offsets', partition: 0, offset }]);
    const bytes: Buffer = f.responses[0]?.partitions[0]?.records ?? Buffer.alloc(0);
    let at = 0;
    for (; at + 61 <= bytes.length; ) {
      const size = header.totalSize(bytes, at);
      if (at + size > bytes.length) break;
      const b = bytes.subarray(at, at + size);
      const recs = await readRecords(b, { allowOffsetGaps: true });
      for (const r of recs.value ?? []) {
        if (!r.key) continue;
        const k = new Reader(r.key);
        const type = k.int16();
        if (type < 10 || type > 15 || k.string() !== groupId) continue;
        if (type === 10 || type === 13 || type === 14) {
          const memberId = k.string();
          const put = (field: string, v: unknown) => ((out[field] as Record<string, unknown>)[memberId] = v);
          if (r.value === null) put(type === 10 ? 'members' : type === 13 ? 'targets' : 'current', 'tombstone');
          else if (type === 10) {
            const v = readShareGroupMemberMetadataValue(r.value)?.message;
            put('members', v ? { rack: v.rackId, topics: v.subscribedTopicNames } : 'undecodable');
          } else if (type === 13) {
            const v = readShareGroupTargetAssignmentMemberValue(r.value)?.message;
            put('targets', v ? partitions(v.topicPartitions) : 'undecodable');
          } else {
            const v = readShareGroupCurrentMemberAssignmentValue(r.value)?.message;
            put('current', v ? { epoch: v.memberEpoch, previous: v.previousMemberEpoch, state: v.state, partitions: partitions(v.assignedPartitions) } : 'undecodable');
          }
          continue;
        }
        if (type === 12) {
          out.targetMetadata = r.value === null ? 'tombstone' : { epoch: readShareGroupTargetAssignmentMetadataValue(r.value)?.message.assignmentEpoch ?? 'undecodable' };
          continue;
        }
        if (type === 11) out.metadata = r.value === null ? 'tombstone' : { epoch: readShareGroupMetadataValue(r.value)?.message.epoch ?? 'undecodable' };
        else {
          const v = r.value === null ? null : readShareGroupStatePartitionMetadataValue(r.value);
          out.statePartitions = r.value === null ? 'tombstone' : v === null ? 'undecodable' : { initialized: v.message.initializedTopics.map((t) => [t.topicName, [...t.partitions].sort()]), initializing: v.message.initializingTopics.length, deleting: v.message.deletingTopics.length };
        }
      }
      offset = header.lastOffset(b) + 1;
      at += size;
    }
    if (at === 0) break;
  }
  return out;
}

describe.skipIf(!apacheKafkaAvailable())('differential: share group offsets and group admin (KIP-932)', () => {
  const pair = usePair({});

  it('describe, alter and delete share-group offsets; DescribeGroups and DeleteGroups of a share group', async () => {
    const topic = uniq('sha');
    const other = uniq('shx');
    const group = uniq('shag');
    const obs = await pair.both(async (t) => {
      const c = await raw(t);
      c.responseTimeoutMs = 20_000;
      const steps: Record<string, unknown> = {};
      try {
        await createTopicsReady(c, [{ name: topic, partitions: 2 }, { name: other, partitions: 1 }]);
        const meta = await c.request(3, 12, { topics: [{ name: topic, topicId: Buffer.alloc(16) }], allowAutoTopicCreation: false });
        const topicId: Buffer = meta.topics[0].topicId;
        const produce = (n: number) => c.request(0, 9, { acks: -1, timeoutMs: 5000, transactionalId: null, topicData: [{ name: topic, partitionData: [{ index: 0, records: buildBatchSync(Array.from({ length: n }, (_, i) => ({ value: `v${i}` }))) }] }] });
        await produce(4);
        for (let i = 0; i < 100; i++) {
          const fc = await c.request(10, 4, { keyType: 0, coordinatorKeys: [group] });
          if (fc.coordinators.every((x: any) => x.errorCode === 0)) break;
          await sleep(200);
        }
        steps.unknownDeleteOffsets = await deleteOffsets(c, group, [topic]);
        steps.unknownAll = await offsets(c, group, null);
        steps.unknownSome = await offsets(c, group, [{ topicName: topic, partitions: [0] }]);
        steps.unknownAlter = await alter(c, group, [{ topicName: topic, partitions: [{ partitionIndex: 0, startOffset: 0 }] }]);
        steps.unknownDelete = await deleteOffsets(c, group, [topic]);
        steps.unknownDescribeGroups = await describeGroups(c, group);
        steps.unknownDeleteGroups = await deleteGroups(c, group);

        const hb = (body: Record<string, unknown>) => c.request(76, 1, { groupId: group, memberId: 'm1', memberEpoch: 0, rackId: null, subscribedTopicNames: [topic], ...body });
        let joined: any;
        for (let i = 0; i < 100; i++) {
          joined = await hb({});
          if (joined.errorCode !== 14 && joined.errorCode !== 15 && joined.errorCode !== 16) break;
          await sleep(200);
        }
        let epoch = joined.memberEpoch;
        let assigned = joined.assignment?.topicPartitions.flatMap((x: any) => x.partitions) ?? [];
        for (let i = 0; i < 50 && assigned.length < 2; i++) {
          await sleep(200);
          const h = await hb({ memberEpoch: epoch, subscribedTopicNames: null });
          epoch = h.memberEpoch;
          if (h.assignment) assigned = h.assignment.topicPartitions.flatMap((x: any) => x.partitions);
        }
        steps.joinedNoState = await offsets(c, group, null);
        let sessionEpoch = 0;
        const fetch = () => c.request(78, 1, { groupId: group, memberId: 'm1', shareSessionEpoch: sessionEpoch++, maxWaitMs: 300, minBytes: 0, maxBytes: 1 << 20, maxRecords: 100, batchSize: 100, topics: [{ topicId, partitions: [{ partitionIndex: 0, acknowledgementBatches: [] }, { partitionIndex: 1, acknowledgementBatches: [] }] }], forgottenTopicsData: [] });
        await fetch(); // initialises both share partitions at the latest offset (4 and 0)
        await produce(5);
        let acquired = 0;
        for (let i = 0; i < 20 && acquired === 0; i++) {
          const f = await fetch();
          acquired = f.responses.flatMap((x: any) => x.partitions).reduce((n: number, p: any) => n + p.acquiredRecords.length, 0);
        }
        await c.request(79, 1, { groupId: group, memberId: 'm1', shareSessionEpoch: sessionEpoch++, topics: [{ topicId, partitions: [{ partitionIndex: 0, acknowledgementBatches: [{ firstOffset: 4, lastOffset: 8, acknowledgeTypes: [1] }] }] }] });
        await fetch(); // Kafka moves the start offset past acknowledged records when it next acquires
        await produce(3);
        // Kafka's start offset and lag come from the share coordinator: wait until it has the ack.
        for (let i = 0; i < 30; i++) {
          const o: any = await offsets(c, group, [{ topicName: topic, partitions: [0] }]);
          if (o[0]?.topics[0]?.partitions[0]?.start === 9) break;
          await sleep(200);
        }
        steps.withMember = await offsets(c, group, null);
        steps.groupRecords = await groupRecords(c, group);
        steps.withMemberSome = await offsets(c, group, [{ topicName: topic, partitions: [1] }, { topicName: other, partitions: [0] }]);
        steps.alterNonEmpty = await alter(c, group, [{ topicName: topic, partitions: [{ partitionIndex: 0, startOffset: 1 }] }]);
        steps.deleteNonEmpty = await deleteOffsets(c, group, [topic]);
        steps.describeGroupsStable = await describeGroups(c, group);
        steps.deleteGroupsNonEmpty = await deleteGroups(c, group);

        steps.leave = err((await hb({ memberEpoch: -1, subscribedTopicNames: null })).errorCode);
        steps.groupRecordsAfterLeave = await groupRecords(c, group);
        steps.describeGroupsEmpty = await describeGroups(c, group);
        steps.alter = await alter(c, group, [
          { topicName: topic, partitions: [{ partitionIndex: 0, startOffset: 2 }, { partitionIndex: 9, startOffset: 0 }] },
          { topicName: 'nosuch-topic', partitions: [{ partitionIndex: 0, startOffset: 0 }] },
        ]);
        steps.alterBeyondEnd = await alter(c, group, [{ topicName: topic, partitions: [{ partitionIndex: 1, startOffset: 100 }] }]);
        steps.afterAlter = await offsets(c, group, null);
        steps.deleteOffsets = await deleteOffsets(c, group, [topic, 'nosuch-topic', other]);
        steps.afterDelete = await offsets(c, group, null);
        steps.deleteGroups = await deleteGroups(c, group);
        steps.afterDeleteGroups = await describeGroups(c, group);
        steps.afterDeleteGroupsOffsets = await offsets(c, group, null);
        steps.groupRecordsDeleted = await groupRecords(c, group);
      } finally {
        c.close();
      }
      return steps;
    });
    expectSame('share-admin', obs);
  }, 240_000);
});
