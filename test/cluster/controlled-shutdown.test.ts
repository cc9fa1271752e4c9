/**
 * What clients see of a broker's controlled shutdown (docs/cluster.md; issue 17's rolling restart).
 *
 * acks=all on the other brokers: a follower that stopped (or is stopping) must not hold the high
 * watermark back. It was caught up a moment ago, and a caught-up follower outside the ISR counts
 * for the high watermark for replica.lag.time.max.ms (it is about to join) — but Kafka counts it
 * only while its broker is ISR-eligible: registered and not shutting down. Runnel counted it
 * anyway, so every acks=all produce on a partition the stopped broker followed waited until it
 * came back (or 30 s): the stall of every lane during each step of a rolling restart.
 *
 * FindCoordinator on a broker in its controlled shutdown. After its leaderships moved, a stopping broker still serves the connections it has
 * until they drain (runnel.shutdown.timeout.ms). Clients ask it where their group's coordinator is
 * now — it just moved away from this very broker — and Kafka answers from its metadata cache until
 * the socket closes. Runnel used to answer COORDINATOR_NOT_AVAILABLE from the moment its group
 * coordinator stopped, sending every consumer that asked into a retry and backoff.
 *
 * The drain window is held open by a long-polling Fetch parked on another connection (a topic with
 * its only replica on the stopping broker: nothing moves it, nothing arrives).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../protocol/errors.js';
import { buildBatchSync } from '../../protocol/records/builder.js';
import { newProduceRequestPartition, newProduceRequestTopic } from '../../protocol/generated/00-produce.js';
import { connectBroker, createTopicReady, waitUntil, withBroker } from '../helpers/cluster-target.js';
import { type RunnelCluster, startRunnelCluster } from './cluster-harness.js';
import { etcdMissing } from './etcd-harness.js';

const GROUP = 'shutdown-group';

describe.skipIf(etcdMissing)('controlled shutdown: what clients see', () => {
  let c: RunnelCluster;

  beforeAll(async () => {
    c = await startRunnelCluster({ brokers: 3, props: { 'auto.leader.rebalance.enable': false, 'offsets.topic.num.partitions': 3, 'runnel.shutdown.timeout.ms': 8000 } });
  }, 90_000);
  afterAll(async () => {
    await c?.stop();
  });

  it('the stopping broker keeps naming the coordinator (now on another broker) until its connections close', async () => {
    const findCoordinator = (raw: Awaited<ReturnType<typeof connectBroker>>) => raw.request(10, 3, { key: GROUP, keyType: 0 });
    // The offsets topic exists and the group's coordinator is known everywhere.
    await waitUntil('a group coordinator', async () => ((await withBroker(c, 1, findCoordinator))?.errorCode === ErrorCode.NONE ? true : undefined), 30_000);
    await createTopicReady(c, { name: 'parked', assignments: [[1]] });

    const parked = await connectBroker(c, 1);
    const asking = await connectBroker(c, 1);
    parked.responseTimeoutMs = 20_000;
    try {
      const fetch = parked.request(1, 11, {
        replicaId: -1,
        maxWaitMs: 6000,
        minBytes: 1,
        maxBytes: 1024,
        isolationLevel: 0,
        sessionId: 0,
        sessionEpoch: -1,
        topics: [{ topic: 'parked', partitions: [{ partition: 0, fetchOffset: 0, partitionMaxBytes: 1024, currentLeaderEpoch: -1, logStartOffset: -1 }] }],
        forgottenTopicsData: [],
        rackId: '',
      });
      fetch.catch(() => undefined);
      const exited = c.kill(1, 'SIGTERM');
      const answers: Array<{ errorCode: number; nodeId: number }> = [];
      for (;;) {
        const r: any = await findCoordinator(asking).catch(() => null);
        if (r === null) break; // the broker closed the connection
        answers.push({ errorCode: r.errorCode, nodeId: r.nodeId });
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      expect(await exited).toBe(0);
      // It answered while stopping, and each answer named a coordinator.
      expect(answers.length).toBeGreaterThan(5);
      expect(answers.filter((a) => a.errorCode !== ErrorCode.NONE), JSON.stringify(answers)).toEqual([]);
      // The last answers name the coordinator on another broker: the shutdown moved it.
      expect(answers[answers.length - 1]!.nodeId).not.toBe(1);
    } finally {
      parked.close();
      asking.close();
    }
  }, 60_000);

  it('acks=all on the leader completes at once after a follower stopped (a stopped follower holds no high watermark back)', async () => {
    if (!c.isUp(1)) await c.restart(1);
    await createTopicReady(c, { name: 'held', assignments: [[2, 3]] });
    const produce = async (value: string) => {
      const t0 = Date.now();
      const r: any = await withBroker(c, 2, (raw) => {
        raw.responseTimeoutMs = 20_000;
        return raw.request(0, 9, { acks: -1, timeoutMs: 8000, topicData: [newProduceRequestTopic({ name: 'held', partitionData: [newProduceRequestPartition({ index: 0, records: buildBatchSync([{ value }]) })] })] });
      });
      return { errorCode: r.responses[0].partitionResponses[0].errorCode as number, ms: Date.now() - t0 };
    };
    expect((await produce('before')).errorCode).toBe(ErrorCode.NONE);
    expect(await c.kill(3, 'SIGTERM')).toBe(0);
    const after = await produce('after');
    expect(after.errorCode, 'REQUEST_TIMED_OUT: the stopped follower held the high watermark').toBe(ErrorCode.NONE);
    expect(after.ms).toBeLessThan(3000);
  }, 60_000);
});
