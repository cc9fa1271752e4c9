/**
 * The controller's leader and ISR rules (src/cluster/partition-changes.ts), case by case: broker
 * loss (leader, follower, all of the ISR), unclean election, broker return, controlled shutdown,
 * preferred and unclean ElectLeaders, auto-rebalance selection.
 */
import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../../../protocol/errors.js';
import { electPreferred, electUnclean, imbalancedPartitions, reconcile } from '../../../src/cluster/partition-changes.js';
import type { PartitionState } from '../../../src/cluster/records.js';

const state = (leader: number, replicas: number[], isr: number[], epochs = [5, 9]): PartitionState => ({
  leader, replicas, isr, leaderEpoch: epochs[0]!, partitionEpoch: epochs[1]!, adding: [], removing: [],
});
const alive = (...ids: number[]) => ({ isAlive: (id: number) => ids.includes(id), isShuttingDown: () => false });
const shutting = (live: number[], down: number[]) => ({ isAlive: (id: number) => live.includes(id), isShuttingDown: (id: number) => down.includes(id) });

describe('reconcile', () => {
  it('nothing to do while the leader and the ISR are alive', () => {
    expect(reconcile(state(1, [1, 2, 3], [1, 2, 3]), alive(1, 2, 3), false)).toBeNull();
  });

  it('leader lost: the first live ISR member in replica order leads, the ISR shrinks, both epochs bump', () => {
    expect(reconcile(state(2, [2, 3, 1], [1, 2, 3]), alive(1, 3), false)).toMatchObject({ leader: 3, isr: [1, 3], leaderEpoch: 6, partitionEpoch: 10 });
  });

  it('follower lost: it leaves the ISR, only the partition epoch bumps', () => {
    expect(reconcile(state(1, [1, 2, 3], [1, 2, 3]), alive(1, 3), false)).toMatchObject({ leader: 1, isr: [1, 3], leaderEpoch: 5, partitionEpoch: 10 });
  });

  it('no live ISR member, unclean off: offline (-1), the ISR kept non-empty', () => {
    expect(reconcile(state(1, [1, 2], [1]), alive(2), false)).toMatchObject({ leader: -1, isr: [1], leaderEpoch: 6, partitionEpoch: 10 });
    // Already offline: nothing more to write.
    expect(reconcile(state(-1, [1, 2], [1]), alive(2), false)).toBeNull();
  });

  it('no live ISR member, unclean on: the first live replica leads with an ISR of itself', () => {
    expect(reconcile(state(-1, [1, 2, 3], [1]), alive(3, 2), true)).toMatchObject({ leader: 2, isr: [2], leaderEpoch: 6 });
  });

  it('an offline partition gets its returning last ISR member as leader', () => {
    expect(reconcile(state(-1, [1, 2], [1]), alive(1, 2), false)).toMatchObject({ leader: 1, isr: [1], leaderEpoch: 6, partitionEpoch: 10 });
    // All ISR members died at once: any of them that returns can lead; the dead ones leave the ISR.
    expect(reconcile(state(-1, [1, 2, 3], [1, 2]), alive(2, 3), false)).toMatchObject({ leader: 2, isr: [2] });
  });

  it('controlled shutdown: leadership moves to a usable ISR member and the broker leaves the ISR', () => {
    expect(reconcile(state(1, [1, 2, 3], [1, 2, 3]), shutting([1, 2, 3], [1]), false)).toMatchObject({ leader: 2, isr: [2, 3], leaderEpoch: 6 });
    expect(reconcile(state(2, [1, 2, 3], [1, 2, 3]), shutting([1, 2, 3], [1]), false)).toMatchObject({ leader: 2, isr: [2, 3], leaderEpoch: 5 });
  });

  it('controlled shutdown of the only ISR member keeps it leading (no partition goes offline voluntarily)', () => {
    expect(reconcile(state(1, [1, 2], [1]), shutting([1, 2], [1]), false)).toBeNull();
  });
});

describe('ElectLeaders', () => {
  it('preferred: moves leadership to the first replica when it is alive and in the ISR', () => {
    expect(electPreferred(state(2, [1, 2], [1, 2]), alive(1, 2))).toMatchObject({ leader: 1, isr: [1, 2], leaderEpoch: 6, partitionEpoch: 10 });
    expect(electPreferred(state(1, [1, 2], [1, 2]), alive(1, 2))).toBe(ErrorCode.ELECTION_NOT_NEEDED);
    expect(electPreferred(state(2, [1, 2], [2]), alive(1, 2))).toBe(ErrorCode.PREFERRED_LEADER_NOT_AVAILABLE);
    expect(electPreferred(state(2, [1, 2], [1, 2]), alive(2))).toBe(ErrorCode.PREFERRED_LEADER_NOT_AVAILABLE);
  });

  it('unclean: only for a leaderless partition, and only with a live replica', () => {
    expect(electUnclean(state(1, [1, 2], [1]), alive(1, 2))).toBe(ErrorCode.ELECTION_NOT_NEEDED);
    expect(electUnclean(state(-1, [1, 2], [1]), alive(2))).toMatchObject({ leader: 2, isr: [2] });
    expect(electUnclean(state(-1, [1, 2], [1]), alive())).toBe(ErrorCode.ELIGIBLE_LEADERS_NOT_AVAILABLE);
  });

  it('auto rebalance picks the partitions of brokers over the imbalance percentage', () => {
    const parts = [state(2, [1, 2], [1, 2]), state(1, [1, 2], [1, 2]), state(2, [2, 1], [1, 2]), state(1, [1, 2], [2])];
    // Broker 1 is preferred for 3 partitions and does not lead 1 of them: 33% > 10%; it is in that one's ISR.
    expect(imbalancedPartitions(parts, alive(1, 2), 10)).toEqual([parts[0]]);
    expect(imbalancedPartitions(parts, alive(1, 2), 70)).toEqual([]);
  });
});
