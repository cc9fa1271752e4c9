/**
 * Kafka's per-listener overrides: `listener.name.<listener>.<key>` (the listener name lower-cased,
 * e.g. listener.name.internal.ssl.client.auth=required) wins over `<key>` for that listener. Runnel
 * reads them for the ssl.* keys; each TLS listener's key store, trust store, client auth and
 * principal rules come from its view (broker-tls.ts).
 */
import type { ConfigValue } from './definitions.js';
import type { ConfigView } from './view.js';

/** listener.name.<listener>.<ssl key>: the listener and the key, or null. */
export const LISTENER_OVERRIDE = /^listener\.name\.([A-Za-z0-9_]+)\.(ssl\..+)$/;

export class ListenerConfigView implements ConfigView {
  constructor(
    private readonly base: ConfigView,
    private readonly overrides: ReadonlyMap<string, ConfigValue>,
  ) {}

  get(key: string): ConfigValue {
    return this.overrides.has(key) ? this.overrides.get(key)! : this.base.get(key);
  }

  int(key: string): number {
    const v = this.get(key);
    if (typeof v !== 'number') throw new Error(`${key} is not numeric`);
    return v;
  }

  bool(key: string): boolean {
    return this.get(key) === true;
  }

  string(key: string): string | null {
    const v = this.get(key);
    return v === null ? null : Array.isArray(v) ? v.join(',') : String(v);
  }
}
