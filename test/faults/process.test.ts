/**
 * Fault scenarios on broker processes (issue 17), each on its own 3-broker cluster in network
 * namespaces (fault-cluster.ts) under idempotent acks=all load, ending with the history checker
 * (workload.ts) reporting zero lost / divergent / reordered / duplicated:
 *  4. a follower frozen (SIGSTOP) past replica.lag.time.max.ms and its lease: the ISR shrinks,
 *     acks=all continues with min.insync.replicas 2; SIGCONT: it catches up and rejoins the ISR;
 *  7. a leader kill loop: SIGKILL the leader, wait for the new one, restart, three times;
 *  8. the whole cluster SIGKILLed and restarted.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createTopicReady, waitIsrFull } from '../helpers/cluster-target.js';
import { FaultCluster } from './fault-cluster.js';
import { faultsUnavailable } from './netns.js';
import { startWorkload, summary } from './workload.js';

const PROPS = { 'min.insync.replicas': 2, 'replica.lag.time.max.ms': 3000 };
const CLEAN = { lost: [], divergent: [], outOfOrder: [], duplicated: [], phantom: [], reordered: [] };
let c: FaultCluster | null = null;
afterEach(async () => {
  await c?.stop();
  c = null;
});

describe.skipIf(faultsUnavailable !== null)('faults: processes', () => {
  it('4. a follower frozen past replica.lag.time.max.ms leaves the ISR, acks=all goes on, SIGCONT: it rejoins', async () => {
    c = await FaultCluster.start({ props: PROPS });
    const [p0] = await createTopicReady(c, { name: 'frz', partitions: 1, replicationFactor: 3, configs: { 'min.insync.replicas': '2' } });
    const w = await startWorkload(c, 'frz', 1);
    await w.progress(30);
    const follower = p0!.replicas.find((r) => r !== p0!.leader)!;
    const t0 = Date.now();
    c.freeze(follower);
    const shrunk = await c.waitPartitionSeenBy('frz', 0, (p) => !p.isr.includes(follower));
    const shrinkMs = Date.now() - t0;
    expect(shrunk.isr).toHaveLength(2);
    await w.progress(50); // acks=all with the two in-sync replicas
    c.thaw(follower);
    await waitIsrFull(c, 'frz', 0, 60_000);
    const r = await w.finish();
    console.log(summary('follower frozen', r, [shrinkMs]));
    expect(r.report).toEqual(CLEAN);
  }, 150_000);

  it('7. leader kill loop: three SIGKILLs of the leader, each restarted', async () => {
    c = await FaultCluster.start({ props: PROPS });
    await createTopicReady(c, { name: 'kill', partitions: 2, replicationFactor: 3, configs: { 'min.insync.replicas': '2' } });
    const w = await startWorkload(c, 'kill', 2);
    await w.progress(30);
    const failovers: number[] = [];
    for (let i = 0; i < 3; i++) {
      const { leader } = await c.waitPartitionSeenBy('kill', 0, () => true);
      const t0 = Date.now();
      await c.killBroker(leader, 'SIGKILL');
      await c.waitPartitionSeenBy('kill', 0, (p) => p.leader !== leader);
      failovers.push(Date.now() - t0);
      await w.progress(20);
      await c.startBroker(leader);
      await waitIsrFull(c, 'kill', 0, 60_000);
      await waitIsrFull(c, 'kill', 1, 60_000);
    }
    const r = await w.finish();
    console.log(summary('leader kill loop', r, failovers));
    expect(r.report).toEqual(CLEAN);
  }, 180_000);

  it('8. whole-cluster restart: every broker SIGKILLed, then started again', async () => {
    c = await FaultCluster.start({ props: PROPS });
    await createTopicReady(c, { name: 'all', partitions: 2, replicationFactor: 3, configs: { 'min.insync.replicas': '2' } });
    const w = await startWorkload(c, 'all', 2);
    await w.progress(50);
    const t0 = Date.now();
    await Promise.all(c.brokerIds.map((id) => c!.killBroker(id, 'SIGKILL')));
    await Promise.all(c.brokerIds.map((id) => c!.startBroker(id)));
    await w.progress(20, 60_000);
    const back = Date.now() - t0;
    const r = await w.finish();
    console.log(summary('whole-cluster restart', r, [back]));
    expect(r.report).toEqual(CLEAN);
  }, 150_000);
});
