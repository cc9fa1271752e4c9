/**
 * IP addresses in connection caps: the form an address is counted under, and the
 * `max.connections.per.ip.overrides` value (`ip:count,ip:count`) with its config validator. Here in
 * config/ because the config table validates the key; server/connection-quotas.ts applies it.
 */
import { isIP } from 'node:net';
import type { ConfigValue } from './definitions.js';

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
