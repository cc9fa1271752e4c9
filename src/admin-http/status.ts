/**
 * What the admin HTTP endpoint reads of the broker (the Broker implements it): identity and
 * lifecycle for /ready and /health, and for /metrics the counters plus state read at scrape time.
 * It opens before storage is up, so the parts that exist only once the broker has started
 * (partition logs, topics, groups) may be missing, and are reported as empty until they exist.
 */
import type { LogManager } from '../../storage/log-manager.js';
import type { GroupCoordinator } from '../groups/coordinator.js';
import type { Logger } from '../logger.js';
import type { PrometheusText } from './prometheus-text.js';
import type { MetricsLimits } from './series-limits.js';

export type Lifecycle = 'starting' | 'ready' | 'stopping' | 'stopped';

export interface BrokerStatus {
  readonly nodeId: number;
  readonly clusterId: string;
  /** True once recovery finished and the listeners are open, until stop() begins. */
  readonly ready: boolean;
  readonly lifecycle: Lifecycle;
  /** Date.now() at construction. */
  readonly startedAt: number;
  readonly log: Logger;
  /** The broker's counters and histograms (src/metrics.ts). */
  readonly metrics: { readonly limits: MetricsLimits; render(w: PrometheusText): PrometheusText };
  readonly requestMemory: { usedBytes(): number; availableBytes(): number };
  readonly logs: LogManager | undefined;
  readonly topics: { all(): Iterable<{ readonly name: string; readonly partitions: number }> } | undefined;
  readonly groups: GroupCoordinator | undefined;
  /** Cluster mode: the replication metrics (ISR changes, under-replicated partitions, follower lag); absent on a single node. */
  readonly replication?: { render(w: PrometheusText): void } | null;
  /** Client quota metrics (byte rates and throttle times per user / client id). */
  readonly quotas?: { render(w: PrometheusText, maxSeries: number): void } | null;
  /** Share groups (KIP-932): archived and dead-lettered record counters. */
  readonly shareGroups?: { render(w: PrometheusText): void } | null;
  /** Open connections per listener name. */
  connectionsByListener(): Map<string, number>;
}
