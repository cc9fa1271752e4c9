/**
 * GROUP config resources in a cluster: a real etcd and three `dist/runnel.mjs` processes
 * (cluster-harness.ts; build first). Kafka 4.4's own `kafka-configs.sh` alters a share group's
 * configs on broker A, while the group's coordinator is B and its partition's leader is C. Every
 * broker then describes them (they live in etcd, configs/groups/<id>), and both B and C apply
 * them: B's ShareGroupHeartbeat gives the group's heartbeat interval, C's ShareFetch its record
 * lock duration, archives a twice-released record at the group's delivery limit (2, not the
 * broker's 5) and copies it to the group's dead-letter topic.
 */
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { ErrorCode } from '../../protocol/errors.js';
import { buildBatchSync } from '../../protocol/records/builder.js';
import { connectBroker, createTopicReady, metadataFrom, partitions, upBrokers, waitUntil, withBroker } from '../helpers/cluster-target.js';
import { ensureJavaBuilt, javaAvailable, runKafkaScript, toolLines } from '../helpers/java.js';
import { type RunnelCluster, startRunnelCluster } from './cluster-harness.js';
import { etcdMissing } from './etcd-harness.js';
import { GROUP_KEY, waitCoordinator } from './coordinator-helpers.js';

const GROUP = 'cfg-group';

describe.skipIf(etcdMissing || !javaAvailable())('group configs in a cluster: etcd + 3 broker processes', () => {
  let c: RunnelCluster;

  beforeAll(async () => {
    await ensureJavaBuilt();
    c = await startRunnelCluster({
      brokers: 3,
      sessionTimeoutMs: 3000,
      props: {
        'offsets.topic.replication.factor': 3,
        'offsets.topic.num.partitions': 1,
        'share.coordinator.state.topic.num.partitions': 1,
        'replica.lag.time.max.ms': 4000,
        'replica.fetch.backoff.ms': 200,
        'replica.fetch.wait.max.ms': 200,
        'auto.leader.rebalance.enable': false,
        'runnel.group.share.auto.offset.reset': 'earliest',
      },
    });
  }, 300_000);
  afterAll(async () => {
    await c?.stop();
  });

  const bootstrapOf = (id: number) => `127.0.0.1:${c.endpoint(id).port}`;
  const describeAt = async (id: number): Promise<Record<string, { value: string; source: number }>> => {
    const r: any = await withBroker(c, id, (raw) => raw.request(32, 4, { resources: [{ resourceType: 32, resourceName: GROUP, configurationKeys: null }], includeSynonyms: false, includeDocumentation: false }));
    expect(r.results[0].errorCode).toBe(0);
    return Object.fromEntries(r.results[0].configs.map((x: any) => [x.name, { value: x.value, source: x.configSource }]));
  };

  it('altered on one broker, described on every broker, applied by the coordinator and the partition leader', async () => {
    const b = await waitCoordinator(c, GROUP, GROUP_KEY);
    const [cLeader, a] = c.brokerIds.filter((id) => id !== b) as [number, number];
    await createTopicReady(c, { name: 'cfg-jobs', assignments: [[cLeader, a, b]] });
    // Kafka's checks: the name starts with errors.deadletterqueue.topic.name.prefix (dlq.), the topic opts in.
    await createTopicReady(c, { name: 'dlq.cfg', assignments: [[cLeader, a, b]], configs: { 'errors.deadletterqueue.group.enable': 'true' } });
    expect((await partitions(c, 'cfg-jobs'))[0]!.leader).toBe(cLeader);

    // Altered through broker A only (the tool sends IncrementalAlterConfigs to its bootstrap broker).
    const alter = await runKafkaScript('kafka-configs.sh', [
      '--bootstrap-server', bootstrapOf(a), '--alter', '--entity-type', 'groups', '--entity-name', GROUP,
      '--add-config', 'share.delivery.count.limit=2,share.record.lock.duration.ms=20000,share.heartbeat.interval.ms=7000,errors.deadletterqueue.topic.name=dlq.cfg,errors.deadletterqueue.copy.record.enable=true',
    ]);
    expect(alter.code, alter.stdout + alter.stderr).toBe(0);
    expect(toolLines(alter)).toEqual([`Completed updating config for group ${GROUP}.`]);

    // Every broker describes them as DYNAMIC_GROUP_CONFIG (8).
    for (const id of upBrokers(c)) {
      const d = await waitUntil(`broker ${id} describes the group configs`, async () => {
        const got = await describeAt(id);
        return got['share.delivery.count.limit']?.value === '2' ? got : undefined;
      }, 10_000).catch(async () => describeAt(id));
      expect(d['share.delivery.count.limit'], `broker ${id}`).toEqual({ value: '2', source: 8 });
      expect(d['share.record.lock.duration.ms'], `broker ${id}`).toEqual({ value: '20000', source: 8 });
      expect(d['errors.deadletterqueue.topic.name'], `broker ${id}`).toEqual({ value: 'dlq.cfg', source: 8 });
    }
    // The coordinator's view through Kafka's tool too.
    const described = await runKafkaScript('kafka-configs.sh', ['--bootstrap-server', bootstrapOf(b), '--describe', '--entity-type', 'groups', '--entity-name', GROUP]);
    expect(described.code, described.stderr).toBe(0);
    expect(toolLines(described)).toContain('  share.delivery.count.limit=2 sensitive=false synonyms={DYNAMIC_GROUP_CONFIG:share.delivery.count.limit=2, DEFAULT_CONFIG:group.share.delivery.count.limit=5}');

    // The coordinator (B) applies the heartbeat interval.
    const hb: any = await waitUntil('the coordinator serves the heartbeat', async () => {
      const r: any = await withBroker(c, b, (raw) => raw.request(76, 1, { groupId: GROUP, memberId: 'm1', memberEpoch: 0, rackId: null, subscribedTopicNames: ['cfg-jobs'] }));
      return r.errorCode === ErrorCode.COORDINATOR_LOAD_IN_PROGRESS || r.errorCode === ErrorCode.NOT_COORDINATOR ? undefined : r;
    }, 30_000);
    expect(hb.errorCode).toBe(0);
    expect(hb.heartbeatIntervalMs).toBe(7000);

    // The partition leader (C) applies the lock duration, the delivery limit and the DLQ topic.
    const topicId: Buffer = (await metadataFrom(c, cLeader, ['cfg-jobs'])).topics[0].topicId;
    await withBroker(c, cLeader, async (raw) => {
      const r: any = await raw.request(0, 9, { acks: -1, timeoutMs: 5000, transactionalId: null, topicData: [{ name: 'cfg-jobs', partitionData: [{ index: 0, records: buildBatchSync([{ key: 'k0', value: 'job-0' }]) }] }] });
      expect(r.responses[0].partitionResponses[0].errorCode).toBe(0);
    });
    // One connection for the share session, as a client keeps: a session ends with the connection that opened it.
    const session = await connectBroker(c, cLeader);
    onTestFinished(() => session.close());
    let epoch = 0;
    const fetch = (acks: object[] = []): Promise<any> =>
      session.request(78, 2, { groupId: GROUP, memberId: 'm1', shareSessionEpoch: epoch++, maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 20, maxRecords: 10, batchSize: 10, topics: [{ topicId, partitions: [{ partitionIndex: 0, acknowledgementBatches: acks }] }], forgottenTopicsData: [] });
    // Later requests of a session answer only partitions with something to say (as Kafka's).
    const acquiredOf = (r: any) => r.responses[0]?.partitions[0]?.acquiredRecords ?? [];
    const release = [{ firstOffset: 0, lastOffset: 0, acknowledgeTypes: [2] }];
    const first = await fetch();
    expect(first.acquisitionLockTimeoutMs).toBe(20000);
    expect(first.responses[0].partitions[0].acquiredRecords).toEqual([{ firstOffset: 0, lastOffset: 0, deliveryCount: 1 }]);
    expect(acquiredOf(await fetch(release))).toEqual([{ firstOffset: 0, lastOffset: 0, deliveryCount: 2 }]);
    // Released at delivery 2 = the group's limit: archived, not delivered a third time (the broker default would allow 5).
    expect(acquiredOf(await fetch(release))).toEqual([]);

    // ... and copied to the group's dead-letter topic.
    const dlq = await waitUntil('the dead-letter copy', async () => {
      const r: any = await withBroker(c, cLeader, (raw) =>
        raw.request(1, 12, { replicaId: -1, maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 20, isolationLevel: 0, topics: [{ topic: 'dlq.cfg', partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: 0, logStartOffset: -1, partitionMaxBytes: 1 << 20 }] }] }),
      );
      const p = r.responses[0].partitions[0];
      return p.errorCode === 0 && Number(p.highWatermark) >= 1 ? p : undefined;
    }, 30_000);
    expect(Buffer.from(dlq.records).includes('job-0')).toBe(true);
  }, 240_000);

  it('ListConfigResources on every broker: the configured groups (one with a / in its id) and all three brokers', async () => {
    const slashed = 'team/a';
    const r: any = await withBroker(c, upBrokers(c)[0]!, (raw) =>
      raw.request(44, 1, { resources: [{ resourceType: 32, resourceName: slashed, configs: [{ name: 'share.isolation.level', configOperation: 0, value: 'read_committed' }] }], validateOnly: false }),
    );
    expect(r.responses[0].errorCode).toBe(0);
    for (const id of upBrokers(c)) {
      const listed = await waitUntil(`broker ${id} lists both groups`, async () => {
        const l: any = await withBroker(c, id, (raw) => raw.request(74, 1, { resourceTypes: [32, 4] }));
        const names = l.configResources.map((x: any) => `${x.resourceType}:${x.resourceName}`);
        return l.errorCode === 0 && names.includes(`32:${slashed}`) ? names : undefined;
      }, 10_000);
      expect(listed, `broker ${id}`).toEqual(['32:cfg-group', `32:${slashed}`, ...[...c.brokerIds].sort((a, b) => a - b).map((b) => `4:${b}`)]);
      const d: any = await withBroker(c, id, (raw) => raw.request(32, 4, { resources: [{ resourceType: 32, resourceName: slashed, configurationKeys: ['share.isolation.level'] }], includeSynonyms: false, includeDocumentation: false }));
      expect(d.results[0].configs[0].value, `broker ${id}`).toBe('read_committed');
    }
  }, 60_000);

  it('concurrent alters of one group on all three brokers: every change kept (compare-and-swap in etcd)', async () => {
    const group = 'cfg-race';
    const changes: Array<[string, string]> = [
      ['share.delivery.count.limit', '4'],
      ['share.record.lock.duration.ms', '25000'],
      ['share.heartbeat.interval.ms', '6000'],
      ['share.session.timeout.ms', '50000'],
      ['share.isolation.level', 'read_committed'],
      ['share.auto.offset.reset', 'earliest'],
      ['errors.deadletterqueue.copy.record.enable', 'true'],
      ['share.renew.acknowledge.enable', 'false'],
      ['consumer.session.timeout.ms', '50000'],
    ];
    const ids = upBrokers(c);
    const answers = await Promise.all(
      changes.map(([name, value], i) =>
        withBroker(c, ids[i % ids.length]!, (raw) => raw.request(44, 1, { resources: [{ resourceType: 32, resourceName: group, configs: [{ name, configOperation: 0, value }] }], validateOnly: false })) as Promise<any>,
      ),
    );
    expect(answers.map((a) => a.responses[0].errorCode)).toEqual(changes.map(() => 0));
    for (const id of ids) {
      const got = await waitUntil(`broker ${id} has every change`, async () => {
        const r: any = await withBroker(c, id, (raw) => raw.request(32, 4, { resources: [{ resourceType: 32, resourceName: group, configurationKeys: null }], includeSynonyms: false, includeDocumentation: false }));
        const set = Object.fromEntries(r.results[0].configs.filter((x: any) => x.configSource === 8).map((x: any) => [x.name, x.value]));
        return Object.keys(set).length === changes.length ? set : undefined;
      }, 10_000).catch(async (e) => {
        const r: any = await withBroker(c, id, (raw) => raw.request(32, 4, { resources: [{ resourceType: 32, resourceName: group, configurationKeys: null }], includeSynonyms: false, includeDocumentation: false }));
        throw new Error(`${(e as Error).message}: ${JSON.stringify(r.results[0].configs.filter((x: any) => x.configSource === 8).map((x: any) => x.name))}`);
      });
      expect(got, `broker ${id}`).toEqual(Object.fromEntries(changes));
    }
    // Deleting a key of a group that has no configs at all answers at once (nothing to write).
    const t0 = Date.now();
    const del: any = await withBroker(c, ids[0]!, (raw) => raw.request(44, 1, { resources: [{ resourceType: 32, resourceName: 'cfg-none', configs: [{ name: 'share.isolation.level', configOperation: 1, value: null }] }], validateOnly: false }));
    expect(del.responses[0].errorCode).toBe(0);
    expect(Date.now() - t0).toBeLessThan(2000);
  }, 60_000);

  it('a group config removed on another broker is gone everywhere', async () => {
    const b = await waitCoordinator(c, GROUP, GROUP_KEY);
    const r: any = await withBroker(c, b, (raw) =>
      raw.request(44, 1, { resources: [{ resourceType: 32, resourceName: GROUP, configs: [{ name: 'share.delivery.count.limit', configOperation: 1, value: null }] }], validateOnly: false }),
    );
    expect(r.responses[0].errorCode).toBe(0);
    for (const id of upBrokers(c)) {
      const d = await describeAt(id);
      // Answered once the changing broker has it; the others follow their etcd watch.
      const settled = d['share.delivery.count.limit']!.source === 8 ? await waitUntil(`broker ${id} drops the override`, async () => ((await describeAt(id))['share.delivery.count.limit']!.source === 5 ? true : undefined), 10_000).then(() => describeAt(id)) : d;
      expect(settled['share.delivery.count.limit'], `broker ${id}`).toEqual({ value: '5', source: 5 });
      expect(settled['share.record.lock.duration.ms'], `broker ${id}`).toEqual({ value: '20000', source: 8 });
    }
  }, 60_000);
});
