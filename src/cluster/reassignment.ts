/**
 * Partition reassignment (Kafka's KIP-455, as KRaft's controller runs it) as pure functions of a
 * partition's state; reassign.ts writes their results to etcd, the controller (controller.ts)
 * completes reassignments with them, and ListPartitionReassignments reads the image with
 * ongoingReassignments. Nothing here touches etcd, so every transition is testable.
 *
 * A reassignment to `target` from the current replicas `current`:
 * - starts by storing replicas = target ++ (current − target, ascending), adding = target − current,
 *   removing = current − target (both ascending): every broker in either set hosts a replica, the
 *   new ones catch up as followers and join the ISR through the leader's ISR expansion;
 * - completes as soon as the ISR without the removing replicas holds every target replica (and is
 *   not empty): replicas = target, ISR = ISR − removing, adding = removing = []. This can happen
 *   at once (RF 3 → 2, a reordering), in the same write that starts it;
 * - is cancelled (null replicas) back to replicas − adding, ISR − adding. When every ISR member was
 *   being added the revert needs an unclean election (the first remaining replica, alone in the
 *   ISR), refused unless unclean.leader.election.enable.
 * A new target while one is in progress starts from the current (merged) replicas, as Kafka does.
 *
 * Every change then elects as the controller does (partition-changes.ts reconcile): the leader
 * stays while it is usable and in the ISR, else the first replica in the ISR leads, so a completed
 * reassignment that removes the leader moves leadership to the first target replica in the ISR.
 * Epochs as KRaft's PartitionChangeBuilder: the partition epoch bumps on every change; the leader
 * epoch when the leader changes or when any replica leaves the replica list (RF 3 → 2, completion,
 * cancel), so that the removed replicas' fetches are fenced.
 */
import { ErrorCode, type ErrorCodeValue } from '../../protocol/errors.js';
import { type Liveness, reconcile } from './partition-changes.js';
import type { ClusterImage } from './metadata-image.js';
import type { PartitionState } from './records.js';

/** The replica sets of a partition that a reassignment changes. */
export interface ReplicaSets {
  replicas: readonly number[];
  isr: readonly number[];
  adding: readonly number[];
  removing: readonly number[];
}

/** One partition's reassignment in progress (ListPartitionReassignments). */
export interface OngoingReassignment {
  topic: string;
  partition: number;
  replicas: readonly number[];
  adding: readonly number[];
  removing: readonly number[];
}

/** A refusal: Kafka's error code and message for one partition. */
export interface Refusal {
  errorCode: ErrorCodeValue;
  message: string | null;
}

const sameIds = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((x, i) => x === b[i]);
const ascending = (ids: Iterable<number>) => [...ids].sort((a, b) => a - b);

export function isReassigning(s: Pick<ReplicaSets, 'adding' | 'removing'>): boolean {
  return s.adding.length > 0 || s.removing.length > 0;
}

/**
 * Kafka's checks of a target replica list (the controller's validateManualPartitionAssignment):
 * not empty, every broker known, none twice, checked in ascending id order so the message names
 * the lowest offender. `known` holds the brokers the cluster knows (reassign.ts knownBrokers).
 */
export function checkTarget(target: readonly number[], known: ReadonlySet<number>): Refusal | null {
  if (target.length === 0) return invalid('The manual partition assignment includes an empty replica list.');
  let prev: number | null = null;
  for (const id of ascending(target)) {
    if (!known.has(id)) return invalid(`The manual partition assignment includes broker ${id}, but no such broker is registered.`);
    if (id === prev) return invalid(`The manual partition assignment includes the broker ${prev} more than once.`);
    prev = id;
  }
  return null;
}

const invalid = (message: string): Refusal => ({ errorCode: ErrorCode.INVALID_REPLICA_ASSIGNMENT, message });

/** The replica sets a reassignment from `current` to `target` stores while in progress. */
export function plan(current: readonly number[], target: readonly number[]): Pick<ReplicaSets, 'replicas' | 'adding' | 'removing'> {
  const inTarget = new Set(target);
  const inCurrent = new Set(current);
  const removing = ascending(current.filter((r) => !inTarget.has(r)));
  const adding = ascending(target.filter((r) => !inCurrent.has(r)));
  return { replicas: [...target, ...removing], adding, removing };
}

/**
 * Kafka's maybeCompleteReassignment: the replicas and ISR once the reassignment is done, or null
 * while it is not (or nothing is in progress).
 */
export function completion(s: ReplicaSets): { replicas: number[]; isr: number[] } | null {
  if (!isReassigning(s)) return null;
  const removing = new Set(s.removing);
  const isr = s.isr.filter((r) => !removing.has(r));
  const replicas = s.replicas.filter((r) => !removing.has(r));
  if (isr.length === 0 || replicas.length === 0) return null;
  const inIsr = new Set(isr);
  return replicas.every((r) => inIsr.has(r)) ? { replicas, isr } : null;
}

/** Kafka's PartitionReassignmentRevert: what a cancel goes back to; `unclean` when no ISR member stays. */
export function revert(s: ReplicaSets): { replicas: number[]; isr: number[]; unclean: boolean } {
  const adding = new Set(s.adding);
  const replicas = s.replicas.filter((r) => !adding.has(r));
  const isr = s.isr.filter((r) => !adding.has(r));
  if (isr.length > 0 || replicas.length === 0) return { replicas, isr, unclean: false };
  return { replicas, isr: [replicas[0]!], unclean: true };
}

/**
 * The stored state `prev` moved to the replica sets `next`: completed when it can be, leader and
 * ISR settled for who is alive, epochs bumped as Kafka bumps them. Null when nothing changes.
 */
export function applyReplicaSets(prev: PartitionState, next: ReplicaSets, live: Liveness, unclean: boolean): PartitionState | null {
  const done = completion(next);
  const sets = done ? { replicas: done.replicas, isr: done.isr, adding: [], removing: [] } : next;
  const moved: PartitionState = { ...prev, replicas: [...sets.replicas], isr: [...sets.isr], adding: [...sets.adding], removing: [...sets.removing] };
  const settled = reconcile(moved, live, unclean) ?? moved;
  const leaderChanged = settled.leader !== prev.leader;
  const kept = new Set(settled.replicas);
  const replicaLeft = prev.replicas.some((r) => !kept.has(r));
  const unchanged =
    !leaderChanged && sameIds(settled.isr, prev.isr) && sameIds(settled.replicas, prev.replicas) && sameIds(settled.adding, prev.adding) && sameIds(settled.removing, prev.removing);
  if (unchanged) return null;
  return {
    ...settled,
    leaderEpoch: prev.leaderEpoch + (leaderChanged || replicaLeft ? 1 : 0),
    partitionEpoch: prev.partitionEpoch + 1,
  };
}

/**
 * AlterPartitionReassignments with a target list (already checked with checkTarget): the state to
 * store, null when it is already so (Kafka answers NONE and writes nothing).
 */
export function startReassignment(prev: PartitionState, target: readonly number[], live: Liveness): PartitionState | null {
  const p = plan(prev.replicas, target);
  // Kafka's election for a reassignment is ONLINE: never unclean.
  return applyReplicaSets(prev, { ...p, isr: prev.isr }, live, false);
}

/** AlterPartitionReassignments with null replicas: the reverted state, or Kafka's refusal. */
export function cancelReassignment(prev: PartitionState, where: string, live: Liveness, unclean: boolean): PartitionState | Refusal {
  if (!isReassigning(prev)) return { errorCode: ErrorCode.NO_REASSIGNMENT_IN_PROGRESS, message: null };
  const r = revert(prev);
  if (r.unclean && !unclean) {
    return invalid(`Unable to revert partition assignment for ${where} because it would require an unclean leader election.`);
  }
  const next = applyReplicaSets(prev, { replicas: r.replicas, isr: r.isr, adding: [], removing: [] }, live, unclean);
  // Reverting always writes (the adding and removing sets go), so next is never null here.
  return next ?? prev;
}

/**
 * The controller's side: the state that completes the reassignment in progress (with its leader
 * move), or null while it cannot complete yet.
 */
export function completeReassignment(prev: PartitionState, live: Liveness, unclean: boolean): PartitionState | null {
  if (completion(prev) === null) return null;
  return applyReplicaSets(prev, prev, live, unclean);
}

/**
 * ListPartitionReassignments from the image: every partition in reassignment (topics null), or
 * those of the named ones (unknown topics and partitions, and partitions not in reassignment, are
 * left out, as Kafka answers).
 */
export function ongoingReassignments(image: ClusterImage, topics: ReadonlyArray<{ name: string; partitions: readonly number[] }> | null): OngoingReassignment[] {
  const out: OngoingReassignment[] = [];
  const add = (topic: string, p: PartitionState & { partition: number }) => {
    if (isReassigning(p)) out.push({ topic, partition: p.partition, replicas: p.replicas, adding: p.adding, removing: p.removing });
  };
  if (topics === null) {
    for (const [topic, partitions] of image.partitions) for (const p of partitions.values()) add(topic, p);
    return out;
  }
  for (const t of topics) {
    const partitions = image.partitions.get(t.name);
    if (!partitions) continue;
    for (const index of t.partitions) {
      const p = partitions.get(index);
      if (p) add(t.name, p);
    }
  }
  return out;
}
