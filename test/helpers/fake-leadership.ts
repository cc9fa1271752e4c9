/**
 * A leadership port (src/data/leadership.ts) that tests move by hand: `ledFromStart` marks
 * partitions led before anyone subscribed (as at a broker's startup), `lead` / `resign` announce a
 * change the way a ReplicaManager would (state first, then the listeners), each at the next epoch
 * of the partition unless one is given (a stale one, to test that it is ignored).
 */
import type { Leadership, LeadershipEvent, LeadershipListener } from '../../src/data/leadership.js';

const key = (topic: string, partition: number): string => `${topic}\u0000${partition}`;

export class FakeLeadership implements Leadership {
  private readonly led = new Map<string, number>();
  /** The newest epoch used per partition. */
  private readonly epochs = new Map<string, number>();
  private readonly listeners = new Set<LeadershipListener>();

  /** Partitions 0..count-1 of `topic` are led here at `epoch`, without any announcement. */
  ledFromStart(topic: string, count: number, epoch = 0): this {
    for (let p = 0; p < count; p++) {
      this.led.set(key(topic, p), epoch);
      this.epochs.set(key(topic, p), epoch);
    }
    return this;
  }

  isLeader(topic: string, partition: number): boolean {
    return this.led.has(key(topic, partition));
  }

  leaderEpoch(topic: string, partition: number): number {
    return this.led.get(key(topic, partition)) ?? -1;
  }

  onChange(cb: LeadershipListener): () => void {
    this.listeners.add(cb);
    return () => this.listeners.delete(cb);
  }

  /** Becomes leader (at the next epoch by default) and announces it; returns the epoch. */
  lead(topic: string, partition: number, epoch = this.nextEpoch(topic, partition)): number {
    this.led.set(key(topic, partition), epoch);
    this.note(topic, partition, epoch);
    this.emit(topic, partition, 'leader', epoch);
    return epoch;
  }

  /** Stops leading (the new leader's epoch: the next one by default) and announces it; returns the epoch. */
  resign(topic: string, partition: number, epoch = this.nextEpoch(topic, partition)): number {
    this.led.delete(key(topic, partition));
    this.note(topic, partition, epoch);
    this.emit(topic, partition, 'resigned', epoch);
    return epoch;
  }

  /** How many listeners are subscribed (a coordinator that stopped unsubscribes). */
  get listenerCount(): number {
    return this.listeners.size;
  }

  private nextEpoch(topic: string, partition: number): number {
    return (this.epochs.get(key(topic, partition)) ?? -1) + 1;
  }

  private note(topic: string, partition: number, epoch: number): void {
    const k = key(topic, partition);
    this.epochs.set(k, Math.max(epoch, this.epochs.get(k) ?? -1));
  }

  private emit(topic: string, partition: number, event: LeadershipEvent, epoch: number): void {
    for (const cb of [...this.listeners]) cb(topic, partition, event, epoch);
  }
}
