/**
 * The read-only view of the broker configuration that request handlers and subsystems read
 * (BrokerConfig implements it): values are current, so dynamic changes (AlterConfigs) show at the
 * next read. Changing configs goes through the topic manager, never through this view.
 */
import type { ConfigValue } from './definitions.js';

export interface ConfigView {
  get(key: string): ConfigValue;
  int(key: string): number;
  bool(key: string): boolean;
  string(key: string): string | null;
}

/** The typed reads of a ConfigView over its one raw lookup, `get` (BrokerConfig, ListenerConfigView). */
export abstract class ConfigReader implements ConfigView {
  abstract get(key: string): ConfigValue;

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

  list(key: string): string[] {
    const v = this.get(key);
    return Array.isArray(v) ? v : v === null ? [] : [String(v)];
  }
}
