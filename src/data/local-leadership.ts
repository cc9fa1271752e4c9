/**
 * The leadership port (leadership.ts) on a single node: this broker leads every partition it
 * hosts, at the epoch the replica layer gave it (src/replica: 0, or the newest epoch the log
 * already has). Partitions hosted at startup are led from the start (subscribers read that with
 * isLeader); a topic created later announces 'leader' for each of its partitions, one grown with
 * CreatePartitions announces them again (listeners ignore repeats), and a deleted one announces
 * 'resigned'.
 *
 * `resign` and `lead` simulate the controller moving a partition's leadership away and back (for
 * tests and tools: coordinators unload and reload; the log itself is untouched). Each move bumps
 * the epoch this port reports for the partition, as a controller's leader change bumps the
 * leader epoch.
 *
 * Subscribe it to topic changes after the replica layer (broker.ts does), so a created topic's
 * partitions are hosted before 'leader' is announced.
 */
import type { LeadershipEvent, LeadershipListener, Leadership } from './leadership.js';
import type { PartitionLookup } from './partitions.js';

/** What it needs of the topics: their changes (TopicManager's events). */
export interface LeadershipTopics {
  onChange(fn: (event: 'created' | 'deleted' | 'partitions' | 'configs', topic: { readonly name: string; readonly partitions: number }) => void): void;
}

const key = (topic: string, partition: number): string => `${topic}\u0000${partition}`;

export class LocalLeadership implements Leadership {
  private readonly listeners = new Set<LeadershipListener>();
  /** Partitions `resign` moved away (not led here until `lead`). */
  private readonly away = new Set<string>();
  /** Epoch bumps of simulated moves, per partition. */
  private readonly bumps = new Map<string, number>();
  /**
   * The last epoch reported per partition (a deletion resigns at it), by topic and partition index:
   * an array of small integers per topic rather than a string-keyed entry per partition (a
   * 10,000-partition topic would keep 10,000 key strings).
   */
  private readonly reported = new Map<string, number[]>();

  constructor(
    topics: LeadershipTopics,
    private readonly partitions: PartitionLookup,
  ) {
    topics.onChange((event, topic) => {
      if (event === 'created' || event === 'partitions') {
        // One lookup per partition (leaderEpoch is -1 for a partition not led here).
        for (let p = 0; p < topic.partitions; p++) {
          const epoch = this.leaderEpoch(topic.name, p);
          if (epoch >= 0) this.emit(topic.name, p, 'leader', epoch);
        }
      } else if (event === 'deleted') {
        const epochs = this.reported.get(topic.name);
        this.reported.delete(topic.name);
        for (let p = 0; p < topic.partitions; p++) {
          if (this.away.size > 0 || this.bumps.size > 0) {
            const k = key(topic.name, p);
            this.away.delete(k);
            this.bumps.delete(k);
          }
          this.announce(topic.name, p, 'resigned', epochs?.[p] ?? 0);
        }
      }
    });
  }

  isLeader(topic: string, partition: number): boolean {
    if (this.away.size > 0 && this.away.has(key(topic, partition))) return false;
    return this.partitions.get(topic, partition)?.isLeader ?? false;
  }

  leaderEpoch(topic: string, partition: number): number {
    const p = this.partitions.get(topic, partition);
    if (!p?.isLeader) return -1;
    let epoch = p.leaderEpoch;
    if (this.away.size > 0 || this.bumps.size > 0) {
      const k = key(topic, partition);
      if (this.away.has(k)) return -1;
      epoch += this.bumps.get(k) ?? 0;
    }
    this.report(topic, partition, epoch);
    return epoch;
  }

  onChange(cb: LeadershipListener): () => void {
    this.listeners.add(cb);
    return () => this.listeners.delete(cb);
  }

  /** Simulates the leadership moving to another broker: 'resigned' at a new epoch. False when not led here. */
  resign(topic: string, partition: number): boolean {
    if (!this.isLeader(topic, partition)) return false;
    const epoch = this.bump(topic, partition);
    this.away.add(key(topic, partition));
    this.emit(topic, partition, 'resigned', epoch);
    return true;
  }

  /** Simulates the leadership coming back: 'leader' at a new epoch. False when the partition is not hosted or not away. */
  lead(topic: string, partition: number): boolean {
    const k = key(topic, partition);
    if (!this.away.has(k) || !this.partitions.get(topic, partition)?.isLeader) return false;
    this.bump(topic, partition);
    this.away.delete(k);
    this.emit(topic, partition, 'leader', this.leaderEpoch(topic, partition));
    return true;
  }

  /** One more simulated leader change of the partition: its new epoch. */
  private bump(topic: string, partition: number): number {
    const k = key(topic, partition);
    const n = (this.bumps.get(k) ?? 0) + 1;
    this.bumps.set(k, n);
    return (this.partitions.get(topic, partition)?.leaderEpoch ?? 0) + n;
  }

  private emit(topic: string, partition: number, event: LeadershipEvent, epoch: number): void {
    this.report(topic, partition, epoch);
    this.announce(topic, partition, event, epoch);
  }

  private announce(topic: string, partition: number, event: LeadershipEvent, epoch: number): void {
    if (this.listeners.size === 0) return;
    for (const cb of [...this.listeners]) cb(topic, partition, event, epoch);
  }

  private report(topic: string, partition: number, epoch: number): void {
    let epochs = this.reported.get(topic);
    if (epochs === undefined) this.reported.set(topic, (epochs = []));
    // Indexes arrive in order (0, 1, ...) when a topic is created, so the array stays packed.
    if (partition <= epochs.length) epochs[partition] = epoch;
    else for (let i = epochs.length; i <= partition; i++) epochs.push(i === partition ? epoch : 0);
  }
}
