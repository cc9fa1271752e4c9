/**
 * Fault scenarios over the network (issue 17), each on its own 3-broker cluster with one etcd, every
 * node in its own network namespace (fault-cluster.ts), under idempotent acks=all load, ending
 * with the history checker (workload.ts) reporting zero lost / divergent / reordered / duplicated.
 * The steps are in scenarios.ts (bench/cluster/faults.ts runs the same ones against Apache Kafka):
 *  1. the leader cut off from the other brokers and etcd (both ways): it must stop acknowledging
 *     acks=all writes (no split brain), the others elect a new leader; healed, it rejoins and
 *     truncates what it alone had;
 *  2. the controller cut off the same way: another broker takes over;
 *  3. one-way cuts: a leader that can send but not receive from its followers, and the reverse.
 */
import { describe, expect, it } from 'vitest';
import { startRunnelFaultTarget } from './fault-cluster.js';
import { faultsUnavailable } from './netns.js';
import { CLEAN, controllerIsolated, leaderIsolated, oneWayCuts } from './scenarios.js';
import { summary } from './workload.js';

const start = startRunnelFaultTarget();

describe.skipIf(faultsUnavailable !== null)('faults: network partitions', () => {
  it('1. an isolated leader stops acknowledging acks=all writes; healed, it rejoins and truncates', async () => {
    const o = await leaderIsolated(start);
    // No split brain: the cut-off leader refused an acks=all write sent straight to it.
    expect(o.facts.splitBrainProbe).toMatch(/^rejected/);
    expect(o.facts.newLeader).not.toBe(o.facts.oldLeader);
    console.log(summary('leader isolated', o.result!, o.failoverMs));
    expect(o.result!.report).toEqual(CLEAN);
  }, 150_000);

  it('2. an isolated controller: another broker takes over and moves its leaderships', async () => {
    const o = await controllerIsolated(start);
    console.log(summary('controller isolated', o.result!, o.failoverMs));
    expect(o.result!.report).toEqual(CLEAN);
  }, 150_000);

  it('3. one-way cuts: a leader that cannot receive from its followers, then one that cannot send to them', async () => {
    const o = await oneWayCuts(start);
    console.log(summary('one-way cuts', o.result!, o.failoverMs));
    expect(o.result!.report).toEqual(CLEAN);
  }, 150_000);
});
