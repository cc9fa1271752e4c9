/**
 * Fault scenarios on broker processes (issue 17), each on its own 3-broker cluster in network
 * namespaces (fault-cluster.ts) under idempotent acks=all load, ending with the history checker
 * (workload.ts) reporting zero lost / divergent / reordered / duplicated. The steps are in
 * scenarios.ts (bench/cluster/faults.ts runs the same ones against Apache Kafka):
 *  4. a follower frozen (SIGSTOP) past replica.lag.time.max.ms and its lease: the ISR shrinks,
 *     acks=all continues with min.insync.replicas 2; SIGCONT: it catches up and rejoins the ISR;
 *  7. a leader kill loop: SIGKILL the leader, wait for the new one, restart, three times;
 *  8. the whole cluster SIGKILLed and restarted.
 */
import { describe, expect, it } from 'vitest';
import { startRunnelFaultTarget } from './fault-cluster.js';
import { faultsUnavailable } from './netns.js';
import { CLEAN, followerFrozen, leaderKillLoop, wholeClusterRestart } from './scenarios.js';
import { summary } from './workload.js';

const start = startRunnelFaultTarget();

describe.skipIf(faultsUnavailable !== null)('faults: processes', () => {
  it('4. a follower frozen past replica.lag.time.max.ms leaves the ISR, acks=all goes on, SIGCONT: it rejoins', async () => {
    const o = await followerFrozen(start);
    expect(o.facts.shrunkIsr).toHaveLength(2);
    console.log(summary('follower frozen', o.result!, o.failoverMs));
    expect(o.result!.report).toEqual(CLEAN);
  }, 150_000);

  it('7. leader kill loop: three SIGKILLs of the leader, each restarted', async () => {
    const o = await leaderKillLoop(start);
    console.log(summary('leader kill loop', o.result!, o.failoverMs));
    expect(o.result!.report).toEqual(CLEAN);
  }, 180_000);

  it('8. whole-cluster restart: every broker SIGKILLed, then started again', async () => {
    const o = await wholeClusterRestart(start);
    console.log(summary('whole-cluster restart', o.result!, o.failoverMs));
    expect(o.result!.report).toEqual(CLEAN);
  }, 150_000);
});
