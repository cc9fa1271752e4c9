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
import { isIP } from 'node:net';
import type { BrokerConfig } from '../config/broker-config.js';
import type { ConfigValue } from '../config/definitions.js';

/** The form an address is counted under: IPv4-mapped IPv6 (::ffff:1.2.3.4) as plain IPv4. */
export function normalizeIp(address: string | undefined): string {
  if (!address) return '?';
  return address.startsWith('::ffff:') && isIP(address.slice(7)) === 4 ? address.slice(7) : address;
}

/** Parses `ip:count,ip:count` (the count after the last colon, so IPv6 works; [v6] allowed). */
export function parseIpOverrides(raw: string): Map<string, number> | string {
  const out = new Map<string, number>();
  for (const entry of raw.split(',').map((e) => e.trim()).filter((e) => e !== '')) {
    const at = entry.lastIndexOf(':');
    const host = entry.slice(0, Math.max(at, 0)).trim().replace(/^\[(.*)\]$/, '$1');
    const count = Number(entry.slice(at + 1).trim());
    if (at <= 0 || !Number.isInteger(count) || count < 0) return `'${entry}' is not ip:count`;
    if (isIP(host) === 0) return `'${host}' is not an IP address (Runnel does not resolve host names here)`;
    out.set(normalizeIp(host), count);
  }
  return out;
}

/** Config validator for max.connections.per.ip.overrides. */
export function validateIpOverrides(v: ConfigValue): string | null {
  if (v === null || v === '') return null;
  if (typeof v !== 'string') return 'must be a list of ip:count';
  const parsed = parseIpOverrides(v);
  return typeof parsed === 'string' ? parsed : null;
}

export class ConnectionQuotas {
  private readonly perIp = new Map<string, number>();
  private total = 0;
  private overridesRaw = '';
  private overrides = new Map<string, number>();

  constructor(private readonly config: BrokerConfig) {}

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
