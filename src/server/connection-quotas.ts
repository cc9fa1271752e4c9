/**
 * Connection caps checked when a connection is accepted: `max.connections` (broker-wide),
 * `max.connections.per.ip` and `max.connections.per.ip.overrides` (Kafka's names). A connection
 * over a cap is closed at once, as Kafka does for the per-IP cap. (Kafka's acceptor instead
 * waits for a free slot when the broker-wide cap is reached; closing is the equivalent that
 * leaves no socket half-accepted, and clients retry either way.)
 *
 * The keys are read at every accept, so dynamic updates (AlterConfigs) apply to new connections.
 * Overrides name IP addresses; Runnel does not resolve host names there.
 */
import type { ConfigView } from '../config/view.js';
import { normalizeIp, parseIpOverrides } from '../config/ip-overrides.js';

export class ConnectionQuotas {
  private readonly perIp = new Map<string, number>();
  private total = 0;
  private overridesRaw = '';
  private overrides = new Map<string, number>();

  constructor(private readonly config: ConfigView) {}

  /** Counts a new connection from `ip` (normalized), or says which cap refuses it. */
  tryAdd(ip: string): string | null {
    const max = this.config.int('max.connections');
    if (this.total >= max) return `max.connections (${max}) reached`;
    const limit = this.limitFor(ip);
    const n = this.perIp.get(ip) ?? 0;
    if (n >= limit) return `max.connections.per.ip (${limit}) reached for ${ip}`;
    this.total++;
    this.perIp.set(ip, n + 1);
    return null;
  }

  /** A connection counted by tryAdd() closed. */
  remove(ip: string): void {
    const n = this.perIp.get(ip);
    if (n === undefined) return;
    this.total--;
    if (n <= 1) this.perIp.delete(ip);
    else this.perIp.set(ip, n - 1);
  }

  private limitFor(ip: string): number {
    const raw = this.config.string('max.connections.per.ip.overrides') ?? '';
    if (raw !== this.overridesRaw) {
      const parsed = parseIpOverrides(raw);
      this.overrides = typeof parsed === 'string' ? new Map() : parsed; // validated on the way in
      this.overridesRaw = raw;
    }
    return this.overrides.get(ip) ?? this.config.int('max.connections.per.ip');
  }
}
