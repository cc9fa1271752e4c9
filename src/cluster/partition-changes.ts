/**
 * How a partition's leader and ISR change (docs/cluster.md, "The controller"), as pure functions
 * of its state and which brokers are alive. The controller (controller.ts) and ElectLeaders apply
 * the results with compare-and-swap writes; keeping the rules here keeps them testable without
 * etcd.
 *
 * The rules, Kafka's (KRaft's PartitionChangeBuilder for fenced and shutting-down brokers):
 * - The ISR keeps only live brokers that are not shutting down, but is never emptied: when none of
 *   its members is alive it keeps the members it had, so the last of them can lead again when it
 *   returns (it has every committed record).
 * - The leader stays when it is alive, not shutting down and in the ISR. Otherwise the new leader
 *   is the first replica (assignment order) in the ISR that is alive and not shutting down; failing
 *   that, a shutting-down ISR member (a controlled shutdown never takes a partition offline: the
 *   leader leaves when its lease goes); failing that, with unclean.leader.election.enable, the
 *   first live replica outside the ISR (records it lacks are lost) with the ISR reset to it;
 *   otherwise no leader (-1, offline).
 * - A leader change bumps leaderEpoch and partitionEpoch; an ISR change alone bumps partitionEpoch.
 */
import { ErrorCode, type ErrorCodeValue } from '../../protocol/errors.js';
import { NO_LEADER, type PartitionState } from './records.js';

export interface Liveness {
  /** The broker is registered (its lease is alive). */
  isAlive(id: number): boolean;
  /** The broker asked for a controlled shutdown. */
  isShuttingDown(id: number): boolean;
}

const sameIds = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((x, i) => x === b[i]);

/** The state with `leader` and `isr`, epochs bumped as the change requires (null: no change). */
export function changeTo(state: PartitionState, leader: number, isr: number[]): PartitionState | null {
  const leaderChanged = leader !== state.leader;
  if (!leaderChanged && sameIds(isr, state.isr)) return null;
  return {
    ...state,
    leader,
    isr,
    leaderEpoch: leaderChanged ? state.leaderEpoch + 1 : state.leaderEpoch,
    partitionEpoch: state.partitionEpoch + 1,
  };
}

/**
 * The state the controller wants for a partition given who is alive (broker loss, broker return,
 * controlled shutdown); null when it is already right.
 */
export function reconcile(state: PartitionState, live: Liveness, unclean: boolean): PartitionState | null {
  const usable = (id: number) => live.isAlive(id) && !live.isShuttingDown(id);
  const inIsr = new Set(state.isr);
  const aliveIsr = state.replicas.filter((r) => inIsr.has(r) && live.isAlive(r));
  const usableIsr = aliveIsr.filter(usable);

  let leader: number;
  let isr = state.isr.filter(usable);
  if (state.leader !== NO_LEADER && inIsr.has(state.leader) && usable(state.leader)) {
    leader = state.leader;
  } else if (usableIsr.length > 0) {
    leader = usableIsr[0]!;
  } else if (state.leader !== NO_LEADER && inIsr.has(state.leader) && live.isAlive(state.leader)) {
    leader = state.leader; // shutting down, and no one else can take over
  } else if (aliveIsr.length > 0) {
    leader = aliveIsr[0]!;
  } else {
    const outside = unclean ? state.replicas.find(usable) : undefined;
    if (outside !== undefined) return changeTo(state, outside, [outside]);
    leader = NO_LEADER;
  }
  if (leader !== NO_LEADER && !isr.includes(leader)) isr = [...isr, leader];
  // Never empty: with no live member the ISR stays as it was.
  if (isr.length === 0) isr = state.isr;
  return changeTo(state, leader, isr);
}

/** Preferred-leader election (ElectLeaders type 0, auto rebalance): the first replica leads if it can. */
export function electPreferred(state: PartitionState, live: Liveness): PartitionState | ErrorCodeValue {
  const preferred = state.replicas[0];
  if (preferred === undefined) return ErrorCode.PREFERRED_LEADER_NOT_AVAILABLE;
  if (state.leader === preferred) return ErrorCode.ELECTION_NOT_NEEDED;
  if (!live.isAlive(preferred) || live.isShuttingDown(preferred) || !state.isr.includes(preferred)) return ErrorCode.PREFERRED_LEADER_NOT_AVAILABLE;
  return changeTo(state, preferred, state.isr)!;
}

/** Unclean election (ElectLeaders type 1): only for a partition without a leader. */
export function electUnclean(state: PartitionState, live: Liveness): PartitionState | ErrorCodeValue {
  if (state.leader !== NO_LEADER && live.isAlive(state.leader)) return ErrorCode.ELECTION_NOT_NEEDED;
  const next = reconcile(state, live, true);
  return next && next.leader !== NO_LEADER ? next : ErrorCode.ELIGIBLE_LEADERS_NOT_AVAILABLE;
}

/**
 * The state with a new leader epoch for the same choice of leader: for a leader that registered
 * again (a new incarnation), whose followers must learn that it started over.
 */
export function bumpLeaderEpoch(state: PartitionState): PartitionState {
  return { ...state, leaderEpoch: state.leaderEpoch + 1, partitionEpoch: state.partitionEpoch + 1 };
}

/**
 * Auto leader rebalance: for each broker, the share of the partitions it is preferred leader of
 * that it does not lead; when that share exceeds `imbalancePercent`, those partitions (where it
 * is usable and in the ISR) are returned. The controller passes 0, as KRaft balances every such
 * partition (the ZooKeeper-era leader.imbalance.per.broker.percentage threshold is gone in Kafka 4).
 */
export function imbalancedPartitions<P extends PartitionState>(partitions: Iterable<P>, live: Liveness, imbalancePercent: number): P[] {
  const byPreferred = new Map<number, { total: number; notLed: P[] }>();
  for (const p of partitions) {
    const preferred = p.replicas[0];
    if (preferred === undefined) continue;
    const entry = byPreferred.get(preferred) ?? { total: 0, notLed: [] };
    entry.total++;
    if (p.leader !== preferred) entry.notLed.push(p);
    byPreferred.set(preferred, entry);
  }
  const out: P[] = [];
  for (const [broker, { total, notLed }] of byPreferred) {
    if (!live.isAlive(broker) || live.isShuttingDown(broker)) continue;
    if ((notLed.length * 100) / total <= imbalancePercent) continue;
    for (const p of notLed) if (p.isr.includes(broker)) out.push(p);
  }
  return out;
}
