/**
 * The controller (docs/cluster.md, "The controller"): one broker at a time, chosen by the etcd
 * election (election.ts) under its registration lease. While it leads it keeps every partition's
 * leader and ISR right for the brokers that are alive:
 * - A broker leaves (lease expired, revoked) or asks for a controlled shutdown: its leaderships
 *   move to the first live ISR member, it leaves the ISRs, partitions with no live ISR member go
 *   offline (leader -1) unless unclean leader election is on (partition-changes.ts has the rules).
 * - A broker returns: offline partitions whose ISR it is in get it as leader. A broker that
 *   registered again with a new incarnation while it led gets a new leader epoch.
 * - Preferred leaders: every leader.imbalance.check.interval.seconds when
 *   auto.leader.rebalance.enable, every partition whose preferred replica is usable and in the ISR
 *   but does not lead (KRaft's rule: Kafka 4 has no leader.imbalance.per.broker.percentage).
 * - Reassignments (reassignment.ts): once the ISR holds every target replica (the leader's ISR
 *   expansion wrote it), the removing replicas leave the replica list and the ISR, and a leader
 *   being removed hands over to the first target replica in the ISR.
 *
 * It works like a reconciliation loop: any relevant change marks the state dirty; one run plans
 * every partition from the current metadata image and writes the changes in transactions, each
 * partition compared on its mod_revision and every transaction on the controller's own election
 * key (Leadership.fence), so a controller that lost its lease cannot write. A lost race waits for
 * the image to move and plans again; nothing is written twice.
 *
 * Events: 'active' (this broker became controller and has planned once), 'inactive' (reason).
 */
import { EventEmitter } from 'node:events';
import { ErrorCode, type ErrorCodeValue } from '../../protocol/errors.js';
import type { Logger } from '../logger.js';
import type { EtcdStore } from './etcd.js';
import { type Compare, type TxnOp, isEtcdError, sleep, unchanged } from './etcd-types.js';
import { ElectionCandidate, type Leadership } from './election.js';
import type { ClusterImage, ImageDelta, MetadataImage, PartitionImage } from './metadata-image.js';
import { type Liveness, bumpLeaderEpoch, electPreferred, electUnclean, imbalancedPartitions, reconcile } from './partition-changes.js';
import { type PartitionState, decodePartitionState, encodePartitionState, partitionKey } from './records.js';
import { completeReassignment, isReassigning } from './reassignment.js';
import type { Registration } from './registration.js';

export interface ControllerOptions {
  nodeId: number;
  store: EtcdStore;
  image: MetadataImage;
  log: Logger;
  /** unclean.leader.election.enable of this broker; a topic override or the dynamic cluster default wins. */
  uncleanLeaderElection: boolean;
  /** auto.leader.rebalance.enable */
  autoLeaderRebalance: boolean;
  /** leader.imbalance.check.interval.seconds, in ms */
  imbalanceCheckIntervalMs: number;
  /** runnel.etcd.max.txn.ops */
  maxTxnOps: number;
}

/** One partition's planned change: written only if the key is still at `modRevision`. */
export interface PartitionWrite {
  topic: string;
  partition: number;
  modRevision: number;
  next: PartitionState;
}

const UNCLEAN = 'unclean.leader.election.enable';

/** Who is alive and who is shutting down, as the image has it. */
export function livenessOf(image: ClusterImage): Liveness {
  return {
    isAlive: (id) => image.brokers.has(id),
    isShuttingDown: (id) => image.brokers.get(id)?.shuttingDown === true,
  };
}

/** The topic's unclean.leader.election.enable: its override, else the dynamic cluster default, else `fallback`. */
export function uncleanFor(image: ClusterImage, topic: string, fallback: boolean): boolean {
  const v = image.topics.get(topic)?.configs[UNCLEAN] ?? image.brokerConfigs.get('default')?.[UNCLEAN];
  return v === undefined ? fallback : v.toLowerCase() === 'true';
}

export class Controller extends EventEmitter {
  private candidate: ElectionCandidate | null = null;
  private leadership: Leadership | null = null;
  private dirty = false;
  private running: Promise<void> | null = null;
  private rebalanceTimer: NodeJS.Timeout | null = null;
  /** Each broker's incarnation as last planned with: a new one means it registered again. */
  private readonly incarnations = new Map<number, string>();
  /** Brokers that came back with a new incarnation and whose leaderships need a new epoch. */
  private readonly bounced = new Set<number>();
  private readonly log: Logger;
  private readonly onImageChange = (delta: ImageDelta) => this.imageChanged(delta);
  private closed = false;

  constructor(private readonly options: ControllerOptions) {
    super();
    this.log = options.log.child({ component: 'controller', nodeId: options.nodeId });
    options.image.on('change', this.onImageChange);
  }

  isActive(): boolean {
    return this.leadership !== null;
  }

  /** Enters the election under `leaseId` (the broker's registration lease), leaving any earlier candidacy. */
  async campaign(leaseId: string): Promise<void> {
    await this.resign();
    if (this.closed) return;
    const candidate = new ElectionCandidate(this.options.store, leaseId, this.options.nodeId);
    this.candidate = candidate;
    candidate.on('elected', (l: Leadership) => {
      if (this.candidate === candidate) void this.becomeActive(l);
    });
    candidate.on('lost', (reason: string) => {
      if (this.candidate !== candidate) return;
      this.candidate = null;
      this.becomeInactive(reason);
    });
    await candidate.campaign();
  }

  /** Leaves the election (fenced, shutting down): the next candidate takes over at once. */
  async resign(): Promise<void> {
    const candidate = this.candidate;
    this.candidate = null;
    if (candidate) {
      this.becomeInactive('resigned');
      await candidate.resign();
    }
  }

  /**
   * Campaigns under each registration's lease, retrying while etcd is unreachable, and resigns
   * when the broker is fenced. Returns a function that stops following.
   */
  follow(registration: Registration): () => void {
    let generation = 0;
    const onRegistered = () => {
      const mine = ++generation;
      void (async () => {
        for (let backoff = 100; mine === generation && !this.closed; backoff = Math.min(backoff * 2, 2000)) {
          const lease = registration.current()?.incarnation;
          if (!lease) return;
          try {
            await this.campaign(lease);
            return;
          } catch (err) {
            this.log.warn({ err: (err as Error).message }, 'could not enter the controller election; retrying');
            await sleep(backoff);
          }
        }
      })();
    };
    const onFenced = () => {
      generation++;
      void this.resign();
    };
    registration.on('registered', onRegistered);
    registration.on('fenced', onFenced);
    if (registration.current()) onRegistered();
    return () => {
      generation++;
      registration.off('registered', onRegistered);
      registration.off('fenced', onFenced);
    };
  }

  async close(): Promise<void> {
    this.closed = true;
    this.options.image.off('change', this.onImageChange);
    await this.resign();
    await this.running;
  }

  private async becomeActive(leadership: Leadership): Promise<void> {
    // Plan only on an image that has at least everything up to the election.
    await this.options.image.waitForRevision(leadership.createRevision, this.options.store.requestTimeoutMs);
    if (this.candidate?.leadership?.key !== leadership.key) return;
    this.leadership = leadership;
    this.log.info({ key: leadership.key, revision: leadership.createRevision }, 'became the controller');
    // A new controller knows no incarnations yet: what it sees now is the baseline.
    this.incarnations.clear();
    this.bounced.clear();
    for (const b of this.options.image.current().brokers.values()) this.incarnations.set(b.id, b.incarnation);
    if (this.options.autoLeaderRebalance) {
      this.rebalanceTimer = setInterval(() => void this.rebalance(), this.options.imbalanceCheckIntervalMs);
      this.rebalanceTimer.unref();
    }
    this.kick();
    await this.running;
    if (this.leadership === leadership) this.emit('active');
  }

  private becomeInactive(reason: string): void {
    if (this.rebalanceTimer) clearInterval(this.rebalanceTimer);
    this.rebalanceTimer = null;
    if (!this.leadership) return;
    this.leadership = null;
    this.log.warn({ reason }, 'no longer the controller');
    this.emit('inactive', reason);
  }

  private imageChanged(delta: ImageDelta): void {
    if (!this.leadership) return;
    if (delta.snapshot || delta.brokersAdded.length + delta.brokersRemoved.length + delta.brokersChanged.length + delta.topicsCreated.length > 0 || delta.brokerConfigsChanged) {
      this.kick();
      return;
    }
    const live = livenessOf(delta.image);
    for (const c of delta.partitions) {
      if (c.after && planPartition(c.after, live, uncleanFor(delta.image, c.topic, this.options.uncleanLeaderElection))) {
        this.kick();
        return;
      }
    }
  }

  private kick(): void {
    this.dirty = true;
    this.running ??= this.run().finally(() => {
      this.running = null;
    });
  }

  /** Plans and writes until nothing is left to do (or leadership is lost). */
  private async run(): Promise<void> {
    while (this.dirty && this.leadership && !this.closed) {
      this.dirty = false;
      const leadership = this.leadership;
      const image = this.options.image.current();
      this.noteIncarnations(image);
      const writes = this.plan(image);
      // A broker that came back leading nothing needs no new epoch: forget its return now, or a
      // partition it comes to lead later (a new topic, ElectLeaders) would get a needless bump.
      for (const b of this.bounced) if (!writes.some((w) => w.next.leader === b)) this.bounced.delete(b);
      if (writes.length === 0) continue;
      try {
        const revision = await writePartitions(this.options.store, writes, [leadership.fence], this.options.maxTxnOps);
        if (revision === null) {
          // A partition moved under us (or we lost the election key): wait for the image to show it.
          this.log.debug({ partitions: writes.length }, 'partition writes lost a race; planning again');
          await this.options.image.waitFor((i) => i.revision > image.revision, 1000);
        } else {
          this.log.info({ partitions: writes.length, revision }, 'partition leaders and ISRs updated');
          for (const w of writes) if (w.next.leader >= 0) this.bounced.delete(w.next.leader);
          await this.options.image.waitForRevision(revision, this.options.store.requestTimeoutMs);
        }
      } catch (err) {
        this.log.warn({ err: (err as Error).message }, isEtcdError(err, 'Unavailable') ? 'etcd unavailable; retrying' : 'partition writes failed; retrying');
        await sleep(500);
      }
      this.dirty = true;
    }
  }

  private noteIncarnations(image: ClusterImage): void {
    for (const b of image.brokers.values()) {
      const seen = this.incarnations.get(b.id);
      if (seen !== undefined && seen !== b.incarnation) this.bounced.add(b.id);
      this.incarnations.set(b.id, b.incarnation);
    }
  }

  /** Every partition whose state should change, from one image. */
  plan(image: ClusterImage): PartitionWrite[] {
    const live = livenessOf(image);
    const out: PartitionWrite[] = [];
    for (const [topic, partitions] of image.partitions) {
      const unclean = uncleanFor(image, topic, this.options.uncleanLeaderElection);
      for (const p of partitions.values()) {
        let next = planPartition(p, live, unclean);
        if (!next && this.bounced.has(p.leader)) next = bumpLeaderEpoch(p);
        if (next) out.push({ topic, partition: p.partition, modRevision: p.modRevision, next });
      }
    }
    return out;
  }

  /** Auto leader rebalance: preferred-leader election where a broker leads too few of its partitions. */
  private async rebalance(): Promise<void> {
    const leadership = this.leadership;
    if (!leadership) return;
    const image = this.options.image.current();
    const all: PartitionImage[] = [];
    for (const m of image.partitions.values()) all.push(...m.values());
    const targets = imbalancedPartitions(all, livenessOf(image), 0);
    if (targets.length === 0) return;
    this.log.info({ partitions: targets.length }, 'auto leader rebalance: electing preferred leaders');
    await electLeaders(this.options.store, image, targets, 0, { fence: leadership.fence }).catch((err) => {
      this.log.warn({ err: (err as Error).message }, 'auto leader rebalance failed');
    });
  }
}

/**
 * The controller's change for one partition: a reassignment that can complete completes (its
 * leader and ISR settled in the same write); otherwise leader and ISR follow who is alive.
 */
export function planPartition(p: PartitionState, live: Liveness, unclean: boolean): PartitionState | null {
  return (isReassigning(p) ? completeReassignment(p, live, unclean) : null) ?? reconcile(p, live, unclean);
}

/**
 * Writes partition changes in transactions of up to `maxTxnOps - 1` partitions, each compared on
 * its mod_revision, plus `fence`. Returns the last transaction's revision, or null when a compare
 * failed (the transactions before it were applied).
 */
export async function writePartitions(store: EtcdStore, writes: readonly PartitionWrite[], fence: readonly Compare[], maxTxnOps: number): Promise<number | null> {
  const per = Math.max(1, maxTxnOps - fence.length);
  let revision = 0;
  for (let i = 0; i < writes.length; i += per) {
    const chunk = writes.slice(i, i + per);
    const compares: Compare[] = [...fence, ...chunk.map((w) => unchanged(partitionKey(w.topic, w.partition), w.modRevision))];
    const ops: TxnOp[] = chunk.map((w) => ({ op: 'put', key: partitionKey(w.topic, w.partition), value: encodePartitionState(w.next) }));
    const r = await store.txn(compares, ops);
    if (!r.succeeded) return null;
    revision = r.revision;
  }
  return revision;
}

export interface ElectionResult {
  topic: string;
  partition: number;
  errorCode: ErrorCodeValue;
  message: string | null;
}

/**
 * ElectLeaders (type 0 preferred, 1 unclean) for the given partitions, as of `image`, written by
 * any broker (the controller passes its fence for auto rebalance). A partition that moved under us
 * is read again and retried; each gets its own result, as Kafka answers.
 */
export async function electLeaders(
  store: EtcdStore,
  image: ClusterImage,
  partitions: ReadonlyArray<{ topic: string; partition: number }>,
  electionType: 0 | 1,
  options: { fence?: Compare } = {},
): Promise<ElectionResult[]> {
  const live = livenessOf(image);
  const results: ElectionResult[] = [];
  for (const { topic, partition } of partitions) {
    let state: (PartitionState & { modRevision: number }) | null = image.partitions.get(topic)?.get(partition) ?? null;
    let result: ElectionResult | null = null;
    for (let attempt = 0; attempt < 3 && !result; attempt++) {
      if (!state) {
        result = { topic, partition, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, message: `The partition ${topic}-${partition} does not exist.` };
        break;
      }
      const next = electionType === 0 ? electPreferred(state, live) : electUnclean(state, live);
      if (typeof next === 'number') {
        result = { topic, partition, errorCode: next, message: electionMessage(next, topic, partition) };
        break;
      }
      const revision = await writePartitions(store, [{ topic, partition, modRevision: state.modRevision, next }], options.fence ? [options.fence] : [], 2);
      if (revision !== null) {
        result = { topic, partition, errorCode: ErrorCode.NONE, message: null };
        break;
      }
      const { kv } = await store.get(partitionKey(topic, partition));
      const decoded = kv ? decodePartitionState(kv.value) : null;
      state = decoded && kv ? { ...decoded, modRevision: kv.modRevision } : null;
    }
    results.push(result ?? { topic, partition, errorCode: ErrorCode.REQUEST_TIMED_OUT, message: 'The partition kept changing; retry' });
  }
  return results;
}

function electionMessage(code: ErrorCodeValue, topic: string, partition: number): string | null {
  switch (code) {
    case ErrorCode.ELECTION_NOT_NEEDED:
      return `Leader election not needed for topic partition ${topic}-${partition}`;
    case ErrorCode.PREFERRED_LEADER_NOT_AVAILABLE:
      return `Failed to elect leader for partition ${topic}-${partition} under strategy PreferredReplicaPartitionLeaderElectionStrategy`;
    case ErrorCode.ELIGIBLE_LEADERS_NOT_AVAILABLE:
      return `Failed to elect leader for partition ${topic}-${partition} under strategy UncleanLeaderElectionStrategy`;
    default:
      return null;
  }
}
