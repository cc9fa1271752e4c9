/**
 * A broker's membership of the cluster: its registration `P/brokers/<id>` under an etcd lease,
 * the keep-alive, and the self-fencing clock (docs/cluster.md, "Fencing").
 *
 * The clock: the lease is counted lost at `send time of the last successful keep-alive +
 * broker.session.timeout.ms - 1 s`. etcd extends the lease from when the keep-alive *arrived*
 * (never before it was sent) by its TTL (>= the session timeout), so the broker gives up acting
 * on the lease at least 1 s before etcd can expire it and the controller can hand its
 * leaderships to another broker. The margin covers clock-rate differences and a late timer:
 * `isFenced()` compares the clock itself, so a check on the produce path is exact even when the
 * 'fenced' event is delayed by a busy event loop.
 *
 * Events:
 * - 'registered' (BrokerRegistration): registered, first or again after being fenced (with a new
 *   lease, so a new incarnation).
 * - 'fenced' (reason: string): the lease counts as lost (the clock ran out, etcd said the lease
 *   is gone, or the metadata image no longer holds the registration: checkImage); stop leading.
 *   Re-registration is attempted every heartbeat interval until etcd answers (not once `leave()`
 *   was called: the broker is stopping).
 * - 'unfenced' (BrokerRegistration): registered again after being fenced (after 'registered').
 * - 'error' (DuplicateNodeIdError): while this broker was fenced, another live broker registered
 *   the same node.id. Re-registration stops; the broker should shut down.
 */
import { EventEmitter } from 'node:events';
import { performance } from 'node:perf_hooks';
import type { BrokerConfig } from '../config/broker-config.js';
import type { Logger } from '../logger.js';
import { type EtcdStore, absent, isEtcdError } from './etcd.js';
import { type BrokerListener, type BrokerRegistration, CLUSTER_KEY, brokerKey, decodeBrokerRegistration, encode } from './records.js';

/** How long before etcd can expire the lease the broker counts it lost. */
export const FENCING_MARGIN_MS = 1000;

export class DuplicateNodeIdError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DuplicateNodeIdError';
  }
}

export interface RegistrationOptions {
  nodeId: number;
  listeners: BrokerListener[];
  rack: string | null;
  /** The schema registry listener's base URL, registered for forwarded writes (null: none). */
  schemaRegistry?: string | null;
  /** The feature levels this build supports (name → [min, max]), for other brokers' UpdateFeatures checks. */
  features?: Record<string, [number, number]>;
  /** broker.session.timeout.ms: the lease TTL (rounded up to seconds). */
  sessionTimeoutMs: number;
  /** broker.heartbeat.interval.ms */
  heartbeatIntervalMs: number;
  log: Logger;
  /** Monotonic milliseconds (tests may pass their own). */
  now?: () => number;
}

/**
 * The listeners to register: advertised.listeners (else listeners) with their security protocols.
 * `boundPorts` replaces port 0 with the port actually bound, by listener name.
 */
export function registrationListeners(config: BrokerConfig, boundPorts: ReadonlyMap<string, number> = new Map()): BrokerListener[] {
  const protocols = new Map(config.list('listener.security.protocol.map').map((e) => e.split(':').map((x) => x.toUpperCase()) as [string, string]));
  return config.advertisedListeners().map((l) => ({
    name: l.name,
    host: l.host,
    port: l.port === 0 ? (boundPorts.get(l.name) ?? 0) : l.port,
    securityProtocol: protocols.get(l.name.toUpperCase()) ?? 'PLAINTEXT',
  }));
}

/** The cluster id in `P/cluster`: the one already there, else `candidate` (written once, create-if-absent). */
export async function ensureClusterId(store: EtcdStore, candidate: string): Promise<string> {
  const r = await store.txn([absent(CLUSTER_KEY)], [{ op: 'put', key: CLUSTER_KEY, value: encode({ clusterId: candidate }) }], [{ op: 'get', key: CLUSTER_KEY }]);
  if (r.succeeded) return candidate;
  const existing = r.gets[0]?.[0];
  const id = existing ? (JSON.parse(existing.value.toString()) as { clusterId?: unknown }).clusterId : undefined;
  if (typeof id !== 'string') throw new Error(`etcd key ${store.root}${CLUSTER_KEY} holds no cluster id`);
  return id;
}

/** Kafka's InconsistentClusterIdException: the data directory belongs to another cluster. */
export class InconsistentClusterIdError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InconsistentClusterIdError';
  }
}

/**
 * The cluster id a broker joins with, as Kafka's ZooKeeper-era broker decides it: the one in etcd,
 * created on first start from the data directory's meta.properties (`stored`), else the
 * configured cluster.id, else `fresh`. A stored or configured id that differs from etcd's refuses
 * the start: the broker's data is another cluster's, or the endpoints/prefix point at the wrong
 * cluster. A data directory without meta.properties takes etcd's id.
 */
export async function joinClusterId(store: EtcdStore, local: { stored: string | null; configured: string | null; fresh: string }): Promise<string> {
  const id = await ensureClusterId(store, local.stored ?? local.configured ?? local.fresh);
  if (local.stored !== null && local.stored !== id) {
    throw new InconsistentClusterIdError(
      `The Cluster ID ${id} doesn't match stored clusterId ${local.stored} in meta.properties. The broker is trying to join the wrong cluster. Configured runnel.etcd.endpoints or runnel.etcd.prefix may be wrong.`,
    );
  }
  if (local.configured !== null && local.configured !== id) {
    throw new InconsistentClusterIdError(`The Cluster ID ${id} in etcd (${store.root}${CLUSTER_KEY}) doesn't match the configured cluster.id ${local.configured}.`);
  }
  return id;
}

type State = 'idle' | 'registered' | 'fenced' | 'stopped';

export class Registration extends EventEmitter {
  private readonly key: string;
  private readonly ttlSeconds: number;
  private readonly now: () => number;
  private readonly log: Logger;
  private state: State = 'idle';
  private registration: BrokerRegistration | null = null;
  /** Monotonic time after which the lease counts as lost. */
  private deadline = 0;
  private lastKeepAliveSentAt = 0;
  private keepAliveTimer: NodeJS.Timeout | null = null;
  private fenceTimer: NodeJS.Timeout | null = null;
  private retryTimer: NodeJS.Timeout | null = null;
  private keepAliveInFlight: Promise<void> | null = null;
  /** Monotonic send time of the last keep-alive attempt: the next goes out one interval later. */
  private lastAttemptAt = 0;
  /** Registration attempts that found the key taken (start logs the first). */
  private attempts = 0;
  /** A controlled shutdown was requested: a re-registration keeps saying so. */
  private shuttingDown = false;
  /** The broker is stopping: once fenced it does not register again. */
  private leaving = false;
  /** The etcd revision of the transaction that wrote the current registration. */
  private registeredRevision = 0;

  constructor(
    private readonly store: EtcdStore,
    private readonly options: RegistrationOptions,
  ) {
    super();
    this.key = brokerKey(options.nodeId);
    this.ttlSeconds = Math.ceil(options.sessionTimeoutMs / 1000);
    this.now = options.now ?? (() => performance.now());
    this.log = options.log.child({ component: 'registration', nodeId: options.nodeId });
    if (options.heartbeatIntervalMs >= options.sessionTimeoutMs - FENCING_MARGIN_MS) {
      throw new Error(`broker.heartbeat.interval.ms (${options.heartbeatIntervalMs}) must be less than broker.session.timeout.ms - ${FENCING_MARGIN_MS} (${options.sessionTimeoutMs - FENCING_MARGIN_MS})`);
    }
  }

  /** The registration in etcd, or null while fenced or not yet registered. */
  current(): BrokerRegistration | null {
    return this.isFenced() ? null : this.registration;
  }

  /** True unless registered with a lease that still counts as alive (see the header). */
  isFenced(): boolean {
    return this.state !== 'registered' || this.now() >= this.deadline;
  }

  /** Monotonic time at which the lease will count as lost unless renewed. */
  leaseDeadline(): number {
    return this.deadline;
  }

  /** Monotonic send time of the last keep-alive (or grant) etcd acknowledged. */
  lastKeepAlive(): number {
    return this.lastKeepAliveSentAt;
  }

  /**
   * Called with every metadata image: when an image at or after the registration's own revision
   * lacks it (its lease was revoked, e.g. by another broker's liveness probe, or it expired), the
   * broker is fenced at once instead of at its next keep-alive, up to a heartbeat later.
   */
  checkImage(image: { revision: number; brokers: ReadonlyMap<number, { incarnation: string }> }): void {
    if (this.state !== 'registered' || !this.registration || image.revision < this.registeredRevision) return;
    if (image.brokers.get(this.options.nodeId)?.incarnation === this.registration.incarnation) return;
    this.fence(`the registration is gone from etcd (revision ${image.revision}): its lease was revoked or expired`);
  }

  /** The broker is stopping: a fencing from now on (its lease revoked by another broker) does not register it again. */
  leave(): void {
    this.leaving = true;
  }

  /**
   * Registers. A registration of this node.id that is already there is waited for up to the lease
   * TTL plus a heartbeat and a second (it may be this broker's own from before a crash, which etcd
   * expires within that time); if it is still there the broker holding it is alive, and start
   * fails with DuplicateNodeIdError.
   */
  async start(): Promise<BrokerRegistration> {
    if (this.state !== 'idle') throw new Error('registration already started');
    const waitMs = this.ttlSeconds * 1000 + this.options.heartbeatIntervalMs + 1000;
    const waitUntil = this.now() + waitMs;
    let holder: BrokerRegistration | null = null;
    for (;;) {
      const outcome = await this.register();
      if (outcome.registered) break;
      holder = outcome.holder;
      if ((this.state as State) === 'stopped') throw new Error('registration stopped while starting');
      if (this.now() >= waitUntil) {
        throw new DuplicateNodeIdError(
          `node.id ${this.options.nodeId} is registered in etcd (${this.store.root}${this.key}) by a live broker` +
            (holder ? ` (incarnation ${holder.incarnation}, listeners ${holder.listeners.map((l) => `${l.name}://${l.host}:${l.port}`).join(',')})` : '') +
            `: waited ${waitMs} ms for it to expire. Every broker needs its own node.id.`,
        );
      }
      if (outcome.first) this.log.warn({ holder }, 'node.id is registered by another lease: waiting for it to expire (a restart after a crash) before giving up');
      await new Promise((r) => setTimeout(r, Math.min(250, this.options.heartbeatIntervalMs)));
    }
    return this.registration!;
  }

  /**
   * One attempt: a new lease, and the registration under it if the key is free. Returns the
   * holder when it is not. Throws when etcd is unavailable.
   */
  private async register(): Promise<{ registered: true } | { registered: false; holder: BrokerRegistration | null; first: boolean }> {
    const sentAt = this.now();
    const lease = await this.store.grantLease(this.ttlSeconds);
    const registration: BrokerRegistration = { id: this.options.nodeId, listeners: this.options.listeners, rack: this.options.rack, incarnation: lease.id };
    if (this.shuttingDown) registration.shuttingDown = true;
    if (this.options.schemaRegistry) registration.schemaRegistry = this.options.schemaRegistry;
    if (this.options.features) registration.features = this.options.features;
    let r;
    try {
      r = await this.store.txn([absent(this.key)], [{ op: 'put', key: this.key, value: encode(registration), lease: lease.id }], [{ op: 'get', key: this.key }]);
    } catch (err) {
      // The put may have happened: revoking the lease removes it either way.
      await this.store.revokeLease(lease.id).catch(() => undefined);
      throw err;
    }
    if (!r.succeeded) {
      await this.store.revokeLease(lease.id).catch(() => undefined);
      const kv = r.gets[0]?.[0];
      return { registered: false, holder: kv ? decodeBrokerRegistration(kv.value) : null, first: this.attempts++ === 0 };
    }
    if (this.state === 'stopped') {
      await this.store.revokeLease(lease.id).catch(() => undefined);
      throw new Error('registration stopped while registering');
    }
    const wasFenced = this.state === 'fenced';
    this.registration = registration;
    this.registeredRevision = r.revision;
    this.state = 'registered';
    this.lastAttemptAt = sentAt;
    this.renewed(sentAt);
    this.scheduleKeepAlive();
    this.log.info({ incarnation: lease.id, ttlSeconds: lease.ttlSeconds }, 'registered in the cluster');
    this.emit('registered', registration);
    if (wasFenced) this.emit('unfenced', registration);
    return { registered: true };
  }

  /** A keep-alive (or the grant) sent at `sentAt` succeeded: the lease counts until sentAt + session - margin. */
  private renewed(sentAt: number): void {
    this.lastKeepAliveSentAt = sentAt;
    this.deadline = sentAt + this.options.sessionTimeoutMs - FENCING_MARGIN_MS;
    if (this.fenceTimer) clearTimeout(this.fenceTimer);
    this.fenceTimer = setTimeout(() => this.checkDeadline(), Math.max(0, this.deadline - this.now()));
  }

  private checkDeadline(): void {
    this.fenceTimer = null;
    if (this.state !== 'registered') return;
    const left = this.deadline - this.now();
    if (left > 0) {
      this.fenceTimer = setTimeout(() => this.checkDeadline(), left);
      return;
    }
    this.fence(`no keep-alive acknowledged for ${Math.round(this.now() - this.lastKeepAliveSentAt)} ms`);
  }

  private fence(reason: string): void {
    if (this.state !== 'registered') return;
    this.state = 'fenced';
    if (this.keepAliveTimer) clearTimeout(this.keepAliveTimer);
    this.keepAliveTimer = null;
    this.log.warn({ reason, incarnation: this.registration?.incarnation }, 'lease counted lost: fenced (no longer acting as a leader)');
    this.emit('fenced', reason);
    if (!this.leaving) this.scheduleReregister(0);
  }

  private scheduleKeepAlive(): void {
    if (this.state !== 'registered') return;
    const next = Math.max(0, this.lastAttemptAt + this.options.heartbeatIntervalMs - this.now());
    this.keepAliveTimer = setTimeout(() => {
      this.keepAliveTimer = null;
      this.keepAliveInFlight = this.keepAlive().finally(() => {
        this.keepAliveInFlight = null;
        this.scheduleKeepAlive();
      });
    }, next);
  }

  private async keepAlive(): Promise<void> {
    const incarnation = this.registration!.incarnation;
    const sentAt = this.now();
    this.lastAttemptAt = sentAt;
    try {
      // A keep-alive slower than the interval is as good as lost: the next one goes out anyway.
      await this.store.keepAliveOnce(incarnation, Math.min(this.store.requestTimeoutMs, this.options.heartbeatIntervalMs));
      if (this.state === 'registered' && this.registration?.incarnation === incarnation) this.renewed(sentAt);
    } catch (err) {
      if (isEtcdError(err, 'LeaseNotFound')) {
        this.fence('etcd says the lease is gone');
        return;
      }
      this.log.debug({ err: (err as Error).message }, 'keep-alive failed');
      // Unavailable: the deadline timer fences when it comes.
    }
  }

  private scheduleReregister(delayMs: number): void {
    if (this.state !== 'fenced') return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      void this.reregister();
    }, delayMs);
  }

  /** After fencing: drop the old lease (and with it the old registration), then register anew. */
  private async reregister(): Promise<void> {
    if (this.state !== 'fenced' || this.leaving) return;
    try {
      const old = this.registration?.incarnation;
      if (old) await this.store.revokeLease(old);
      const outcome = await this.register();
      if (!outcome.registered) {
        // Our own old key is gone (lease revoked), so this is another broker with our node.id.
        this.state = 'stopped';
        this.emit('error', new DuplicateNodeIdError(`node.id ${this.options.nodeId} was registered by another broker (incarnation ${outcome.holder?.incarnation}) while this one was fenced`));
      }
    } catch (err) {
      this.log.debug({ err: (err as Error).message }, 're-registration failed; retrying');
      this.scheduleReregister(this.options.heartbeatIntervalMs);
    }
  }

  /**
   * Controlled shutdown, step one: marks the registration `shuttingDown` (same key, same lease), so
   * that the controller moves this broker's leaderships away and takes it out of the ISRs.
   * Throws when the broker is not registered or etcd is unreachable.
   */
  async markShuttingDown(): Promise<void> {
    this.shuttingDown = true;
    const registration = this.current();
    if (!registration) throw new Error('not registered: no leaderships to move');
    const next: BrokerRegistration = { ...registration, shuttingDown: true };
    const r = await this.store.txn(
      [{ key: this.key, target: 'lease', result: '=', value: registration.incarnation }],
      [{ op: 'put', key: this.key, value: encode(next), lease: registration.incarnation }],
    );
    if (!r.succeeded) throw new Error(`the registration under lease ${registration.incarnation} is gone`);
    this.registration = next;
    this.log.info('controlled shutdown requested: waiting for leaderships to move');
  }

  /** Leaves the cluster: stops the keep-alive and revokes the lease, which deletes the registration at once. */
  async stop(): Promise<void> {
    const was = this.state;
    this.state = 'stopped';
    for (const t of [this.keepAliveTimer, this.fenceTimer, this.retryTimer]) if (t) clearTimeout(t);
    this.keepAliveTimer = this.fenceTimer = this.retryTimer = null;
    await this.keepAliveInFlight;
    if ((was === 'registered' || was === 'fenced') && this.registration) {
      try {
        await this.store.revokeLease(this.registration.incarnation);
        this.log.info({ incarnation: this.registration.incarnation }, 'left the cluster (lease revoked)');
      } catch (err) {
        this.log.warn({ err: (err as Error).message }, 'could not revoke the lease; etcd expires it after broker.session.timeout.ms');
      }
    }
  }
}
