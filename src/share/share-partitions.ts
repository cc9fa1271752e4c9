/**
 * The share partitions led by this broker (KIP-932's share-partition manager), for every group:
 * each is read through the persister (the share coordinator of its key, here or on another broker)
 * on first use, one read per key however many requests wait for it, and written there by its own
 * persist before a fetch or acknowledgement is answered. A partition no longer led here is dropped
 * (partitionMoved) and read again if it comes back; an administrative change (share/admin.ts)
 * writes through the persister and drops the copy here. Archived records are copied to the group's
 * dead-letter topic (KIP-1191) from here.
 */
import { ErrorCode, KafkaError } from '../../protocol/errors.js';
import type { Partition, PartitionLookup } from '../data/partitions.js';
import type { Logger } from '../logger.js';
import type { DeadLetterWriter } from './dead-letter.js';
import { PartitionDeliveryState, type Archived } from './partition-state.js';
import type { SharePersister } from './persister.js';
import { SharePartition } from './share-partition.js';

export class SharePartitions {
  /** `${groupId}\u0000${topicIdHex}:${partition}` → its share partition. */
  readonly held = new Map<string, SharePartition>();
  /** Share partitions whose state is being read from their share coordinator. */
  private readonly loading = new Map<string, Promise<SharePartition>>();
  /** Records archived (rejected or at the delivery limit), for metrics. */
  archivedRecords = 0;

  constructor(
    /** Null: nothing persisted (unit tests). */
    private readonly persister: SharePersister | null,
    private readonly logs: PartitionLookup,
    private readonly deadLetters: DeadLetterWriter,
    /** The group's group.share.delivery.count.limit (its GROUP config over the broker's). */
    private readonly deliveryLimit: (groupId: string) => number,
    private readonly log: Logger,
    /** runnel.group.share.dead.letter.retry.backoff.ms and .max.ms: the first and the longest wait before retrying a failed copy. */
    private readonly deadLetterBackoff: () => { initialMs: number; maxMs: number } = () => ({ initialMs: 200, maxMs: 10_000 }),
  ) {}

  /** The share partition, its state read from its share coordinator on first use. Throws KafkaError. */
  async get(groupId: string, topic: string, topicId: Buffer, partition: number, log: Partition): Promise<SharePartition> {
    const key = `${groupId}\u0000${topicId.toString('hex')}:${partition}`;
    let sp = this.held.get(key);
    if (!sp) {
      let pending = this.loading.get(key);
      if (!pending) {
        pending = this.load(key, groupId, topic, topicId, partition, log).finally(() => this.loading.delete(key));
        this.loading.set(key, pending);
      }
      sp = await pending;
    }
    if (sp.state) sp.state.deadLetter = this.deadLetters.topicFor(groupId) !== null;
    // A failed copy waits for its retry timer; a fetch meanwhile retries it at once (off the fetch's path).
    if (sp.deadLetterFailures > 0 && !sp.deadLetterDraining) this.drainDeadLetters(groupId, sp);
    return sp;
  }

  private async load(key: string, groupId: string, topic: string, topicId: Buffer, partition: number, log: Partition): Promise<SharePartition> {
    const persister = this.persister;
    const leaderEpoch = log.leaderEpoch;
    const persist = (p: SharePartition): Promise<void> => {
      if (!persister || p.state === null) return Promise.resolve();
      if (p.fenced) return Promise.reject(new KafkaError(ErrorCode.NOT_LEADER_OR_FOLLOWER, `${topic}-${partition}: the share partition state changed at its share coordinator; it is reloaded`));
      const stateEpoch = p.stateEpoch;
      return persister.write(groupId, topicId, partition, { ...p.state.toStored(), leaderEpoch, stateEpoch }).then(
        () => {
          if (stateEpoch === -1 && p.stateEpoch === -1) p.stateEpoch = 0; // created, at state epoch 0
        },
        (err: unknown) => {
          const code = (err as { code?: unknown }).code;
          if (code === ErrorCode.FENCED_STATE_EPOCH || code === ErrorCode.INVALID_REQUEST || code === ErrorCode.FENCED_LEADER_EPOCH) {
            // Reset or deleted (an offsets reset, DeleteShareGroupOffsets) or led elsewhere now:
            // this copy is stale. It goes; the next request reads the state again. The client is
            // told NOT_LEADER_OR_FOLLOWER, as Kafka's share-partition leader answers a fenced state.
            this.fence(key, p);
            this.log.info({ groupId, topic, partition, code }, 'share partition fenced by its share coordinator; reloaded on next use');
            if (code !== ErrorCode.FENCED_LEADER_EPOCH) throw new KafkaError(ErrorCode.NOT_LEADER_OR_FOLLOWER, `${topic}-${partition}: the share partition state changed at its share coordinator`);
          } else this.log.error({ err, groupId, topic, partition }, 'share state write failed');
          throw err;
        },
      );
    };
    const saved = persister ? await persister.read(groupId, topicId, partition, leaderEpoch) : null;
    const sp = new SharePartition(topic, partition, () => this.deliveryLimit(groupId), (p, a) => this.archived(groupId, p, a), persist);
    if (saved) {
      sp.stateEpoch = saved.stateEpoch ?? 0;
      // Start offset -1: initialised without one (the first fetch starts from share.auto.offset.reset).
      if (saved.startOffset >= 0) {
        sp.state = PartitionDeliveryState.fromStored(saved.startOffset, saved.batches, this.deliveryLimit(groupId));
        sp.recovering = sp.state.pendingDeadLetters().length > 0;
      }
    }
    // Led elsewhere meanwhile: not kept (the next request here gets NOT_LEADER_OR_FOLLOWER).
    if (!log.isLeader || log.leaderEpoch !== leaderEpoch) throw new KafkaError(ErrorCode.NOT_LEADER_OR_FOLLOWER, `${topic}-${partition} moved`);
    this.held.set(key, sp);
    if (sp.recovering) this.drainDeadLetters(groupId, sp);
    return sp;
  }

  /** A stale copy goes: no more writes from it, and the next request reads the state again. */
  private fence(key: string, sp: SharePartition): void {
    sp.fenced = true;
    sp.close();
    if (this.held.get(key) === sp) this.held.delete(key);
  }

  /**
   * A share session started fetching a share partition held here: is this copy still the share
   * coordinator's state? An offsets reset or deletion while the group was empty (no writes from
   * here since) is seen only so — the writes' state epoch fences it otherwise. One summary read
   * per partition a session adds (local on a single node), never per fetch. A failed check keeps
   * the copy (its next write is still fenced).
   */
  async revalidate(groupId: string, topicId: Buffer, partition: number): Promise<void> {
    const key = `${groupId}\u0000${topicId.toString('hex')}:${partition}`;
    const sp = this.held.get(key);
    if (!sp || !this.persister) return;
    let s;
    try {
      s = await this.persister.summary(groupId, topicId, partition);
    } catch (err) {
      this.log.debug({ err, groupId, partition }, 'share state summary failed; the held copy is kept');
      return;
    }
    const stale = sp.stateEpoch < 0 ? s !== null && s.stateEpoch > 0 : s === null || s.stateEpoch !== sp.stateEpoch;
    if (stale && this.held.get(key) === sp) {
      this.log.info({ groupId, topic: sp.topic, partition, held: sp.stateEpoch, stored: s?.stateEpoch ?? null }, 'share partition state changed at its share coordinator; reloading');
      this.fence(key, sp);
    }
  }

  /**
   * This broker no longer leads `topic`-`partition`: its share partitions go (their locks with
   * them; the new leader reads the state from the share coordinator).
   */
  partitionMoved(topicId: Buffer, partition: number): void {
    const suffix = `\u0000${topicId.toString('hex')}:${partition}`;
    for (const [k, sp] of this.held) {
      if (!k.endsWith(suffix)) continue;
      sp.close();
      this.held.delete(k);
    }
  }

  /**
   * An administrative change of a share partition's state (share/admin.ts; the group is empty):
   * a new start offset (InitializeShareGroupState at a state epoch past the current one) or, for
   * null, its deletion (DeleteShareGroupState), through the persister; the share partition held
   * here is dropped, so its next fetch reads the new state. A leader on another broker holding the
   * old state is fenced by the state epoch (or the missing state) on its next write, and checks
   * when a share session adds the partition (revalidate). Throws KafkaError.
   */
  async replaceState(groupId: string, topic: string, topicId: Buffer, partition: number, startOffset: number | null): Promise<void> {
    const key = `${groupId}\u0000${topicId.toString('hex')}:${partition}`;
    await this.loading.get(key)?.catch(() => undefined);
    const drop = () => {
      const sp = this.held.get(key);
      if (sp) this.fence(key, sp);
    };
    const heldEpoch = this.held.get(key)?.stateEpoch ?? -1;
    drop();
    if (!this.persister) {
      if (startOffset === null) return;
      // Nothing persisted (unit tests): the state is kept in memory.
      const log = this.logs.get(topic, partition);
      if (!log) throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `${topic}-${partition} is not here`);
      const sp = await this.get(groupId, topic, topicId, partition, log);
      sp.state = new PartitionDeliveryState(startOffset, startOffset);
      return;
    }
    if (startOffset === null) await this.persister.remove(groupId, topicId, partition);
    else {
      const current = await this.persister.summary(groupId, topicId, partition);
      const stateEpoch = Math.max(current?.stateEpoch ?? 0, heldEpoch) + 1;
      await this.persister.initialize(groupId, topicId, partition, stateEpoch, startOffset);
    }
    drop(); // loaded meanwhile from the old state
  }

  /** The member's locks in the group's share partitions go (it left, or its share session closed). */
  releaseMember(groupId: string, memberId: string): void {
    const prefix = `${groupId}\u0000`;
    for (const [k, sp] of this.held) if (k.startsWith(prefix)) sp.releaseMember(memberId);
  }

  /** In-flight counts per partition of a group, for describe/tests. */
  inFlight(groupId: string): Array<{ key: string; startOffset: number; endOffset: number; available: number; acquired: number }> {
    const out = [];
    const prefix = `${groupId}\u0000`;
    for (const [k, sp] of this.held) {
      if (!k.startsWith(prefix) || sp.state === null) continue;
      const c = sp.state.counts();
      out.push({ key: k.slice(prefix.length), startOffset: sp.state.startOffset, endOffset: sp.state.endOffset, available: c.available, acquired: c.acquired });
    }
    return out;
  }

  close(): void {
    for (const sp of this.held.values()) sp.close();
  }

  private archived(groupId: string, sp: SharePartition, archived: Archived[]): void {
    for (const a of archived) this.archivedRecords += a.last - a.first + 1;
    this.log.debug({ groupId, topic: sp.topic, partition: sp.partition, archived }, 'share records archived');
    if (sp.state?.deadLetter) this.drainDeadLetters(groupId, sp);
  }

  /**
   * Copies the partition's pending archived ranges to the group's dead-letter topic, one partition
   * at a time: the pending state is made durable first, each copy then, and "done" after it. Never
   * awaited by a fetch or acknowledgement. A failure marks the partition `recovering` (the copy may
   * have landed: the next attempt checks the dead-letter tail first, dead-letter.ts) and schedules
   * a retry with exponential backoff (runnel.group.share.dead.letter.retry.backoff.ms up to
   * .max.ms); a fetch of the partition retries sooner. Each attempt is bounded by
   * request.timeout.ms; the pending ranges hold the share-partition start offset, and the number
   * of them by group.share.partition.max.record.locks.
   */
  private drainDeadLetters(groupId: string, sp: SharePartition): void {
    if (sp.deadLetterRetry) clearTimeout(sp.deadLetterRetry);
    sp.deadLetterRetry = null;
    sp.deadLetterDraining = true;
    sp.deadLetterChain = sp.deadLetterChain.then(async () => {
      const st = sp.state;
      const source = this.logs.get(sp.topic, sp.partition);
      if (!st || !source || sp.closed) return;
      const pending = st.pendingDeadLetters();
      if (pending.length === 0) return;
      await sp.persist();
      for (const r of pending) {
        try {
          await this.deadLetters.write(groupId, source, r.first, r.last, r.deliveryCount, r.dlqPending!, sp.recovering);
        } catch (err) {
          sp.recovering = true;
          throw err;
        }
        st.deadLettered(r);
      }
      // Dead-lettered ranges no longer count against the record-lock limit.
      sp.wake();
      sp.recovering = false;
      await sp.persist();
    }).then(
      () => {
        sp.deadLetterDraining = false;
        sp.deadLetterFailures = 0;
      },
      (err: unknown) => {
        sp.deadLetterDraining = false;
        sp.deadLetterFailures++;
        const { initialMs, maxMs } = this.deadLetterBackoff();
        const waitMs = Math.min(maxMs, initialMs * 2 ** Math.min(sp.deadLetterFailures - 1, 20));
        this.log.warn({ err, groupId, topic: sp.topic, partition: sp.partition, failures: sp.deadLetterFailures, retryInMs: waitMs }, 'dead-letter copy failed; retried after a backoff or on the next fetch');
        if (sp.closed) return;
        sp.deadLetterRetry = setTimeout(() => {
          sp.deadLetterRetry = null;
          if (!sp.closed && !sp.deadLetterDraining) this.drainDeadLetters(groupId, sp);
        }, waitMs);
        sp.deadLetterRetry.unref();
      },
    );
  }
}
