/**
 * Which partitions of a coordinator's state topic (`__consumer_offsets`, `__transaction_state`)
 * this broker owns, following partition leadership (leadership.ts) the way Kafka's
 * GroupMetadataManager and TransactionStateManager do:
 *
 * - becoming leader of partition p at epoch e starts loading p (the coordinator replays its
 *   records); until the load is installed p is *loading* and requests for its keys get
 *   COORDINATOR_LOAD_IN_PROGRESS; then p is *owned*;
 * - resigning drops p's state (`unload`); requests for its keys get NOT_COORDINATOR, as do keys of
 *   partitions never led here;
 * - the latest epoch seen per partition orders the events: one older than it is stale and
 *   ignored, and a load finishing after its partition resigned or was elected again is discarded
 *   (Kafka's epochForPartitionId). A newer 'leader' epoch while loading or owned keeps the state:
 *   this broker led the partition throughout.
 *
 * A load's result is installed synchronously with the ownership change, so no request ever sees
 * a partition owned but not yet filled. A coordinator whose load has nothing to read returns the
 * installer directly (not a promise): the partition is owned at once.
 */
import { ErrorCode } from '../../protocol/errors.js';
import type { Logger } from '../logger.js';
import type { Leadership, LeadershipEvent } from './leadership.js';

/** Installs a loaded partition's state; called only if the load is still current. */
export type PartitionInstaller = () => void;

export interface CoordinatorPartitionHooks {
  /** Reads the partition's state, led here at `epoch`; returns what installs it. Throwing fails the load. */
  load(partition: number, epoch: number): PartitionInstaller | Promise<PartitionInstaller>;
  /** Drops the partition's state: this broker no longer leads it. */
  unload(partition: number): void;
}

/** One partition led here: loading, then owned. The object identifies one leadership (see `token`). */
interface Slot {
  state: 'loading' | 'owned';
  epoch: number;
  /** Settles when the load finished (installed, discarded or failed). */
  done: Promise<void>;
}

const SETTLED = Promise.resolve();

export class CoordinatorPartitions {
  /** The newest leader epoch seen per partition (Kafka's epochForPartitionId). */
  private readonly epochs = new Map<number, number>();
  private readonly slots = new Map<number, Slot>();
  private unsubscribe: (() => void) | null = null;

  constructor(
    readonly topic: string,
    private readonly leadership: Leadership,
    private readonly hooks: CoordinatorPartitionHooks,
    private readonly logger: Logger,
  ) {}

  /**
   * Follows leadership changes, and loads the partitions (of `count`) led here now. Resolves once
   * those loads finished; rejects with the first that failed (at startup, a state topic that
   * cannot be read stops the broker, as before partitions were followed).
   */
  async start(count: number): Promise<void> {
    this.unsubscribe ??= this.leadership.onChange((topic, partition, event, epoch) => {
      if (topic === this.topic) this.apply(partition, event, epoch);
    });
    const loads: Array<Promise<void>> = [];
    for (let p = 0; p < count; p++) {
      if (this.leadership.isLeader(this.topic, p)) loads.push(this.elect(p, this.leadership.leaderEpoch(this.topic, p), true));
    }
    await Promise.all(loads);
  }

  /** Stops following leadership (broker shutdown); the state stays as it is. */
  stop(): void {
    this.unsubscribe?.();
    this.unsubscribe = null;
  }

  /** Applies one leadership event for a partition of the topic. */
  apply(partition: number, event: LeadershipEvent, epoch: number): void {
    if (event === 'leader') void this.elect(partition, epoch, false);
    else this.resign(partition, epoch);
  }

  /** NONE when the partition is owned, else COORDINATOR_LOAD_IN_PROGRESS (loading) or NOT_COORDINATOR. */
  error(partition: number): number {
    const slot = this.slots.get(partition);
    if (!slot) return ErrorCode.NOT_COORDINATOR;
    return slot.state === 'owned' ? ErrorCode.NONE : ErrorCode.COORDINATOR_LOAD_IN_PROGRESS;
  }

  owns(partition: number): boolean {
    return this.slots.get(partition)?.state === 'owned';
  }

  isLoading(partition: number): boolean {
    return this.slots.get(partition)?.state === 'loading';
  }

  /** Whether any partition is loading (ListGroups / ListTransactions answer COORDINATOR_LOAD_IN_PROGRESS). */
  get anyLoading(): boolean {
    for (const s of this.slots.values()) if (s.state === 'loading') return true;
    return false;
  }

  /** Whether every partition of `count` is owned here (then this broker coordinates every key). */
  ownsAll(count: number): boolean {
    for (let p = 0; p < count; p++) if (!this.owns(p)) return false;
    return true;
  }

  /** The epoch the partition is owned at; -1 when not owned. */
  epoch(partition: number): number {
    const slot = this.slots.get(partition);
    return slot?.state === 'owned' ? slot.epoch : -1;
  }

  /**
   * An identity of the current ownership of the partition (null: not owned). A write that began
   * under one token and finds another (or null) after it completed must not be applied: the
   * partition resigned meanwhile (and may be led again, its state reloaded from the log).
   */
  token(partition: number): object | null {
    const slot = this.slots.get(partition);
    return slot?.state === 'owned' ? slot : null;
  }

  /** Resolves once the loads in flight now have finished (whatever their outcome). */
  settled(): Promise<void> {
    const pending = [...this.slots.values()].filter((s) => s.state === 'loading').map((s) => s.done);
    return pending.length === 0 ? SETTLED : Promise.all(pending).then(() => undefined);
  }

  private elect(partition: number, epoch: number, rethrow: boolean): Promise<void> {
    const known = this.epochs.get(partition) ?? -1;
    if (epoch < known) {
      this.logger.debug({ topic: this.topic, partition, epoch, known }, 'stale leader event ignored');
      return SETTLED;
    }
    this.epochs.set(partition, epoch);
    const current = this.slots.get(partition);
    if (current) {
      // Led here throughout: the state in memory (or being loaded) is still the partition's.
      current.epoch = epoch;
      return current.done;
    }
    const slot: Slot = { state: 'loading', epoch, done: SETTLED };
    this.slots.set(partition, slot);
    const t0 = performance.now();
    let result: PartitionInstaller | Promise<PartitionInstaller>;
    try {
      result = this.hooks.load(partition, epoch);
    } catch (err) {
      result = Promise.reject(err);
    }
    if (typeof result === 'function') {
      this.install(partition, slot, result, t0);
      return SETTLED;
    }
    slot.done = result.then(
      (installer) => this.install(partition, slot, installer, t0),
      (err: unknown) => {
        if (this.slots.get(partition) === slot) this.slots.delete(partition);
        this.logger.error({ topic: this.topic, partition, epoch, err }, 'loading coordinator state failed: the partition is not coordinated here');
        if (rethrow) throw err;
      },
    );
    return slot.done;
  }

  private install(partition: number, slot: Slot, installer: PartitionInstaller, t0: number): void {
    if (this.slots.get(partition) !== slot) {
      this.logger.info({ topic: this.topic, partition, epoch: slot.epoch }, 'coordinator load discarded: the partition moved meanwhile');
      return;
    }
    slot.state = 'owned';
    try {
      installer();
    } catch (err) {
      this.logger.error({ topic: this.topic, partition, err }, 'installing coordinator state failed');
    }
    this.logger.debug({ topic: this.topic, partition, epoch: slot.epoch, ms: Math.round(performance.now() - t0) }, 'coordinator partition loaded');
  }

  private resign(partition: number, epoch: number): void {
    const known = this.epochs.get(partition) ?? -1;
    if (epoch < known) {
      this.logger.debug({ topic: this.topic, partition, epoch, known }, 'stale resignation ignored');
      return;
    }
    this.epochs.set(partition, epoch);
    const slot = this.slots.get(partition);
    if (!slot) return;
    this.slots.delete(partition);
    // A load in flight finds its slot gone and discards itself.
    if (slot.state === 'owned') this.hooks.unload(partition);
    this.logger.info({ topic: this.topic, partition, epoch }, 'coordinator partition resigned: its state is dropped');
  }
}
