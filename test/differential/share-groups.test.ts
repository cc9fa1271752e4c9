/**
 * Differential tests, share groups (KIP-932), against Apache Kafka 4.4: ShareGroupHeartbeat errors
 * and joins, ShareGroupDescribe output, ShareFetch session-epoch errors, acquisition with delivery
 * counts, ShareAcknowledge errors (unknown session, records not acquired), RELEASE redelivery.
 * Topic ids differ between the brokers, so acquired offsets and assignments are compared as
 * numbers. Both start share partitions at the latest offset (share.auto.offset.reset's default):
 * the records are produced after the first fetch.
 */
import { describe, it } from 'vitest';
import { buildBatchSync } from '../../protocol/records/builder.js';
import { apacheKafkaAvailable } from '../helpers/apache-kafka.js';
import { err, expectSame, msg, raw, usePair, uniq } from './harness.js';
import { createTopicsReady } from './requests.js';
import type { RawClient } from '../helpers/raw-client.js';

describe.skipIf(!apacheKafkaAvailable())('differential: share groups (KIP-932)', () => {
  const pair = usePair({});

  it('heartbeat, describe, fetch and acknowledge answers', async () => {
    const topic = uniq('sh');
    const group = uniq('shg');
    const obs = await pair.both(async (t) => {
      const c = await raw(t);
      c.responseTimeoutMs = 20_000;
      const steps: Record<string, unknown> = {};
      try {
        await createTopicsReady(c, [{ name: topic, partitions: 1 }]);
        const meta = await c.request(3, 12, { topics: [{ name: topic, topicId: Buffer.alloc(16) }], allowAutoTopicCreation: false });
        const topicId: Buffer = meta.topics[0].topicId;
        const hb = (body: Record<string, unknown>) => c.request(76, 1, { groupId: group, memberId: 'm1', memberEpoch: 0, rackId: null, subscribedTopicNames: [topic], ...body });
        const view = (r: any) => ({ error: err(r.errorCode), message: msg(r.errorMessage), epoch: r.memberEpoch, assigned: r.assignment === null ? null : r.assignment.topicPartitions.flatMap((x: any) => x.partitions) });
        steps.emptyGroup = view(await hb({ groupId: '' }));
        steps.emptyMember = view(await hb({ memberId: '' }));
        steps.noSubscription = view(await hb({ subscribedTopicNames: null }));
        steps.badEpoch = view(await hb({ memberEpoch: -5 }));
        // Kafka answers NOT_COORDINATOR until __consumer_offsets exists (FindCoordinator creates it) and is loaded.
        for (let i = 0; i < 100; i++) {
          const fc = await c.request(10, 4, { keyType: 0, coordinatorKeys: [group] });
          if (fc.coordinators.every((x: any) => x.errorCode === 0)) break;
          await new Promise((r) => setTimeout(r, 200));
        }
        // Kafka may still be loading the partition FindCoordinator just answered for.
        let unknown = await hb({ memberId: 'ghost', memberEpoch: 4 });
        for (let i = 0; i < 50 && unknown.errorCode === 14; i++) {
          await new Promise((r) => setTimeout(r, 200));
          unknown = await hb({ memberId: 'ghost', memberEpoch: 4 });
        }
        steps.unknownMember = view(unknown);
        let joined: any;
        for (let i = 0; i < 100; i++) {
          joined = await hb({});
          if (joined.errorCode !== 14 && joined.errorCode !== 15 && joined.errorCode !== 16) break;
          await new Promise((r) => setTimeout(r, 200));
        }
        // Kafka assigns on a later heartbeat; ask until the member has its partition.
        let epoch = joined.memberEpoch;
        let assigned = joined.assignment?.topicPartitions.flatMap((x: any) => x.partitions) ?? [];
        for (let i = 0; i < 50 && assigned.length === 0; i++) {
          await new Promise((r) => setTimeout(r, 200));
          const h = await hb({ memberEpoch: epoch, subscribedTopicNames: null });
          epoch = h.memberEpoch;
          if (h.assignment) assigned = h.assignment.topicPartitions.flatMap((x: any) => x.partitions);
        }
        steps.join = { error: err(joined.errorCode), memberId: joined.memberId, assigned };
        steps.fenced = view(await hb({ memberEpoch: epoch + 10, subscribedTopicNames: null }));
        const d = await c.request(77, 1, { groupIds: [group, uniq('nosuch')], includeAuthorizedOperations: false });
        steps.describe = d.groups.map((g: any) => ({
          error: err(g.errorCode),
          state: g.groupState,
          assignor: g.assignorName,
          members: g.members.map((m: any) => ({ memberId: m.memberId, subscribed: m.subscribedTopicNames, partitions: m.assignment.topicPartitions.map((x: any) => [x.topicName, x.partitions]) })),
        }));

        let sessionEpoch = 0;
        const fetch = (body: Record<string, unknown> = {}, acks: object[] = []) =>
          c.request(78, 1, { groupId: group, memberId: 'm1', shareSessionEpoch: sessionEpoch, maxWaitMs: 500, minBytes: 0, maxBytes: 1 << 20, maxRecords: 100, batchSize: 100, topics: [{ topicId, partitions: [{ partitionIndex: 0, acknowledgementBatches: acks }] }], forgottenTopicsData: [], ...body });
        const fview = (r: any) => ({ error: err(r.errorCode), partitions: (r.responses ?? []).flatMap((x: any) => x.partitions.map((p: any) => ({ error: err(p.errorCode), ackError: err(p.acknowledgeErrorCode), acquired: p.acquiredRecords }))) });
        steps.fetchNoSession = fview(await fetch({ shareSessionEpoch: 5 }));
        steps.fetchAcksOnOpen = fview(await fetch({}, [{ firstOffset: 0, lastOffset: 0, acknowledgeTypes: [1] }]));
        steps.ackOnOpen = err((await c.request(79, 1, { groupId: group, memberId: 'm1', shareSessionEpoch: 0, topics: [] })).errorCode);
        steps.ackNoSession = err((await c.request(79, 1, { groupId: group, memberId: 'nosession', shareSessionEpoch: 3, topics: [] })).errorCode);
        // Open the session (initialises the share partition at the latest offset), then produce.
        steps.open = fview(await fetch());
        sessionEpoch = 1;
        await c.request(0, 9, { acks: -1, timeoutMs: 5000, transactionalId: null, topicData: [{ name: topic, partitionData: [{ index: 0, records: buildBatchSync(Array.from({ length: 3 }, (_, i) => ({ value: `v${i}` }))) }] }] });
        let got: any = { partitions: [] };
        for (let i = 0; i < 20; i++) {
          got = fview(await fetch());
          sessionEpoch++;
          if (got.partitions.some((p: any) => p.acquired.length > 0)) break;
        }
        steps.acquired = got.partitions.filter((p: any) => p.acquired.length > 0);
        steps.badSessionEpoch = fview(await fetch({ shareSessionEpoch: sessionEpoch + 7 }));
        const ack = (acks: object[]) => c.request(79, 1, { groupId: group, memberId: 'm1', shareSessionEpoch: sessionEpoch++, topics: [{ topicId, partitions: [{ partitionIndex: 0, acknowledgementBatches: acks }] }] });
        const aview = (r: any) => ({ error: err(r.errorCode), partitions: r.responses.flatMap((x: any) => x.partitions.map((p: any) => err(p.errorCode))) });
        steps.ackNotAcquired = aview(await ack([{ firstOffset: 50, lastOffset: 51, acknowledgeTypes: [1] }]));
        steps.ackRelease = aview(await ack([{ firstOffset: 0, lastOffset: 0, acknowledgeTypes: [2] }, { firstOffset: 1, lastOffset: 2, acknowledgeTypes: [1] }]));
        steps.redelivered = fview(await fetch()).partitions.filter((p: any) => p.acquired.length > 0);
        sessionEpoch++;
        steps.ackDone = aview(await ack([{ firstOffset: 1, lastOffset: 1, acknowledgeTypes: [1] }]));
        steps.ackOtherwise = aview(await ack([{ firstOffset: 0, lastOffset: 0, acknowledgeTypes: [3] }]));
        steps.leave = view(await hb({ memberEpoch: -1, subscribedTopicNames: null }));
      } finally {
        c.close();
      }
      return steps;
    });
    expectSame('share-groups', obs);
  }, 240_000);

  it('a member whose connection closes: are its acquired records released at once?', async () => {
    const topic = uniq('shc');
    const group = uniq('shcg');
    const obs = await pair.both(async (t) => {
      const { a, b, fetch } = await twoMembers(t, topic, group);
      try {
        const acquired = (r: any) => (r.responses ?? []).flatMap((x: any) => x.partitions.flatMap((p: any) => p.acquiredRecords.map((q: any) => [q.firstOffset, q.lastOffset, q.deliveryCount])));
        await fetch(a, 'm1', 0); // opens m1's session: the share partition starts at the latest offset
        await a.request(0, 9, { acks: -1, timeoutMs: 5000, transactionalId: null, topicData: [{ name: topic, partitionData: [{ index: 0, records: buildBatchSync(Array.from({ length: 3 }, (_, i) => ({ value: `v${i}` }))) }] }] });
        let byM1: unknown[] = [];
        for (let e = 1; e < 20 && byM1.length === 0; e++) byM1 = acquired(await fetch(a, 'm1', e));
        a.close(); // m1's connection goes, its records still acquired (the lock lasts 30 s)
        let m2Epoch = 0;
        let byM2: unknown[] = [];
        const t0 = Date.now();
        while (byM2.length === 0 && Date.now() - t0 < 4000) byM2 = acquired(await fetch(b, 'm2', m2Epoch++));
        return { byM1, byM2WithinFourSeconds: byM2 };
      } finally {
        a.close();
        b.close();
      }
    });
    expectSame('share-groups-connection-close', obs);
  }, 240_000);

  it('a member that leaves without closing its share session, and a member id that never joined', async () => {
    const topic = uniq('shx');
    const group = uniq('shxg');
    const obs = await pair.both(async (t) => {
      const { a, b, fetch } = await twoMembers(t, topic, group);
      const steps: Record<string, unknown> = {};
      try {
        const view = (r: any) => ({
          error: err(r.errorCode),
          partitions: (r.responses ?? []).flatMap((x: any) => x.partitions.map((p: any) => [err(p.errorCode), p.acquiredRecords.map((q: any) => [q.firstOffset, q.lastOffset, q.deliveryCount])])),
        });
        const anyAcquired = (v: { partitions: unknown[][] }) => v.partitions.some((p) => (p[1] as unknown[]).length > 0);
        steps.open = view(await fetch(a, 'm1', 0));
        await a.request(0, 9, { acks: -1, timeoutMs: 5000, transactionalId: null, topicData: [{ name: topic, partitionData: [{ index: 0, records: buildBatchSync(Array.from({ length: 3 }, (_, i) => ({ value: `v${i}` }))) }] }] });
        let m1 = view(await fetch(a, 'm1', 1));
        let epoch = 2;
        for (; epoch < 20 && !anyAcquired(m1); epoch++) m1 = view(await fetch(a, 'm1', epoch));
        steps.m1Acquired = m1;
        // m1 leaves the group but neither closes its share session nor its connection.
        steps.leave = err((await a.request(76, 1, { groupId: group, memberId: 'm1', memberEpoch: -1, rackId: null, subscribedTopicNames: null })).errorCode);
        let m2 = view(await fetch(b, 'm2', 0));
        const t0 = Date.now();
        for (let e = 1; !anyAcquired(m2) && Date.now() - t0 < 4000; e++) m2 = view(await fetch(b, 'm2', e));
        steps.m2AfterLeave = m2;
        steps.leftMemberWrongEpoch = view(await fetch(a, 'm1', epoch + 20));
        steps.leftMemberNewSession = view(await fetch(a, 'm1', 0));
        // A member id the group never had: a share partition leader does not ask the coordinator.
        steps.strangerOpens = view(await fetch(b, 'nobody', 0));
        steps.strangerNext = view(await fetch(b, 'nobody', 1));
      } finally {
        a.close();
        b.close();
      }
      return steps;
    });
    expectSame('share-groups-leave', obs);
  }, 240_000);
});

/** Joins with ShareGroupHeartbeat and heartbeats until the member has a partition (Kafka assigns on a later heartbeat). */
async function joinAssigned(c: RawClient, group: string, topic: string, memberId: string): Promise<void> {
  let epoch = 0;
  for (let i = 0; i < 100; i++) {
    // Kafka answers NOT_COORDINATOR until FindCoordinator has created and loaded __consumer_offsets.
    if (epoch === 0) await c.request(10, 4, { keyType: 0, coordinatorKeys: [group] });
    const h = await c.request(76, 1, { groupId: group, memberId, memberEpoch: epoch, rackId: null, subscribedTopicNames: epoch === 0 ? [topic] : null });
    if (h.errorCode === 0) {
      epoch = h.memberEpoch;
      if (h.assignment?.topicPartitions.some((x: any) => x.partitions.length > 0)) return;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${memberId} got no assignment`);
}

/**
 * Two connections to `t`, a one-partition topic, and members m1 (on a) and m2 (on b) of `group`,
 * both assigned; `fetch` sends a ShareFetch v1 for the partition on the connection given.
 */
async function twoMembers(t: Parameters<typeof raw>[0], topic: string, group: string) {
  const a = await raw(t);
  const b = await raw(t);
  a.responseTimeoutMs = b.responseTimeoutMs = 20_000;
  let topicId: Buffer;
  try {
    await createTopicsReady(a, [{ name: topic, partitions: 1 }]);
    const meta = await a.request(3, 12, { topics: [{ name: topic, topicId: Buffer.alloc(16) }], allowAutoTopicCreation: false });
    topicId = meta.topics[0].topicId;
    await joinAssigned(a, group, topic, 'm1');
    await joinAssigned(b, group, topic, 'm2');
  } catch (e) {
    a.close();
    b.close();
    throw e;
  }
  const fetch = (c: RawClient, memberId: string, epoch: number) =>
    c.request(78, 1, { groupId: group, memberId, shareSessionEpoch: epoch, maxWaitMs: 500, minBytes: 0, maxBytes: 1 << 20, maxRecords: 100, batchSize: 100, topics: [{ topicId, partitions: [{ partitionIndex: 0, acknowledgementBatches: [] }] }], forgottenTopicsData: [] });
  return { a, b, fetch };
}
