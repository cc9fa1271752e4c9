/**
 * Incremental reconciliation of one member toward its target assignment, as Kafka's
 * CurrentAssignmentBuilder: a member is never given a partition another member still owns.
 *
 *   STABLE                 the member has its target assignment at the target epoch
 *   UNREVOKED_PARTITIONS   it must first give up partitions (it keeps its old epoch meanwhile);
 *                          it leaves this state once a heartbeat's owned partitions show them gone
 *   UNRELEASED_PARTITIONS  it is at the target epoch but some target partitions are still owned by
 *                          others (pending their revocation); it gets them on a later heartbeat
 *
 * `ownerEpoch(topic, partition)` says whether a partition is owned (assigned or pending
 * revocation) by any member: -1 when free.
 */
import { addPartition, type Assignment } from './assignment.js';

export const MemberState = { STABLE: 0, UNREVOKED_PARTITIONS: 1, UNRELEASED_PARTITIONS: 2, UNKNOWN: 3 } as const;
export type MemberStateCode = (typeof MemberState)[keyof typeof MemberState];

export const MEMBER_STATE_NAMES = ['stable', 'unrevoked_partitions', 'unreleased_partitions', 'unknown'] as const;

export interface Reconciled {
  state: MemberStateCode;
  memberEpoch: number;
  assigned: Assignment;
  pendingRevocation: Assignment;
}

export interface ReconcileInput {
  state: MemberStateCode;
  memberEpoch: number;
  assigned: Assignment;
  pendingRevocation: Assignment;
  targetEpoch: number;
  target: Assignment;
  /** The partitions the member says it owns in this heartbeat; null when it did not say. */
  owned: Assignment | null;
  ownerEpoch: (topicId: string, partition: number) => number;
}

/** The member's next reconciliation state, or null when nothing changes. */
export function reconcile(m: ReconcileInput): Reconciled | null {
  switch (m.state) {
    case MemberState.STABLE:
      return m.memberEpoch !== m.targetEpoch ? computeNext(m) : null;
    case MemberState.UNREVOKED_PARTITIONS:
      // Only the member's own word (its owned partitions) proves the revocation happened.
      if (m.owned !== null && !ownsAny(m.owned, m.pendingRevocation)) return computeNext(m);
      return null;
    case MemberState.UNRELEASED_PARTITIONS:
      return computeNext(m);
    default:
      return null;
  }
}

function ownsAny(owned: Assignment, partitions: Assignment): boolean {
  for (const [t, s] of partitions) {
    const o = owned.get(t);
    if (o) for (const p of s) if (o.has(p)) return true;
  }
  return false;
}

function computeNext(m: ReconcileInput): Reconciled {
  const assigned: Assignment = new Map();
  const pendingRevocation: Assignment = new Map();
  const pendingAssignment: Assignment = new Map();
  let unreleased = false;
  for (const [t, target] of m.target) {
    const current = m.assigned.get(t);
    for (const p of target) {
      if (current?.has(p)) addPartition(assigned, t, p);
      else if (m.ownerEpoch(t, p) !== -1) unreleased = true;
      else addPartition(pendingAssignment, t, p);
    }
    if (current) for (const p of current) if (!target.has(p)) addPartition(pendingRevocation, t, p);
  }
  for (const [t, current] of m.assigned) if (!m.target.has(t)) for (const p of current) addPartition(pendingRevocation, t, p);

  if (pendingRevocation.size > 0 && (m.owned === null || ownsAny(m.owned, pendingRevocation))) {
    return { state: MemberState.UNREVOKED_PARTITIONS, memberEpoch: m.memberEpoch, assigned, pendingRevocation };
  }
  for (const [t, s] of pendingAssignment) for (const p of s) addPartition(assigned, t, p);
  return { state: unreleased ? MemberState.UNRELEASED_PARTITIONS : MemberState.STABLE, memberEpoch: m.targetEpoch, assigned, pendingRevocation: new Map() };
}
