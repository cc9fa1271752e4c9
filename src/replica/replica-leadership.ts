/**
 * The leadership port (src/data/leadership.ts) in cluster mode, answered by the replica layer: the
 * coordinators (groups, transactions, the schema registry) follow what the ReplicaManager does to
 * its Partitions as it applies the controller's decisions — Kafka's onLeadershipChange callbacks
 * (GroupCoordinator.onElection / onResignation) from ReplicaManager.makeLeaders / makeFollowers.
 *
 * The ReplicaManager snapshots a partition's role before it changes it (`before`) and reports
 * after (`changed`): 'leader' when the partition now leads here and did not, or leads at a newer
 * leader epoch; 'resigned' when it led and no longer does — made follower, fenced (the lease
 * counts as lost; the epoch is unchanged), or no longer hosted (moved away, topic deleted).
 * Listeners run synchronously once the Partition's state is the new one, so isLeader already
 * answers it. Nothing is replayed to a late subscriber: it reads isLeader/leaderEpoch.
 */
import type { Leadership, LeadershipEvent, LeadershipListener } from '../data/leadership.js';
import type { Partition } from './partition.js';

/** A partition's role before a change. */
export interface RoleBefore {
  readonly wasLeader: boolean;
  readonly epoch: number;
}

export class ReplicaLeadership implements Leadership {
  private readonly listeners = new Set<LeadershipListener>();

  constructor(
    /** The hosted partition (the ReplicaManager's lookup). */
    private readonly lookup: (topic: string, partition: number) => Partition | undefined,
  ) {}

  isLeader(topic: string, partition: number): boolean {
    return this.lookup(topic, partition)?.isLeader ?? false;
  }

  leaderEpoch(topic: string, partition: number): number {
    const p = this.lookup(topic, partition);
    return p?.isLeader ? p.leaderEpoch : -1;
  }

  onChange(cb: LeadershipListener): () => void {
    this.listeners.add(cb);
    return () => this.listeners.delete(cb);
  }

  /** The partition's role now, before the replica manager changes it. */
  before(p: Partition): RoleBefore {
    return { wasLeader: p.isLeader, epoch: p.leaderEpoch };
  }

  /** After a role change of a partition still hosted: announces what changed, if anything. */
  changed(p: Partition, before: RoleBefore): void {
    if (p.isLeader) {
      if (!before.wasLeader || p.leaderEpoch > before.epoch) this.emit(p.topic, p.partition, 'leader', p.leaderEpoch);
    } else if (before.wasLeader) {
      this.emit(p.topic, p.partition, 'resigned', p.leaderEpoch);
    }
  }

  /**
   * The partition is no longer hosted here (already out of the lookup): it resigns if it led, at
   * the epoch it has now elsewhere (`epoch`; -1 when the topic is gone: the last one it had here).
   */
  unhosted(p: Partition, before: RoleBefore, epoch = -1): void {
    if (before.wasLeader) this.emit(p.topic, p.partition, 'resigned', Math.max(before.epoch, p.leaderEpoch, epoch));
  }

  private emit(topic: string, partition: number, event: LeadershipEvent, epoch: number): void {
    for (const cb of [...this.listeners]) cb(topic, partition, event, epoch);
  }
}
