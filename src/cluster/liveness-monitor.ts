/**
 * Fast failover for killed brokers (runnel.broker.liveness.probe.enable; docs/cluster.md,
 * "Fencing"): a broker's lease expires only broker.session.timeout.ms after its last keep-alive
 * (9 s by default, as Kafka's session), and shortening it fences live brokers whose event loop
 * stalls under load. But a *dead process* is visible in milliseconds: its port refuses
 * connections. Every broker probes every other registered broker (liveness-probe.ts: an idle
 * connection, a refused reconnect confirmed once) and, when a probe says the process is gone,
 * revokes that registration's lease. The registration and the controller candidacy under it are
 * deleted at once, and the existing path runs as on lease expiry: the controller moves the
 * broker's leaderships to live ISR members with new epochs (a killed controller: the next
 * candidate is elected, and it moves them).
 *
 * Why every broker and not just the controller: when the controller itself dies, someone else has
 * to notice, and a new controller should already have reached every broker (a probe judges only
 * addresses it has reached before). N-1 idle connections per broker; a death is usually reported
 * by several brokers, and a lease already revoked is no error.
 *
 * Safety:
 * - Only the lease id the probe was started for is revoked. Lease ids are never the same for two
 *   registrations, so a broker that restarted (on the same port or not) and registered again is
 *   untouched: its new registration is under a new lease. No compare is needed; the image is
 *   checked first only to skip a revocation that is already moot.
 * - A wrong verdict (a firewall that answers with resets, a live broker that closed its listener)
 *   costs that broker its registration, not data: it sees its key deleted (cluster-mode.ts) or its
 *   keep-alive refused and stops leading at once, then registers again. Its acks=all produces cannot
 *   complete meanwhile: the new leader no longer fetches from it, and it cannot shrink the ISR
 *   without the partition epoch the controller has already bumped. Turn the probe off where such
 *   firewalls sit between brokers.
 */
import type { Socket } from 'node:net';
import type { Logger } from '../logger.js';
import type { EtcdStore } from './etcd.js';
import { LivenessProbe, type ProbeTarget } from './liveness-probe.js';
import type { ClusterImage } from './metadata-image.js';

/** The second refused connect comes this long after the first. */
export const CONFIRM_MS = 200;
/** Inconclusive attempts (timeouts, unreachable) are repeated this often. */
export const RETRY_MS = 1000;
/** A connect not done by then is abandoned (inconclusive). */
export const CONNECT_TIMEOUT_MS = 2000;
/** Connections that keep closing sooner than this after opening (a proxy, max.connections) are retried after RETRY_MS. */
export const MIN_LIFETIME_MS = 1000;
/** After the other broker refused the probe's login, its connections stay silent this long before it tries again. */
export const GREET_BACKOFF_MS = 60_000;

export interface LivenessMonitorOptions {
  nodeId: number;
  store: EtcdStore;
  /** Whose listener is probed: the inter-broker listener name (null: each broker's first). */
  listenerName: string | null;
  log: Logger;
  /** The current image: a revocation is skipped when the registration is already gone or replaced. */
  image: () => ClusterImage;
  /** Overrides of the timings above (tests). */
  timings?: Partial<{ confirmMs: number; retryMs: number; connectTimeoutMs: number; minLifetimeMs: number; greetBackoffMs: number }>;
  /** The probes' connection factory (TLS for a TLS inter-broker listener); absent: net.connect. */
  connect?: (host: string, port: number) => Socket;
  /** What a probe says on each new connection (a SASL login as this broker); absent: nothing. */
  greet?: (socket: Socket, host: string, port: number) => Promise<void>;
}

/** The brokers to probe in `image`: every registered broker but `self`, at its listener named `listenerName`. */
export function probeTargets(image: ClusterImage, self: number, listenerName: string | null): ProbeTarget[] {
  const out: ProbeTarget[] = [];
  for (const b of image.brokers.values()) {
    if (b.id === self) continue;
    const l = b.listeners.find((x) => x.name === listenerName) ?? b.listeners[0];
    if (l && l.port > 0) out.push({ brokerId: b.id, incarnation: b.incarnation, host: l.host, port: l.port });
  }
  return out;
}

const sameTarget = (a: ProbeTarget, b: ProbeTarget) => a.incarnation === b.incarnation && a.host === b.host && a.port === b.port;

export class LivenessMonitor {
  private readonly probes = new Map<number, LivenessProbe>();
  private readonly log: Logger;
  private closed = false;

  constructor(private readonly options: LivenessMonitorOptions) {
    this.log = options.log.child({ component: 'liveness-probe', nodeId: options.nodeId });
  }

  /** Probes exactly the other brokers registered in `image` (new ones start, gone or re-registered ones are replaced). */
  update(image: ClusterImage): void {
    if (this.closed) return;
    const wanted = new Map(probeTargets(image, this.options.nodeId, this.options.listenerName).map((t) => [t.brokerId, t]));
    for (const [id, probe] of this.probes) {
      const t = wanted.get(id);
      if (!t || !sameTarget(t, probe.target)) {
        probe.stop();
        this.probes.delete(id);
      }
    }
    const t = this.options.timings ?? {};
    for (const [id, target] of wanted) {
      if (this.probes.has(id)) continue;
      const probe = new LivenessProbe(target, {
        onGone: (gone, evidence) => void this.revoke(gone, evidence),
        confirmMs: t.confirmMs ?? CONFIRM_MS,
        retryMs: t.retryMs ?? RETRY_MS,
        connectTimeoutMs: t.connectTimeoutMs ?? CONNECT_TIMEOUT_MS,
        minLifetimeMs: t.minLifetimeMs ?? MIN_LIFETIME_MS,
        connect: this.options.connect,
        greet: this.options.greet,
        greetBackoffMs: t.greetBackoffMs ?? GREET_BACKOFF_MS,
        onGreetRefused: (refused, err) => this.log.warn({ brokerId: refused.brokerId, err: err.message, retryInMs: t.greetBackoffMs ?? GREET_BACKOFF_MS }, 'the liveness probe could not log in to the other broker; its connections stay unauthenticated (closed after runnel.sasl.authentication.timeout.ms) until it tries again'),
      });
      this.probes.set(id, probe);
      probe.start();
    }
  }

  /** The broker ids probed now (tests). */
  probed(): number[] {
    return [...this.probes.keys()].sort((a, b) => a - b);
  }

  close(): void {
    this.closed = true;
    for (const p of this.probes.values()) p.stop();
    this.probes.clear();
  }

  private async revoke(target: ProbeTarget, evidence: string): Promise<void> {
    if (this.closed) return;
    const now = this.options.image().brokers.get(target.brokerId);
    if (now?.incarnation !== target.incarnation) return; // already gone or replaced: nothing to do
    const t0 = performance.now();
    try {
      await this.options.store.revokeLease(target.incarnation);
      this.log.warn({ brokerId: target.brokerId, incarnation: target.incarnation, evidence, revokeMs: Math.round(performance.now() - t0) }, 'broker process is gone: revoked its lease so that its leaderships move now');
    } catch (err) {
      // etcd unreachable: the lease expires on its own after broker.session.timeout.ms.
      this.log.warn({ brokerId: target.brokerId, incarnation: target.incarnation, err: (err as Error).message }, 'broker process is gone but its lease could not be revoked; it expires after broker.session.timeout.ms');
    }
  }
}
