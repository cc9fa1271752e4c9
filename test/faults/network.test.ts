/**
 * Fault scenarios over the network (issue 17), each on its own 3-broker cluster with one etcd, every
 * node in its own network namespace (fault-cluster.ts), under idempotent acks=all load, ending
 * with the history checker (workload.ts) reporting zero lost / divergent / reordered / duplicated:
 *  1. the leader cut off from the other brokers and etcd (both ways): it must stop acknowledging
 *     acks=all writes (no split brain), the others elect a new leader; healed, it rejoins and
 *     truncates what it alone had;
 *  2. the controller cut off the same way: another broker takes over;
 *  3. one-way cuts: a leader that can send but not receive from its followers, and the reverse.
 */
import { Kafka, logLevel } from 'kafkajs';
import { afterEach, describe, expect, it } from 'vitest';
import { createTopicReady, sleep, waitUntil } from '../helpers/cluster-target.js';
import { FaultCluster } from './fault-cluster.js';
import { faultsUnavailable } from './netns.js';
import { startWorkload, summary } from './workload.js';

const PROPS = { 'min.insync.replicas': 2, 'replica.lag.time.max.ms': 3000 };
let c: FaultCluster | null = null;
afterEach(async () => {
  await c?.stop();
  c = null;
});

/** One acks=all send through a client that knows only broker `id` (no retries). */
async function produceOnlyTo(c: FaultCluster, id: number, topic: string, partition: number, value: string): Promise<void> {
  const e = c.endpoint(id);
  const kafka = new Kafka({ brokers: [`${e.host}:${e.port}`], clientId: 'probe', logLevel: logLevel.NOTHING, requestTimeout: 8000, retry: { retries: 0 } });
  const p = kafka.producer({ allowAutoTopicCreation: false, retry: { retries: 0 } });
  await p.connect();
  try {
    await p.send({ topic, acks: -1, timeout: 5000, messages: [{ value, partition }] });
  } finally {
    await p.disconnect();
  }
}

const CLEAN = { lost: [], divergent: [], outOfOrder: [], duplicated: [], phantom: [], reordered: [] };

const others = (id: number, all = [1, 2, 3]) => all.filter((x) => x !== id).map((x) => `b${x}`);

describe.skipIf(faultsUnavailable !== null)('faults: network partitions', () => {
  it('1. an isolated leader stops acknowledging acks=all writes; healed, it rejoins and truncates', async () => {
    c = await FaultCluster.start({ props: PROPS });
    const [p0] = await createTopicReady(c, { name: 'iso', partitions: 2, replicationFactor: 3, configs: { 'min.insync.replicas': '2' } });
    const w = await startWorkload(c, 'iso', 2);
    await w.progress(50);
    const old = p0!.leader;
    const t0 = Date.now();
    await c.net.cut(`b${old}`, [...others(old), 'e1']);
    const moved = await c.waitPartitionSeenBy('iso', 0, (p) => p.leader !== old, c.brokerIds.filter((x) => x !== old));
    const failover = Date.now() - t0;
    // No split brain: the cut-off leader refuses an acks=all write sent straight to it.
    await expect(produceOnlyTo(c, old, 'iso', 0, 'split-brain-probe')).rejects.toThrow();
    await w.progress(50);
    await sleep(2000);
    await c.net.heal();
    expect(moved.leader).not.toBe(old);
    const r = await w.finish();
    console.log(summary('leader isolated', r, [failover]));
    expect(r.report).toEqual(CLEAN);
  }, 150_000);

  it('2. an isolated controller: another broker takes over and moves its leaderships', async () => {
    c = await FaultCluster.start({ props: PROPS });
    await createTopicReady(c, { name: 'ctl', partitions: 3, replicationFactor: 3, configs: { 'min.insync.replicas': '2' } });
    const w = await startWorkload(c, 'ctl', 3);
    await w.progress(50);
    const ctl = await c.waitController();
    const rest = c.brokerIds.filter((x) => x !== ctl);
    const t0 = Date.now();
    await c.net.cut(`b${ctl}`, [...others(ctl), 'e1']);
    await waitUntil('a new controller', async () => {
      const ids = await Promise.all(rest.map((id) => c!.controller(id)));
      return ids.every((x) => x === ids[0] && x !== ctl && x > 0) ? true : undefined;
    });
    for (let p = 0; p < 3; p++) await c.waitPartitionSeenBy('ctl', p, (s) => s.leader !== ctl, rest);
    const failover = Date.now() - t0;
    await w.progress(50);
    await c.net.heal();
    const r = await w.finish();
    console.log(summary('controller isolated', r, [failover]));
    expect(r.report).toEqual(CLEAN);
  }, 150_000);

  it('3. one-way cuts: a leader that cannot receive from its followers, then one that cannot send to them', async () => {
    c = await FaultCluster.start({ props: PROPS });
    await createTopicReady(c, { name: 'oneway', partitions: 1, replicationFactor: 3, configs: { 'min.insync.replicas': '2' } });
    const w = await startWorkload(c, 'oneway', 1);
    await w.progress(30);
    const failovers: number[] = [];
    for (const dir of ['in', 'out'] as const) {
      const { leader } = await c.waitPartitionSeenBy('oneway', 0, () => true);
      const t0 = Date.now();
      // The leader still talks to etcd and clients; only its followers' traffic is cut one way.
      await c.net.cut(`b${leader}`, others(leader), dir);
      // Either the ISR shrinks below min ISR (writes stop, nothing acknowledged that the followers
      // lack) or leadership moves; writes must resume once healed, and nothing acked is lost.
      await sleep(8000);
      await c.net.heal();
      await w.progress(30, 60_000);
      failovers.push(Date.now() - t0);
    }
    const r = await w.finish();
    console.log(summary('one-way cuts', r, failovers));
    expect(r.report).toEqual(CLEAN);
  }, 150_000);
});
