/**
 * Where the registry's REST API listens, from `runnel.schema.registry.listener`:
 *
 * - `host:port` set explicitly: bind it; failing to bind stops startup (like the Kafka listeners);
 * - `none` or empty: no REST API (the store and produce validation still run; schemas can be
 *   registered through the embedding API, e.g. from .avsc files);
 * - unset: Confluent's 127.0.0.1:8081 — or a free port when the first Kafka listener asks for
 *   port 0 (test and embedded brokers, many per machine) — and a busy default port only logs a
 *   warning: the registry is an add-on that must not keep the broker from starting.
 */
import type { BrokerConfig } from '../config/broker-config.js';

export const REGISTRY_LISTENER_KEY = 'runnel.schema.registry.listener';
export const DEFAULT_REGISTRY_PORT = 8081;

export interface RegistryListener {
  host: string;
  port: number;
  /** Set by the operator (a bind failure is fatal) rather than defaulted (a warning). */
  explicit: boolean;
}

/** Parses `host:port` / `[v6]:port`; null when malformed. */
export function parseHostPort(v: string): { host: string; port: number } | null {
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d+)$/.exec(v.trim());
  if (!m) return null;
  const port = Number(m[3]);
  if (port > 65535) return null;
  return { host: m[1] ?? (m[2] === '' ? '127.0.0.1' : m[2]!), port };
}

/** The listener to open, or null when the REST API is disabled. */
export function registryListener(config: BrokerConfig): RegistryListener | null {
  const raw = config.string(REGISTRY_LISTENER_KEY);
  if (raw !== null) {
    const v = raw.trim();
    if (v === '' || v.toLowerCase() === 'none') return null;
    const hp = parseHostPort(v)!; // validated by the config table
    return { ...hp, explicit: true };
  }
  const kafkaPort = config.listeners()[0]?.port;
  return { host: '127.0.0.1', port: kafkaPort === 0 ? 0 : DEFAULT_REGISTRY_PORT, explicit: false };
}
