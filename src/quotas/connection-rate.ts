/**
 * Connection creation rate limits (Kafka's ConnectionQuotas, KIP-612), checked when a socket is
 * accepted, after the connection caps (connection-quotas.ts):
 *
 *  - max.connection.creation.rate (broker config, dynamic): new connections per second over the
 *    quota window, on every listener except the inter-broker one. Over it, the new connection is
 *    held (accepted, not served) for the throttle time — Kafka's acceptor stops accepting that
 *    long instead; the client sees the same delay.
 *  - connection_creation_rate of the `ip` client quota entity (a specific IP, else the default IP
 *    entity): over it, the connection is closed after the throttle time (Kafka's delayed close,
 *    so the client does not reconnect at once) and not counted.
 *
 * Throttle time as for client quotas: (rate − bound) / bound × window, capped at the window.
 * Rates per IP are kept only for IPs that have a rate quota, bounded by runnel.quota.max.sensors.
 */
import type { ConfigView } from '../config/view.js';
import { ipKey } from './entity.js';
import type { ClientQuotaStore } from './quota-store.js';
import { SampledRate } from './sampled-rate.js';

const IP_RATE_KEY = 'connection_creation_rate';
const NO_LIMIT = 2147483647;

export type ConnectionRateVerdict = { action: 'accept' } | { action: 'delay'; ms: number } | { action: 'close-after'; ms: number; reason: string };

export class ConnectionRateLimits {
  private readonly samples: number;
  private readonly windowMs: number;
  private readonly maxSensors: number;
  private readonly brokerRate: SampledRate;
  private readonly perIp = new Map<string, { rate: SampledRate; lastUsedMs: number }>();
  /** Connections held back and closed (metrics). */
  delayed = 0;
  ipThrottled = 0;

  constructor(
    private readonly config: ConfigView,
    private readonly store: ClientQuotaStore | null,
    private readonly interBrokerListener: string | null,
    private readonly now: () => number = Date.now,
  ) {
    this.samples = config.int('quota.window.num');
    this.windowMs = config.int('quota.window.size.seconds') * 1000;
    this.maxSensors = config.int('runnel.quota.max.sensors');
    this.brokerRate = new SampledRate(this.samples, this.windowMs);
  }

  /** What to do with a new connection from `ip` on `listener`. */
  check(listener: string, ip: string): ConnectionRateVerdict {
    const now = this.now();
    const ipLimit = this.ipLimit(ip);
    if (ipLimit !== undefined) {
      const s = this.ipSensor(ip, now);
      s.rate.record(1, now);
      const ms = this.throttleMs(s.rate, ipLimit, now);
      if (ms > 0) {
        s.rate.unrecord(1); // a refused connection does not count against the IP
        this.ipThrottled++;
        return { action: 'close-after', ms, reason: `connection_creation_rate (${ipLimit}/s) of ${ip} exceeded` };
      }
    }
    if (listener === this.interBrokerListener) return { action: 'accept' };
    const brokerLimit = this.config.int('max.connection.creation.rate');
    if (brokerLimit >= NO_LIMIT) return { action: 'accept' };
    this.brokerRate.record(1, now);
    const ms = this.throttleMs(this.brokerRate, brokerLimit, now);
    if (ms <= 0) return { action: 'accept' };
    this.delayed++;
    return { action: 'delay', ms };
  }

  /** /metrics: connections held or closed by these limits (Kafka counts them in its acceptor's throttle-time metrics). */
  render(w: { family(name: string, type: 'counter' | 'gauge', help: string): unknown; sample(name: string, value: number, labels?: Record<string, string | number>): unknown }): void {
    w.family('runnel_connections_throttled_total', 'counter', 'New connections throttled by a connection creation rate: held (max.connection.creation.rate) or closed after the throttle time (connection_creation_rate of an ip quota).');
    w.sample('runnel_connections_throttled_total', this.delayed, { limit: 'max.connection.creation.rate' });
    w.sample('runnel_connections_throttled_total', this.ipThrottled, { limit: 'connection_creation_rate' });
  }

  private ipLimit(ip: string): number | undefined {
    if (this.store === null) return undefined;
    return this.store.value(ipKey(ip), IP_RATE_KEY) ?? this.store.value(ipKey(null), IP_RATE_KEY);
  }

  private ipSensor(ip: string, now: number): { rate: SampledRate; lastUsedMs: number } {
    let s = this.perIp.get(ip);
    if (s === undefined) {
      if (this.perIp.size >= this.maxSensors) {
        const idleBefore = now - this.samples * this.windowMs;
        for (const [k, v] of this.perIp) if (v.lastUsedMs < idleBefore) this.perIp.delete(k);
        if (this.perIp.size >= this.maxSensors) this.perIp.delete(this.perIp.keys().next().value!);
      }
      s = { rate: new SampledRate(this.samples, this.windowMs), lastUsedMs: now };
      this.perIp.set(ip, s);
    }
    s.lastUsedMs = now;
    return s;
  }

  private throttleMs(rate: SampledRate, bound: number, now: number): number {
    const measured = rate.measure(now);
    if (measured <= bound) return 0;
    const maxMs = this.samples * this.windowMs;
    return bound > 0 ? Math.min(maxMs, Math.ceil(((measured - bound) / bound) * rate.windowSizeMs(now))) : maxMs;
  }
}
