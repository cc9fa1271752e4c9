/**
 * A broker's membership of its cluster, from start to stop (docs/cluster.md, "Every broker"): the
 * etcd side of cluster mode in the order the broker needs it, so the composition root
 * (src/broker.ts) wires it in a few calls.
 *
 *   connect         etcd reachable within runnel.etcd.request.timeout.ms, else the start fails
 *   joinClusterId   the cluster id in etcd; meta.properties must agree (InconsistentClusterIdError)
 *   loadImage       brokers, topics, partitions and controller at one revision, then watched
 *   follow(apply)   runs `apply` with the current image now and after every change, one run at a
 *                   time, coalesced (the topic mirror and the replica manager follow the image)
 *   register        after the listeners are bound: P/brokers/<id> under a lease (DuplicateNodeIdError
 *                   when a live broker holds the id), then the controller election (Controller.follow)
 *   probe           once registered: the other brokers' liveness probes (liveness-monitor.ts), so a
 *                   killed broker's lease is revoked within a second (runnel.broker.liveness.probe.enable)
 *   leave           the broker is stopping: probes stop, a fencing no longer registers it again
 *   shutdown        controlled shutdown (controlled.shutdown.enable): leaderships move away first
 *   close           leave the election, revoke the lease, stop watching, close the client
 *
 * Events: 'fenced' (the lease counts as lost: stop leading at once), 'unfenced' (registered again;
 * the image is applied again right after), 'error' (DuplicateNodeIdError while fenced: another
 * broker took this node.id; the broker should stop).
 */
import { EventEmitter } from 'node:events';
import type { Logger } from '../logger.js';
import type { ClusterSettings } from './cluster-config.js';
import { Controller, electLeaders } from './controller.js';
import { controlledShutdown } from './controlled-shutdown.js';
import { type EtcdStore, connectEtcd } from './etcd.js';
import { sleep } from './etcd-types.js';
import { LivenessMonitor } from './liveness-monitor.js';
import { type ClusterImage, MetadataImage } from './metadata-image.js';
import type { ElectionOutcome, ReassignmentAnswer, ReassignmentRequest } from './node.js';
import { ProducerIdBlocks } from './producer-ids.js';
import { alterReassignments } from './reassign.js';
import type { BrokerListener } from './records.js';
import { Registration, joinClusterId } from './registration.js';
import { ClusterTopicStore, asKafkaError } from './topic-store.js';

/** After a failed application of the image, the next attempt waits this long. */
const APPLY_RETRY_MS = 1000;

export class ClusterMode extends EventEmitter {
  readonly topicStore: ClusterTopicStore;
  readonly producerIds: ProducerIdBlocks;
  private image: MetadataImage | null = null;
  private registration: Registration | null = null;
  private controller: Controller | null = null;
  private liveness: LivenessMonitor | null = null;
  private stopFollowing: (() => void) | null = null;
  private applyFn: ((image: ClusterImage) => Promise<void>) | null = null;
  private applying: Promise<void> | null = null;
  private dirty = false;
  private closed = false;
  private readonly waiters = new Set<() => void>();
  private readonly onChange = () => {
    // A registration deleted in etcd (its lease revoked by another broker's probe, or expired)
    // fences this broker now, not at its next keep-alive.
    const image = this.current();
    this.registration?.checkImage(image);
    this.liveness?.update(image);
    this.kick();
  };

  private constructor(
    readonly settings: ClusterSettings,
    readonly store: EtcdStore,
    private readonly log: Logger,
  ) {
    super();
    this.topicStore = new ClusterTopicStore(store, { maxTxnOps: settings.maxTxnOps, image: () => this.current() });
    this.producerIds = new ProducerIdBlocks(store, settings.nodeId);
  }

  /** Connects to etcd; fails with a message naming the endpoints when it does not answer. */
  static async connect(settings: ClusterSettings, log: Logger): Promise<ClusterMode> {
    const clusterLog = log.child({ component: 'cluster' });
    let store: EtcdStore;
    try {
      store = await connectEtcd({ endpoints: settings.endpoints, prefix: settings.prefix, requestTimeoutMs: settings.requestTimeoutMs, log: clusterLog });
    } catch (err) {
      throw new Error(`cannot reach etcd at ${settings.endpoints.join(',')} (runnel.etcd.endpoints) within ${settings.requestTimeoutMs} ms: ${(err as Error).message}`);
    }
    return new ClusterMode(settings, store, clusterLog);
  }

  /** The cluster id this broker joins with (see registration.ts joinClusterId). */
  joinClusterId(local: { stored: string | null; configured: string | null; fresh: string }): Promise<string> {
    return joinClusterId(this.store, local);
  }

  async loadImage(): Promise<MetadataImage> {
    this.image = await MetadataImage.load(this.store, this.log);
    return this.image;
  }

  /** The metadata image now (empty before loadImage). */
  current(): ClusterImage {
    return this.image!.current();
  }

  /**
   * Runs `apply` with the current image now (resolves once that run is done; its failure fails the
   * start) and again after every change, one run at a time; changes during a run are applied
   * together in the next one, and a failed run is retried.
   */
  async follow(apply: (image: ClusterImage) => Promise<void>): Promise<void> {
    this.image!.on('change', this.onChange);
    this.dirty = false;
    await apply(this.current());
    this.applyFn = apply;
    if (this.dirty) this.kick();
  }

  /** Resolves true once the metadata image is at `revision` (a write of ours is in), false after `timeoutMs`; needs no apply run. */
  imageAt(revision: number, timeoutMs: number): Promise<boolean> {
    return this.image!.waitForRevision(revision, timeoutMs);
  }

  /** Applies the current image again (after unfencing); resolves once that run is done. */
  async reapply(): Promise<void> {
    this.kick();
    await this.applying;
  }

  /** Resolves true once a run of `apply` has ended with `done()` true (now included), false after `timeoutMs`. */
  applied(done: () => boolean, timeoutMs: number): Promise<boolean> {
    if (done()) return Promise.resolve(true);
    return new Promise((resolve) => {
      const check = () => {
        if (done()) finish(true);
      };
      const finish = (result: boolean) => {
        clearTimeout(timer);
        this.waiters.delete(check);
        resolve(result);
      };
      const timer = setTimeout(() => finish(false), timeoutMs);
      this.waiters.add(check);
    });
  }

  private kick(): void {
    this.dirty = true;
    if (!this.applyFn) return;
    this.applying ??= this.runApply().finally(() => {
      this.applying = null;
    });
  }

  private async runApply(): Promise<void> {
    while (this.dirty && !this.closed && this.applyFn) {
      this.dirty = false;
      const image = this.current();
      try {
        await this.applyFn(image);
      } catch (err) {
        this.log.error({ err, revision: image.revision }, 'applying the metadata image failed; retrying');
        await sleep(APPLY_RETRY_MS);
        this.dirty = true;
      }
      for (const w of [...this.waiters]) w();
    }
  }

  /**
   * Registers this broker with its advertised listeners (and its schema registry's URL, where other
   * brokers forward registry writes) and enters the controller election. Throws
   * DuplicateNodeIdError when another live broker holds the node.id.
   */
  async register(listeners: BrokerListener[], schemaRegistry: string | null = null, features?: Record<string, [number, number]>): Promise<void> {
    const s = this.settings;
    const registration = new Registration(this.store, {
      nodeId: s.nodeId,
      listeners,
      rack: s.rack,
      schemaRegistry,
      features,
      sessionTimeoutMs: s.sessionTimeoutMs,
      heartbeatIntervalMs: s.heartbeatIntervalMs,
      log: this.log,
    });
    registration.on('fenced', (reason: string) => this.emit('fenced', reason));
    registration.on('unfenced', () => {
      this.emit('unfenced');
      this.kick();
    });
    registration.on('error', (err: Error) => this.emit('error', err));
    this.registration = registration;
    await registration.start();
    this.controller = new Controller({
      nodeId: s.nodeId,
      store: this.store,
      image: this.image!,
      log: this.log,
      uncleanLeaderElection: s.uncleanLeaderElection,
      autoLeaderRebalance: s.autoLeaderRebalance,
      imbalanceCheckIntervalMs: s.imbalanceCheckIntervalMs,
      maxTxnOps: s.maxTxnOps,
    });
    this.stopFollowing = this.controller.follow(registration);
    if (s.livenessProbe && !this.closed) {
      this.liveness = new LivenessMonitor({ nodeId: s.nodeId, store: this.store, listenerName: s.interBrokerListener, log: this.log, image: () => this.current(), connect: s.probeConnect });
      this.liveness.update(this.current());
    }
  }

  /**
   * The broker is stopping: its probes of the others stop, and a fencing from now on (its own
   * lease revoked by another broker's probe once its listeners close) does not register it again.
   */
  leave(): void {
    this.liveness?.close();
    this.liveness = null;
    this.registration?.leave();
  }

  /** Whether this broker's lease counts as lost (or it is not registered). */
  get fenced(): boolean {
    return this.registration?.isFenced() ?? true;
  }

  /** Whether this broker is the controller now. */
  get isController(): boolean {
    return this.controller?.isActive() ?? false;
  }

  /** ElectLeaders from any broker: written to etcd with the controller's rules (etcd unreachable: REQUEST_TIMED_OUT). */
  async electLeaders(partitions: ReadonlyArray<{ topic: string; partition: number }>, electionType: 0 | 1): Promise<ElectionOutcome[]> {
    try {
      return await electLeaders(this.store, this.current(), partitions, electionType);
    } catch (err) {
      throw asKafkaError(err, 'elect leaders');
    }
  }

  /**
   * AlterPartitionReassignments from any broker (reassign.ts); answers once this broker's image
   * shows the writes, so a ListPartitionReassignments or Metadata that follows here sees them.
   * etcd unreachable: REQUEST_TIMED_OUT.
   */
  async alterReassignments(moves: readonly ReassignmentRequest[]): Promise<ReassignmentAnswer[]> {
    try {
      const { outcomes, revision } = await alterReassignments(this.store, this.current(), moves, this.settings.uncleanLeaderElection);
      if (revision > 0) await this.image!.waitForRevision(revision, this.settings.requestTimeoutMs);
      return outcomes;
    } catch (err) {
      throw asKafkaError(err, 'alter partition reassignments');
    }
  }

  /**
   * Controlled shutdown (when enabled and registered): asks the controller to move this broker's
   * leaderships away and waits for it, at most `timeoutMs`. Never throws.
   */
  async shutdown(timeoutMs: number): Promise<void> {
    const registration = this.registration;
    if (!this.settings.controlledShutdown || !registration || registration.isFenced()) return;
    const t0 = Date.now();
    try {
      const r = await controlledShutdown(registration, this.image!, this.settings.nodeId, timeoutMs, this.settings.uncleanLeaderElection);
      this.log.info({ completed: r.completed, remainingLeaderships: r.remaining, ms: Date.now() - t0 }, 'controlled shutdown done');
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'controlled shutdown failed; leaving without it');
    }
  }

  /** Leaves the cluster: the election, the lease (its registration goes at once), the watch, the client. */
  async close(): Promise<void> {
    this.closed = true;
    this.leave();
    this.image?.off('change', this.onChange);
    this.stopFollowing?.();
    await this.controller?.close().catch(() => undefined);
    await this.applying;
    await this.registration?.stop();
    await this.image?.close().catch(() => undefined);
    await this.store.close().catch(() => undefined);
  }
}
